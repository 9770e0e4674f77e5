"""The tuning behind the defaults: one COCOeval per variant of preprocessing and decoding.

    .venv/bin/python -m benchmarks.accuracy_sweep [IMAGE_DIR] [ANNOTATIONS]

Each variant changes one thing from the defaults (balanced size, one scale, BGR input,
``pose.photo.paf.DEFAULT_PARAMS``, threshold 0.1). Network outputs are cached per (input order,
size, scales), so the decode-only variants cost a few milliseconds per image. Prints AP, AP50,
AP75, AR and the median decode time per image for each; docs/accuracy.md quotes this table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

import pose.network.registry
import pose.network.spec
from benchmarks.accuracy import DEFAULT_IMAGES, METRICS, PUBLISHED, evaluate, to_detections
from pose.body.types import Pose
from pose.media.images import load_image
from pose.network.spec import DEFAULT_PRESET, PRESETS, NetOutput
from pose.photo.estimate import (
    DEFAULT_THRESHOLD,
    decode_output,
    infer_scales,
    rescale,
    working_copy,
)
from pose.photo.paf import DEFAULT_PARAMS, DecodeParams


@dataclass(frozen=True)
class Variant:
    label: str
    order: str = "BGR"
    box: tuple[int, int] = PRESETS[DEFAULT_PRESET]
    scales: tuple[float, ...] = (1.0,)
    flip: bool = False
    threshold: float = DEFAULT_THRESHOLD
    multi_person: bool = True
    params: DecodeParams = DEFAULT_PARAMS
    # Shift every keypoint by this many heatmap cells: checks the cell-centre convention.
    shift: float = 0.0


def variants() -> list[Variant]:
    p = DEFAULT_PARAMS
    return [
        Variant("defaults (balanced 432x368, BGR, PAF)"),
        Variant("single-person argmax decode", multi_person=False),
        Variant("RGB input", order="RGB"),
        Variant("size fast 320x240", box=PRESETS["fast"]),
        Variant("size 560x432", box=(560, 432)),
        Variant("size accurate 656x496", box=PRESETS["accurate"]),
        Variant("size 736x560", box=(736, 560)),
        Variant("scales 1.0,0.75", scales=(1.0, 0.75)),
        Variant("scales 1.0,1.5", scales=(1.0, 1.5)),
        Variant("accurate + scales 1.0,0.75", box=PRESETS["accurate"], scales=(1.0, 0.75)),
        Variant("flip", flip=True),
        Variant("accurate + flip", box=PRESETS["accurate"], flip=True),
        Variant(
            "accurate + scales 1.0,0.75 + flip",
            box=PRESETS["accurate"],
            scales=(1.0, 0.75),
            flip=True,
        ),
        Variant("no sub-cell refinement", params=replace(p, subpixel=False)),
        Variant("upsample 2", params=replace(p, upsample=2)),
        Variant("upsample 4", params=replace(p, upsample=4)),
        Variant("upsample 4 + sigma 1", params=replace(p, upsample=4, sigma=1.0)),
        Variant(
            "no refinement, upsample 4 + sigma 1",
            params=replace(p, upsample=4, sigma=1.0, subpixel=False),
        ),
        Variant("keypoints shifted -1/4 cell", shift=-0.25),
        Variant("keypoints shifted +1/4 cell", shift=0.25),
        Variant("threshold 0.05", threshold=0.05),
        Variant("threshold 0.15", threshold=0.15),
        Variant("threshold 0.2", threshold=0.2),
        Variant("min_parts 3", params=replace(p, min_parts=3)),
        Variant("min_parts 6", params=replace(p, min_parts=6)),
        Variant("min_mean_score 0.2", params=replace(p, min_mean_score=0.2)),
        Variant("min_mean_score 0.6", params=replace(p, min_mean_score=0.6)),
        Variant("paf_min_fraction 0.6", params=replace(p, paf_min_fraction=0.6)),
        Variant("paf_threshold 0.1", params=replace(p, paf_threshold=0.1)),
        Variant("paf_threshold 0.2", params=replace(p, paf_threshold=0.2)),
    ]  # fmt: skip


def shifted(poses: list[Pose], cells: float, scale: tuple[float, float]) -> list[Pose]:
    out = []
    for person in poses:
        keypoints = person.keypoints.copy()
        found = keypoints[:, 2] > 0
        keypoints[found, 0] += cells * scale[0]
        keypoints[found, 1] += cells * scale[1]
        out.append(Pose(keypoints=keypoints, score=person.score))
    return out


def sweep(
    image_dir: Path, annotation_file: Path, report: Callable[[str, dict, float], None]
) -> None:
    data = json.loads(annotation_file.read_text())
    images = {}
    for entry in data["images"]:
        images[entry["id"]] = working_copy(load_image(image_dir / entry["file_name"]))
    model = pose.network.registry.get_model()
    cache: dict[tuple, dict[int, NetOutput]] = {}
    for variant in variants():
        key = (variant.order, variant.box, variant.scales, variant.flip)
        if key not in cache:
            pose.network.spec.INPUT_ORDER = variant.order
            try:
                cache[key] = {
                    image_id: infer_scales(model, image, variant.box, variant.scales, variant.flip)
                    for image_id, (image, _) in images.items()
                }
            finally:
                pose.network.spec.INPUT_ORDER = "BGR"
        detections, decode_ms = [], []
        first = next(iter(cache[key].values()))
        decode_output(first, variant.threshold, variant.multi_person, variant.params)  # warm-up
        for image_id, output in cache[key].items():
            started = time.perf_counter()
            poses = decode_output(output, variant.threshold, variant.multi_person, variant.params)
            decode_ms.append((time.perf_counter() - started) * 1000)
            if variant.shift:
                poses = shifted(poses, variant.shift, output.scale)
            detections += to_detections(image_id, rescale(poses, images[image_id][1]))
        report(variant.label, evaluate(annotation_file, detections), float(np.median(decode_ms)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("images", nargs="?", type=Path, default=DEFAULT_IMAGES)
    parser.add_argument("annotations", nargs="?", type=Path)
    args = parser.parse_args(argv)
    annotations = args.annotations or args.images / "test_coco.json"
    print(f"{'variant':<40}" + "".join(f"{m:>7}" for m in METRICS) + "  decode ms")

    def report(label: str, figures: dict, decode_ms: float) -> None:
        row = "".join(f"{figures[m]:7.3f}" for m in METRICS)
        print(f"{label:<40}{row}{decode_ms:11.2f}", flush=True)

    sweep(args.images, annotations, report)
    print(
        f"{'published (COCO 2014 val)':<40}" + "".join(f"{PUBLISHED[m]:7.3f}" for m in METRICS[:2])
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
