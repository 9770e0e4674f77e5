"""Upright and turned accuracy of each way of finding people, on every labeled set.

    .venv/bin/python -m benchmarks.accuracy --turned [--methods fast,accurate,...] [--sets ...]

Every photo of every set is scored upright and turned by 90, 180, 270 and 45 degrees
(:mod:`benchmarks.turned`: the labels turn with the photo), with each method in
:data:`METHODS`; one table per set gives each method's upright figure, the mean over the
turned copies, each angle, and turned / upright. The photos are loaded and turned once and
every method runs on the same copies.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from benchmarks import eval_sets
from benchmarks.common import EVAL_DIR
from benchmarks.turned import ANGLES, turn_image, turn_photo
from pose.body.types import Pose
from pose.media.images import load_image

Finder = Callable[[np.ndarray], Sequence[Pose]]


def _openpose(mode: str) -> Finder:
    def find(image: np.ndarray) -> Sequence[Pose]:
        from pose.photo.modes import estimate_photo

        return estimate_photo(image, mode).people

    return find


def _blazepose(**changes) -> Finder:
    """BlazePose alone: the detector (on a brightened copy of a dark photo) and the landmark
    model on each detected person, no OpenPose."""
    from pose.pose3d.people import detect
    from pose.pose3d.second_opinion import SECOND_OPINION
    from pose.pose3d.topdown import with_second_opinion

    options = replace(SECOND_OPINION, **changes)

    def find(image: np.ndarray) -> Sequence[Pose]:
        found = detect(image, options)
        return with_second_opinion(image, [], options, 0.1, detections=found)[0]

    return find


def _fused(**changes) -> Finder:
    """The photo path (:func:`pose.pose3d.people.estimate_people`, accurate) with FuseOptions
    ``changes``."""
    from pose.pose3d.people import estimate_people
    from pose.pose3d.second_opinion import SECOND_OPINION

    options = replace(SECOND_OPINION, **changes)

    def find(image: np.ndarray) -> Sequence[Pose]:
        return estimate_people(image, "accurate", options=options).people

    return find


def parse_changes(text: str) -> dict:
    """ "key=value:key=value" -> FuseOptions changes (numbers, booleans, words)."""
    changes = {}
    for part in filter(None, text.split(":")):
        key, value = part.split("=")
        if value in ("true", "false"):
            changes[key] = value == "true"
        else:
            try:
                changes[key] = int(value) if value.isdigit() else float(value)
            except ValueError:
                changes[key] = value
    return changes


# name -> (what it is, a function that builds the finder)
METHODS: dict[str, tuple[str, Callable[[], Finder]]] = {
    "fast": ("OpenPose alone, fast mode (one pass)", lambda: _openpose("fast")),
    "accurate": ("OpenPose alone, accurate mode (three passes)", lambda: _openpose("accurate")),
    "blazepose": ("BlazePose alone (detector + landmark model)", lambda: _blazepose()),
    "fused": ("the accurate photo path: OpenPose + turned readings + BlazePose", lambda: _fused()),
}
DEFAULT_METHODS = ("accurate", "blazepose", "fused")


def finder(name: str) -> Finder:
    """A method of :data:`METHODS`, or "fused:key=value:..." / "blazepose:key=value:..."
    with :class:`pose.pose3d.second_opinion.FuseOptions` changed (for sweeps)."""
    if name in METHODS:
        return METHODS[name][1]()
    base, _, text = name.partition(":")
    changes = parse_changes(text)
    if base == "blazepose":
        return _blazepose(**changes)
    if base == "fused":
        return _fused(**changes)
    raise KeyError(name)


@dataclass(frozen=True)
class TurnedScore:
    """One method on one set: the figure upright and at each angle of :data:`ANGLES`."""

    method: str
    upright: eval_sets.SetScore
    turned: dict[int, eval_sets.SetScore]

    @property
    def turned_mean(self) -> float:
        return float(np.mean([score.value for score in self.turned.values()]))

    @property
    def ratio(self) -> float:
        """Turned mean / upright (1 when both are 0)."""
        if self.upright.value <= 0:
            return 1.0 if self.turned_mean <= 0 else float("inf")
        return self.turned_mean / self.upright.value


def score_turned(
    finders: dict[str, Finder],
    sets: Sequence[eval_sets.EvalSet] = eval_sets.SETS,
    angles: Sequence[int] = ANGLES,
    eval_dir=EVAL_DIR,
) -> tuple[dict[str, list[TurnedScore]], dict[str, list[float]]]:
    """set name -> one :class:`TurnedScore` per method; and method -> milliseconds per
    megapixel of every photo it ran on."""
    table: dict[str, list[TurnedScore]] = {}
    times: dict[str, list[float]] = {name: [] for name in finders}
    for item in sets:
        photos = eval_sets.load_set(item, eval_dir)
        images = {photo.image_id: load_image(photo.path) for photo in photos}
        by_angle: dict[str, dict[int, eval_sets.SetScore]] = {name: {} for name in finders}
        for angle in (0, *angles):
            turned_photos, turned_images = [], {}
            for photo in photos:
                image, matrix = turn_image(images[photo.image_id], angle)
                turned_photos.append(turn_photo(photo, matrix))
                turned_images[photo.image_id] = image
            for name, find in finders.items():
                results = {}
                for image_id, image in turned_images.items():
                    started = time.perf_counter()
                    results[image_id] = list(find(image))
                    elapsed = (time.perf_counter() - started) * 1000
                    times[name].append(elapsed / (image.shape[0] * image.shape[1] / 1e6))
                by_angle[name][angle] = eval_sets.score_set(item, turned_photos, results)
        table[item.name] = [
            TurnedScore(name, scores[0], {angle: scores[angle] for angle in angles})
            for name, scores in by_angle.items()
        ]
    return table, times


def format_table(table: dict[str, list[TurnedScore]], angles: Sequence[int] = ANGLES) -> str:
    """One block per set, one row per method: upright, turned mean, each angle, ratio;
    then the mean over sets of each column."""
    head = f"{'':<22}{'upright':>9}{'turned':>8}" + "".join(f"{a:>7}" for a in angles)
    lines = []
    for name, rows in table.items():
        metric = rows[0].upright.metric
        lines.append(f"{name} ({metric}){head[len(name) + len(metric) + 3 :]}  turned/upright")
        for row in rows:
            cells = "".join(f"{row.turned[a].value:7.3f}" for a in angles)
            lines.append(
                f"  {row.method:<20}{row.upright.value:9.3f}{row.turned_mean:8.3f}{cells}"
                f"{row.ratio:9.0%}"
            )
    lines.append(f"mean over sets{head[14:]}")
    methods = [row.method for row in next(iter(table.values()))]
    for index, method in enumerate(methods):
        upright = np.mean([rows[index].upright.value for rows in table.values()])
        turned = np.mean([rows[index].turned_mean for rows in table.values()])
        cells = "".join(
            f"{np.mean([rows[index].turned[a].value for rows in table.values()]):7.3f}"
            for a in angles
        )
        worst = min(rows[index].ratio for rows in table.values())
        lines.append(
            f"  {method:<20}{upright:9.3f}{turned:8.3f}{cells}{turned / max(upright, 1e-9):9.0%}"
            f"  (worst set {worst:.0%})"
        )
    return "\n".join(lines)
