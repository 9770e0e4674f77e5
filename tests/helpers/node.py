"""Running the page's JavaScript (web/live/*.js) in node, through the scripts beside this
module (``live_*.mjs``), so that tests compare it with the server's Python."""

from __future__ import annotations

import shutil
import subprocess

from tests.helpers.paths import ROOT


def run_node(script: str, *args: str, timeout: float = 60) -> bytes:
    """Run ``tests/helpers/SCRIPT ARGS`` in node and return its standard output; node must
    be there (``make setup`` installs Debian's nodejs) and the script must succeed."""
    node = shutil.which("node")
    assert node, "node is missing: `make setup` installs it (Debian's nodejs)"
    done = subprocess.run(
        [node, str(ROOT / "tests" / "helpers" / script), *args],
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout
