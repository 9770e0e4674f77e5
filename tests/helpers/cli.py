"""Running the real command line (``python -m pose``) in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers.paths import ROOT


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m pose ARGS`` from the project root; capture text output."""
    return subprocess.run(
        [sys.executable, "-m", "pose", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def error_lines(stderr: str) -> list[str]:
    """The ``error:`` lines of a CLI run's standard error."""
    return [line for line in stderr.splitlines() if line.startswith("error:")]
