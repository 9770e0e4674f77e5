"""Build ``models/graph_opt.tflite`` from the verified frozen graph.

TensorFlow's own converter (``tf.compat.v1.lite.TFLiteConverter.from_frozen_graph``),
float32, no quantisation: the same graph, run faster by TFLite's XNNPACK delegate (the
default backend of :mod:`pose.model`). The app converts on first use when the file is
missing; ``make setup`` runs this ahead so the first request does not wait (about 3 s).

    .venv/bin/python -m models.convert [--force]
"""

from __future__ import annotations

import argparse
import logging
import sys

from models.fetch import ModelFetchError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="convert even if the file exists")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from pose.model import ensure_tflite  # imports TensorFlow only when converting

    try:
        path = ensure_tflite(rebuild=args.force)
    except (ModelFetchError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"tflite ok: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
