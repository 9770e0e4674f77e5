"""Keypoint accuracy of the full pipeline on every labeled set, or on one COCO-format set.

    .venv/bin/python -m benchmarks.accuracy [--mode fast|accurate] [--size ...] [--backend ...]
    .venv/bin/python -m benchmarks.accuracy IMAGE_DIR [ANNOTATIONS] [--size ...] [--scales ...]

``--turned`` scores every set upright and turned by 90, 180, 270 and 45 degrees with each of
``--methods`` (:mod:`benchmarks.orientation`).

Without a folder: scores every set of ``../shared/eval`` (:mod:`benchmarks.eval_sets`: COCO by
COCO AP, the wild sets by AP over the twelve limb joints, MPII by PCKh@0.5) with the given
options and prints one row per set, the mean over sets, a row of each AP set's AP50 and
false people (detections that match no labeled person at OKS 0.5: skeletons of no one or
joined from two bodies, and duplicates; their total last), and the time per photo (median,
and per megapixel). ``--sets`` picks some; ``--jitter`` also repeats the run with the input box
moved by -16 to +16 pixels (both sides, steps of 8) and prints the mean of the five, since
single sizes are noisy on sets this small.

With a folder: runs ``pose.photo.estimate.estimate`` on every image of the annotation file twice:
with the
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

import pose.network.registry
import pose.network.spec
from benchmarks import eval_sets
from benchmarks.eval_sets import EVAL_DIR
from benchmarks.turned import ANGLES
from pose.body.skeleton import OPENPOSE_FOR_COCO
from pose.body.types import Estimate, Pose
from pose.media.images import load_image
from pose.network.registry import get_model
from pose.network.spec import DEFAULT_PRESET
from pose.photo.estimate import DEFAULT_THRESHOLD, estimate, parse_scales
from pose.photo.modes import DEFAULT_MODE, MODES
from pose.photo.paf import DEFAULT_PARAMS, DecodeParams

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


def score_sets(
    find: Callable[[np.ndarray], Estimate],
    sets: Sequence[eval_sets.EvalSet] = eval_sets.SETS,
    eval_dir: Path = EVAL_DIR,
) -> tuple[list[eval_sets.SetScore], list[float]]:
    """Run ``find`` on every photo of ``sets``; their scores and the milliseconds per
    megapixel of each photo (wall time of ``find``)."""
    scores, per_megapixel = [], []
    for item in sets:
        photos = eval_sets.load_set(item, eval_dir)
        results = {}
        for photo in photos:
            image = load_image(photo.path)
            started = time.perf_counter()
            results[photo.image_id] = find(image).people
            elapsed = (time.perf_counter() - started) * 1000
            per_megapixel.append(elapsed / (image.shape[0] * image.shape[1] / 1e6))
        scores.append(eval_sets.score_set(item, photos, results))
    return scores, per_megapixel


def set_table(label: str, scores: Sequence[eval_sets.SetScore]) -> str:
    """One row: each set's figure with people found/labeled, then the mean over sets."""
    cells = "".join(f"{s.value:7.3f} {s.found:>2}/{s.labeled:<2}" for s in scores)
    return f"{label:<26}{cells}{np.mean([s.value for s in scores]):8.3f}"


def crowd_table(label: str, scores: Sequence[eval_sets.SetScore]) -> str:
    """One row under :func:`set_table`'s columns: each AP set's AP50 and its false people
    (detections matching no labeled person at OKS 0.5), then their totals; "-" on PCKh sets,
    which label one person per photo."""
    cells = "".join(
        f"{s.ap50:7.3f} {s.false_people:>4} " if s.metric == "AP" else f"{'-':>7}      "
        for s in scores
    )
    rated = [s for s in scores if s.metric == "AP"]
    total = sum(s.false_people for s in rated)
    return f"{label:<26}{cells}{total:>8}"


def set_header(scores: Sequence[eval_sets.SetScore]) -> str:
    names = "".join(f"{s.name + ' ' + s.metric:>13}" for s in scores)
    return f"{'':<26}{names}{'mean':>8}"


JITTER_STEPS = range(-16, 17, 8)


def main_sets(args: argparse.Namespace, params: DecodeParams) -> int:
    """Every set (or ``--sets``) with the options given; see the module docstring."""
    from pose.photo.modes import estimate_photo

    wanted = args.sets.split(",") if args.sets else list(eval_sets.SET_NAMES)
    unknown = sorted(set(wanted) - set(eval_sets.SET_NAMES))
    if unknown:
        print(f"error: unknown set {', '.join(unknown)}: use {', '.join(eval_sets.SET_NAMES)}")
        return 2
    sets = [item for item in eval_sets.SETS if item.name in wanted]
    model = get_model()
    model.infer(np.zeros((64, 64, 3), np.uint8), (64, 64))  # load before timing
    width, height = pose.network.spec.PRESETS.get(args.size) or tuple(
        int(v) for v in args.size.lower().split("x")
    )
    steps = JITTER_STEPS if args.jitter else (0,)
    print(
        f"{model.backend} backend, mode {args.mode}, size {args.size}, threshold "
        f"{args.threshold}" + (f", jitter {list(steps)} px" if args.jitter else "")
    )
    rows, times = [], []
    for step in steps:
        box = (width + step, height + step)

        def find(image: np.ndarray, box=box) -> Estimate:
            return estimate_photo(image, args.mode, box, args.threshold, model=model, params=params)

        scores, per_megapixel = score_sets(find, sets)
        rows.append(scores)
        times += per_megapixel
        if step == steps[0]:
            print(set_header(scores))
        print(set_table(f"{box[0]}x{box[1]}", scores), flush=True)
    if len(rows) > 1:
        mean = eval_sets.mean_scores(rows)
        print(set_table(f"mean of {len(rows)} sizes", mean))
        rows.append(mean)
    print(crowd_table("AP50, false people", rows[-1]))
    print(f"time per photo: median {np.median(times):.0f} ms per megapixel ({len(times)} photos)")
    if args.json:
        figures = {s.name: s.value for s in rows[-1]}
        figures["mean"] = float(np.mean(list(figures.values())))
        rated = [s for s in rows[-1] if s.metric == "AP"]
        extra = {
            "ap50": {s.name: s.ap50 for s in rated},
            "false_people": {s.name: s.false_people for s in rated},
        }
        print(json.dumps({"sets": figures, "ms_per_megapixel": float(np.median(times)), **extra}))
    return 0


def main_turned(args: argparse.Namespace) -> int:
    """Every set (or ``--sets``) upright and turned, per method (benchmarks.orientation)."""
    from benchmarks import orientation
    from benchmarks.common import cpu_model

    wanted = args.sets.split(",") if args.sets else list(eval_sets.SET_NAMES)
    methods = args.methods.split(",") if args.methods else list(orientation.DEFAULT_METHODS)
    unknown = sorted(set(wanted) - set(eval_sets.SET_NAMES))
    if unknown:
        print(f"error: unknown set {', '.join(unknown)}")
        return 2
    sets = [item for item in eval_sets.SETS if item.name in wanted]
    try:
        finders = {name: orientation.finder(name) for name in methods}
    except (KeyError, ValueError, TypeError) as exc:
        print(f"error: unknown method or option {exc}: use {', '.join(orientation.METHODS)}")
        return 2
    print(f"{cpu_model()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for name in methods:
        print(f"  {name}: {orientation.METHODS.get(name, ('a variant',))[0]}")
    started = time.perf_counter()
    angles = tuple(int(a) for a in args.angles.split(",")) if args.angles else ANGLES
    table, times = orientation.score_turned(finders, sets, angles)
    print(orientation.format_table(table, angles))
    for name in methods:
        print(f"{name}: median {np.median(times[name]):.0f} ms per megapixel", end="; ")
    print(f"total {time.perf_counter() - started:.0f} s")
    if args.json:
        print(
            json.dumps(
                {
                    name: {
                        row.method: {
                            "upright": row.upright.value,
                            "turned": row.turned_mean,
                            **{str(a): s.value for a, s in row.turned.items()},
                        }
                        for row in rows
                    }
                    for name, rows in table.items()
                }
            )
        )
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "images", nargs="?", type=Path, help="one COCO-format image folder (default: every set)"
    )
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
    parser.add_argument("--backend", choices=pose.network.registry.BACKENDS, help="model backend")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument(
        "--mode",
        choices=MODES,
        default=DEFAULT_MODE,
        help=f"photo mode for the every-set table (default: {DEFAULT_MODE})",
    )
    parser.add_argument("--sets", help=f"comma-separated, from {','.join(eval_sets.SET_NAMES)}")
    parser.add_argument(
        "--jitter", action="store_true", help="every-set table at 5 box sizes; print the mean"
    )
    parser.add_argument(
        "--turned",
        action="store_true",
        help="every set upright and turned by 90, 180, 270 and 45 degrees, per method",
    )
    parser.add_argument("--angles", help="with --turned: comma-separated degrees (90,180,270,45)")
    parser.add_argument(
        "--methods", help="with --turned: comma-separated, from benchmarks.orientation.METHODS"
    )
    return parser.parse_args(argv)


SWEEP_STEPS = range(-32, 33, 8)


def sweep_sizes(size: str) -> list[str]:
    """Nine "WxH" sizes around ``size`` (a preset or "WxH"), both sides -32..+32 by 8."""
    width, height = pose.network.spec.PRESETS.get(size) or tuple(int(v) for v in size.split("x"))
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
    if args.backend:
        os.environ[pose.network.registry.BACKEND_ENV] = args.backend
    params = replace(
        DEFAULT_PARAMS, upsample=args.upsample, sigma=args.sigma, min_parts=args.min_parts
    )
    if args.turned:
        return main_turned(args)
    if args.images is None and not (args.sweep or args.rgb):
        return main_sets(args, params)
    args.images = args.images or DEFAULT_IMAGES
    annotations = args.annotations or annotation_file(args.images)
    if annotations is None:  # no annotation file named and none found: said why
        return 2
    scales = parse_scales(args.scales)
    if args.rgb:
        pose.network.spec.INPUT_ORDER = "RGB"
    get_model().infer(np.zeros((64, 64, 3), np.uint8), (64, 64))  # load before timing
    started = time.perf_counter()
    runs = run_set(args.images, annotations, args.size, args.threshold, scales, params, args.flip)
    elapsed = time.perf_counter() - started
    figures = {name: evaluate(annotations, run.detections) for name, run in runs.items()}
    print_decoders(args, annotations, scales, params, runs, figures)
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


def annotation_file(images: Path) -> Path | None:
    """The one JSON file in ``images``: its annotations; None (and a line saying so) when
    there is none or more than one."""
    found = sorted(images.glob("*.json"))
    if len(found) != 1:
        print(f"error: give the annotation file ({len(found)} JSON files in {images})")
        return None
    return found[0]


def print_decoders(args, annotations: Path, scales, params, runs, figures) -> None:
    """The table of one folder's run: what ran (``args``, ``scales``, ``params``), then each
    decoder's figures (``figures[name][metric]``), people found and median times
    (``runs[name]``), and the published figures."""
    count = len(runs["multi"].model_ms)
    print(f"{count} images from {args.images}, annotations {annotations.name}")
    print(
        f"{get_model().backend} backend, size {args.size}, scales {scales}, flip {args.flip}, "
        f"{pose.network.spec.INPUT_ORDER} input, "
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


if __name__ == "__main__":
    sys.exit(main())
