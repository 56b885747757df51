"""Run a pod from a test or a script: a context manager and a pytest fixture.

    from podcompose.testing import PodSession
    from podcompose.wait import HttpGet

    with PodSession("pod.yaml", wait=[HttpGet("http://127.0.0.1:8080/")]) as pod:
        assert pod.exec("app", "cat", "/etc/hostname").output.strip() == pod.name
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Literal, Mapping, Sequence

from . import api
from .errors import PodcomposeError
from .podstatus import PodStatus
from .state import ObservedPod
from .wait import WaitStrategy, wait_for


@dataclass(frozen=True)
class ExecOutput:
    exit_code: int
    output: str


class PodSession:
    """One pod from a manifest file, up for the length of a `with` block."""

    def __init__(self, *files: str, pod: str | None = None, namespace: str | None = None,
                 images: Mapping[str, str] | None = None, pause_image: str | None = None,
                 pull: api.PullOverride | None = None, wait: Sequence[WaitStrategy] = (),
                 timeout: float = 60, keep: bool = False) -> None:
        loaded = api.load_pods(files, api.LoadOptions(namespace=namespace, image_overrides=dict(images or {})))
        candidates = [p for p in loaded.pods if pod in (None, p.name)]
        if not candidates:
            raise PodcomposeError(f"no pod {pod!r} in {', '.join(files)}")
        self.pod = candidates[0]
        self.name = self.pod.name
        self.namespace = self.pod.namespace
        self.options = api.UpOptions(pause_image=pause_image or api.default_pause_image(), pull=pull)
        self.wait = list(wait)
        self.timeout = timeout
        self.keep = keep
        self._runtime: api.Runtime | None = None

    @property
    def runtime(self) -> "api.Runtime":
        if self._runtime is None:
            self._runtime = api.connect()
        return self._runtime

    def up(self) -> "PodSession":
        api.up(self.runtime, [self.pod], self.options)
        if self.wait:
            wait_for(self, self.wait, self.timeout)
        return self

    def down(self) -> None:
        api.down(self.runtime, [(self.namespace, self.name)])

    def observed(self) -> ObservedPod:
        return api.find_pod(self.runtime, self.namespace, self.name)

    def status(self) -> PodStatus:
        """The pod's status as `ps` shows it: the agent's, or before it reports, read from Docker."""
        return api.pod_view(self.runtime, self.namespace, self.name).status

    def exec(self, container: str | None, *command: str) -> ExecOutput:
        target = api.pick_container(self.observed(), container)
        stream, result = api.exec_in(self.runtime, target, list(command))
        chunks = [(out or b"") + (err or b"") for out, err in stream]
        return ExecOutput(result.exit_code, b"".join(chunks).decode(errors="replace"))

    def logs(self, container: str | None = None) -> str:
        target = api.pick_container(self.observed(), container)
        return "\n".join(line for _, line in api.log_lines(self.runtime, [target], api.LogOptions()))

    def __enter__(self) -> "PodSession":
        try:
            return self.up()
        except BaseException:
            if not self.keep:
                self.down()
            raise

    def __exit__(self, *exc: object) -> None:
        if not self.keep:
            self.down()


def pod_fixture(*files: str, scope: Literal["session", "package", "module", "class", "function"] = "function",
                **kwargs: Any) -> Any:
    """A pytest fixture that brings the pod up for each test (or `scope`) and down after.

        web = pod_fixture("pod.yaml", wait=[HttpGet("http://127.0.0.1:8080/")])

        def test_home(web):
            assert web.exec(None, "true").exit_code == 0
    """
    import pytest

    @pytest.fixture(scope=scope)
    def _fixture() -> Iterator[PodSession]:
        with PodSession(*files, **kwargs) as session:
            yield session

    return _fixture
