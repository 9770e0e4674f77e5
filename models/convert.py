"""Build ``models/graph_opt.tflite`` from the verified frozen graph.

TensorFlow's own converter (``tf.compat.v1.lite.TFLiteConverter.from_frozen_graph``),
float32, no quantisation: the same graph, run faster by TFLite's XNNPACK delegate (the
default backend of :mod:`pose.model`). The app converts on first use when the file is
missing; ``make setup`` runs this ahead so the first request does not wait (about 3 s).

    .venv/bin/python -m models.convert [--force]

The quantised variants that were measured and rejected (README "Performance") can be
rebuilt for a check, e.g. int8 calibrated on a real clip, then scored:

    .venv/bin/python -m models.convert --quantize int8 --out /tmp/int8.tflite
    POSE_TFLITE_PATH=/tmp/int8.tflite .venv/bin/python -m benchmarks.accuracy
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from models.fetch import ModelFetchError, model_path

ROOT = Path(__file__).resolve().parents[1]
CALIBRATION_CLIP = Path(
    os.environ.get("POSE_EVAL_DIR", ROOT.parent / "shared" / "eval"), "video", "demo.mp4"
)


def clip_frames(path: Path) -> list:
    """Every frame of a video as RGB uint8 (H, W, 3) arrays (for int8 calibration)."""
    import av

    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="convert even if the file exists")
    parser.add_argument(
        "--quantize",
        choices=["int8", "dynamic", "float16"],
        help="build a quantised variant (needs --out; not used by the app)",
    )
    parser.add_argument("--out", type=Path, help="where to write a quantised variant")
    parser.add_argument(
        "--calibration",
        type=Path,
        default=CALIBRATION_CLIP,
        help="video whose frames calibrate int8 (default: the eval street clip)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from pose.model import convert_to_tflite, ensure_tflite  # TensorFlow only when converting

    try:
        if args.quantize:
            if args.out is None:
                parser.error("--quantize needs --out")
            frames = clip_frames(args.calibration) if args.quantize == "int8" else []
            path = convert_to_tflite(model_path(), args.out, args.quantize, frames)
        else:
            path = ensure_tflite(rebuild=args.force)
    except (ModelFetchError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"tflite ok: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
