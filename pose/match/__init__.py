"""How alike are two poses? Pure functions over two :class:`pose.body.types.Pose` objects.

Five methods, each returning a :class:`Match` (similarity in percent, the joints used, a
per-joint breakdown with the worst joints first):

``normalized`` (the default)
    Both poses are centred on the confidence-weighted centroid of the joints found in
    both, scaled to the same size (weighted RMS distance of those joints from the
    centroid, the *body size*), and the second is rotated onto the first (weighted
    Procrustes/Kabsch, refitted with less weight on joints far off so one raised arm does
    not drag the rest out of line) by at most ``max_rotation`` degrees. Each joint scores
    ``1 - distance / NORMALIZED_TOLERANCE`` (distance in body sizes, floored at 0); the
    similarity is the confidence-weighted mean. **Invariant to** position, size and
    in-plane rotation up to ``max_rotation`` (camera tilt); with ``mirror=True`` also to a
    left/right swap. Not invariant to a change of viewpoint (foreshortened limbs).
``oks``
    COCO object keypoint similarity after the same alignment: joint ``i`` scores
    ``exp(-d^2 / (2 s^2 k_i^2))`` with ``k_i = 2 sigma_i`` (COCO's per-keypoint sigmas) and
    ``s^2`` the area of the keypoints' bounding box in the aligned frame; the similarity
    is the plain mean over the joints used, as in COCO. Tolerates larger errors at hips and
    ankles than at the eyes, as human annotators do. Same invariances as ``normalized``.
``angles``
    Agreement of eight signed joint angles (elbows, shoulders, hips, knees); each scores
    ``1 - |difference| / ANGLE_TOLERANCE``. **Invariant to** position, size and any in-plane
    rotation (a pose lying down matches the same pose standing), insensitive to limb
    lengths; with ``mirror=True`` also to a left/right swap.
``classic``
    The original formula, ``100 * (1 - mean pixel distance / 200)`` (floored at 0), kept
    for comparison. **Invariant to nothing**: the same pose elsewhere in the frame or in a
    photo of another size scores lower.
``3d``
    Two 3D poses (:mod:`pose.pose3d.blazepose`) aligned by the best rotation about any axis, scale
    and translation, scored per joint as ``normalized`` does (:mod:`pose.match.match3d`).
    **Invariant to** position, size and the camera's viewpoint.

Joints missing (score 0) in either pose are skipped. Fewer than :data:`MIN_SHARED_JOINTS`
shared joints (or :data:`MIN_SHARED_ANGLES` angles) raise :class:`MatchError` instead of
giving a meaningless number. In the breakdown and in :attr:`Match.joints` the joint names
are those of the first pose (the reference).

The modules, one concern each: :mod:`~pose.match.constants` (method names, shared limits),
:mod:`~pose.match.result` (:class:`Match`, verdicts, :class:`MatchError`),
:mod:`~pose.match.people` (which people to compare), :mod:`~pose.match.align` (the 2D
alignment), :mod:`~pose.match.methods` (``normalized``, ``oks``, ``classic``),
:mod:`~pose.match.angles` (``angles``), :mod:`~pose.match.match3d` (``3d``),
:mod:`~pose.match.arrays` (``normalized`` for many pairs at once) and
:mod:`~pose.match.dispatch` (:func:`match`). Import the names from ``pose.match``.
"""

from __future__ import annotations

# The robust 2D fit, for callers fitting many pose pairs themselves (tests/unit/test_sequence.py).
from pose.match.align import _fit_similarity as _fit_similarity
from pose.match.align import mirrored
from pose.match.angles import ANGLE_TOLERANCE, ANGLES, joint_angles
from pose.match.arrays import normalized_scores, procrustes_distances
from pose.match.constants import (
    ALL_METHODS,
    DEFAULT_MAX_ROTATION,
    DEFAULT_METHOD,
    METHOD_3D,
    METHODS,
    MIN_SHARED_ANGLES,
    MIN_SHARED_JOINTS,
    NORMALIZED_TOLERANCE,
    ROBUST_ITERATIONS,
    ROBUST_SCALE,
)
from pose.match.dispatch import match
from pose.match.match3d import (
    MIN_VISIBILITY_3D,
    TOLERANCE_3D,
    match_joints3d,
    match_people3d,
    mirrored_joints3d,
    project_like,
)
from pose.match.methods import CLASSIC_SCALE, NECK_SIGMA, OKS_SIGMAS
from pose.match.people import (
    AUTO,
    AUTO_CANDIDATES,
    BEST,
    Pairing,
    choose_pair,
    person_at,
    pick_person,
    rank_by_size,
)
from pose.match.result import (
    VERDICTS,
    WORST_BELOW,
    JointDifference,
    Match,
    MatchError,
    verdict,
    worst_first,
)

__all__ = [
    "ALL_METHODS",
    "ANGLES",
    "ANGLE_TOLERANCE",
    "AUTO",
    "AUTO_CANDIDATES",
    "BEST",
    "CLASSIC_SCALE",
    "DEFAULT_MAX_ROTATION",
    "DEFAULT_METHOD",
    "METHODS",
    "METHOD_3D",
    "MIN_SHARED_ANGLES",
    "MIN_SHARED_JOINTS",
    "MIN_VISIBILITY_3D",
    "NECK_SIGMA",
    "NORMALIZED_TOLERANCE",
    "OKS_SIGMAS",
    "ROBUST_ITERATIONS",
    "ROBUST_SCALE",
    "TOLERANCE_3D",
    "VERDICTS",
    "WORST_BELOW",
    "JointDifference",
    "Match",
    "MatchError",
    "Pairing",
    "choose_pair",
    "joint_angles",
    "match",
    "match_joints3d",
    "match_people3d",
    "mirrored",
    "mirrored_joints3d",
    "normalized_scores",
    "person_at",
    "pick_person",
    "procrustes_distances",
    "project_like",
    "rank_by_size",
    "verdict",
    "worst_first",
]
