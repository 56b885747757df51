"""What the validate() tests share: check() of a manifest text, the small pod they extend, a ConfigMap and a Secret."""
from __future__ import annotations

from textwrap import dedent

from podcompose.load import load_text
from podcompose.validate import validate


def check(text: str, unknown_fields: str = "strict", severity: str | None = "error") -> list[str]:
    problems = validate(load_text(dedent(text), "pod.yaml"), unknown_fields)  # type: ignore[arg-type]
    return [str(p) for p in problems if severity is None or p.severity == severity]


POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: nginx:1.27
"""


CONFIG = """\
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {level: debug}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: hunter2}
"""
