"""What to do next for one pod: the pure decision of the node agent.

In the spirit of the kubelet's computePodActions (pkg/kubelet/kuberuntime/kuberuntime_manager.go)
and computeInitContainerActions (kuberuntime_container.go): from the desired pod, what Docker
holds (`PodObservation`, plain data read from labels and `docker inspect`), the probe results
and the clock, the actions to take with their reasons, and the status to report. No I/O.

- observation.py: what Docker holds (attempts, the sandbox);
- actions.py: what decide() asks for (create the sandbox, start, kill, wait out a back-off);
- pod_actions.py: the rules (computePodActions, computeInitContainerActions) and the status;
- start_order.py: decide() rehearsed on a pod that does what it should (the order `up --dry-run` shows).

One difference on purpose: every attempt is labelled with the pause container it joined, so
attempts of an earlier sandbox are told apart from the current one (the kubelet cannot, and
purges init containers instead).
"""
from __future__ import annotations

from .actions import (CreateSandbox, KillContainer, KillPod, KillReason, PodActions, StartContainer, StartReason,
                      WaitBackoff)
from .observation import Attempt, PodObservation, ProbeResults, RunState, SandboxObservation
from .pod_actions import DEADLINE_MESSAGE, decide
from .start_order import start_order

__all__ = ["Attempt", "CreateSandbox", "DEADLINE_MESSAGE", "KillContainer", "KillPod", "KillReason", "PodActions",
           "PodObservation", "ProbeResults", "RunState", "SandboxObservation", "StartContainer", "StartReason",
           "WaitBackoff", "decide", "start_order"]
