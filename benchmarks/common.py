"""What the benchmarks share: where the project and its eval data are, and the CPU's name
that every report starts with (timings mean little without it).

The eval data is ``$POSE_EVAL_DIR``, else the ``shared/eval`` folder beside the checkout.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = Path(os.environ.get("POSE_EVAL_DIR", ROOT.parent / "shared" / "eval"))
COCO_DIR = EVAL_DIR / "coco"
STREET = EVAL_DIR / "video" / "street.avi"
DEMO = EVAL_DIR / "video" / "demo.mp4"


def cpu_model() -> str:
    """The CPU's name as the kernel reports it (``lscpu``'s "Model name")."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    # No "model name" line (some ARM kernels) or no /proc: whatever Python can tell.
    return platform.processor() or "unknown CPU"
