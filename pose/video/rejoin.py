"""Whole-clip identity: the online tracker's IDs re-joined once the clip is over.

:class:`pose.video.track.PoseTracker` decides frame by frame and never looks back, so two
things break an ID that a look over the whole clip can mend:

1. **Fragments.** The decoder sometimes finds one body as two people with (nearly) disjoint
   joints, for example an arm apart from the rest; the tracker's ID then flips between the
   pieces. :func:`fragment_groups` finds, in each frame, pieces that fit together into one
   body (few joints in common, the limbs that would join them of a plausible length); the
   pieces of a group share one ID.
2. **Broken tracks.** Someone hidden for longer than the tracker waits, or a short cut, gives
   them a new ID. :func:`rejoin_ids` joins a track that ends to one that starts later when
   the same body comes back: near where the first was heading (position and motion, in body
   heights, with a gate that widens with the time away), of the same height and the same
   body proportions (limb lengths over body height, medians over each track) and, when the
   people's looks are given (:mod:`pose.video.appearance`), dressed alike. Tracks that
   are ever in one frame together are never joined.
3. **Crossings.** With looks, a body that walks on after two people crossed takes the ID of
   the one it turns out to be (:func:`pose.video.crossings.swap_after_merges`).

The joined track keeps its lowest ID. Pure NumPy; keypoints are OpenPose-18 ``(18, 3)``
arrays in frame pixels; ``ids[t][k]`` is the tracker's ID of ``frames[t][k]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pose.body.skeleton import LIMBS, NUM_JOINTS, Joint
from pose.video.appearance import look_distance, median_look
from pose.video.crossings import swap_after_merges
from pose.video.track import body_height, limb_height

# Limbs whose lengths (over body height) describe a body's proportions; both sides.
_SHAPE_LIMBS: tuple[tuple[Joint, Joint], ...] = (
    (Joint.NECK, Joint.R_SHOULDER),
    (Joint.NECK, Joint.L_SHOULDER),
    (Joint.R_SHOULDER, Joint.R_ELBOW),
    (Joint.L_SHOULDER, Joint.L_ELBOW),
    (Joint.R_ELBOW, Joint.R_WRIST),
    (Joint.L_ELBOW, Joint.L_WRIST),
    (Joint.NECK, Joint.R_HIP),
    (Joint.NECK, Joint.L_HIP),
    (Joint.R_HIP, Joint.R_KNEE),
    (Joint.L_HIP, Joint.L_KNEE),
    (Joint.R_KNEE, Joint.R_ANKLE),
    (Joint.L_KNEE, Joint.L_ANKLE),
    (Joint.R_HIP, Joint.L_HIP),
)


@dataclass(frozen=True)
class RejoinParams:
    """Settings; distances in body heights, times in seconds.

    ``max_gap``: the longest time away that is re-joined. ``gate``, ``gate_growth``: how
    far (from where the ended track was, or was heading) the new one may start, growing
    with the time away (people keep walking while hidden). ``max_height_change``: the
    largest relative change of body height. ``max_shape``: the largest median difference
    of limb length over body height (body proportions in 2D tell people apart only
    roughly: on street.avi a wider gate for well-matched proportions joined two people).
    ``max_look``: the largest colour distance between two tracks' looks (median looks;
    people in different clothes on street.avi: 12-74, one person's frames: median 2-9,
    but up to 23 for a man whose white bag swings across his torso), and ``look_far``
    its unit in the cost. ``fragment_shared``: at most this many joints two
    pieces of one body may both have; ``fragment_reach``: a joining limb may be at most
    this many times its typical length.
    """

    max_gap: float = 1.0
    gate: float = 0.4
    gate_growth: float = 0.4
    max_height_change: float = 0.25
    max_shape: float = 0.06
    max_look: float = 24.0
    look_far: float = 12.0
    fragment_shared: int = 1
    fragment_reach: float = 1.6
    fragment_size_ratio: float = 1.3


# Typical limb length over standing height (the tracker's table, for the limbs of LIMBS).
_TYPICAL = {
    frozenset((Joint.NECK, Joint.R_SHOULDER)): 0.129,
    frozenset((Joint.NECK, Joint.L_SHOULDER)): 0.129,
    frozenset((Joint.R_SHOULDER, Joint.R_ELBOW)): 0.186,
    frozenset((Joint.L_SHOULDER, Joint.L_ELBOW)): 0.186,
    frozenset((Joint.R_ELBOW, Joint.R_WRIST)): 0.146,
    frozenset((Joint.L_ELBOW, Joint.L_WRIST)): 0.146,
    frozenset((Joint.NECK, Joint.R_HIP)): 0.30,
    frozenset((Joint.NECK, Joint.L_HIP)): 0.30,
    frozenset((Joint.R_HIP, Joint.R_KNEE)): 0.245,
    frozenset((Joint.L_HIP, Joint.L_KNEE)): 0.245,
    frozenset((Joint.R_KNEE, Joint.R_ANKLE)): 0.246,
    frozenset((Joint.L_KNEE, Joint.L_ANKLE)): 0.246,
}
_HEAD = 0.13  # the face's limbs (nose, eyes, ears; shoulder to ear): about a head's size


def _typical(a: int, b: int) -> float:
    return _TYPICAL.get(frozenset((Joint(a), Joint(b))), _HEAD)


def are_fragments(first: np.ndarray, second: np.ndarray, params: RejoinParams) -> bool:
    """Whether two people (18, 3) of one frame are pieces of one body: at most
    ``fragment_shared`` joints in both (and those close together), at least one skeleton
    limb from a joint of one to a joint of the other, and every such limb no longer than
    ``fragment_reach`` times its typical length (in the larger piece's body height)."""
    found_a, found_b = first[:, 2] > 0, second[:, 2] > 0
    both = found_a & found_b
    height = max(body_height(first), body_height(second))
    if both.sum() > params.fragment_shared:
        return False
    # Two overlapping people can look complementary; pieces of one body agree on its size.
    sizes = [limb_height(first), limb_height(second)]
    if None not in sizes and max(sizes) > params.fragment_size_ratio * min(sizes):
        return False
    if both.any():
        gap = np.linalg.norm(first[both, :2] - second[both, :2], axis=1).max()
        if gap > 0.1 * height:
            return False
    joining = 0
    for a, b in LIMBS:
        for one, other in ((first, second), (second, first)):
            if one[a, 2] > 0 and other[b, 2] > 0 and not (one[b, 2] > 0 or other[a, 2] > 0):
                length = float(np.linalg.norm(one[a, :2] - other[b, :2]))
                if length > params.fragment_reach * _typical(a, b) * height:
                    return False
                joining += 1
    return joining > 0


def fragment_groups(people: Sequence[np.ndarray], params: RejoinParams) -> list[int]:
    """For each person of one frame, the index of the first person of their body: a piece
    found apart from the rest of its body points at the larger piece (itself otherwise)."""
    order = sorted(range(len(people)), key=lambda k: -int((people[k][:, 2] > 0).sum()))
    owner = list(range(len(people)))
    merged = {k: np.asarray(people[k], np.float64).copy() for k in order}
    for position, small in enumerate(order):
        if owner[small] != small:
            continue
        for big in order[:position]:
            if owner[big] != big:
                continue
            if are_fragments(merged[big], merged[small], params):
                owner[small] = big
                # the body grows by the piece, so a third piece is tested against both
                take = merged[small][:, 2] > merged[big][:, 2]
                merged[big][take] = merged[small][take]
                break
    return owner


def _centre(keypoints: np.ndarray) -> np.ndarray:
    """(2,) the neck and hips' mean when found (steady), else the found joints' mean."""
    core = [Joint.NECK, Joint.R_HIP, Joint.L_HIP]
    found = keypoints[:, 2] > 0
    use = [j for j in core if found[j]] or np.flatnonzero(found).tolist()
    return keypoints[use, :2].mean(axis=0)


def shape_vector(keypoints: np.ndarray) -> np.ndarray:
    """Body proportions (len(_SHAPE_LIMBS),): each limb's length over body height, NaN
    where a limb's joints were not found."""
    height = body_height(keypoints)
    out = np.full(len(_SHAPE_LIMBS), np.nan)
    for n, (a, b) in enumerate(_SHAPE_LIMBS):
        if keypoints[a, 2] > 0 and keypoints[b, 2] > 0:
            out[n] = np.linalg.norm(keypoints[a, :2] - keypoints[b, :2]) / height
    return out


@dataclass
class _Piece:
    """One ID's observations over the clip (merged body per frame)."""

    times: list[float]
    bodies: list[np.ndarray]
    looks: list[np.ndarray | None]

    def summary(self) -> dict:
        times = np.array(self.times)
        centres = np.array([_centre(b) for b in self.bodies])
        heights = np.array([body_height(b) for b in self.bodies])
        return {
            "first": times[0],
            "last": times[-1],
            "start": centres[0],
            "end": centres[-1],
            "velocity": _velocity(times[-6:], centres[-6:]),
            "height": float(np.median(heights)),
            "shape": _median_shape(self.bodies),
            "look": median_look(self.looks),
            "frames": len(times),
        }


def _median_shape(bodies: list[np.ndarray]) -> np.ndarray:
    """Median body proportions over a track's frames (NaN for a limb never seen)."""
    shapes = np.array([shape_vector(body) for body in bodies])
    seen = np.isfinite(shapes).any(axis=0)
    out = np.full(shapes.shape[1], np.nan)
    out[seen] = np.nanmedian(shapes[:, seen], axis=0)
    return out


def _velocity(times: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(2,) px/s from a least-squares line through the last centres (0 for one frame)."""
    if len(times) < 2 or np.ptp(times) <= 0:
        return np.zeros(2)
    t = times - times.mean()
    return (t[:, None] * (centres - centres.mean(axis=0))).sum(axis=0) / (t**2).sum()


def _join_cost(before: dict, after: dict, params: RejoinParams) -> float | None:
    """Cost of ``after`` being ``before``'s body come back, or None when it cannot be."""
    gap = after["first"] - before["last"]
    if gap <= 0 or gap > params.max_gap:
        return None
    height = before["height"]
    if abs(after["height"] - height) > params.max_height_change * max(height, after["height"]):
        return None
    ahead = before["end"] + before["velocity"] * gap
    distance = float(np.linalg.norm(after["start"] - ahead)) / height
    difference = np.abs(before["shape"] - after["shape"])
    difference = difference[np.isfinite(difference)]
    shape = float(np.median(difference)) if len(difference) >= 3 else params.max_shape / 2
    if shape > params.max_shape:
        return None
    gate = params.gate + params.gate_growth * gap
    if distance > gate:
        return None
    look = look_distance(before.get("look"), after.get("look"))
    if look > params.max_look:
        return None
    dressed = look / params.look_far if np.isfinite(look) else 0.0
    return distance / gate + shape / params.max_shape + dressed


def rejoin_ids(
    frames: Sequence[Sequence[np.ndarray]],
    ids: Sequence[Sequence[int]],
    times: Sequence[float],
    params: RejoinParams | None = None,
    looks: Sequence[Sequence[np.ndarray | None]] | None = None,
) -> list[list[int]]:
    """IDs per frame after joining fragments and broken tracks (see the module doc).

    ``frames[t]``: the (18, 3) keypoints of the people of frame t; ``ids[t]`` their
    tracker IDs; ``times[t]`` seconds; ``looks[t]``: their looks (2, 3) or None
    (:func:`pose.video.appearance.frame_looks`; None or empty rows: not taken). Returns
    new IDs in the same shape; pieces of one body in a frame share an ID, and a re-joined
    track keeps its lowest ID.
    """
    params = params or RejoinParams()
    if len(frames) != len(ids) or len(frames) != len(times):
        raise ValueError("frames, ids and times must have the same length")
    looks = _full_looks(frames, looks)
    owners = [fragment_groups(list(people), params) for people in frames]
    grouped = join_fragment_ids(owners, ids, times)
    if any(look is not None for row in looks for look in row):
        grouped = swap_after_merges(frames, grouped, looks, times)
    pieces = _pieces(frames, owners, grouped, times, looks)
    joined = join_gaps({number: piece.summary() for number, piece in pieces.items()}, params)
    return [[joined.get(number, number) for number in numbers] for numbers in grouped]


def join_fragment_ids(
    owners: Sequence[Sequence[int]],
    ids: Sequence[Sequence[int]],
    times: Sequence[float] | None = None,
    segment_gap: float = 0.25,
) -> list[list[int]]:
    """Tracker IDs found as pieces of one body (``owners[t]``: :func:`fragment_groups` of
    frame t) more often than as two bodies are one person (the tracker split a body and
    kept an ID on each piece): each takes the group's lowest ID. Returns IDs per frame.

    An ID is judged in stretches (:func:`_stretches`: apart when it is missing for more
    than ``segment_gap`` seconds): the tracker keeps a lost ID waiting and may give it to
    a piece of someone else later, and the stretches of one ID may then belong to two
    bodies. A stretch merged into another person's group takes that group's ID; the
    tracker's ID stays on its other stretches."""
    keys = _stretches(ids, times, segment_gap)
    same: dict[tuple[int, int], tuple[int, int]] = {k: k for row in keys for k in row}

    def top(key: tuple[int, int]) -> tuple[int, int]:
        while same[key] != key:
            key = same[key]
        return key

    together: dict[tuple, int] = {}  # frames two stretches were pieces of one body
    apart: dict[tuple, int] = {}  # frames they were two bodies
    for owner, row in zip(owners, keys, strict=True):
        for k, root in enumerate(owner):
            for j in range(k):
                pair = (min(row[k], row[j]), max(row[k], row[j]))
                tally = together if owner[j] == root else apart
                tally[pair] = tally.get(pair, 0) + 1
    # A pair seen apart more often than together is two people who touched.
    for (a, b), count in sorted(together.items()):
        if count > apart.get((a, b), 0):
            ra, rb = top(a), top(b)
            if ra != rb:
                same[max(ra, rb)] = min(ra, rb)
    names = _group_names({k: top(k) for k in same})
    return [[names[key] for key in row] for row in keys]


def _stretches(
    ids: Sequence[Sequence[int]], times: Sequence[float] | None, gap: float
) -> list[list[tuple[int, int]]]:
    """Per frame, each person's (tracker ID, stretch number): the number grows each time
    the ID comes back after more than ``gap`` seconds away (all 0 without ``times``)."""
    last: dict[int, float] = {}
    stretch: dict[int, int] = {}
    out = []
    for t, numbers in enumerate(ids):
        now = float(times[t]) if times is not None else 0.0
        row = []
        for number in numbers:
            number = int(number)
            if number in last and now - last[number] > gap:
                stretch[number] = stretch.get(number, 0) + 1
            last[number] = now
            row.append((number, stretch.get(number, 0)))
        out.append(row)
    return out


def _group_names(root: dict[tuple[int, int], tuple[int, int]]) -> dict[tuple[int, int], int]:
    """(ID, stretch) -> the ID its group goes by. A group of one ID's stretches keeps that
    ID (the tracker's own continuity). A group of several IDs takes its lowest ID that no
    other group goes by (one ID's stretches on two bodies), else a new one above every
    tracker ID."""
    groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for key, top in root.items():
        groups.setdefault(top, []).append(key)
    pure = [members for members in groups.values() if len({n for n, _ in members}) == 1]
    mixed = [members for members in groups.values() if len({n for n, _ in members}) > 1]
    names = {key: key[0] for members in pure for key in members}
    taken = set(names.values())
    fresh = max((key[0] for key in root), default=0)
    for members in sorted(mixed, key=lambda group: min(group)):
        free = sorted({n for n, _ in members} - taken)
        if free:
            name = free[0]
        else:
            fresh += 1
            name = fresh
        taken.add(name)
        names.update({key: name for key in members})
    return names


def _full_looks(frames, looks) -> list[list[np.ndarray | None]]:
    """``looks`` with a None for every person it has no look for (rows of the frames' shape)."""
    looks = looks or [()] * len(frames)
    if len(looks) != len(frames):
        raise ValueError("looks must have one row per frame")
    return [
        list(row) if len(row) == len(people) else [None] * len(people)
        for people, row in zip(frames, looks, strict=True)
    ]


def _pieces(frames, owners, grouped, times, looks) -> dict[int, _Piece]:
    """Each ID's merged body (the pieces of one body joined) in each frame it is in, and
    the look of its first piece that has one."""
    pieces: dict[int, _Piece] = {}
    rows = zip(frames, owners, grouped, times, looks, strict=True)
    for people, owner, numbers, time, found in rows:
        bodies: dict[int, np.ndarray] = {}
        seen: dict[int, np.ndarray | None] = {}
        for k, root in enumerate(owner):
            body = bodies.setdefault(root, np.zeros((NUM_JOINTS, 3)))
            points = np.asarray(people[k], np.float64)
            take = points[:, 2] > body[:, 2]
            body[take] = points[take]
            if seen.get(root) is None:
                seen[root] = found[k]
        for root, body in bodies.items():
            piece = pieces.setdefault(numbers[root], _Piece([], [], []))
            if piece.times and piece.times[-1] == time:
                continue  # two bodies with one ID: keep the first
            piece.times.append(float(time))
            piece.bodies.append(body)
            piece.looks.append(seen[root])
    return pieces


def join_gaps(summaries: dict[int, dict], params: RejoinParams) -> dict[int, int]:
    """ID -> joined ID: tracks that end joined to later ones (:func:`_join_cost`), cheapest
    first, each track at most one successor and one predecessor, never two tracks that
    are in one frame together; a joined track keeps its lowest ID."""
    candidates = []
    for a, before in summaries.items():
        for b, after in summaries.items():
            if a != b:
                cost = _join_cost(before, after, params)
                if cost is not None:
                    candidates.append((cost, a, b))
    root = {number: number for number in summaries}
    spans = {number: [(s["first"], s["last"])] for number, s in summaries.items()}
    successor: set[int] = set()
    predecessor: set[int] = set()

    def find(number: int) -> int:
        while root[number] != number:
            number = root[number]
        return number

    for _, a, b in sorted(candidates):
        if a in successor or b in predecessor:
            continue
        ra, rb = find(a), find(b)
        if ra == rb or _overlap(spans[ra], spans[rb]):
            continue
        keep, gone = min(ra, rb), max(ra, rb)
        root[gone] = keep
        spans[keep] = spans[keep] + spans.pop(gone)
        successor.add(a)
        predecessor.add(b)
    return {number: find(number) for number in summaries}


def _overlap(first: list[tuple[float, float]], second: list[tuple[float, float]]) -> bool:
    return any(a0 <= b1 and b0 <= a1 for a0, a1 in first for b0, b1 in second)
