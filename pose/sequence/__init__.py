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

The modules, one concern each: :mod:`~pose.sequence.clip` (one person through a clip),
:mod:`~pose.sequence.costs` (local costs), :mod:`~pose.sequence.warping` (DTW),
:mod:`~pose.sequence.ends` (open ends of whole-clip alignment),
:mod:`~pose.sequence.scoring` (:func:`compare_sequences`, worst moments) and
:mod:`~pose.sequence.repetitions` (:func:`find_repetitions`). Import the names from
``pose.sequence``.
"""

from __future__ import annotations

from pose.sequence.clip import (
    MIN_COVERAGE,
    MIN_FRAMES,
    PoseSequence,
    SequenceError,
    person_sequence,
)
from pose.sequence.costs import ALIGN_METHODS, DEFAULT_ALIGN, MISSING_COST, cost_matrix
from pose.sequence.repetitions import (
    MAX_REP_SPEED,
    MIN_REP_EXTENT,
    REP_REST_COST,
    REP_STEP_PENALTY,
    REP_STEPS,
    Repetition,
    Repetitions,
    find_repetitions,
    repetitions_of_someone,
    segment_repetitions,
    weakest_repetition,
)
from pose.sequence.scoring import (
    DIFFERENT_BELOW,
    MAX_LENGTH_RATIO,
    WORST_COUNT,
    WORST_SPACING,
    Moment,
    SequenceComparison,
    check_lengths,
    compare_sequences,
)
from pose.sequence.warping import DEFAULT_WINDOW, band, dtw

__all__ = [
    "ALIGN_METHODS",
    "DEFAULT_ALIGN",
    "DEFAULT_WINDOW",
    "DIFFERENT_BELOW",
    "MAX_LENGTH_RATIO",
    "MAX_REP_SPEED",
    "MIN_COVERAGE",
    "MIN_FRAMES",
    "MIN_REP_EXTENT",
    "MISSING_COST",
    "REP_REST_COST",
    "REP_STEPS",
    "REP_STEP_PENALTY",
    "WORST_COUNT",
    "WORST_SPACING",
    "Moment",
    "PoseSequence",
    "Repetition",
    "Repetitions",
    "SequenceComparison",
    "SequenceError",
    "band",
    "check_lengths",
    "compare_sequences",
    "cost_matrix",
    "dtw",
    "find_repetitions",
    "person_sequence",
    "repetitions_of_someone",
    "segment_repetitions",
    "weakest_repetition",
]
