"""The Kubernetes documentation's own examples run unmodified (issue 11).

Every example that tests/k8s-examples/INDEX.tsv marks RUN or RUN+DEPS (with the
files its note says it needs) is brought up with `podcompose up -d` in a
namespace of its own, and then checked for what INDEX.tsv's last column says a
working run shows, looking inside the containers (`id`, a file's content or
mode, a served page, /etc/hosts, /etc/resolv.conf, an env var, a cgroup
limit), not only that it started. The images are the kit's look-alikes under
the examples' own names (tests/kit/build-example-images.sh), so no --image is
needed.

The examples run in parallel threads in one module-scoped fixture; each then
has a test of its own reporting its outcome. Examples that cannot work yet are
in EXPECTED_FAILURES with the reason: xfail(strict=True), so an entry must be
removed once the field it waits for lands.
"""
from __future__ import annotations

import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers import remove_by_label, run_cli
from tests.integration.k8s_example import EXAMPLES, RUNNABLE, Example, dependencies
from tests.integration.k8s_example_checks import CHECKS, Check

pytestmark = pytest.mark.docker

PARALLEL = 6


# Examples that do not pass yet, with the reason; strict: an entry whose example passes fails the run.
EXPECTED_FAILURES: dict[str, str] = {
}


# ---------------------------------------------------------------------------------------------
# Running them

def remove_namespace(namespace: str) -> None:
    remove_by_label(f"io.podcompose.namespace={namespace}")


def run_example(path: str) -> tuple[str | None, float]:
    """(None, seconds) when the example's check passed, else (what went wrong, seconds)."""
    started = time.monotonic()
    namespace = f"ex-{uuid.uuid4().hex[:8]}"
    ex = Example(path, namespace)
    check = CHECKS[path]
    files = [x for dep in dependencies(path) for x in ("-f", str(EXAMPLES / dep))] + ["-f", str(EXAMPLES / path)]
    try:
        up = run_cli("up", "-d", "-n", namespace, *files, *(["--wait"] if check.wait else []), timeout=180)
        assert up.code == check.up_code, f"up exited {up.code}:\n{up.stderr.strip()}"
        check.run(ex)
        return None, time.monotonic() - started
    except Exception as error:  # noqa: BLE001 - reported by the example's own test
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        frame = traceback.extract_tb(error.__traceback__)[-1]
        return f"{detail}\n  (at line {frame.lineno}: {frame.line})", time.monotonic() - started
    finally:
        run_cli("down", "-n", namespace, "--timeout", "1", ex.pod, timeout=120)
        remove_namespace(namespace)


@pytest.fixture(scope="module")
def example_images(kit: dict[str, str]) -> dict[str, str]:
    from tests.kit.images import ensure_example_images

    return ensure_example_images()


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest, example_images: dict[str, str]) -> dict[str, tuple[str | None, float]]:
    """Every selected example run once, PARALLEL at a time."""
    selected = [item.callspec.params["path"] for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec") and "path" in item.callspec.params]
    with ThreadPoolExecutor(PARALLEL) as pool:
        return dict(zip(selected, pool.map(run_example, selected)))


def test_every_runnable_example_has_a_check() -> None:
    assert len(RUNNABLE) == 84
    assert sorted(CHECKS) == RUNNABLE
    assert all(isinstance(check, Check) for check in CHECKS.values())
    assert set(EXPECTED_FAILURES) <= set(RUNNABLE)
    for path in RUNNABLE:
        for dep in dependencies(path):
            assert (EXAMPLES / dep).is_file(), f"{path} needs {dep}, which is missing"


@pytest.mark.parametrize("path", [
    pytest.param(path, marks=pytest.mark.xfail(strict=True, reason=EXPECTED_FAILURES[path]))
    if path in EXPECTED_FAILURES else path
    for path in RUNNABLE])
def test_example_runs(path: str, outcomes: dict[str, tuple[str | None, float]]) -> None:
    error, seconds = outcomes[path]
    assert error is None, f"{path} ({seconds:.0f}s): {error}"
