"""Keypoint accuracy of the full pipeline on a COCO-format set, scored with pycocotools.

    .venv/bin/python -m benchmarks.accuracy [IMAGE_DIR] [ANNOTATIONS] [--size ...] [--scales ...]

Runs ``pose.estimate.estimate`` on every image of the annotation file twice: with the
multi-person PAF decoder and with the original single-person argmax decoder, converts the
OpenPose-18 keypoints to COCO-17 and prints COCOeval's AP, AP50, AP75 and AR for both, plus the
model and decode time per image measured in the same run.

With 4 photos and 12 people, AP moves by up to 0.14 when the input size moves by 8-16 pixels
(docs/accuracy.md). ``--sweep`` therefore also scores nine sizes around the box (-32 to +32
pixels in steps of 8, both sides) and prints their mean: the figure to compare backends or
settings by. ``--backend`` picks the model backend (default: ``$POSE_BACKEND``, else tflite).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

import pose.model
import pose.network
from pose.estimate import DEFAULT_THRESHOLD, estimate, parse_scales
from pose.media import load_image
from pose.model import get_model
from pose.network import DEFAULT_PRESET
from pose.paf import DEFAULT_PARAMS, DecodeParams
from pose.skeleton import OPENPOSE_FOR_COCO
from pose.types import Pose

ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = Path(os.environ.get("POSE_EVAL_DIR", ROOT.parent / "shared" / "eval"))
DEFAULT_IMAGES = EVAL_DIR / "coco"

PERSON_CATEGORY = 1
PUBLISHED = {"AP": 0.281, "AP50": 0.558}  # this graph, COCO 2014 val, single scale
METRICS = ("AP", "AP50", "AP75", "AR")


def to_coco_keypoints(person: Pose) -> list[float]:
    """OpenPose-18 pose -> COCO's flat list of 17 (x, y, v) = 51 floats; missing = 0, 0, 0."""
    rows = person.keypoints[OPENPOSE_FOR_COCO].astype(np.float64)
    found = rows[:, 2] > 0
    out = np.zeros((17, 3))
    out[found, :2] = rows[found, :2]
    out[found, 2] = 1.0  # COCOeval ignores detection visibilities; 1 marks "predicted"
    return [round(value, 2) for value in out.ravel().tolist()]


def to_detections(image_id: int, people: list[Pose] | tuple[Pose, ...]) -> list[dict]:
    return [
        {
            "image_id": image_id,
            "category_id": PERSON_CATEGORY,
            "keypoints": to_coco_keypoints(person),
            "score": float(person.score),
        }
        for person in people
    ]


def evaluate(annotation_file: Path, detections: list[dict]) -> dict[str, float]:
    """COCOeval keypoint metrics {AP, AP50, AP75, AR}; zeros when there are no detections."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    if not detections:
        return dict.fromkeys(METRICS, 0.0)
    # pycocotools prints progress and its own table; we print one compact table instead.
    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO(str(annotation_file))
        result = truth.loadRes(detections)
        evaluator = COCOeval(truth, result, iouType="keypoints")
        evaluator.params.imgIds = sorted(
            {d["image_id"] for d in detections} | set(truth.getImgIds())
        )
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    stats = evaluator.stats
    return {"AP": stats[0], "AP50": stats[1], "AP75": stats[2], "AR": stats[5]}


@dataclass
class Run:
    """Detections and timings of one decoder over the set."""

    detections: list[dict] = field(default_factory=list)
    model_ms: list[float] = field(default_factory=list)
    decode_ms: list[float] = field(default_factory=list)


def run_set(
    image_dir: Path,
    annotation_file: Path,
    size: str,
    threshold: float,
    scales: tuple[float, ...],
    params: DecodeParams,
    flip: bool = False,
) -> dict[str, Run]:
    """Estimate every annotated image with both decoders."""
    data = json.loads(annotation_file.read_text())
    model = get_model()
    runs = {"single": Run(), "multi": Run()}
    for entry in data["images"]:
        image = load_image(image_dir / entry["file_name"])
        for name, run in runs.items():
            multi = name == "multi"
            result = estimate(
                image,
                size=size,
                threshold=threshold,
                model=model,
                multi_person=multi,
                scales=scales if multi else (1.0,),
                params=params,
                flip=flip and multi,
            )
            run.detections += to_detections(entry["id"], result.people)
            run.model_ms.append(result.timings_ms["model_ms"])
            run.decode_ms.append(result.timings_ms["decode_ms"])
    return runs


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("images", nargs="?", type=Path, default=DEFAULT_IMAGES, help="image folder")
    parser.add_argument(
        "annotations", nargs="?", type=Path, help="COCO keypoint JSON (default: the one JSON there)"
    )
    parser.add_argument("--size", default=DEFAULT_PRESET, help="preset or WIDTHxHEIGHT")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument(
        "--scales", default="1.0", help="comma-separated input-size factors, e.g. 1.0,0.75"
    )
    parser.add_argument(
        "--flip", action="store_true", help="also run the mirrored image and average (2x time)"
    )
    parser.add_argument("--upsample", type=int, default=DEFAULT_PARAMS.upsample)
    parser.add_argument("--sigma", type=float, default=DEFAULT_PARAMS.sigma)
    parser.add_argument("--min-parts", type=int, default=DEFAULT_PARAMS.min_parts)
    parser.add_argument(
        "--rgb", action="store_true", help="feed the graph RGB instead of BGR (to compare)"
    )
    parser.add_argument(
        "--sweep", action="store_true", help="also score 9 sizes around the box; print the mean"
    )
    parser.add_argument("--backend", choices=pose.model.BACKENDS, help="model backend")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    return parser.parse_args(argv)


SWEEP_STEPS = range(-32, 33, 8)


def sweep_sizes(size: str) -> list[str]:
    """Nine "WxH" sizes around ``size`` (a preset or "WxH"), both sides -32..+32 by 8."""
    width, height = pose.network.PRESETS.get(size) or tuple(int(v) for v in size.split("x"))
    return [f"{width + step}x{height + step}" for step in SWEEP_STEPS]


def sweep(args, annotations: Path, scales, params) -> dict[str, dict[str, float]]:
    """PAF-decoder figures at each :func:`sweep_sizes` size, plus their "mean"."""
    table = {}
    for size in sweep_sizes(args.size):
        runs = run_set(args.images, annotations, size, args.threshold, scales, params, args.flip)
        table[size] = evaluate(annotations, runs["multi"].detections)
        print(f"{size:<28}" + "".join(f"{table[size][m]:7.3f}" for m in METRICS), flush=True)
    table["mean"] = {m: float(np.mean([row[m] for row in table.values()])) for m in METRICS}
    print(f"{'mean of the 9 sizes':<28}" + "".join(f"{table['mean'][m]:7.3f}" for m in METRICS))
    return table


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    args = parse_args(argv)
    annotations = args.annotations
    if annotations is None:
        found = sorted(args.images.glob("*.json"))
        if len(found) != 1:
            print(f"error: give the annotation file ({len(found)} JSON files in {args.images})")
            return 2
        annotations = found[0]
    scales = parse_scales(args.scales)
    if args.backend:
        os.environ[pose.model.BACKEND_ENV] = args.backend
    if args.rgb:
        pose.network.INPUT_ORDER = "RGB"
    params = replace(
        DEFAULT_PARAMS, upsample=args.upsample, sigma=args.sigma, min_parts=args.min_parts
    )
    get_model().infer(np.zeros((64, 64, 3), np.uint8), (64, 64))  # load before timing
    started = time.perf_counter()
    runs = run_set(args.images, annotations, args.size, args.threshold, scales, params, args.flip)
    elapsed = time.perf_counter() - started
    figures = {name: evaluate(annotations, run.detections) for name, run in runs.items()}

    count = len(runs["multi"].model_ms)
    print(f"{count} images from {args.images}, annotations {annotations.name}")
    print(
        f"{get_model().backend} backend, size {args.size}, scales {scales}, flip {args.flip}, "
        f"{pose.network.INPUT_ORDER} input, "
        f"threshold {args.threshold}, upsample "
        f"{params.upsample}, sigma {params.sigma}, min_parts {params.min_parts}"
    )
    print(
        f"{'decoder':<28}" + "".join(f"{m:>7}" for m in METRICS) + "  people  model ms  decode ms"
    )
    labels = {"single": "single-person argmax", "multi": "multi-person PAF (default)"}
    for name, run in runs.items():
        print(
            f"{labels[name]:<28}"
            + "".join(f"{figures[name][m]:7.3f}" for m in METRICS)
            + f"{len(run.detections):8d}{np.median(run.model_ms):10.1f}"
            + f"{np.median(run.decode_ms):11.2f}"
        )
    print(
        f"{'published (COCO 2014 val)':<28}" + "".join(f"{PUBLISHED[m]:7.3f}" for m in METRICS[:2])
    )
    ratio = np.median(runs["multi"].decode_ms) / np.median(runs["multi"].model_ms)
    print(f"PAF decode / model time (medians, this run): {ratio:.2f}; total {elapsed:.1f} s")
    result = {"figures": figures, "decode_to_model": ratio}
    if args.sweep:
        print(f"\nsweep: multi-person PAF at nine sizes around {args.size}")
        print(f"{'size':<28}" + "".join(f"{m:>7}" for m in METRICS))
        result["sweep"] = sweep(args, annotations, scales, params)
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
