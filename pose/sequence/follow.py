"""One tracked person through a clip: :func:`follow_person` picks them by tracking ID, or
by default the person present longest and largest, and gives their :class:`PoseSequence`.

The tracker's IDs are first re-joined over the whole clip (:func:`pose.video.rejoin.rejoin_ids`:
pieces of one body, tracks broken by an occlusion or a short cut), so the person followed
does not change when someone else walks by, and a person the tracker lost comes back
under their ID. The Video tab shows these re-joined IDs (:mod:`pose.video.identity`, the same
re-joining), so an ID read there names the same person here; a tracker ID that is no
re-joined ID names the re-joined track that holds it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pose.body.skeleton import NUM_JOINTS
from pose.body.types import Pose
from pose.match import MIN_SHARED_JOINTS
from pose.sequence.clip import (
    MIN_COVERAGE,
    PoseSequence,
    SequenceError,
    check_coverage,
    nobody_found,
)
from pose.video.rejoin import rejoin_ids
from pose.video.track import body_height


def prominence(
    people: Sequence[Sequence[np.ndarray]], ids: Sequence[Sequence[int]]
) -> dict[int, float]:
    """ID -> the sum over frames of the person's body height (pixels): large and present
    long both count, linearly (an area would let a close passer-by outweigh a long stay)."""
    totals: dict[int, float] = {}
    for found, numbers in zip(people, ids, strict=True):
        seen = set()
        for keypoints, number in zip(found, numbers, strict=True):
            if number not in seen:  # pieces of one body count once
                totals[number] = totals.get(number, 0.0) + body_height(keypoints)
                seen.add(number)
    return totals


def follow_person(
    people: Sequence[Sequence[Pose]],
    ids: Sequence[Sequence[int]],
    fps: float,
    frames: Sequence[int],
    total: int,
    name: str = "the clip",
    person: int = 1,
    track: int | None = None,
    min_coverage: float = MIN_COVERAGE,
    looks: Sequence[Sequence[np.ndarray | None]] | None = None,
) -> PoseSequence:
    """The sequence of one tracked person (people per frame, tracker IDs per frame).

    ``track``: a tracking ID (as the Video tab and the video JSON show them); otherwise
    ``person`` ranks the re-joined tracks by :func:`prominence` (1 = present longest and
    largest). Pieces of the person's body found apart in one frame are merged (the more
    confident of each joint). ``looks``: each person's look per frame
    (:mod:`pose.video.appearance`), for re-joining. Raises :class:`SequenceError` when the
    ID is not in the clip or the person is found in too few frames.
    """
    points = [[np.asarray(p.keypoints, np.float64) for p in found] for found in people]
    times = [int(f) / fps for f in frames]
    joined = rejoin_ids(points, [list(n) for n in ids], times, looks=looks)
    ranked = prominence(points, joined)
    if track is not None:
        chosen = _joined_id(ids, joined, int(track))
        if chosen is None:
            listed = ", ".join(str(n) for n in sorted({n for row in joined for n in row}))
            raise SequenceError(
                f"No person with tracking ID {track} in {name}; its IDs: {listed or 'none'}."
            )
    else:
        order = sorted(ranked, key=lambda number: (-ranked[number], number))
        if len(order) < person:
            raise nobody_found(person, total, name)
        chosen = order[person - 1]
    rows, kept = _bodies_of(chosen, frames, points, joined)
    hint = ", or choose another tracking ID"
    check_coverage(len(rows), total, name, min_coverage, f" (ID {chosen})", hint)
    return PoseSequence(np.stack(rows), np.array(kept), float(fps), total, name, int(chosen))


def _bodies_of(
    chosen: int,
    frames: Sequence[int],
    points: list[list[np.ndarray]],
    joined: Sequence[Sequence[int]],
) -> tuple[list[np.ndarray], list[int]]:
    """Person ``chosen``'s body (18, 3) in each frame where enough of it was found
    (:data:`MIN_SHARED_JOINTS`), pieces found apart merged (the more confident of each
    joint), and those frames' numbers. ``points``: each frame's people (18, 3);
    ``joined``: their re-joined IDs."""
    rows, kept = [], []
    for index, found, numbers in zip(frames, points, joined, strict=True):
        body = np.zeros((NUM_JOINTS, 3))
        for keypoints, number in zip(found, numbers, strict=True):
            if number == chosen:
                take = keypoints[:, 2] > body[:, 2]
                body[take] = keypoints[take]
        if (body[:, 2] > 0).sum() >= MIN_SHARED_JOINTS:
            rows.append(body)
            kept.append(int(index))
    return rows, kept


def _joined_id(
    ids: Sequence[Sequence[int]], joined: Sequence[Sequence[int]], wanted: int
) -> int | None:
    """The re-joined ID ``wanted`` names: itself when it is one (the Video tab shows the
    re-joined IDs, :mod:`pose.video.identity`), else the re-joined ID of the tracker's ID
    ``wanted`` where it first occurs (an ID from a per-frame tracker output); None when the
    clip has neither."""
    if any(wanted in numbers for numbers in joined):
        return wanted
    for numbers, new in zip(ids, joined, strict=True):
        for number, joined_number in zip(numbers, new, strict=True):
            if number == wanted:
                return joined_number
    return None


def parse_track_ids(text: str | None) -> tuple[int | None, int | None]:
    """Tracking IDs to follow in the reference and the attempt, from the text people type:
    ``""`` -> (None, None) (the default person in each); ``"3"`` -> (3, 3); ``"3,5"`` ->
    (3, 5); ``",5"`` -> (None, 5). Raises ``ValueError`` with a message otherwise."""
    text = (text or "").strip()
    if not text:
        return None, None
    parts = [part.strip() for part in text.split(",")]
    if len(parts) > 2 or not any(parts):
        raise ValueError(f"One tracking ID, or two separated by a comma, not {text!r}.")
    numbers: list[int | None] = []
    for part in parts:
        if part and (not part.isdigit() or int(part) < 1):
            raise ValueError(f"A tracking ID is a whole number from 1, not {part!r}.")
        numbers.append(int(part) if part else None)
    return (numbers[0], numbers[0]) if len(numbers) == 1 else (numbers[0], numbers[1])
