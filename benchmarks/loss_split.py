"""Where each set's AP goes: joint precision, false people, people no one found.

    .venv/bin/python -m benchmarks.loss_split [--method fused] [--sets ...] [--cache PATH]

For every set, upright and turned (:mod:`benchmarks.turned`), the photo path's detections
are scored three times: as they are; with *perfect joints* (each detection that matches a
labeled person, greedily best score first at OKS >= ``--match``, gets that person's labeled
joints: the loss from joint precision); and with perfect joints and *no false people* (the
detections that match no one dropped: the loss from ranking and false people). What stays
below 1 is people no detection matched. The models' answers come from
:mod:`benchmarks.fusion_sweep`'s cache.
"""

from __future__ import annotations

import argparse
import pickle
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks import eval_sets
from benchmarks.fusion_sweep import DEFAULT_CACHE, install_cache
from benchmarks.orientation import finder
from benchmarks.turned import ANGLES, turn_image, turn_photo
from pose.body.types import Pose
from pose.media.images import load_image


def assign(
    truth: Sequence[eval_sets.Person], people: Sequence[Pose], threshold: float
) -> list[eval_sets.Person | None]:
    """For each detection (best first), the labeled person it takes (greedy, highest OKS
    at least ``threshold``), or None."""
    labeled = [person for person in truth if eval_sets.scorable(person)]
    taken = [False] * len(labeled)
    out: list[eval_sets.Person | None] = []
    for person in people:
        rows = eval_sets.detection_rows(person)
        values = [-1.0 if taken[i] else eval_sets.oks(t, rows) for i, t in enumerate(labeled)]
        best = int(np.argmax(values)) if values else -1
        if best >= 0 and values[best] >= threshold:
            taken[best] = True
            out.append(labeled[best])
        else:
            out.append(None)
    return out


def perfect(person: Pose, truth: eval_sets.Person) -> Pose:
    """``person`` with every joint the label has set to the label."""
    keypoints = person.keypoints.copy()
    for slot, joint in enumerate(eval_sets.OPENPOSE_FOR_COCO):
        if truth.keypoints[slot, 2] > 0:
            keypoints[joint] = (*truth.keypoints[slot, :2], 1.0)
    return Pose(keypoints=keypoints, score=person.score)


def split(item, photos, results, threshold: float) -> tuple[float, float, float]:
    """(as found, perfect joints, perfect joints and no false people) on one set; NaN for
    the last two on a PCKh set (its labels have no area, so no OKS ties a detection)."""
    if item.metric != "AP":
        return eval_sets.score_set(item, photos, results).value, np.nan, np.nan
    exact, clean = {}, {}
    for photo in photos:
        people = list(results[photo.image_id])
        owners = assign(photo.people, people, threshold)
        exact[photo.image_id] = [
            perfect(p, t) if t is not None else p for p, t in zip(people, owners, strict=True)
        ]
        clean[photo.image_id] = [
            perfect(p, t) for p, t in zip(people, owners, strict=True) if t is not None
        ]
    return tuple(
        eval_sets.score_set(item, photos, found).value for found in (results, exact, clean)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="fused")
    parser.add_argument("--sets", default=",".join(item.name for item in eval_sets.SETS))
    parser.add_argument("--angles", default=",".join(str(a) for a in ANGLES))
    parser.add_argument("--match", type=float, default=0.1, help="OKS that ties a detection")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    store = pickle.loads(args.cache.read_bytes()) if args.cache.exists() else {}
    install_cache(store)
    find = finder(args.method)
    angles = [int(a) for a in args.angles.split(",") if a]
    print(f"{'set':<10}{'':>9}{'as found':>10}{'exact joints':>14}{'+ no false':>12}")
    for item in eval_sets.SETS:
        if item.name not in args.sets.split(","):
            continue
        photos = eval_sets.load_set(item)
        images = {photo.image_id: load_image(photo.path) for photo in photos}
        rows = {}
        for angle in (0, *angles):
            turned, results = [], {}
            for photo in photos:
                image, matrix = turn_image(images[photo.image_id], angle)
                turned.append(turn_photo(photo, matrix))
                results[photo.image_id] = list(find(image))
            rows[angle] = split(item, turned, results, args.match)
        turned_mean = np.mean([rows[a] for a in angles], axis=0)
        for label, values in (("upright", rows[0]), ("turned", turned_mean)):
            print(f"{item.name:<10}{label:>9}" + "".join(f"{v:>12.3f}" for v in values))
    args.cache.write_bytes(pickle.dumps(store))


if __name__ == "__main__":
    main()
