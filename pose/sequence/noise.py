"""The measurement's own noise, allowed for when two movements are scored.

The same frame run through the video path twice does not give the same pose: the region
path's windows and the One Euro filter depend on the frames before, so a pixel-identical
copy of a clip, warped in time, comes back with every joint a little elsewhere (on
street.avi's people, half the joints of exactly matching frames are 0.02-0.04 body sizes
apart, a tenth over 0.1; ``benchmarks/sequence_trust.py``). At the Match tab's tolerance
(a joint 0.5 body sizes off scores 0) that noise alone costs 5-10 points, so the same
movement scored 88-93 %.

Scores over time therefore forgive each joint the larger of two allowances before the
Match tab's tolerance applies (:func:`allowed_scores`):

- :data:`NOISE_FLOOR`, a stated tolerance: the detection noise between two runs over the
  same frames, which no single clip shows (both runs are smooth, each on its own);
- the clips' own jitter (:func:`jitter`): how far each joint of the followed person
  leaves the midpoint of its neighbours in time (frames at most
  :data:`JITTER_SECONDS` apart), a median per joint; for two clips with independent
  noise the expected distance of one pose from its copy is sqrt(2/3) times the root sum
  of the two clips' squared residuals, and :data:`JITTER_FACTOR` of it is allowed. This
  matters for shaky, unsmoothed clips; smoothed 50 fps footage stays under the floor.

A joint off by d body sizes (allowance a, tolerance 0.5) loses nothing up to a, then
2 (d - a) / 0.5, which meets the Match tab's d / 0.5 at 2a; beyond 2a it scores exactly
as in the Match tab. Only joints within twice the noise gain, so a different movement's
joints, off by far more, still score low (the trust benchmark's negative cases: other
people, a reversed or a mirrored movement).
"""

from __future__ import annotations

import numpy as np

from pose.body.skeleton import NUM_JOINTS
from pose.match import NORMALIZED_TOLERANCE, normalized_scores

# A joint this near its counterpart (body sizes) is the same within the detection noise.
NOISE_FLOOR = 0.06
# Neighbours further apart in time than this say more about motion than about noise.
JITTER_SECONDS = 0.1
# The allowance from a clip's jitter: this many times the expected noise distance.
JITTER_FACTOR = 2.0
# Never forgive more than this share of the tolerance.
MAX_ALLOWANCE = 0.4 * NORMALIZED_TOLERANCE


def jitter(keypoints: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Per joint (18,), in body sizes: the median distance of a joint from the midpoint of
    its two neighbours in time (all three within :data:`JITTER_SECONDS`), after removing
    position, size and tilt; 0 where never measured. ``keypoints`` (T, 18, 3), ``times``
    (T,) seconds."""
    points = np.asarray(keypoints, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    out = np.zeros(NUM_JOINTS)
    if len(points) < 3:
        return out
    before, middle, after = points[:-2], points[1:-1], points[2:]
    close = (times[2:] - times[:-2]) <= 2 * JITTER_SECONDS
    if not close.any():
        return out
    between = (before + after) / 2.0
    found = (before[..., 2] > 0) & (after[..., 2] > 0)
    between[..., 2] = np.where(found, np.minimum(before[..., 2], after[..., 2]), 0.0)
    _, distances = normalized_scores(middle[close], between[close])
    measured = np.isfinite(distances).any(axis=0)
    out[measured] = np.nanmedian(distances[:, measured], axis=0)
    return out


def allowance(
    first: np.ndarray, first_times: np.ndarray, second: np.ndarray, second_times: np.ndarray
) -> np.ndarray:
    """Per joint (18,), in body sizes: the distance two clips' poses of one joint may be
    apart and still count as the same (see the module doc)."""
    own = np.sqrt(2.0 / 3.0 * (jitter(first, first_times) ** 2 + jitter(second, second_times) ** 2))
    return np.clip(JITTER_FACTOR * own, NOISE_FLOOR, MAX_ALLOWANCE)


def allowed_scores(
    first: np.ndarray, second: np.ndarray, distances: np.ndarray, allowed: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Scores of pose pairs with ``allowed`` (18,) body sizes forgiven per joint.

    ``first``, ``second`` (K, 18, 3) the pairs' keypoints; ``distances`` (K, 18) their
    joints' distances in body sizes after alignment (NaN where not in both, as
    :func:`pose.match.normalized_scores` gives them). Returns (similarity (K,) percent,
    the confidence-weighted mean as in the Match tab, NaN where the pair was not scored;
    joint scores (K, 18) percent, NaN where a joint is not in both)."""
    allowed = np.broadcast_to(np.asarray(allowed, dtype=np.float64), (NUM_JOINTS,))
    with np.errstate(invalid="ignore"):
        # Within the allowance a joint loses nothing; from there its loss climbs twice as
        # steeply and meets the Match tab's line at twice the allowance, beyond which a
        # joint scores exactly as in the Match tab (a different movement stays different).
        knee = 2.0 * np.clip(distances - allowed, 0.0, None)
        loss = np.where(distances >= 2.0 * allowed, distances, knee) / NORMALIZED_TOLERANCE
        joint = 100.0 * np.clip(1.0 - loss, 0.0, 1.0)
        weights = np.sqrt(np.clip(first[..., 2] * second[..., 2], 0.0, None))
        weights = np.where(np.isfinite(joint), weights, 0.0)
        total = weights.sum(axis=-1)
        similarity = np.where(weights > 0, weights * joint, 0.0).sum(axis=-1) / total
    return similarity, joint
