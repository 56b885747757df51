"""agent.prober: no pod holds more than its share of the probe workers; timeouts bounded by the API's type."""
from __future__ import annotations

from dataclasses import replace

from podcompose.agent.prober import MAX_TIMEOUT_SECONDS, PodKey, ProbeManager
from podcompose.decide import Attempt, PodObservation, SandboxObservation
from podcompose.load import load_text
from podcompose.model import Pod
from podcompose.pods import pods_from_documents

from test_agent_prober import Clock, Deferred, Probes

HOG: PodKey = ("default", "hog")
OTHER: PodKey = ("default", "other")


def pod(name: str, containers: int, timeout: int = 30) -> Pod:
    items = "".join(f"""
  - name: c{i}
    image: x:1
    readinessProbe: {{exec: {{command: [hang]}}, periodSeconds: 1, timeoutSeconds: {timeout}}}""" for i in range(containers))
    return pods_from_documents(load_text(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  containers:{items}
""", "m.yaml"))[0]


def track(m: ProbeManager, key: PodKey, spec: Pod) -> None:
    attempts = tuple(Attempt(c.name, f"{key[1]}-{c.name}", "running", c.spec_hash(), sandbox_id=f"{key[1]}-pause",
                             created_at=100.0, started_at=100.0) for c in spec.containers)
    m.track(key, spec, PodObservation(SandboxObservation(f"{key[1]}-pause", True, spec.sandbox_hash()), attempts),
            None)


def test_a_pod_with_eight_hanging_probes_leaves_workers_for_another_pod() -> None:
    clock, probes, pool = Clock(), Probes(), Deferred()
    woken: list[bool] = []
    m = ProbeManager(probes.exec_probe, probes.net_probe, clock=clock, executor=pool, max_workers=8,
                     wake=lambda: woken.append(True))
    hog = pod("hog", 8)
    track(m, HOG, hog)
    assert m.run_due() == 4                       # alone, still at most half of the pool
    assert m.next_wake() is None                  # its waiting probes start when one of its own ends
    track(m, OTHER, pod("other", 1))
    assert [t.pod_key for t in m.due()] == [OTHER]
    assert m.run_due() == 1 and len(pool.pending) == 5
    pool.pending.pop(0)()                         # one hog probe ends: the hog may start one more
    assert woken and [t.pod_key for t in m.due()] == [HOG]


def test_the_share_shrinks_as_pods_come() -> None:
    clock, probes, pool = Clock(), Probes(), Deferred()
    m = ProbeManager(probes.exec_probe, probes.net_probe, clock=clock, executor=pool, max_workers=8)
    for i in range(4):
        track(m, ("default", f"p{i}"), pod(f"p{i}", 3))
    tasks = m.due()
    assert sorted({t.pod_key for t in tasks}) == [("default", f"p{i}") for i in range(4)]
    assert all(sum(1 for t in tasks if t.pod_key == key) == 2 for key in {t.pod_key for t in tasks})


def past_int32(spec: Pod) -> Pod:
    """Validation refuses a timeoutSeconds past int32 in a manifest; a Pod built by other code may still hold one."""
    probe = replace(spec.containers[0].readiness_probe, timeout_seconds=2**40)
    return replace(spec, containers=(replace(spec.containers[0], readiness_probe=probe),))


def test_a_timeout_past_int32_is_cut_to_it() -> None:
    clock, probes, pool = Clock(), Probes(), Deferred()
    m = ProbeManager(probes.exec_probe, probes.net_probe, clock=clock, executor=pool)
    track(m, HOG, past_int32(pod("hog", 1)))
    assert [t.timeout for t in m.due()] == [float(MAX_TIMEOUT_SECONDS)]
