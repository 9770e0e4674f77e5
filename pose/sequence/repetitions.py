"""Repetitions of a reference movement in a longer attempt: subsequence DTW cuts the attempt
into repetitions and rest (:func:`segment_repetitions`), each repetition is scored against
the reference (:func:`find_repetitions`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pose.match import DEFAULT_MAX_ROTATION, procrustes_distances
from pose.sequence.clip import MIN_FRAMES, PoseSequence, SequenceError
from pose.sequence.costs import cost_matrix
from pose.sequence.scoring import Moment, compare_sequences

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
# A repetition is called weakest only when it scores below every other by more than the
# measurement's own noise: twice the standard error of the difference (from each score's
# spread over blocks of WEAKEST_BLOCK seconds: neighbouring frames are not independent),
# and at least WEAKEST_MIN_GAP points (identical repetitions through the model differ by
# a few points: their boundaries and detection noise differ).
WEAKEST_BLOCK = 0.2
WEAKEST_MIN_GAP = 3.0


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
    return _traced_back(began, best_until)


def _traced_back(began: np.ndarray, best_until: np.ndarray) -> list[tuple[int, int, float]]:
    """The cheapest cut's repetitions, traced back from the last column: ``began`` (m,) the
    first column of the repetition that ends at each column (-1: none ends there),
    ``best_until`` (m + 1,) the cost of the cheapest cut of the columns before each.
    Returns (first column, last column, mean cost) per repetition, in order."""
    reps = []
    j = len(began) - 1
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
    (the same percent as compare-videos) and the weakest is flagged when it is weaker than
    the others by more than the noise (:func:`weakest_repetition`). No repetition gives a
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
    weakest = weakest_repetition([result for _, _, result in found], attempt.fps)
    reps = tuple(
        Repetition(
            start=int(attempt.frames[begin]),
            end=int(attempt.frames[end]),
            score=result.similarity,
            fps=attempt.fps,
            weakest=number == weakest,
            worst=result.worst[:1],
        )
        for number, (begin, end, result) in enumerate(found)
    )
    return Repetitions(reps, reference, attempt, rest)


def score_noise(step_similarity: np.ndarray, fps: float) -> float:
    """Standard error (percent) of a mean similarity from its per-pair values (K,): the
    spread of the means of blocks of :data:`WEAKEST_BLOCK` seconds over their number."""
    values = step_similarity[np.isfinite(step_similarity)]
    size = max(2, round(WEAKEST_BLOCK * fps))
    blocks = len(values) // size
    if blocks < 2:
        return float(np.std(values)) if len(values) else 0.0
    means = values[: blocks * size].reshape(blocks, size).mean(axis=1)
    return float(np.std(means, ddof=1) / np.sqrt(blocks))


def weakest_repetition(results: list, fps: float) -> int | None:
    """Index of the repetition to flag as weakest, or None: the lowest score, when it is
    below every other by more than the noise (:data:`WEAKEST_MIN_GAP`, twice the standard
    error of the difference of the two scores)."""
    if len(results) < 2:
        return None
    scores = [result.similarity for result in results]
    order = np.argsort(scores, kind="stable")
    low, next_low = int(order[0]), int(order[1])
    noise = np.hypot(
        score_noise(results[low].step_similarity, fps),
        score_noise(results[next_low].step_similarity, fps),
    )
    gap = scores[next_low] - scores[low]
    return low if gap > max(WEAKEST_MIN_GAP, 2.0 * noise) else None


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


def repetitions_of_someone(reference: PoseSequence, readings: list[PoseSequence]) -> Repetitions:
    """:func:`find_repetitions` on each reading of the attempt's person (the followed track,
    the largest in each frame), keeping the one that holds the most repetitions (ties: the
    first, the followed track). Raises the first reading's :class:`SequenceError` when none
    can be counted."""
    best, error = None, None
    for attempt in readings:
        try:
            result = find_repetitions(reference, attempt)
        except SequenceError as exc:
            error = error or exc
            continue
        if best is None or result.count > best.count:
            best = result
    if best is None:
        raise error or SequenceError("No reading of the attempt holds its person.")
    return best
