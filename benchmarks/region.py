"""Does running the network only where people are (pose.video.region) find what full frames find?

    .venv/bin/python -m benchmarks.region [--frames 205] [--hold 12] [--lag 3] [--json]

Runs each clip twice on the video model (int8 unless ``--backend``): every frame whole, and
the region policy one frame after another (:func:`pose.video.region.serial_plan`, deciding from the
people ``--lag`` frames back, as the video path does with its two model workers; the webcam
decides from the previous frame, ``--lag 1``). Clips:

- ``../shared/eval/video/street.avi``: a real street scene, 1280x720 at 50 fps;
- clips made from the COCO eval photos, ``--hold`` frames each: *still* (the photo held
  still), *pan* (the photo sliding 4 pixels a frame, black coming in at the edge) and
  *small* (the photo at 60 % on a grey frame of the photo's size, held still: people
  covering a smaller part of the frame, where windows pay off).

Prints, per clip: frames run whole, the mean share of the grid the network ran on, the frames
where the same number of people were found, and joint agreement: the share of the joints
found on full frames that the region path found on the same person within ``--tolerance``
output cells (0.5: half the network's output resolution, 4 input pixels), and the share
of the region path's joints that full frames found too.
For the photo clips, COCO keypoint AP of both over every frame, the ground truth moved with
the photo.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import av
import cv2
import numpy as np

from benchmarks.accuracy import evaluate, to_detections
from benchmarks.common import COCO_DIR, STREET
from pose.body.types import Pose
from pose.media.images import load_image
from pose.network.registry import BACKENDS, MOTION_BACKEND, PoseModel
from pose.photo.estimate import DEFAULT_THRESHOLD, decode_output, resolve_box
from pose.video.region import (
    DEFAULT_POLICY,
    Plan,
    RegionPolicy,
    grid_of,
    infer_windows,
    plan_cells,
    serial_plan,
)

COCO_JSON = COCO_DIR / "test_coco.json"
PAN_STEP = 4  # pixels a frame
SMALL_SCALE = 0.6


def street_frames(count: int) -> list[np.ndarray]:
    frames = []
    with av.open(str(STREET)) as container:
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) >= count:
                break
    return frames


def moved(image: np.ndarray, scale: float, dx: float, dy: float, fill: int) -> np.ndarray:
    """``image`` scaled by ``scale`` and moved by (dx, dy) pixels on a frame of its size."""
    height, width = image.shape[:2]
    matrix = np.float32([[scale, 0, dx], [0, scale, dy]])
    return cv2.warpAffine(
        image, matrix, (width, height), flags=cv2.INTER_AREA, borderValue=(fill,) * 3
    )


def photo_clips(hold: int) -> dict[str, list[tuple[dict, list[np.ndarray], list[np.ndarray]]]]:
    """{kind: [(photo entry, frames, 2x3 affine per frame)]} for each COCO eval photo."""
    data = json.loads(COCO_JSON.read_text())
    clips: dict[str, list] = {"still": [], "pan": [], "small": []}
    for entry in data["images"]:
        photo = load_image(COCO_DIR / entry["file_name"])
        height, width = photo.shape[:2]
        for kind in clips:
            frames, transforms = [], []
            for n in range(hold):
                if kind == "still":
                    scale, dx, dy, fill = 1.0, 0.0, 0.0, 0
                elif kind == "pan":
                    scale, dx, dy, fill = 1.0, -PAN_STEP * n, 0.0, 0
                else:
                    scale, fill = SMALL_SCALE, 128
                    dx, dy = width * (1 - scale) / 4, height * (1 - scale) / 3
                frames.append(moved(photo, scale, dx, dy, fill))
                transforms.append(np.array([[scale, 0, dx], [0, scale, dy]]))
            clips[kind].append((entry, frames, transforms))
    return clips


def moved_truth(path: Path, clips) -> dict:
    """The COCO ground truth of ``clips`` (one image per frame), keypoints and boxes moved."""
    data = json.loads(COCO_JSON.read_text())
    by_image: dict[int, list[dict]] = {}
    for annotation in data["annotations"]:
        by_image.setdefault(annotation["image_id"], []).append(annotation)
    images, annotations = [], []
    for entry, _, transforms in clips:
        for n, matrix in enumerate(transforms):
            scale, dx, dy = matrix[0, 0], matrix[0, 2], matrix[1, 2]
            image_id = entry["id"] * 1000 + n
            images.append({**entry, "id": image_id})
            for annotation in by_image.get(entry["id"], []):
                keypoints = np.array(annotation["keypoints"], float).reshape(-1, 3)
                keypoints[:, 0] = keypoints[:, 0] * scale + dx
                keypoints[:, 1] = keypoints[:, 1] * scale + dy
                keypoints[keypoints[:, 2] == 0, :2] = 0
                x, y, w, h = annotation["bbox"]
                annotations.append(
                    {
                        **{k: v for k, v in annotation.items() if k != "segmentation"},
                        "id": annotation["id"] * 1000 + n,
                        "image_id": image_id,
                        "keypoints": keypoints.ravel().tolist(),
                        "bbox": [x * scale + dx, y * scale + dy, w * scale, h * scale],
                        "area": annotation["area"] * scale * scale,
                    }
                )
    truth = {**data, "images": images, "annotations": annotations}
    path.write_text(json.dumps(truth))
    return truth


def run_both(
    model: PoseModel,
    frames: Sequence[np.ndarray],
    box: tuple[int, int],
    threshold: float,
    lag: int,
    policy: RegionPolicy = DEFAULT_POLICY,
) -> tuple[list[list[Pose]], list[tuple[Plan, Sequence[Pose]]]]:
    """(people per full frame, (plan, people) per frame of the region path)."""
    full = [decode_output(model.infer(image, box), threshold) for image in frames]

    def people_of(n: int, image: np.ndarray, plan: Plan) -> list[Pose]:
        if plan is None:
            return full[n]  # the full pass is the same computation
        return decode_output(infer_windows(model.run, image, box, plan), threshold)

    return full, serial_plan(frames, box, people_of, policy, lag)


def agreement(
    full: Sequence[Sequence[Pose]],
    region: Sequence[Sequence[Pose]],
    tolerances: Sequence[float],
) -> dict[str, float]:
    """How far two runs over the same frames agree (see the module docstring);
    ``tolerances``: pixels, per frame."""
    counts = found = region_total = region_found = same_count = 0
    for a_people, b_people, tolerance in zip(full, region, tolerances, strict=True):
        same_count += len(a_people) == len(b_people)
        for first, second, into in ((a_people, b_people, "a"), (b_people, a_people, "b")):
            for person in first:
                best = 0
                for other in second:  # the person in the other run sharing most joints
                    both = person.visible & other.visible
                    near = np.hypot(*(person.keypoints[:, :2] - other.keypoints[:, :2]).T)
                    best = max(best, int((both & (near <= tolerance)).sum()))
                if into == "a":
                    counts += person.num_visible
                    found += best
                else:
                    region_total += person.num_visible
                    region_found += best
    return {
        "full_joints_found": found / counts if counts else 1.0,
        "region_joints_in_full": region_found / region_total if region_total else 1.0,
        "same_people_count": same_count / len(full) if full else 1.0,
        "joints": counts,
    }


def summary(
    frames: Sequence[np.ndarray],
    box: tuple[int, int],
    full: list[list[Pose]],
    region: list[tuple[Plan, Sequence[Pose]]],
    tolerance: float,
) -> dict[str, float]:
    """Agreement, share of full passes and mean share of the grid run over ``frames``."""
    shares, tolerances = [], []
    for image, (plan, _) in zip(frames, region, strict=True):
        grid = grid_of(image.shape[1], image.shape[0], box)
        shares.append(plan_cells(plan, grid) / (grid[0] * grid[1]))
        tolerances.append(tolerance * image.shape[1] / grid[0])
    figures = agreement(full, [people for _, people in region], tolerances)
    figures["frames"] = len(frames)
    figures["full_passes"] = sum(plan is None for plan, _ in region) / len(region)
    figures["grid_share"] = float(np.mean(shares))
    return figures


def print_row(name: str, figures: dict[str, float]) -> None:
    ap = ""
    if "AP_full" in figures:
        ap = f"  AP {figures['AP_full']:.3f} / {figures['AP_region']:.3f}"
    print(
        f"  {name:<26}{figures['frames']:>6}{figures['full_passes']:>8.0%}"
        f"{figures['grid_share']:>8.0%}{figures['same_people_count']:>8.0%}"
        f"{figures['full_joints_found']:>9.1%}{figures['region_joints_in_full']:>9.1%}{ap}"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=205, help="street clip frames")
    parser.add_argument("--hold", type=int, default=12, help="frames per photo clip")
    parser.add_argument("--lag", type=int, default=3, help="decide from the people this far back")
    parser.add_argument("--size", default="balanced", help="preset or WIDTHxHEIGHT")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument(
        "--tolerance", type=float, default=0.5, help="joint agreement, output cells (8 input px)"
    )
    parser.add_argument("--backend", choices=BACKENDS, default=MOTION_BACKEND)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument(
        "--policy",
        type=policy_of,
        default=DEFAULT_POLICY,
        help="the region policy with some fields changed, e.g. grow=0.3,context=5",
    )
    return parser.parse_args(argv)


def policy_of(text: str) -> RegionPolicy:
    """``"grow=0.3,context=5"`` -> the default :class:`RegionPolicy` with those fields."""
    fields = {}
    for item in filter(None, text.split(",")):
        name, _, value = item.partition("=")
        default = getattr(DEFAULT_POLICY, name.strip(), None)
        if default is None:
            raise argparse.ArgumentTypeError(f"no policy field {name.strip()!r}")
        fields[name.strip()] = type(default)(value)
    return dataclasses.replace(DEFAULT_POLICY, **fields)


def photo_clips_figures(
    model: PoseModel, clips: list, truth_path: Path, box: tuple[int, int], args
) -> dict[str, float]:
    """Both paths over every clip of one kind (:func:`photo_clips`, ground truth at
    ``truth_path``): the :func:`summary` of all their frames, and each path's AP
    (``AP_full``, ``AP_region``)."""
    all_full: list = []
    all_region: list = []
    all_frames: list = []
    detections: dict[str, list[dict]] = {"full": [], "region": []}
    for entry, clip_frames, _ in clips:
        full, region = run_both(model, clip_frames, box, args.threshold, args.lag, args.policy)
        for n, (people, (_, found)) in enumerate(zip(full, region, strict=True)):
            detections["full"] += to_detections(entry["id"] * 1000 + n, people)
            detections["region"] += to_detections(entry["id"] * 1000 + n, list(found))
        all_full += full
        all_region += region
        all_frames += clip_frames
    figures = summary(all_frames, box, all_full, all_region, args.tolerance)
    figures["AP_full"] = evaluate(truth_path, detections["full"])["AP"]
    figures["AP_region"] = evaluate(truth_path, detections["region"])["AP"]
    return figures


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    args = parse_args(argv)
    box = resolve_box(args.size)
    model = PoseModel(backend=args.backend)
    model.load()
    started = time.perf_counter()
    results: dict[str, dict[str, float]] = {}
    print(
        f"region path against full frames: {args.backend}, {args.size}, lag {args.lag}, "
        f"policy {args.policy}"
    )
    print(
        f"  {'clip':<26}{'frames':>6}{'whole':>8}{'grid':>8}{'people=':>8}"
        f"{'full->r':>9}{'r->full':>9}"
    )
    frames = street_frames(args.frames)
    full, region = run_both(model, frames, box, args.threshold, args.lag, args.policy)
    results["street.avi"] = summary(frames, box, full, region, args.tolerance)
    print_row("street.avi", results["street.avi"])
    with tempfile.TemporaryDirectory(prefix="pose-region-") as tmp:
        for kind, clips in photo_clips(args.hold).items():
            truth_path = Path(tmp) / f"{kind}.json"
            moved_truth(truth_path, clips)
            figures = photo_clips_figures(model, clips, truth_path, box, args)
            name = f"COCO photos, {kind}"
            results[name] = figures
            print_row(name, figures)
    print(
        "  whole: frames run whole; grid: mean share of the output grid run; people=: frames "
        "with as many people;\n  full->r: full-frame joints the region path found within "
        f"{args.tolerance:g} output cells; r->full: the converse. "
        f"{time.perf_counter() - started:.0f} s"
    )
    worst = max(
        abs(figures["AP_full"] - figures["AP_region"])
        for figures in results.values()
        if "AP_full" in figures
    )
    print(f"  largest AP difference on the photo clips: {worst:.4f} (goal: within 0.01)")
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
