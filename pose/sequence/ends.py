"""Open ends for whole-clip alignment: frames of one clip that fall where the other clip
lacks the person, at its start or end, may be left out of the alignment.

A person may be found later or lost earlier in one clip than in the other (they walk in,
the tracker gives their last frames to someone else, they are hidden). Whole-clip DTW
(:func:`pose.sequence.warping.dtw`) must otherwise pair the other clip's frames of that
time with the first or last pose found, a different moment of the movement, and scores
that mismatch as if the movement differed. Which frames may go is bounded by the clips
themselves: where each frame lies in its clip (frame / frames in the clip), the time
axis the band's diagonal already assumes. A frame of one clip may be left out at the
start when it ends before the other clip's person is first found, at the end when it
starts after that person was last found; the path leaves such a frame out only when it
fits worse than :data:`LEFT_OUT_COST` (beyond the measurement's noise), so a frame that
matches stays scored, and a bad ending where the other clip shows the person is never
hidden.
"""

from __future__ import annotations

import numpy as np

from pose.match import NORMALIZED_TOLERANCE
from pose.sequence.clip import PoseSequence
from pose.sequence.noise import NOISE_FLOOR
from pose.sequence.warping import CLOSED, OpenEnds

# The cost (per left-out frame) above which a frame in the other clip's absence is left
# out: twice the measurement's noise floor (pose.sequence.noise), where a joint stops being
# "the same within the noise" and scores as in the Match tab, as a procrustes RMS distance
# in body sizes; for ``normalized`` costs (1 - similarity / 100) the score of a pose whose
# every joint is that far off.
LEFT_OUT_COST = {
    "procrustes": 2.0 * NOISE_FLOOR,
    "normalized": 2.0 * NOISE_FLOOR / NORMALIZED_TOLERANCE,
}


def _share(frames: np.ndarray, total: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each frame starts and ends in its clip, as shares (0-1) of the clip."""
    frames = np.asarray(frames, dtype=np.float64)
    return frames / total, (frames + 1.0) / total


def _absent(of: PoseSequence, rows: PoseSequence) -> tuple[int, int]:
    """How many of ``rows``' first and last rows fall where ``of``'s person is not yet
    found or no longer found (both as shares of their clips)."""
    if not len(of) or not of.total or not rows.total:
        return 0, 0
    first, last = _share(of.frames[[0, -1]], of.total)
    starts, ends = _share(rows.frames, rows.total)
    return int(np.sum(ends <= first[0])), int(np.sum(starts >= last[1]))


def open_ends(reference: PoseSequence, attempt: PoseSequence, method: str) -> OpenEnds:
    """The rows (reference) and columns (attempt) the alignment may leave out at either
    end (see the module doc); closed for a cost without a bar (``positions``)."""
    cost = LEFT_OUT_COST.get(method)
    if cost is None:
        return CLOSED
    rows_start, rows_end = _absent(attempt, reference)
    columns_start, columns_end = _absent(reference, attempt)
    return OpenEnds(rows_start, rows_end, columns_start, columns_end, cost)
