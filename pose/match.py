"""How alike are two poses? Pure functions over two :class:`pose.types.Pose` objects.

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
    Two 3D poses (:mod:`pose.pose3d`) aligned by the best rotation about any axis, scale
    and translation, scored per joint as ``normalized`` does (the "3d" section below).
    **Invariant to** position, size and the camera's viewpoint.

Joints missing (score 0) in either pose are skipped. Fewer than :data:`MIN_SHARED_JOINTS`
shared joints (or :data:`MIN_SHARED_ANGLES` angles) raise :class:`MatchError` instead of
giving a meaningless number. In the breakdown and in :attr:`Match.joints` the joint names
are those of the first pose (the reference).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from pose.media import InputError
from pose.pose3d import Person3D
from pose.procrustes import fit_similarity
from pose.skeleton import MIRROR, NUM_JOINTS, OPENPOSE_FOR_COCO, Joint
from pose.types import Pose, number_people

# The methods that compare two 2D poses (:class:`pose.types.Pose`).
METHODS: tuple[str, ...] = ("normalized", "oks", "angles", "classic")
DEFAULT_METHOD = "normalized"
# ``3d`` compares two 3D poses (:class:`pose.pose3d.Person3D`); see the "3d" section below.
METHOD_3D = "3d"
ALL_METHODS: tuple[str, ...] = (*METHODS, METHOD_3D)

# With a similarity transform fitted to them, two or three joints can be made to agree
# almost whatever the poses are; four is the least that still says something.
MIN_SHARED_JOINTS = 4
MIN_SHARED_ANGLES = 2
# Default bound on the in-plane rotation alignment: absorbs a tilted camera but keeps a
# person lying down different from one standing up.
DEFAULT_MAX_ROTATION = 30.0

# Robust alignment: refits in which a joint this far off (body sizes) counts half.
ROBUST_SCALE = 0.25
ROBUST_ITERATIONS = 4

# Pixel scale of the original formula.
CLASSIC_SCALE = 200.0
# A joint this far off (in body sizes, see module doc) scores 0 in ``normalized``.
NORMALIZED_TOLERANCE = 0.5
# An angle this far off (degrees) scores 0 in ``angles``.
ANGLE_TOLERANCE = 90.0
# Joints scoring below this (percent) are the ones named and ringed as differing most
# (at most three), by the app and the CLI.
WORST_BELOW = 70.0

# COCO keypoint sigmas (cocoapi, see ../shared/eval/SOURCES.md) in OpenPose-18 order. The
# neck has no COCO sigma: OpenPose's neck is learned from the midpoint of the two
# shoulders, so its uncertainty is that of a shoulder (0.079); we use that.
_COCO_SIGMAS = (0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62,
                1.07, 1.07, 0.87, 0.87, 0.89, 0.89)  # fmt: skip
NECK_SIGMA = 0.079
OKS_SIGMAS = np.full(NUM_JOINTS, NECK_SIGMA, dtype=np.float64)
OKS_SIGMAS[OPENPOSE_FOR_COCO] = np.array(_COCO_SIGMAS) / 10.0

# (vertex, first end, second end): the angle at the vertex between its two limbs.
ANGLES: tuple[tuple[Joint, Joint, Joint], ...] = (
    (Joint.R_ELBOW, Joint.R_SHOULDER, Joint.R_WRIST),
    (Joint.L_ELBOW, Joint.L_SHOULDER, Joint.L_WRIST),
    (Joint.R_SHOULDER, Joint.NECK, Joint.R_ELBOW),
    (Joint.L_SHOULDER, Joint.NECK, Joint.L_ELBOW),
    (Joint.R_HIP, Joint.NECK, Joint.R_KNEE),
    (Joint.L_HIP, Joint.NECK, Joint.L_KNEE),
    (Joint.R_KNEE, Joint.R_HIP, Joint.R_ANKLE),
    (Joint.L_KNEE, Joint.L_HIP, Joint.L_ANKLE),
)

# Verdicts for the similarity, highest first. Calibrated on benchmarks/matching.py: a
# jittered copy of a real pose averages about 89 % (normalized), other poses about 44 %.
VERDICTS: tuple[tuple[float, str], ...] = (
    (85.0, "Same pose"),
    (70.0, "Similar pose"),
    (50.0, "Somewhat alike"),
    (0.0, "Different pose"),
)

_UNITS = {
    "normalized": "body size",
    "oks": "body size",
    "angles": "degrees",
    "classic": "px",
    METHOD_3D: "body size",
}
_EPS = 1e-9


class MatchError(InputError):
    """Two poses cannot be compared: no person, or too few joints found in both.

    A subclass of :class:`pose.media.InputError` (a ``ValueError``), so the app shows the
    message to the user and the CLI prints it and exits with status 2.
    """


@dataclass(frozen=True)
class JointDifference:
    """How far one joint (or, for ``angles``, the angle at that joint) is off.

    ``difference`` is in the match's unit (pixels, body sizes or degrees); ``score`` is
    that joint's agreement in percent; ``weight`` its weight in the similarity.
    """

    joint: Joint
    difference: float
    score: float
    weight: float

    def to_dict(self) -> dict:
        return {
            "joint": self.joint.label,
            "difference": round(float(self.difference), 4),
            "score": round(float(self.score), 2),
            "weight": round(float(self.weight), 4),
        }


@dataclass(frozen=True)
class Match:
    """The result of comparing two poses.

    ``similarity`` is in percent (0-100); ``joints`` are the joints compared (for
    ``angles``, the joints whose angle was compared), in joint order; ``breakdown`` has
    one entry per joint, worst first; ``mirrored`` says the left/right-swapped second pose
    fitted better; ``rotation`` is the in-plane rotation (degrees) applied to the second
    pose; ``aligned`` is the second pose (mirrored if so) mapped into the first pose's
    pixel frame, for drawing the two on one canvas.
    """

    similarity: float
    method: str
    joints: tuple[Joint, ...]
    breakdown: tuple[JointDifference, ...]
    mirrored: bool = False
    rotation: float = 0.0
    aligned: Pose | None = field(default=None, compare=False, repr=False)

    @property
    def unit(self) -> str:
        return _UNITS[self.method]

    @property
    def verdict(self) -> str:
        return verdict(self.similarity)

    def worst(self, count: int = 3, below: float = 100.0) -> tuple[Joint, ...]:
        """Up to ``count`` worst joints whose score is below ``below`` percent."""
        return tuple(item.joint for item in self.breakdown[:count] if item.score < below)

    def worst_in_second(self, count: int = 3, below: float = 100.0) -> tuple[Joint, ...]:
        """:meth:`worst` named on the second pose's own body: the breakdown names the first
        pose's joints, so when the mirrored second pose fitted better its left is their right."""
        worst = self.worst(count, below)
        return tuple(MIRROR[joint] for joint in worst) if self.mirrored else worst

    def to_dict(self) -> dict:
        """JSON-ready summary: similarity, method, joints, breakdown, mirrored, ..."""
        return {
            "similarity": round(float(self.similarity), 2),
            "method": self.method,
            "verdict": self.verdict,
            "joints": [joint.label for joint in self.joints],
            "mirrored": self.mirrored,
            "rotation_degrees": round(float(self.rotation), 2),
            "unit": self.unit,
            "breakdown": [item.to_dict() for item in self.breakdown],
        }


def verdict(similarity: float) -> str:
    """A few words for a similarity in percent."""
    for floor, words in VERDICTS:
        if similarity >= floor:
            return words
    return VERDICTS[-1][1]


def mirrored(pose: Pose) -> Pose:
    """The left/right-swapped pose: joints relabelled by ``MIRROR`` and x reflected about
    the centre of the pose's bounding box (so it stays in place)."""
    keypoints = pose.keypoints[list(MIRROR)].copy()
    x0, _, x1, _ = pose.bbox()
    visible = keypoints[:, 2] > 0
    keypoints[visible, 0] = (x0 + x1) - keypoints[visible, 0]
    return Pose(keypoints=keypoints, score=pose.score)


def rank_by_size(people: Sequence[Pose]) -> list[Pose]:
    """People in numbering order, largest first (:func:`pose.types.number_people`)."""
    return number_people(people)


def pick_person(people: Sequence[Pose], number: int = 1, image: str = "the image") -> Pose:
    """Person ``number`` (1-based, largest first, see :func:`rank_by_size`).

    Raises :class:`MatchError` when there is no person or no such number.
    """
    if not people:
        raise MatchError(
            f"No person found in {image}. Use a photo where a person's body is clearly "
            "visible, or lower the confidence threshold."
        )
    ranked = rank_by_size(people)
    number = int(number)
    if not 1 <= number <= len(ranked):
        count = len(ranked)
        raise MatchError(
            f"{image[0].upper()}{image[1:]} has {count} {'person' if count == 1 else 'people'}; "
            f"person number must be 1 to {count}, not {number}."
        )
    return ranked[number - 1]


# Automatic choice: the people tried on each side (largest first), so a crowd stays quick.
AUTO_CANDIDATES = 6


@dataclass(frozen=True)
class Pairing:
    """Which person on each side (1-based numbers), their :class:`Match`, and whether
    the pair was chosen automatically (``auto``) rather than given."""

    person1: int
    person2: int
    result: Match
    auto: bool


def choose_pair(
    first: Sequence[Pose],
    second: Sequence[Pose],
    person1: int = 0,
    person2: int = 0,
    method: str = DEFAULT_METHOD,
    mirror: bool = False,
    labels: tuple[str, str] = ("image 1", "image 2"),
    max_rotation: float = DEFAULT_MAX_ROTATION,
) -> Pairing:
    """Match person ``person1`` of ``first`` with ``person2`` of ``second`` (1-based, in
    numbering order); 0 on a side means "the one that matches best".

    With 0, up to :data:`AUTO_CANDIDATES` people of that side are tried and the most similar
    pair wins among the pairs comparing at least half as many joints as the best-covered
    pair (a few shared joints can look alike by chance). Raises :class:`MatchError` for a
    side without people, a number out of range, or when no pair can be compared.
    """
    first, second = rank_by_size(first), rank_by_size(second)
    chosen = []
    for people, number, label in zip((first, second), (person1, person2), labels, strict=True):
        number = int(number)
        if number:
            pick_person(people, number, label)  # the error for a missing person or number
            chosen.append([number])
        else:
            pick_person(people, 1, label)  # the error for a photo without people
            chosen.append(list(range(1, min(len(people), AUTO_CANDIDATES) + 1)))
    tried: list[tuple[int, int, Match]] = []
    first_error: MatchError | None = None
    for one in chosen[0]:
        for two in chosen[1]:
            try:
                result = match(first[one - 1], second[two - 1], method, mirror, max_rotation)
            except MatchError as exc:
                first_error = first_error or exc
                continue
            tried.append((one, two, result))
    if not tried:
        raise first_error or MatchError("No pair of people could be compared.")
    most = max(len(result.joints) for _, _, result in tried)
    covered = [item for item in tried if 2 * len(item[2].joints) >= most]
    one, two, result = max(covered, key=lambda item: (item[2].similarity, -item[0] - item[1]))
    auto = len(chosen[0]) > 1 or len(chosen[1]) > 1
    return Pairing(person1=one, person2=two, result=result, auto=auto)


def person_at(people: Sequence[Pose], x: float, y: float) -> int | None:
    """The number (1-based) of the person nearest to pixel (``x``, ``y``): the one with a
    found joint closest to it. ``None`` when nobody has a found joint."""
    best, nearest = None, math.inf
    for number, person in enumerate(people, start=1):
        points = person.keypoints[person.visible, :2]
        if not len(points):
            continue
        distance = float(np.min(np.hypot(points[:, 0] - x, points[:, 1] - y)))
        if distance < nearest:
            best, nearest = number, distance
    return best


def match(
    first: Pose | Person3D,
    second: Pose | Person3D,
    method: str = DEFAULT_METHOD,
    mirror: bool = False,
    max_rotation: float = DEFAULT_MAX_ROTATION,
) -> Match:
    """Compare ``second`` with ``first`` (the reference) by ``method`` (see module doc).

    The 2D methods take two :class:`Pose`; ``"3d"`` takes two :class:`pose.pose3d.Person3D`
    (:func:`pose.pose3d.lift` makes them) and ignores ``max_rotation``: any rotation is
    allowed, which is what makes it viewpoint-invariant (the "3d" section below).

    ``mirror=True`` also tries the left/right-swapped ``second`` and keeps the better fit
    (``Match.mirrored`` says which). ``max_rotation`` (degrees, 0-180) bounds the in-plane
    rotation alignment of ``normalized`` and ``oks``; 0 turns it off.
    Raises :class:`MatchError` when the poses share too few joints, ``ValueError`` for an
    unknown method.
    """
    if method not in ALL_METHODS:
        raise ValueError(f"Unknown method {method!r}: use one of {', '.join(ALL_METHODS)}.")
    if method == METHOD_3D:
        return match_people3d(first, second, mirror)
    if not (isinstance(first, Pose) and isinstance(second, Pose)):
        raise ValueError(f"The {method} method compares two 2D poses (pose.types.Pose).")
    if not 0.0 <= max_rotation <= 180.0:
        raise ValueError(f"max_rotation must be 0 to 180 degrees, not {max_rotation}.")
    result = _match_one(first, second, method, max_rotation)
    if not mirror:
        return result
    return _better_of_mirrored(
        result, lambda: _match_one(first, mirrored(second), method, max_rotation)
    )


def _better_of_mirrored(result: Match, match_mirrored: Callable[[], Match]) -> Match:
    """``result``, or the match of the left/right-swapped second pose (``match_mirrored``)
    marked ``mirrored`` when it scores higher."""
    try:
        swapped = match_mirrored()
    except MatchError:  # the swapped pose shares too few joints: the plain match stands
        return result
    return replace(swapped, mirrored=True) if swapped.similarity > result.similarity else result


def _match_one(first: Pose, second: Pose, method: str, max_rotation: float) -> Match:
    if method == "angles":
        return _match_angles(first, second)
    shared = _shared_joints(first, second)
    if method == "classic":
        return _match_classic(first, second, shared)
    alignment = _align(first, second, shared, max_rotation)
    if method == "oks":
        return _match_oks(first, second, shared, alignment)
    return _match_normalized(first, second, shared, alignment)


def _shared_joints(first: Pose, second: Pose) -> np.ndarray:
    shared = np.flatnonzero(first.visible & second.visible)
    if len(shared) < MIN_SHARED_JOINTS:
        names = ", ".join(Joint(index).label for index in shared) or "none"
        raise MatchError(
            f"Only {len(shared)} joints were found in both poses ({names}); matching needs at "
            f"least {MIN_SHARED_JOINTS}. Use photos where more of the body is visible."
        )
    return shared


def _weights(first: Pose, second: Pose, joints: np.ndarray) -> np.ndarray:
    """Geometric mean of the two confidences: a joint counts only as much as its less
    certain side allows, without squaring small confidences away."""
    return np.sqrt(first.keypoints[joints, 2] * second.keypoints[joints, 2]).astype(np.float64)


@dataclass(frozen=True)
class _Alignment:
    """Both poses' shared joints in a common frame: centred, unit body size, second rotated."""

    first: np.ndarray  # (n, 2)
    second: np.ndarray  # (n, 2)
    weights: np.ndarray  # (n,)
    rotation: float  # degrees applied to the second
    aligned: Pose  # the whole second pose in the first's pixel frame


def _fit_similarity(
    first_xy: np.ndarray,
    second_xy: np.ndarray,
    weights: np.ndarray,
    max_rotation: float,
    iterations: int = ROBUST_ITERATIONS,
) -> tuple[np.ndarray, ...]:
    """Weighted robust Procrustes of second poses onto first poses, many pairs at once.

    ``first_xy`` and ``second_xy`` are joint positions (..., n, 2), ``weights`` (..., n)
    (0 leaves a joint out); leading dimensions broadcast, so (N, 1, n, 2) against
    (1, M, n, 2) fits every pair. Each pose is centred on the weighted centroid and divided
    by its body size (weighted RMS distance from it); the second is rotated onto the first
    by at most ``max_rotation`` degrees. Then ``iterations`` refits in which joints far off
    count less (Cauchy weights, :data:`ROBUST_SCALE`), so one raised arm does not drag the
    torso out of line and the breakdown shows the arm alone.

    Returns ``(p, q, angle, first_centre, first_size, second_centre, second_size)``: p, q
    (..., n, 2) in body sizes with q rotated onto p; angle (...) in radians; centres
    (..., 2); sizes (...). A size is 0 (and p, q are not finite) where a pose's weighted
    joints lie on one point or all its weights are 0: callers check.
    """
    bound = math.radians(max_rotation)
    fit = weights
    with np.errstate(divide="ignore", invalid="ignore"):
        for iteration in range(iterations + 1):
            total = fit.sum(axis=-1)[..., None]
            first_centre = (fit[..., None] * first_xy).sum(axis=-2) / total
            second_centre = (fit[..., None] * second_xy).sum(axis=-2) / total
            p = first_xy - first_centre[..., None, :]
            q = second_xy - second_centre[..., None, :]
            first_size = np.sqrt((fit * (p * p).sum(axis=-1)).sum(axis=-1) / total[..., 0])
            second_size = np.sqrt((fit * (q * q).sum(axis=-1)).sum(axis=-1) / total[..., 0])
            p = p / first_size[..., None, None]
            q = q / second_size[..., None, None]
            # In 2-D the weighted Kabsch rotation has a closed form: maximise
            # cos(t) * sum(w p.q) + sin(t) * sum(w p x q); bounding t keeps the optimum on
            # the boundary because that objective is unimodal in t.
            dot = (fit * (p * q).sum(axis=-1)).sum(axis=-1)
            cross = (fit * (p[..., 1] * q[..., 0] - p[..., 0] * q[..., 1])).sum(axis=-1)
            angle = np.clip(np.arctan2(cross, dot), -bound, bound)
            cos, sin = np.cos(angle)[..., None], np.sin(angle)[..., None]
            # Row vectors: q @ [[cos, sin], [-sin, cos]] turns q by the angle.
            q = np.stack(
                [q[..., 0] * cos - q[..., 1] * sin, q[..., 0] * sin + q[..., 1] * cos], axis=-1
            )
            if iteration < iterations:
                residuals = np.linalg.norm(p - q, axis=-1)
                fit = weights / (1.0 + (residuals / ROBUST_SCALE) ** 2)
    return p, q, angle, first_centre, first_size, second_centre, second_size


def _align(first: Pose, second: Pose, shared: np.ndarray, max_rotation: float) -> _Alignment:
    """Weighted robust Procrustes of the second pose onto the first on their shared joints
    (:func:`_fit_similarity`)."""
    weights = _weights(first, second, shared)
    if weights.sum() <= _EPS:
        raise MatchError("The joints found in both poses all have zero confidence.")
    first_xy = first.keypoints[shared, :2].astype(np.float64)
    second_xy = second.keypoints[shared, :2].astype(np.float64)
    p, q, angle, first_centre, first_size, second_centre, second_size = _fit_similarity(
        first_xy, second_xy, weights, max_rotation
    )
    first_size, second_size, angle = float(first_size), float(second_size), float(angle)
    if not (first_size > _EPS and second_size > _EPS):
        raise MatchError("The joints found in both poses lie on one point; cannot compare.")
    # The whole second pose (not just shared joints) in the first pose's pixels.
    cos, sin = math.cos(angle), math.sin(angle)
    rotation = np.array([[cos, sin], [-sin, cos]])
    keypoints = second.keypoints.astype(np.float64).copy()
    keypoints[:, :2] = ((keypoints[:, :2] - second_centre) / second_size) @ rotation
    keypoints[:, :2] = keypoints[:, :2] * first_size + first_centre
    keypoints[second.keypoints[:, 2] <= 0, :2] = 0.0
    aligned = Pose(keypoints=keypoints.astype(np.float32), score=second.score)
    return _Alignment(p, q, weights, math.degrees(angle), aligned)


def worst_first(items: list[JointDifference]) -> tuple[JointDifference, ...]:
    return tuple(sorted(items, key=lambda item: (item.score, -item.difference, item.joint)))


def _match_normalized(
    first: Pose, second: Pose, shared: np.ndarray, alignment: _Alignment
) -> Match:
    distances = np.linalg.norm(alignment.first - alignment.second, axis=1)
    scores = 100.0 * np.clip(1.0 - distances / NORMALIZED_TOLERANCE, 0.0, 1.0)
    weights = alignment.weights
    similarity = float(weights @ scores / weights.sum())
    items = [
        JointDifference(Joint(int(j)), float(d), float(s), float(w))
        for j, d, s, w in zip(shared, distances, scores, weights, strict=True)
    ]
    return Match(
        similarity=similarity,
        method="normalized",
        joints=tuple(Joint(int(j)) for j in shared),
        breakdown=worst_first(items),
        rotation=alignment.rotation,
        aligned=alignment.aligned,
    )


def normalized_scores(
    first: np.ndarray,
    second: np.ndarray,
    max_rotation: float = DEFAULT_MAX_ROTATION,
    iterations: int = ROBUST_ITERATIONS,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``normalized`` method for many pose pairs at once, in arrays.

    ``first`` and ``second`` are keypoints (..., 18, 3) whose leading dimensions broadcast:
    (K, 18, 3) against (K, 18, 3) compares K pairs, (N, 1, 18, 3) against (1, M, 18, 3)
    every pair of two sequences. Returns ``(similarity, distances)``: similarity (...) in
    percent, the same number as :func:`match` with ``method="normalized"`` (no mirroring),
    NaN where a pair shares fewer than :data:`MIN_SHARED_JOINTS` joints or cannot be
    aligned; distances (..., 18) in body sizes, NaN for joints not found in both.
    ``iterations`` < :data:`ROBUST_ITERATIONS` trades the robust refits for speed.
    Memory: a few float64 arrays of the broadcast shape (..., 18, 2).
    """
    first = np.asarray(first, dtype=np.float64)
    second = np.asarray(second, dtype=np.float64)
    if first.shape[-2:] != (NUM_JOINTS, 3) or second.shape[-2:] != (NUM_JOINTS, 3):
        raise ValueError(f"keypoints must be (..., 18, 3), got {first.shape}, {second.shape}")
    shared = (first[..., 2] > 0) & (second[..., 2] > 0)
    weights = np.sqrt(np.where(shared, first[..., 2] * second[..., 2], 0.0))
    p, q, *_, first_size, _, second_size = _fit_similarity(
        first[..., :2], second[..., :2], weights, max_rotation, iterations
    )
    with np.errstate(invalid="ignore"):
        distances = np.where(shared, np.linalg.norm(p - q, axis=-1), np.nan)
        scores = 100.0 * np.clip(1.0 - distances / NORMALIZED_TOLERANCE, 0.0, 1.0)
        total = weights.sum(axis=-1)
        similarity = np.where(shared, weights * scores, 0.0).sum(axis=-1) / total
    usable = (
        (shared.sum(axis=-1) >= MIN_SHARED_JOINTS)
        & (total > _EPS)
        & (first_size > _EPS)
        & (second_size > _EPS)
    )
    return np.where(usable, similarity, np.nan), distances


def _sums(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """(N, J) x (M, J) -> (N, M) sums over J. einsum's own loop rather than BLAS: for such
    thin products OpenBLAS's threads cost 50-100x more than the arithmetic on a busy
    two-core machine (measured: 40 ms against 0.5 ms for 300 x 18 x 300)."""
    return np.einsum("ik,jk->ij", left, right)


def _visible_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(N, J) values -> (N, 1) mean over the joints with a positive weight (0 if none)."""
    found = weights > 0
    return (np.where(found, values, 0.0).sum(axis=1) / np.maximum(found.sum(axis=1), 1))[:, None]


def procrustes_distances(
    first: np.ndarray, second: np.ndarray, max_rotation: float = DEFAULT_MAX_ROTATION
) -> np.ndarray:
    """Every pose of ``first`` (N, 18, 3) against every pose of ``second`` (M, 18, 3):
    the weighted RMS distance of their joints, in body sizes, after the alignment of
    :func:`_fit_similarity` without its robust refits. Returns (N, M); NaN where a pair
    shares fewer than :data:`MIN_SHARED_JOINTS` joints or cannot be aligned.

    The same centring, body size, bounded rotation and weights as the ``normalized``
    method, in closed form: with w = sqrt(c1 c2) the weight of a joint found in both, every
    weighted sum over joints is a product of an (N, 18) and an (18, M) matrix, and the mean
    squared distance after the best rotation t is 2 - 2 (dot cos t + cross sin t) / sum w,
    since each pose has unit weighted spread. So a whole matrix costs a dozen matrix
    products, O(N M 18), instead of N M calls; distances lie in [0, 2].
    """
    first = np.asarray(first, dtype=np.float64)
    second = np.asarray(second, dtype=np.float64)
    if first.shape[1:] != (NUM_JOINTS, 3) or second.shape[1:] != (NUM_JOINTS, 3):
        raise ValueError(f"keypoints must be (N, 18, 3), got {first.shape}, {second.shape}")
    a = np.sqrt(np.clip(first[:, :, 2], 0.0, None))  # (N, 18)
    b = np.sqrt(np.clip(second[:, :, 2], 0.0, None))  # (M, 18)
    # Coordinates of missing joints are meaningless: zero them so 0 * NaN cannot appear.
    # Each pose is first moved near the origin (the result ignores position anyway) so the
    # variances below, differences of large sums, keep their precision.
    px, py, qx, qy = (
        np.where(w > 0, points[:, :, k] - _visible_mean(points[:, :, k], w), 0.0)
        for points, w in ((first, a), (second, b))
        for k in (0, 1)
    )
    total = _sums(a, b)
    count = _sums((a > 0).astype(np.float64), (b > 0).astype(np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        first_x, first_y = _sums(a * px, b) / total, _sums(a * py, b) / total
        second_x, second_y = _sums(a, b * qx) / total, _sums(a, b * qy) / total
        first_var = _sums(a * (px**2 + py**2), b) / total - first_x**2 - first_y**2
        second_var = _sums(a, b * (qx**2 + qy**2)) / total - second_x**2 - second_y**2
        dot = _sums(a * px, b * qx) + _sums(a * py, b * qy)
        dot -= total * (first_x * second_x + first_y * second_y)
        cross = _sums(a * py, b * qx) - _sums(a * px, b * qy)
        cross -= total * (first_y * second_x - first_x * second_y)
        sizes = np.sqrt(np.clip(first_var, 0.0, None) * np.clip(second_var, 0.0, None))
        bound = math.radians(max_rotation)
        angle = np.clip(np.arctan2(cross, dot), -bound, bound)
        agreement = (dot * np.cos(angle) + cross * np.sin(angle)) / (sizes * total)
        distance = np.sqrt(np.clip(2.0 - 2.0 * agreement, 0.0, None))
    usable = (count >= MIN_SHARED_JOINTS) & (total > _EPS)
    usable &= (first_var > _EPS**2) & (second_var > _EPS**2)
    return np.where(usable, distance, np.nan)


def _match_oks(first: Pose, second: Pose, shared: np.ndarray, alignment: _Alignment) -> Match:
    distances = np.linalg.norm(alignment.first - alignment.second, axis=1)
    both = np.vstack([alignment.first, alignment.second])
    extent = both.max(axis=0) - both.min(axis=0)
    area = max(float(extent[0] * extent[1]), _EPS)
    k = 2.0 * OKS_SIGMAS[shared]
    per_joint = np.exp(-(distances**2) / (2.0 * area * k**2))
    scores = 100.0 * per_joint
    items = [
        JointDifference(Joint(int(j)), float(d), float(s), 1.0)
        for j, d, s in zip(shared, distances, scores, strict=True)
    ]
    return Match(
        similarity=float(scores.mean()),
        method="oks",
        joints=tuple(Joint(int(j)) for j in shared),
        breakdown=worst_first(items),
        rotation=alignment.rotation,
        aligned=alignment.aligned,
    )


def _match_classic(first: Pose, second: Pose, shared: np.ndarray) -> Match:
    first_xy = first.keypoints[shared, :2].astype(np.float64)
    second_xy = second.keypoints[shared, :2].astype(np.float64)
    distances = np.linalg.norm(first_xy - second_xy, axis=1)
    scores = 100.0 * np.clip(1.0 - distances / CLASSIC_SCALE, 0.0, 1.0)
    similarity = max(0.0, 100.0 * (1.0 - float(distances.mean()) / CLASSIC_SCALE))
    items = [
        JointDifference(Joint(int(j)), float(d), float(s), 1.0)
        for j, d, s in zip(shared, distances, scores, strict=True)
    ]
    return Match(
        similarity=similarity,
        method="classic",
        joints=tuple(Joint(int(j)) for j in shared),
        breakdown=worst_first(items),
        aligned=second,
    )


def joint_angles(pose: Pose) -> dict[Joint, float]:
    """Signed angle in degrees (-180, 180] at each vertex of :data:`ANGLES` whose three
    joints were found, from the first limb to the second (image axes, y down)."""
    angles = {}
    points = pose.keypoints.astype(np.float64)
    for vertex, start, end in ANGLES:
        if min(points[vertex, 2], points[start, 2], points[end, 2]) <= 0:
            continue
        a = points[start, :2] - points[vertex, :2]
        b = points[end, :2] - points[vertex, :2]
        if np.hypot(*a) <= _EPS or np.hypot(*b) <= _EPS:
            continue  # a zero-length limb has no direction
        cross = a[0] * b[1] - a[1] * b[0]
        angles[vertex] = math.degrees(math.atan2(cross, float(a @ b)))
    return angles


def _match_angles(first: Pose, second: Pose) -> Match:
    first_angles = joint_angles(first)
    second_angles = joint_angles(second)
    vertices = [
        vertex for vertex, _, _ in ANGLES if vertex in first_angles and vertex in second_angles
    ]
    if len(vertices) < MIN_SHARED_ANGLES:
        names = ", ".join(vertex.label for vertex in vertices) or "none"
        raise MatchError(
            f"Only {len(vertices)} joint angles could be measured in both poses ({names}); "
            f"the angles method needs at least {MIN_SHARED_ANGLES} (elbows, shoulders, hips, "
            "knees with both neighbours found). Use photos where more of the body is visible."
        )
    items = []
    for vertex, start, end in ANGLES:
        if vertex not in vertices:
            continue
        difference = abs((first_angles[vertex] - second_angles[vertex] + 180.0) % 360.0 - 180.0)
        trio = [vertex, start, end]
        weight = float(np.sqrt(first.keypoints[trio, 2].min() * second.keypoints[trio, 2].min()))
        score = 100.0 * max(0.0, 1.0 - difference / ANGLE_TOLERANCE)
        items.append(JointDifference(vertex, difference, score, weight))
    weights = np.array([item.weight for item in items])
    scores = np.array([item.score for item in items])
    # Every weight is positive: the three joints of each angle were found in both poses.
    similarity = float(weights @ scores / weights.sum())
    # Angles ignore rotation, so draw the second pose fully rotated onto the first.
    aligned = None
    shared = np.flatnonzero(first.visible & second.visible)
    if len(shared) >= 2:
        try:
            aligned = _align(first, second, shared, 180.0).aligned
        except MatchError:
            aligned = None
    return Match(
        similarity=similarity,
        method="angles",
        joints=tuple(sorted(vertices)),
        breakdown=worst_first(items),
        aligned=aligned,
    )


# --------------------------------------------------------------------------------- 3d
# Two people's 3D joints (pose.pose3d.Person3D.joints, (18, 4): x, y, z metres, visibility)
# compared after the best rotation about any axis, so the score does not depend on where
# each camera stood. Joints seen (visibility at least MIN_VISIBILITY_3D) in both are centred
# on their weighted centroid and scaled to unit body size (weighted RMS distance from it),
# then the second is turned onto the first by the weighted Kabsch rotation, refitted with
# less weight on joints far off as ``normalized`` does in 2D. Each joint scores
# ``1 - distance / TOLERANCE_3D``; the similarity is the weighted mean. Not invariant to the
# 3D model's own errors: its depth is a guess from one photo (docs/pose3d.md).

# A joint the model gives less visibility than this in either pose is left out: BlazePose
# still places hidden joints, but those places are guesses.
MIN_VISIBILITY_3D = 0.3
# Same tolerance as ``normalized``: half a body size off scores 0 (body size here is the
# RMS distance in 3D, which for an upright person facing the camera is close to 2D's).
TOLERANCE_3D = NORMALIZED_TOLERANCE


def mirrored_joints3d(joints: np.ndarray) -> np.ndarray:
    """(18, 4) -> the left/right-swapped pose: sides relabelled by ``MIRROR`` and x negated
    (the origin, between the hips, stays put)."""
    out = np.asarray(joints, dtype=np.float64)[list(MIRROR)].copy()
    out[:, 0] = -out[:, 0]
    return out


def _normalise_3d(points: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    centre = weights @ points / weights.sum()
    size = math.sqrt(float(weights @ ((points - centre) ** 2).sum(axis=1)) / weights.sum())
    if size <= _EPS:
        raise MatchError("The joints seen in both poses lie on one point; cannot compare.")
    return (points - centre) / size, centre, size


def match_joints3d(
    first: np.ndarray,
    second: np.ndarray,
    mirror: bool = False,
    first_pixels: Pose | None = None,
) -> Match:
    """Compare ``second`` with ``first`` (the reference), both (18, 4) OpenPose-ordered 3D
    joints (x, y, z metres, visibility in [0, 1]).

    ``mirror`` also tries the left/right-swapped second pose and keeps the better fit.
    ``first_pixels`` (the first person's 2D joints, OpenPose-18 in image pixels) lets the
    result carry the aligned second pose drawn into the first's image (``Match.aligned``).
    Raises :class:`MatchError` when fewer than ``MIN_SHARED_JOINTS`` joints are seen in both.
    """
    first = np.asarray(first, dtype=np.float64)
    second = np.asarray(second, dtype=np.float64)
    for name, joints in (("first", first), ("second", second)):
        if joints.shape != (NUM_JOINTS, 4):
            raise ValueError(f"{name} pose must be (18, 4) 3D joints, got {joints.shape}")
    result = _match_one_3d(first, second, first_pixels)
    if not mirror:
        return result
    return _better_of_mirrored(
        result, lambda: _match_one_3d(first, mirrored_joints3d(second), first_pixels)
    )


def _match_one_3d(first: np.ndarray, second: np.ndarray, first_pixels: Pose | None) -> Match:
    seen = (first[:, 3] >= MIN_VISIBILITY_3D) & (second[:, 3] >= MIN_VISIBILITY_3D)
    shared = np.flatnonzero(seen)
    if len(shared) < MIN_SHARED_JOINTS:
        names = ", ".join(Joint(int(j)).label for j in shared) or "none"
        raise MatchError(
            f"Only {len(shared)} joints were seen in both 3D poses ({names}); matching needs "
            f"at least {MIN_SHARED_JOINTS}. Use photos where more of the body is visible."
        )
    weights = np.sqrt(first[shared, 3] * second[shared, 3])
    fit = weights
    for iteration in range(ROBUST_ITERATIONS + 1):
        p, first_centre, first_size = _normalise_3d(first[shared, :3], fit)
        q, second_centre, second_size = _normalise_3d(second[shared, :3], fit)
        # Only the rotation is used: sizes were equalised above, symmetrically.
        rotation = fit_similarity(q, p, fit).rotation
        q = q @ rotation.T
        if iteration < ROBUST_ITERATIONS:
            residuals = np.linalg.norm(p - q, axis=1)
            fit = weights / (1.0 + (residuals / ROBUST_SCALE) ** 2)
    distances = np.linalg.norm(p - q, axis=1)
    scores = 100.0 * np.clip(1.0 - distances / TOLERANCE_3D, 0.0, 1.0)
    similarity = float(weights @ scores / weights.sum())
    items = [
        JointDifference(Joint(int(j)), float(d), float(s), float(w))
        for j, d, s, w in zip(shared, distances, scores, weights, strict=True)
    ]
    angle = math.degrees(math.acos(min(1.0, max(-1.0, (float(np.trace(rotation)) - 1) / 2))))
    aligned = None
    if first_pixels is not None:
        # The whole second pose in the first's metres, then drawn as the first person is.
        whole = ((second[:, :3] - second_centre) / second_size) @ rotation.T
        whole = whole * first_size + first_centre
        aligned = project_like(first, first_pixels, whole, second[:, 3])
    return Match(
        similarity=similarity,
        method=METHOD_3D,
        joints=tuple(Joint(int(j)) for j in shared),
        breakdown=worst_first(items),
        rotation=angle,
        aligned=aligned,
    )


def project_like(
    reference: np.ndarray, pixels: Pose, points: np.ndarray, visibility: np.ndarray
) -> Pose | None:
    """Draw 3D ``points`` (18, 3) into the image of ``reference`` (18, 4): the scale and
    offset that take the reference's x, y (metres) to its 2D joints ``pixels`` (an
    orthographic camera, fitted on the joints found in both) applied to ``points``."""
    found = (pixels.keypoints[:, 2] > 0) & (reference[:, 3] >= MIN_VISIBILITY_3D)
    if found.sum() < 2:
        return None
    source = reference[found, :2]
    target = pixels.keypoints[found, :2].astype(np.float64)
    source_centre, target_centre = source.mean(axis=0), target.mean(axis=0)
    spread = float(((source - source_centre) ** 2).sum())
    if spread <= _EPS:
        return None
    scale = float(((source - source_centre) * (target - target_centre)).sum()) / spread
    xy = (points[:, :2] - source_centre) * scale + target_centre
    keypoints = np.column_stack([xy, np.where(visibility >= MIN_VISIBILITY_3D, visibility, 0.0)])
    keypoints[keypoints[:, 2] <= 0, :2] = 0.0
    return Pose(keypoints=keypoints.astype(np.float32), score=pixels.score)


def match_people3d(first: Person3D, second: Person3D, mirror: bool = False) -> Match:
    """:func:`match_joints3d` for two lifted people (:func:`pose.pose3d.lift`); the aligned
    second pose is drawn into the first person's image."""
    if not (isinstance(first, Person3D) and isinstance(second, Person3D)):
        raise ValueError(
            "The 3d method compares two 3D poses: lift both people first "
            "(pose.pose3d.lift; on the command line, --method 3d does)."
        )
    return match_joints3d(first.joints, second.joints, mirror, first.pixels)
