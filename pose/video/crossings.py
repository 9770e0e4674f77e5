"""Two people crossing: which of them walks on with which ID, told by what they wear.

When two people cross, the model often finds one body for both for a while; one of the two
tracks ends there (it *merges* into the other) and the body that walks on keeps the other
track's ID, whoever it is. Frame by frame the tracker cannot tell; over the whole clip the
clothes can: once the crossing is over, the body settles to one person's look
(:mod:`pose.video.appearance`). :func:`swap_after_merges` gives the body the ID of the track
that ended there when its look settles to that track's look and away from the one of the
track that kept it: from the frame its looks turn to that person's (while the two overlap,
the one body is a mix of both, most often of the one in front, and keeps the ID it had).

Pure NumPy; keypoints are OpenPose-18 ``(18, 3)`` arrays in frame pixels; ``ids[t][k]`` is
the ID of ``frames[t][k]`` (pieces of one body may share an ID); ``looks[t][k]`` its look
(2, 3) or None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pose.video.appearance import box_of, look_distance, median_look, overlapped


@dataclass(frozen=True)
class CrossingParams:
    """``look_far``: a colour distance that tells two people apart (as
    :class:`pose.video.track.TrackerParams`); ``settle``: how many looks give the look the
    body settles to: the last ones within ``settle_time`` seconds after the merge (while
    the two still overlap, the one body found is a mix of both);
    ``min_looks``: looks each side needs before anything is decided."""

    look_far: float = 12.0
    settle: int = 5
    settle_time: float = 1.0
    min_looks: int = 3


@dataclass
class _Seen:
    """One ID through the clip: frame rows, the union box (4,) and a look (or None) in each."""

    rows: list[int] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)
    looks: list[np.ndarray | None] = field(default_factory=list)


def _gather(frames, ids, looks) -> dict[int, _Seen]:
    """ID -> where it is: pieces of one body in a frame united (their boxes joined, the
    first look found)."""
    seen: dict[int, _Seen] = {}
    for row, (people, numbers, found) in enumerate(zip(frames, ids, looks, strict=True)):
        for keypoints, number, look in zip(people, numbers, found, strict=True):
            box = box_of(np.asarray(keypoints))
            if box is None:
                continue
            entry = seen.setdefault(number, _Seen())
            if entry.rows and entry.rows[-1] == row:
                entry.boxes[-1] = np.concatenate(
                    [
                        np.minimum(entry.boxes[-1][:2], box[:2]),
                        np.maximum(entry.boxes[-1][2:], box[2:]),
                    ]
                )
                if entry.looks[-1] is None:
                    entry.looks[-1] = look
                continue
            entry.rows.append(row)
            entry.boxes.append(box)
            entry.looks.append(look)
    return seen


def _merges(seen: dict[int, _Seen]) -> list[tuple[int, int, int]]:
    """(row, ended ID, kept ID): an ID seen for the last time in ``row`` overlapping another
    ID that goes on after that row; in time order."""
    found = []
    for ended, entry in seen.items():
        last = entry.rows[-1]
        for kept, other in seen.items():
            if kept == ended or other.rows[-1] <= last or last not in other.rows:
                continue
            a, b = entry.boxes[-1], other.boxes[other.rows.index(last)]
            if overlapped(a, [b]) or overlapped(b, [a]):
                found.append((last, ended, kept))
    return sorted(found)


def _looks(entry: _Seen, keep) -> list[tuple[int, np.ndarray]]:
    """(row, look) of ``entry``'s looks in the rows where ``keep(row)``."""
    return [
        (row, look)
        for row, look in zip(entry.rows, entry.looks, strict=True)
        if look is not None and keep(row)
    ]


def _cut(after: list[tuple[int, np.ndarray]], own: np.ndarray, theirs: np.ndarray) -> int:
    """The row from which the body is the ended track's person: the first look after the
    last one nearer the kept track's look ``own`` than the ended track's ``theirs``, that is
    clearly theirs (less than half as far from it). While the two still overlap, the one
    body found is a mix of both, and often the one in front: it stays with the kept ID."""
    cut = None
    for row, look in after:
        near_own, near_theirs = look_distance(look, own), look_distance(look, theirs)
        if near_own <= near_theirs:
            cut = None
        elif cut is None and near_theirs < near_own / 2:
            cut = row
    return cut if cut is not None else after[-1][0]


def swap_after_merges(
    frames: Sequence[Sequence[np.ndarray]],
    ids: Sequence[Sequence[int]],
    looks: Sequence[Sequence[np.ndarray | None]],
    times: Sequence[float],
    params: CrossingParams | None = None,
) -> list[list[int]]:
    """IDs per frame, the body that walks on after a merge given the ended track's ID when
    its look settles to that track's and away from the kept track's (see the module doc):
    the settled look (median of the last ``settle`` looks within ``settle_time`` s after
    the merge) is farther than ``look_far`` from the kept track's look before the merge,
    nearer than ``look_far`` to the ended track's, and less than half as far from it. The
    ID changes from where the body's looks turn to the ended track's (:func:`_cut`). Each
    ID takes part in one swap at most."""
    params = params or CrossingParams()
    out = [list(numbers) for numbers in ids]
    seen = _gather(frames, ids, looks)
    used: set[int] = set()
    for row, ended, kept in _merges(seen):
        if ended in used or kept in used:
            continue
        until = times[row] + params.settle_time
        after = _looks(seen[kept], lambda r, row=row, until=until: row < r and times[r] <= until)
        before = median_look([look for _, look in _looks(seen[kept], lambda r, row=row: r <= row)])
        theirs = median_look([look for _, look in _looks(seen[ended], lambda r: True)])
        counts = (len(after), _count(seen[kept], row), _count(seen[ended], row))
        if min(counts) < params.min_looks:
            continue
        settled = median_look([look for _, look in after[-params.settle :]])
        own = look_distance(settled, before)
        other = look_distance(settled, theirs)
        if own > params.look_far and other < params.look_far and other < own / 2:
            for later in range(_cut(after, before, theirs), len(out)):
                out[later] = [ended if n == kept else n for n in out[later]]
            used.update((ended, kept))
    return out


def _count(entry: _Seen, row: int) -> int:
    """How many looks ``entry`` has up to ``row``."""
    return sum(
        1 for r, look in zip(entry.rows, entry.looks, strict=True) if r <= row and look is not None
    )
