"""Retrieval benchmark for pose matching on real poses.

The poses are the people the model finds in ../shared/eval/coco, in the frames of
../shared/eval/video/demo.mp4, and in any images given as arguments. Each pose is
copied a few times, and each copy is translated, scaled, slightly rotated and its joints
jittered (``--jitter``). For every method the copy is compared with every original pose:

- top-1: how often the copy's own original is the single best match;
- same: the mean similarity of a copy to its own original;
- different: the mean similarity of a copy to the other poses;
- diff same: the share of different-pose pairs that would be called "Same pose".

The default method must reach a top-1 of at least 95 %; ``classic`` (the original
formula) runs beside it on the same copies. Usage::

    .venv/bin/python benchmarks/matching.py [IMAGE ...] [--copies 5] [--seed 0]
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pose.body.types import Pose  # noqa: E402
from pose.match import DEFAULT_METHOD, VERDICTS, MatchError, match  # noqa: E402
from pose.media.images import load_image  # noqa: E402
from pose.photo.estimate import estimate  # noqa: E402

EVAL_DIR = ROOT.parent / "shared" / "eval"
# Fewer joints than this is a fragment (a hand, a head) rather than a pose worth retrieving.
MIN_VISIBLE = 8

# The similarity from which the verdict is "Same pose".
SAME_POSE = VERDICTS[0][0]

# (label, method, mirror): the rows of the table.
RUNS = (
    ("normalized", "normalized", False),
    ("normalized+mirror", "normalized", True),
    ("oks", "oks", False),
    ("angles", "angles", False),
    ("classic", "classic", False),
)


def video_frames(path: Path) -> list[np.ndarray]:
    """All frames of a video as RGB uint8 (H, W, 3)."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


def collect_poses(extra: list[str]) -> list[tuple[str, Pose]]:
    """(source, pose) for every person with at least MIN_VISIBLE joints."""
    sources: list[tuple[str, np.ndarray]] = []
    for path in sorted((EVAL_DIR / "coco").glob("*.jpg")):
        sources.append((path.name, load_image(path)))
    for number, frame in enumerate(video_frames(EVAL_DIR / "video" / "demo.mp4"), start=1):
        sources.append((f"demo.mp4#{number}", frame))
    for name in extra:
        sources.append((Path(name).name, load_image(name)))
    poses = []
    for name, image in sources:
        for person in estimate(image).people:
            if person.num_visible >= MIN_VISIBLE:
                poses.append((name, person))
    return poses


def transformed(pose: Pose, rng: np.random.Generator, jitter: float = 0.015) -> Pose:
    """A copy moved by up to 200 px, scaled 0.5-2x, rotated up to 10 degrees, and each
    joint jittered by a normal error of ``jitter`` times the pose's bounding-box diagonal
    (per axis; 1.5 % is about 2-5 px for the people in the eval photos and clip)."""
    keypoints = pose.keypoints.astype(np.float64).copy()
    visible = keypoints[:, 2] > 0
    x0, y0, x1, y1 = pose.bbox()
    diagonal = math.hypot(x1 - x0, y1 - y0)
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    angle = math.radians(rng.uniform(-10.0, 10.0))
    scale = math.exp(rng.uniform(math.log(0.5), math.log(2.0)))
    cos, sin = math.cos(angle), math.sin(angle)
    rotation = np.array([[cos, sin], [-sin, cos]])
    shift = rng.uniform(-200.0, 200.0, size=2)
    xy = keypoints[visible, :2] - centre
    xy = xy + rng.normal(0.0, jitter * diagonal, size=xy.shape)
    keypoints[visible, :2] = (xy @ rotation) * scale + centre + shift
    return Pose(keypoints=keypoints.astype(np.float32), score=pose.score)


def evaluate(
    originals: list[Pose], copies: list[tuple[int, Pose]], method: str, mirror: bool
) -> dict[str, float]:
    hits = 0
    same: list[float] = []
    different: list[float] = []
    failed = 0
    started = time.perf_counter()
    for own, copy in copies:
        scores = np.full(len(originals), -np.inf)
        for index, original in enumerate(originals):
            try:
                scores[index] = match(original, copy, method=method, mirror=mirror).similarity
            except MatchError:
                failed += 1
        best = np.flatnonzero(scores == scores.max())
        hits += int(len(best) == 1 and best[0] == own)
        if np.isfinite(scores[own]):
            same.append(scores[own])
        others = np.delete(scores, own)
        different.extend(others[np.isfinite(others)].tolist())
    elapsed = time.perf_counter() - started
    pairs = len(copies) * len(originals)
    different_array = np.asarray(different)
    return {
        "top1": 100.0 * hits / len(copies),
        "same": float(np.mean(same)) if same else float("nan"),
        "different": float(different_array.mean()) if different else float("nan"),
        "false_same": 100.0 * float((different_array >= SAME_POSE).mean()) if different else 0.0,
        "failed": 100.0 * failed / pairs,
        "us_per_match": 1e6 * elapsed / pairs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("images", nargs="*", help="more images whose people join the pool")
    parser.add_argument("--copies", type=int, default=10, help="transformed copies per pose")
    parser.add_argument(
        "--jitter",
        type=float,
        default=0.015,
        help="joint noise as a fraction of the pose's bounding-box diagonal (default 0.015)",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    poses = collect_poses(args.images)
    if len(poses) < 2:
        print("error: fewer than two poses found; nothing to retrieve", file=sys.stderr)
        return 2
    names = sorted({name for name, _ in poses})
    print(f"{len(poses)} poses with >= {MIN_VISIBLE} joints from {len(names)} images/frames")
    originals = [pose for _, pose in poses]
    rng = np.random.default_rng(args.seed)
    copies = [
        (index, transformed(pose, rng, args.jitter))
        for index, pose in enumerate(originals)
        for _ in range(args.copies)
    ]
    print(
        f"{len(copies)} copies (moved <=200 px, scaled 0.5-2x, rotated <=10 deg, "
        f"jitter {100 * args.jitter:g} % of diagonal)\n"
    )
    header = (
        f"{'method':<18} {'top-1 %':>8} {'same %':>8} {'diff %':>8} "
        f"{'diff same %':>11} {'error %':>8} {'us/match':>9}"
    )
    print(header)
    print("-" * len(header))
    results = {}
    for label, method, mirror in RUNS:
        row = evaluate(originals, copies, method, mirror)
        results[label] = row
        print(
            f"{label:<18} {row['top1']:>8.1f} {row['same']:>8.1f} {row['different']:>8.1f} "
            f"{row['false_same']:>11.1f} {row['failed']:>8.1f} {row['us_per_match']:>9.0f}"
        )
    target = results[DEFAULT_METHOD]["top1"]
    verdict = "PASS" if target >= 95.0 else "FAIL"
    print(f"\ndefault method {DEFAULT_METHOD!r}: top-1 {target:.1f} % (target >= 95 %) {verdict}")
    return 0 if target >= 95.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
