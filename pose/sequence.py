"""Compare movements: one person's poses over time in two clips, aligned by dynamic time warping.

Pure NumPy over pose sequences; no model, no video. A :class:`PoseSequence` holds the
chosen person's keypoints in each frame where they were found. Two uses:

:func:`compare_sequences` (a reference against an attempt)
    1. Local cost of every (reference frame, attempt frame) pair: the distance between the
       two poses after removing position, size and in-plane tilt (``"procrustes"``,
       :func:`pose.match.procrustes_distances`, the normalisation of the ``normalized``
       matching method in closed form), O(N M) in a dozen array products.
    2. Dynamic time warping (:func:`dtw`): the cheapest monotonic path from the first pair
       to the last, in steps (1, 0), (0, 1), (1, 1), so either clip may run faster, slower
       or pause. Inside a Sakoe-Chiba band around the diagonal of the N x M rectangle
       (``window`` of the longer clip's length on either side; the rectangle's diagonal
       absorbs different lengths and frame rates). O(N M) time and memory, or O(N w)
       cells computed inside a band of w columns; vectorised per row.
    3. Scoring along the path: each aligned pair is scored by
       :func:`pose.match.normalized_scores`, the same number (percent, per joint too) as the
       Match tab's ``normalized`` method; the overall similarity is the mean over the path.
       The worst moments are the lowest-scoring pairs, at least a second apart.

:func:`find_repetitions` (one repetition against a longer attempt)
    Subsequence DTW in one pass over the attempt (:func:`segment_repetitions`): every
    attempt frame is either rest or inside a path through the whole reference, with step
    sizes (1, 1), (1, 2), (2, 1), so each repetition lasts half to twice the reference's
    duration; the cut of least total cost wins. Each repetition is then scored by
    :func:`compare_sequences` against the reference.

Frame numbers in results are the clips' own (source frame indices), so two clips at
different frame rates need no resampling: the alignment maps frames to frames and times
come from each clip's frame rate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pose.match import (
    DEFAULT_MAX_ROTATION,
    MIN_SHARED_JOINTS,
    NORMALIZED_TOLERANCE,
    normalized_scores,
    procrustes_distances,
    rank_by_size,
    verdict,
)
from pose.media import InputError
from pose.skeleton import NUM_JOINTS, Joint
from pose.types import Pose

ALIGN_METHODS: tuple[str, ...] = ("procrustes", "normalized", "positions")
# Chosen by benchmarks/sequence.py (docs/sequence.md has the figures).
DEFAULT_ALIGN = "procrustes"
DEFAULT_WINDOW = 0.3

# A person must be found in at least this share of a clip's frames to be compared:
# below it the "movement" is mostly guesswork.
MIN_COVERAGE = 0.5
MIN_FRAMES = 3
# compare_sequences aligns whole clips; one clip lasting more than this many times the
# other is more likely a different take than a slower one.
MAX_LENGTH_RATIO = 4.0
# Cost of a pair that cannot be compared (too few joints in both): the largest possible
# procrustes distance, so the path avoids such pairs when it can.
MISSING_COST = 2.0
# Worst moments: how many, at least how far apart (seconds of the reference), and which
# joints count as different (per-joint score in percent below this).
WORST_COUNT = 3
WORST_SPACING = 1.0
DIFFERENT_BELOW = 50.0
# Repetitions (see segment_repetitions): the step sizes of subsequence DTW (a repetition
# lasts half to twice the reference), and the extra weight of a step off the diagonal.
REP_STEPS: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 1))
REP_STEP_PENALTY = 1.15
MAX_REP_SPEED = 2.0
# A stretch that moves less than this share of the reference's extent is someone holding
# still, however well their pose fits one moment of the reference.
MIN_REP_EXTENT = 0.5
# The cost of one attempt frame of rest (no repetition), in procrustes body sizes: a
# stretch is a repetition when its frames cost less than this on average (see
# segment_repetitions). Calibrated in benchmarks/sequence.py: copies of a stride from
# another camera cost 0.13-0.16, a copy with the arms 40 degrees off 0.24, a held pose 0.37.
REP_REST_COST = 0.25


class SequenceError(InputError):
    """A clip cannot be compared: nobody in it, the person missing most of the time, too
    short, or far longer than the other. A ``ValueError``: the app shows the message, the
    CLI prints it and exits with status 2."""


@dataclass(frozen=True)
class PoseSequence:
    """One person through a clip.

    ``keypoints`` (T, 18, 3) float32 in the clip's pixels, one row per frame where the
    person was found; ``frames`` (T,) the source frame index of each row, increasing;
    ``fps`` the clip's frame rate; ``total`` the frames in the clip (found or not);
    ``track`` the tracking ID of the person, when the clip was tracked.
    """

    keypoints: np.ndarray
    frames: np.ndarray
    fps: float
    total: int
    name: str = "the clip"
    track: int | None = None  # the tracking ID followed, if the clip was tracked

    def __post_init__(self) -> None:
        points = np.asarray(self.keypoints, dtype=np.float32)
        frames = np.asarray(self.frames, dtype=np.int64)
        if points.ndim != 3 or points.shape[1:] != (NUM_JOINTS, 3):
            raise ValueError(f"keypoints must be (T, 18, 3), got {points.shape}")
        if frames.shape != (len(points),):
            raise ValueError(f"frames must be ({len(points)},), got {frames.shape}")
        if len(frames) > 1 and np.any(np.diff(frames) <= 0):
            raise ValueError("frames must be increasing")
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, not {self.fps}")
        for name, value in (("keypoints", points), ("frames", frames)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def duration(self) -> float:
        """Seconds from the first to the last frame with the person, one frame included."""
        if not len(self.frames):
            return 0.0
        return float(self.frames[-1] - self.frames[0] + 1) / self.fps

    @property
    def coverage(self) -> float:
        """Share of the clip's frames in which the person was found."""
        return len(self.frames) / self.total if self.total else 0.0

    def segment(self, start: float | None = None, end: float | None = None) -> PoseSequence:
        """The frames shown from ``start`` to ``end`` seconds (either may be None: the
        clip's start or end). Raises :class:`SequenceError` when nothing is left."""
        times = self.frames / self.fps
        keep = np.ones(len(times), dtype=bool)
        if start is not None:
            keep &= times >= start - 1e-9
        if end is not None:
            keep &= times <= end + 1e-9
        if start is not None and end is not None and end <= start:
            raise SequenceError(f"The segment must end after it starts ({start:g}-{end:g} s).")
        if keep.sum() < MIN_FRAMES:
            raise SequenceError(
                f"The segment {start or 0:g}-{'end' if end is None else f'{end:g} s'} of "
                f"{self.name} has {int(keep.sum())} frames with the person; at least "
                f"{MIN_FRAMES} are needed."
            )
        return PoseSequence(
            self.keypoints[keep], self.frames[keep], self.fps, self.total, self.name, self.track
        )

    def summary(self) -> dict:
        return {
            "name": self.name,
            "fps": round(float(self.fps), 3),
            "frames": int(self.total),
            "frames_with_person": len(self),
            "duration": round(self.total / self.fps, 3),
            "id": self.track,
        }


def person_sequence(
    people: Sequence[Sequence[Pose]],
    fps: float,
    name: str = "the clip",
    person: int = 1,
    frames: Sequence[int] | None = None,
    total: int | None = None,
    min_coverage: float = MIN_COVERAGE,
    ids: Sequence[Sequence[int]] | None = None,
) -> PoseSequence:
    """The sequence of one person from the people found in each frame.

    ``people[t]`` are the people of frame ``frames[t]`` (default: t). With tracking IDs
    (``ids[t]`` for ``people[t]``, as :mod:`pose.track` gives them), ``person`` ranks the
    tracks by their summed size over the clip (1 = the most prominent: large and present
    longest) and the sequence follows that track; without them, ``person`` is a rank by
    size in each frame (1 = the largest there, as in the Match tab), which may jump to
    someone else when another person comes closer. A frame where the person has fewer
    than :data:`MIN_SHARED_JOINTS` joints counts as a frame without them. ``total`` is the
    clip's frame count (default: the number of frames given).
    Raises :class:`SequenceError` when the person is found in no frame, in fewer than
    ``min_coverage`` of them, or in fewer than :data:`MIN_FRAMES`.
    """
    if int(person) < 1:
        raise SequenceError(f"Person number must be 1 or more, not {person}.")
    frames = list(range(len(people))) if frames is None else [int(f) for f in frames]
    if len(frames) != len(people):
        raise ValueError("frames and people must have the same length")
    total = len(people) if total is None else int(total)
    chosen = _follow_track(people, ids, person) if ids and any(ids) else _by_rank(people, person)
    rows, kept, track = [], [], None
    for index, found in zip(frames, chosen, strict=True):
        if found is not None and found[0].num_visible >= MIN_SHARED_JOINTS:
            rows.append(found[0].keypoints)
            kept.append(index)
            track = found[1]
    if not rows:
        who = "No person" if person == 1 else f"No person number {person}"
        raise SequenceError(
            f"{who} found in any of the {total} frames of {name}. Use a clip where the "
            "person's body is clearly visible, or lower the confidence threshold."
        )
    share = len(rows) / total if total else 0.0
    if share < min_coverage or len(rows) < MIN_FRAMES:
        raise SequenceError(
            f"The person is found in only {len(rows)} of the {total} frames of {name} "
            f"({100 * share:.0f} %); comparing movements needs them in at least "
            f"{100 * min_coverage:.0f} % of the frames and {MIN_FRAMES} frames. Use a clip "
            "where the person stays in view."
        )
    return PoseSequence(np.stack(rows), np.array(kept), float(fps), total, name, track)


def _by_rank(people: Sequence[Sequence[Pose]], person: int) -> list[tuple[Pose, None] | None]:
    chosen: list[tuple[Pose, None] | None] = []
    for found in people:
        ranked = rank_by_size(found)
        chosen.append((ranked[person - 1], None) if len(ranked) >= person else None)
    return chosen


def _follow_track(
    people: Sequence[Sequence[Pose]], ids: Sequence[Sequence[int]], person: int
) -> list[tuple[Pose, int] | None]:
    if len(ids) != len(people):
        raise ValueError("ids and people must have the same length")
    sizes: dict[int, float] = {}
    for found, numbers in zip(people, ids, strict=True):
        for pose, number in zip(found, numbers, strict=False):
            sizes[number] = sizes.get(number, 0.0) + pose.area
    ranked = sorted(sizes, key=lambda number: (-sizes[number], number))
    if len(ranked) < person:
        return [None] * len(people)
    track = ranked[person - 1]
    chosen: list[tuple[Pose, int] | None] = []
    for found, numbers in zip(people, ids, strict=True):
        match = [pose for pose, number in zip(found, numbers, strict=False) if number == track]
        chosen.append((match[0], track) if match else None)
    return chosen


# --------------------------------------------------------------------------- costs


def cost_matrix(
    reference: np.ndarray,
    attempt: np.ndarray,
    method: str = DEFAULT_ALIGN,
    max_rotation: float = DEFAULT_MAX_ROTATION,
) -> np.ndarray:
    """Local costs (N, M) of reference poses (N, 18, 3) against attempt poses (M, 18, 3).

    ``procrustes``: RMS joint distance in body sizes after removing position, size and
    tilt (0-2). ``normalized``: 1 - the ``normalized`` similarity / 100, robust refits
    included (0-1; about 50 times slower). ``positions``: plain mean pixel distance of
    the joints found in both, nothing removed (for comparison). Pairs that cannot be
    compared cost :data:`MISSING_COST` (``positions``: twice the largest distance).
    """
    if method == "procrustes":
        costs = procrustes_distances(reference, attempt, max_rotation)
        return np.where(np.isnan(costs), MISSING_COST, costs)
    if method == "normalized":
        rows = []
        step = max(1, 20000 // max(1, len(attempt)))  # bounds memory to ~20k pairs a chunk
        for start in range(0, len(reference), step):
            similarity, _ = normalized_scores(
                reference[start : start + step, None], attempt[None], max_rotation
            )
            rows.append(1.0 - similarity / 100.0)
        costs = np.concatenate(rows)
        return np.where(np.isnan(costs), 1.0, costs)
    if method == "positions":
        ref = np.asarray(reference, dtype=np.float64)[:, None]
        att = np.asarray(attempt, dtype=np.float64)[None]
        both = (ref[..., 2] > 0) & (att[..., 2] > 0)
        distance = np.linalg.norm(ref[..., :2] - att[..., :2], axis=-1)
        count = both.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(both, distance, 0.0).sum(axis=-1) / count
        worst = np.nanmax(mean[count >= MIN_SHARED_JOINTS], initial=1.0)
        return np.where(count >= MIN_SHARED_JOINTS, mean, 2.0 * worst)
    raise ValueError(f"Unknown alignment method {method!r}: use one of {', '.join(ALIGN_METHODS)}.")


# --------------------------------------------------------------------------- DTW


def band(rows: int, columns: int, window: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Sakoe-Chiba band: for each row, the first and last column (inclusive) it may use.

    The band follows the diagonal of the ``rows`` x ``columns`` rectangle, ``window`` times
    the longer side wide on either side (None: no band). It is never narrower than one
    row's step along that diagonal, so a path always exists.
    """
    if window is None or rows <= 1 or columns <= 1:
        return np.zeros(rows, dtype=np.int64), np.full(rows, columns - 1, dtype=np.int64)
    if window <= 0:
        raise ValueError(f"window must be positive or None, not {window}")
    slope = (columns - 1) / (rows - 1)
    radius = max(window * max(rows, columns), slope, 1.0)
    centre = np.arange(rows) * slope
    low = np.clip(np.ceil(centre - radius), 0, columns - 1).astype(np.int64)
    high = np.clip(np.floor(centre + radius), 0, columns - 1).astype(np.int64)
    return low, high


def dtw(cost: np.ndarray, window: float | None = None) -> tuple[np.ndarray, float]:
    """The cheapest warping path through ``cost`` (N, M) from (0, 0) to (N-1, M-1).

    Steps (1, 0), (0, 1), (1, 1), each adding the cost of the cell it enters. ``window``:
    see :func:`band`. Returns (path (K, 2) of (row, column) pairs, N + M - 1 >= K >= max(N, M);
    total cost). Time O(N M) (inside the band: O(N w)); memory O(N M) for the backtrack.

    Vectorised per row: with t[j] = cost[i, j] + min(D[i-1, j], D[i-1, j-1]) and S the
    running sum of row i's costs, the horizontal recursion D[i, j] = min(t[j],
    D[i, j-1] + cost[i, j]) is D[i, j] = S[j] + min over k <= j of (t[k] - S[k]): one
    cumulative minimum instead of a loop over columns.
    """
    cost = np.asarray(cost, dtype=np.float64)
    rows, columns = cost.shape
    if rows == 0 or columns == 0:
        raise ValueError("cannot align an empty sequence")
    low, high = band(rows, columns, window)
    total = np.full((rows, columns), np.inf)
    total[0, : high[0] + 1] = np.cumsum(cost[0, : high[0] + 1])
    for i in range(1, rows):
        lo, hi = low[i], high[i]
        above = total[i - 1, lo : hi + 1]
        diagonal = np.concatenate(([total[i - 1, lo - 1] if lo > 0 else np.inf], above[:-1]))
        entered = cost[i, lo : hi + 1] + np.minimum(above, diagonal)
        running = np.cumsum(cost[i, lo : hi + 1])
        with np.errstate(invalid="ignore"):
            total[i, lo : hi + 1] = running + np.minimum.accumulate(entered - running)
    return _backtrack(total), float(total[-1, -1])


def _backtrack(total: np.ndarray) -> np.ndarray:
    """Walk back from the last cell along the cheapest predecessor (diagonal on ties)."""
    i, j = total.shape[0] - 1, total.shape[1] - 1
    path = [(i, j)]
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            diagonal, up, left = total[i - 1, j - 1], total[i - 1, j], total[i, j - 1]
            if diagonal <= up and diagonal <= left:
                i, j = i - 1, j - 1
            elif up <= left:
                i -= 1
            else:
                j -= 1
        path.append((i, j))
    return np.array(path[::-1], dtype=np.int64)


# --------------------------------------------------------------------------- comparing


@dataclass(frozen=True)
class Moment:
    """A low point of a comparison: reference frame, attempt frame (source indices), their
    times in seconds, the pair's similarity in percent, and the joints scoring below
    :data:`DIFFERENT_BELOW` percent, worst first."""

    reference_frame: int
    attempt_frame: int
    reference_time: float
    attempt_time: float
    similarity: float
    joints: tuple[Joint, ...]

    def to_dict(self) -> dict:
        return {
            "frames": [self.reference_frame, self.attempt_frame],
            "times": [round(self.reference_time, 3), round(self.attempt_time, 3)],
            "similarity": round(float(self.similarity), 2),
            "joints": [joint.label for joint in self.joints],
        }


@dataclass(frozen=True)
class SequenceComparison:
    """An attempt aligned with a reference and scored.

    ``alignment`` (K, 2): source frame indices (reference, attempt) along the warping
    path; ``steps`` (K, 2) the same as rows of the two sequences; ``step_similarity``
    (K,) percent per aligned pair (NaN where the pair shares too few joints);
    ``joint_scores`` (K, 18) percent per joint (NaN where a joint is not in both);
    ``similarity`` the mean of ``step_similarity``; ``worst`` the lowest moments.
    """

    similarity: float
    alignment: np.ndarray
    steps: np.ndarray
    step_similarity: np.ndarray
    joint_scores: np.ndarray
    worst: tuple[Moment, ...]
    reference: PoseSequence = field(repr=False)
    attempt: PoseSequence = field(repr=False)
    method: str = DEFAULT_ALIGN
    window: float | None = DEFAULT_WINDOW
    notes: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        return verdict(self.similarity)

    def joint_summary(self) -> list[tuple[Joint, float]]:
        """Mean score per joint over the path, worst first (joints never in both left out)."""
        counts = np.isfinite(self.joint_scores).sum(axis=0)
        with np.errstate(invalid="ignore"):
            means = np.nanmean(np.where(counts > 0, self.joint_scores, 0.0), axis=0)
        items = [(Joint(j), float(means[j])) for j in range(NUM_JOINTS) if counts[j]]
        return sorted(items, key=lambda item: item[1])

    def timeline(self, joints: int = 3) -> list[tuple[float, float, str]]:
        """Rows (reference time in s, percent, series) for a plot over the alignment: the
        similarity of each aligned pair ("similarity"), and the score of each of the
        ``joints`` joints that differ most on average (series named by the joint). Pairs
        or joints that could not be compared are left out."""
        times = self.reference.frames[self.steps[:, 0]] / self.reference.fps
        rows = [
            (float(t), float(value), "similarity")
            for t, value in zip(times, self.step_similarity, strict=True)
            if not math.isnan(value)
        ]
        for joint, _ in self.joint_summary()[:joints]:
            scores = self.joint_scores[:, joint]
            rows += [
                (float(t), float(value), joint.label)
                for t, value in zip(times, scores, strict=True)
                if not math.isnan(value)
            ]
        return rows

    def to_dict(self, timeline: bool = True) -> dict:
        """JSON-ready: similarity, verdict, alignment pairs, worst moments, per-joint
        means, the two clips, and (``timeline``) the similarity of each aligned pair."""
        payload = {
            "similarity": round(float(self.similarity), 2),
            "verdict": self.verdict,
            "method": self.method,
            "window": self.window,
            "reference": self.reference.summary(),
            "attempt": self.attempt.summary(),
            "alignment": self.alignment.tolist(),
            "worst": [moment.to_dict() for moment in self.worst],
            "joints": {joint.label: round(score, 2) for joint, score in self.joint_summary()},
            "notes": list(self.notes),
        }
        if timeline:
            payload["timeline"] = [
                None if math.isnan(value) else round(float(value), 2)
                for value in self.step_similarity
            ]
        return payload


def check_lengths(reference: PoseSequence, attempt: PoseSequence) -> None:
    """SequenceError when one clip lasts more than :data:`MAX_LENGTH_RATIO` times the other."""
    longer, shorter = sorted((reference, attempt), key=lambda seq: seq.duration, reverse=True)
    ratio = longer.duration / max(shorter.duration, 1e-9)
    if ratio > MAX_LENGTH_RATIO:
        raise SequenceError(
            f"{longer.name} ({longer.duration:.1f} s with the person) lasts {ratio:.1f} times "
            f"as long as {shorter.name} ({shorter.duration:.1f} s); whole clips are aligned "
            f"only up to {MAX_LENGTH_RATIO:g} times. Trim the longer clip to the movement, "
            "or count repetitions of the shorter one in it."
        )


def compare_sequences(
    reference: PoseSequence,
    attempt: PoseSequence,
    method: str = DEFAULT_ALIGN,
    window: float | None = DEFAULT_WINDOW,
    max_rotation: float = DEFAULT_MAX_ROTATION,
    check: bool = True,
) -> SequenceComparison:
    """Align ``attempt`` with ``reference`` in time and score it (see the module doc).

    ``method`` picks the local cost of the alignment (:func:`cost_matrix`); the scores
    are always the ``normalized`` matching scores of the aligned pairs. ``check`` refuses
    clips of very different durations (:func:`check_lengths`).
    """
    if check:
        check_lengths(reference, attempt)
    cost = cost_matrix(reference.keypoints, attempt.keypoints, method, max_rotation)
    steps, _ = dtw(cost, window)
    similarity, distances = normalized_scores(
        reference.keypoints[steps[:, 0]], attempt.keypoints[steps[:, 1]], max_rotation
    )
    if np.isnan(similarity).all():
        raise SequenceError(
            f"No aligned frames of {reference.name} and {attempt.name} share "
            f"{MIN_SHARED_JOINTS} joints; the two show different parts of the body."
        )
    with np.errstate(invalid="ignore"):
        joint_scores = 100.0 * np.clip(1.0 - distances / NORMALIZED_TOLERANCE, 0.0, 1.0)
    alignment = np.stack(
        [reference.frames[steps[:, 0]], attempt.frames[steps[:, 1]]], axis=1
    ).astype(np.int64)
    notes = []
    for seq in (reference, attempt):
        if len(seq) < seq.total:
            notes.append(
                f"{seq.name}: the person is missing in {seq.total - len(seq)} of {seq.total} "
                "frames; those frames are left out of the alignment."
            )
    if not math.isclose(reference.fps, attempt.fps, rel_tol=0.01):
        notes.append(
            f"The clips have different frame rates ({reference.fps:.3g} and "
            f"{attempt.fps:.3g} fps); each keeps its own frame numbers and times."
        )
    return SequenceComparison(
        similarity=float(np.nanmean(similarity)),
        alignment=alignment,
        steps=steps,
        step_similarity=similarity,
        joint_scores=joint_scores,
        worst=_worst_moments(reference, attempt, steps, similarity, joint_scores),
        reference=reference,
        attempt=attempt,
        method=method,
        window=window,
        notes=tuple(notes),
    )


def _worst_moments(
    reference: PoseSequence,
    attempt: PoseSequence,
    steps: np.ndarray,
    similarity: np.ndarray,
    joint_scores: np.ndarray,
) -> tuple[Moment, ...]:
    """The lowest-scoring aligned pairs, each at least :data:`WORST_SPACING` seconds of the
    reference from the others (so one bad second does not fill the list)."""
    ref_times = reference.frames[steps[:, 0]] / reference.fps
    moments: list[Moment] = []
    order = np.argsort(np.where(np.isnan(similarity), np.inf, similarity), kind="stable")
    for step in order:
        if len(moments) >= WORST_COUNT or np.isnan(similarity[step]):
            break
        if any(abs(ref_times[step] - m.reference_time) < WORST_SPACING for m in moments):
            continue
        scores = joint_scores[step]
        bad = [j for j in np.argsort(np.where(np.isnan(scores), np.inf, scores), kind="stable")]
        joints = tuple(Joint(int(j)) for j in bad if scores[j] < DIFFERENT_BELOW)
        i, j = steps[step]
        moments.append(
            Moment(
                reference_frame=int(reference.frames[i]),
                attempt_frame=int(attempt.frames[j]),
                reference_time=float(reference.frames[i] / reference.fps),
                attempt_time=float(attempt.frames[j] / attempt.fps),
                similarity=float(similarity[step]),
                joints=joints,
            )
        )
    return tuple(moments)


# --------------------------------------------------------------------------- repetitions


@dataclass(frozen=True)
class Repetition:
    """One repetition found in the attempt: source frames ``start`` to ``end`` (inclusive),
    its similarity to the reference in percent, and whether it is the weakest."""

    start: int
    end: int
    score: float
    fps: float
    weakest: bool = False
    worst: tuple[Moment, ...] = ()

    def to_dict(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "start_time": round(self.start / self.fps, 3),
            "end_time": round(self.end / self.fps, 3),
            "score": round(float(self.score), 2),
            "weakest": self.weakest,
            "worst": [moment.to_dict() for moment in self.worst],
        }


@dataclass(frozen=True)
class Repetitions:
    """Repetitions of ``reference`` found in ``attempt``, in time order."""

    reps: tuple[Repetition, ...]
    reference: PoseSequence = field(repr=False)
    attempt: PoseSequence = field(repr=False)
    rest: float = REP_REST_COST

    @property
    def count(self) -> int:
        return len(self.reps)

    def to_dict(self) -> dict:
        weakest = next((n for n, rep in enumerate(self.reps) if rep.weakest), None)
        return {
            "count": self.count,
            "reps": [rep.to_dict() for rep in self.reps],
            "weakest": weakest,
            "rest_cost": self.rest,
            "reference": self.reference.summary(),
            "attempt": self.attempt.summary(),
        }


def segment_repetitions(cost: np.ndarray, rest: float) -> list[tuple[int, int, float]]:
    """Cut the attempt into repetitions of the reference and rest, at the least cost.

    ``cost`` (n reference rows, m attempt columns). Each attempt frame is either rest, at
    ``rest`` per frame, or inside a repetition: a warping path through the whole reference
    (subsequence DTW, one pass over the columns as in connected-word recognition). A path
    moves in steps (di, dj) of :data:`REP_STEPS`, so a repetition lasts n/2 to 2n frames;
    a step enters k = max(di, dj) cells along its longer side (none skipped, so a bad pose
    cannot be stepped over) and adds their mean cost times dj, times
    :data:`REP_STEP_PENALTY` off the diagonal; a start cell counts 1. So every attempt
    frame weighs 1 whichever it is: the total is the sum over attempt frames of their cost
    in a repetition or ``rest``, and a stretch is a repetition when its frames cost less
    than ``rest`` on average. Nothing is paid per repetition, so neither two repetitions
    merged into one nor one split into two is favoured; the penalty prefers a repetition
    at the reference's own speed when two fit alike (a walk's two steps look alike:
    without it one step can pass for a whole stride at double speed). Returns (first
    column, last column, mean cost) per repetition, in order. Every step advances a
    column, so each column is computed from the two before it, vectorised over rows:
    O(n m) time and memory.
    """
    rows, columns = cost.shape
    down = np.vstack([np.zeros((1, columns)), np.cumsum(cost, axis=0)])  # rows 0..i-1 summed
    across = np.hstack([np.zeros((rows, 1)), np.cumsum(cost, axis=1)])
    total = np.full((rows, columns), np.inf)
    start = np.zeros((rows, columns), dtype=np.int64)
    best_until = np.zeros(columns + 1)  # best_until[j]: the cheapest cut of columns < j
    began = np.full(columns, -1, dtype=np.int64)  # the repetition ending at j starts here
    for j in range(columns):
        column = np.full(rows, np.inf)
        origin = np.zeros(rows, dtype=np.int64)
        column[0], origin[0] = best_until[j] + cost[0, j], j
        for di, dj in REP_STEPS:
            if dj > j or di >= rows:
                continue
            weight = dj / max(di, dj) * (1.0 if di == dj else REP_STEP_PENALTY)
            if di >= dj:  # rows i-di+1 .. i of column j
                entered = down[di + 1 :, j] - down[1 : rows - di + 1, j]
            else:  # columns j-dj+1 .. j of row i
                entered = across[di:, j + 1] - across[di:, j + 1 - dj]
            candidate = total[: rows - di, j - dj] + weight * entered
            better = candidate < column[di:]
            column[di:] = np.where(better, candidate, column[di:])
            origin[di:] = np.where(better, start[: rows - di, j - dj], origin[di:])
        total[:, j], start[:, j] = column, origin
        closing = total[-1, j]
        if closing < best_until[j] + rest:
            best_until[j + 1], began[j] = closing, origin[-1]
        else:
            best_until[j + 1] = best_until[j] + rest
    reps = []
    j = columns - 1
    while j >= 0:
        if began[j] < 0:
            j -= 1
            continue
        first = int(began[j])
        inside = best_until[j + 1] - best_until[first]
        reps.append((first, j, float(inside / (j - first + 1))))
        j = first - 1
    return reps[::-1]


def _extent(keypoints: np.ndarray, max_rotation: float) -> float:
    """How far a stretch of poses (T, 18, 3) moves: the 90th percentile of the procrustes
    distances from its middle pose (body sizes). Near 0 for someone standing still."""
    distances = procrustes_distances(keypoints[len(keypoints) // 2][None], keypoints, max_rotation)
    distances = distances[np.isfinite(distances)]
    return float(np.percentile(distances, 90)) if len(distances) else 0.0


def find_repetitions(
    reference: PoseSequence,
    attempt: PoseSequence,
    rest: float = REP_REST_COST,
    max_rotation: float = DEFAULT_MAX_ROTATION,
) -> Repetitions:
    """Find each repetition of the ``reference`` movement in ``attempt`` and score it.

    The attempt is cut into repetitions and rest by :func:`segment_repetitions` on
    procrustes costs; a stretch is a repetition when its mean cost per frame is below
    ``rest`` (body sizes) and it moves at least :data:`MIN_REP_EXTENT` as much
    as the reference (holding still is rest, however well the pose fits one moment).
    Each repetition is then scored by :func:`compare_sequences` against the reference
    (the same percent as compare-videos) and the weakest is flagged. No repetition gives a
    count of 0. Raises :class:`SequenceError` when the attempt is shorter than half the
    reference (no repetition could fit).
    """
    if len(attempt) * MAX_REP_SPEED < len(reference):
        raise SequenceError(
            f"{attempt.name} ({len(attempt)} frames with the person) is too short to hold "
            f"a repetition of {reference.name} ({len(reference)} frames): a repetition may "
            f"be at most {MAX_REP_SPEED:g} times as fast as the reference."
        )
    cost = cost_matrix(reference.keypoints, attempt.keypoints, "procrustes", max_rotation)
    extent = _extent(reference.keypoints, max_rotation)
    found = []
    for begin, end, _ in segment_repetitions(cost, rest):
        if _extent(attempt.keypoints[begin : end + 1], max_rotation) < MIN_REP_EXTENT * extent:
            continue
        result = compare_sequences(reference, _rows(attempt, begin, end), window=None, check=False)
        first, last = _trim(result.steps, begin)
        if (first, last) != (begin, end) and last - first + 1 >= MIN_FRAMES:
            begin, end = first, last
            result = compare_sequences(
                reference, _rows(attempt, begin, end), window=None, check=False
            )
        found.append((begin, end, result))
    weakest = min(range(len(found)), key=lambda n: found[n][2].similarity, default=None)
    reps = tuple(
        Repetition(
            start=int(attempt.frames[begin]),
            end=int(attempt.frames[end]),
            score=result.similarity,
            fps=attempt.fps,
            weakest=number == weakest and len(found) > 1,
            worst=result.worst[:1],
        )
        for number, (begin, end, result) in enumerate(found)
    )
    return Repetitions(reps, reference, attempt, rest)


def _trim(steps: np.ndarray, begin: int) -> tuple[int, int]:
    """First and last attempt row of a repetition from its alignment ``steps`` with the
    reference (reference rows, attempt rows counted from ``begin``).

    A repetition starts when the attempt leaves the reference's first pose and ends when
    it reaches the last: attempt frames aligned with the first reference frame before the
    last of them are someone waiting to start, those aligned with the last reference frame
    after the first of them someone done; both are rest.
    """
    last_row = steps[:, 0].max()
    first = int(steps[steps[:, 0] == 0, 1].max())
    last = int(steps[steps[:, 0] == last_row, 1].min())
    return begin + first, begin + last


def _rows(sequence: PoseSequence, first: int, last: int) -> PoseSequence:
    """Rows ``first`` to ``last`` (inclusive) of a sequence, as a sequence."""
    return PoseSequence(
        sequence.keypoints[first : last + 1],
        sequence.frames[first : last + 1],
        sequence.fps,
        sequence.total,
        sequence.name,
        sequence.track,
    )
