"""Is the Match default stable, and does it flatter? Every eval photo against its own 70 %
copy, and every photo against every other, by the Match default (the largest person of
image 1 and whoever stands at the same place in image 2, :func:`pose.match.choose_pair`).

- copies: a photo against its 70 % copy (bilinear) is the same pose; issue 26's goal is
  at least 95 % for each, in both photo modes;
- different: each photo's default pair against every other photo's; these must not rise
  when the comparison changes (a rule that flatters raises them).

The photos: ``coco/``, every ``wild/`` set and ``photos/`` in ../shared/eval (photos
without a person are left out). ``--openpose-only`` runs the multi-pass mode without
BlazePose's second opinion (:func:`pose.photo.modes.estimate_photo`), to tell the
second opinion's share apart. Usage::

    .venv/bin/python -m benchmarks.match_copies [--modes accurate,fast] [--openpose-only]
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from benchmarks.common import EVAL_DIR
from pose.body.types import Pose
from pose.match import MatchError, choose_pair
from pose.media.images import load_image

SCALE = 0.7
GOAL = 95.0  # percent, for a photo against its copy


@dataclass(frozen=True)
class Found:
    """One photo's people and its copy's, with both pictures' (width, height)."""

    name: str
    people: tuple[Pose, ...]
    copy_people: tuple[Pose, ...]
    size: tuple[int, int]
    copy_size: tuple[int, int]


def photos() -> list:
    folders = [EVAL_DIR / "coco", *sorted((EVAL_DIR / "wild").iterdir()), EVAL_DIR / "photos"]
    return [
        path
        for folder in folders
        if folder.is_dir()
        for path in sorted(folder.iterdir())
        if path.suffix.lower() in (".jpg", ".jpeg", ".png")
    ]


def scaled(pixels: np.ndarray, factor: float) -> np.ndarray:
    """The photo resized to ``factor`` of its sides: (H', W', 3) uint8."""
    height, width = pixels.shape[:2]
    size = (round(width * factor), round(height * factor))
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR))


def find_all(mode: str, openpose_only: bool, variant: str = "") -> list[Found]:
    """Every photo and its copy read in ``mode``; ``variant``: FuseOptions changes
    ("key=value:...", as ``benchmarks.accuracy --methods fused:...``)."""
    if openpose_only:
        from pose.photo.modes import estimate_photo as find
    else:
        from benchmarks.orientation import parse_changes
        from pose.pose3d.people import estimate_people
        from pose.pose3d.second_opinion import SECOND_OPINION

        options = replace(SECOND_OPINION, **parse_changes(variant))

        def find(image: np.ndarray, mode: str):
            return estimate_people(image, mode, options=options)

    found = []
    for path in photos():
        pixels = load_image(path)
        copy = scaled(pixels, SCALE)
        people, copy_people = find(pixels, mode).people, find(copy, mode).people
        if people and copy_people:
            sizes = ((pixels.shape[1], pixels.shape[0]), (copy.shape[1], copy.shape[0]))
            found.append(Found(path.name, tuple(people), tuple(copy_people), *sizes))
    return found


def similarity(first, second, sizes) -> float | None:
    try:
        return choose_pair(first, second, sizes=sizes).result.similarity
    except MatchError:  # too few joints in common
        return None


def report(mode: str, found: list[Found]) -> None:
    copies = []
    for item in found:
        score = similarity(item.people, item.copy_people, (item.size, item.copy_size))
        if score is not None:
            copies.append(score)
            print(f"  {mode:8s} {item.name[:40]:40s} copy {score:5.1f} %")
    different = [
        score
        for one in found
        for two in found
        if one is not two
        and (score := similarity(one.people, two.people, (one.size, two.size))) is not None
    ]
    c, d = np.array(copies), np.array(different)
    print(
        f"{mode}: copies {len(c)}: min {c.min():.1f}, mean {c.mean():.1f}, "
        f">= {GOAL:.0f} %: {(c >= GOAL).sum()}/{len(c)} | different pairs {len(d)}: "
        f"mean {d.mean():.1f}, 90th percentile {np.percentile(d, 90):.1f}, max {d.max():.1f}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default="accurate,fast", help="photo modes, comma-separated")
    parser.add_argument(
        "--openpose-only", action="store_true", help="without BlazePose's second opinion"
    )
    parser.add_argument("--variant", default="", help="FuseOptions changes, key=value:...")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    for mode in args.modes.split(","):
        report(mode, find_all(mode, args.openpose_only, args.variant))


if __name__ == "__main__":
    main()
