"""What users install: the built wheel and sdist hold every module, and the suite runs against the installed copy.

`.ci/run` builds the sdist and the wheel (from that sdist) with `python -m build`,
installs the wheel into a fresh venv and names both files in PODCOMPOSE_WHEEL and
PODCOMPOSE_SDIST; there, a missing file is a failure. On a developer's machine the
wheel is built here when the variables are unset.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "podcompose"
IN_CI = bool(os.environ.get("CI"))


def source_files() -> set[str]:
    """Every file the package consists of, as `podcompose/...` paths."""
    return {f"podcompose/{p.relative_to(PACKAGE).as_posix()}" for p in PACKAGE.rglob("*")
            if p.is_file() and p.suffix in (".py", ".json", ".typed") and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    named = os.environ.get("PODCOMPOSE_WHEEL")
    if named:
        return Path(named)
    if IN_CI:
        pytest.fail("CI is set but PODCOMPOSE_WHEEL names no wheel: run the suite through .ci/run")
    # from a copy of what the sdist holds: a stale build/ in the checkout cannot hide a missing module
    tree = tmp_path_factory.mktemp("tree")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                            "-w", str(out), str(tree)], capture_output=True, text=True)
    if build.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {build.stderr.strip()[-300:]}")
    return next(out.glob("podcompose-*.whl"))


def test_the_source_tree_has_the_modules_this_test_compares() -> None:
    files = source_files()
    assert {"podcompose/runtime/__init__.py", "podcompose/cli/__init__.py",
            "podcompose/schemas/pod.json", "podcompose/schemas/index.json"} <= files


def test_the_wheel_holds_every_module_and_schema_and_nothing_else(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = {n for n in archive.namelist() if not n.split("/")[0].endswith(".dist-info")}
        entry_points = next(archive.read(n).decode() for n in archive.namelist() if n.endswith("entry_points.txt"))
    missing = source_files() - names
    assert not missing, f"the wheel lacks {sorted(missing)}"
    assert names == source_files(), f"the wheel holds more than the package: {sorted(names - source_files())}"
    assert "podcompose = podcompose.cli:run" in entry_points


def test_the_sdist_holds_every_module() -> None:
    named = os.environ.get("PODCOMPOSE_SDIST")
    if not named:
        if IN_CI:
            pytest.fail("CI is set but PODCOMPOSE_SDIST names no sdist: run the suite through .ci/run")
        pytest.skip("PODCOMPOSE_SDIST unset (.ci/run builds one)")
    with tarfile.open(named) as archive:
        names = {"/".join(n.split("/")[1:]) for n in archive.getnames()}
    missing = {f"src/{f}" for f in source_files()} - names
    assert not missing, f"the sdist lacks {sorted(missing)}"


def test_the_suite_runs_against_the_installed_package_not_the_source_tree() -> None:
    import podcompose

    location = Path(podcompose.__file__).resolve()
    if not (IN_CI or os.environ.get("PODCOMPOSE_EXPECT_INSTALLED")):
        pytest.skip("a developer's editable install (CI and PODCOMPOSE_EXPECT_INSTALLED=1 check this)")
    assert not location.is_relative_to(ROOT / "src"), f"podcompose imported from the source tree: {location}"
    purelib = Path(sysconfig.get_paths()["purelib"]).resolve()
    assert sys.prefix != sys.base_prefix, "not in a virtual environment"
    assert location.is_relative_to(purelib), f"{location} is not in the venv's site-packages {purelib}"
    # and so is the copy the CLI tests run (`python -m podcompose` from the checkout's root)
    proc = subprocess.run([sys.executable, "-c", "import podcompose; print(podcompose.__file__)"],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    assert Path(proc.stdout.strip()).resolve() == location
