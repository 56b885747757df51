"""podcompose: run Kubernetes Pod manifests on one Docker Engine, as a kubelet would."""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
