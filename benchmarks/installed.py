"""Time podcompose as users run it: installed, with its bytecode compiled.

pip compiles every module when it installs the wheel, so an installed podcompose
never parses its sources at start-up. A source checkout run with
PYTHONDONTWRITEBYTECODE=1 (as on the project's machines) would compile all 60
modules at every start (about 0.14 s), which no user pays: compile them first.
"""
from __future__ import annotations

import compileall
import os
import subprocess
import sys


def compile_package() -> str:
    """Compile the podcompose that `python -m podcompose` runs (as pip does at install); its folder."""
    folder = subprocess.run([sys.executable, "-c", "import os, podcompose; print(os.path.dirname(podcompose.__file__))"],
                            check=True, capture_output=True, text=True, env=os.environ).stdout.strip()
    compileall.compile_dir(folder, quiet=1)
    return folder
