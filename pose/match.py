"""How alike are two poses? Pure functions over two :class:`pose.types.Pose` objects.

Four methods, each returning a :class:`Match` (similarity in percent, the joints used, a
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

Joints missing (score 0) in either pose are skipped. Fewer than :data:`MIN_SHARED_JOINTS`
shared joints (or :data:`MIN_SHARED_ANGLES` angles) raise :class:`MatchError` instead of
giving a meaningless number. In the breakdown and in :attr:`Match.joints` the joint names
are those of the first pose (the reference).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pose.media import InputError
from pose.skeleton import MIRROR, NUM_JOINTS, OPENPOSE_FOR_COCO, Joint
from pose.types import Pose, number_people

METHODS: tuple[str, ...] = ("normalized", "oks", "angles", "classic")
DEFAULT_METHOD = "normalized"

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

_UNITS = {"normalized": "body size", "oks": "body size", "angles": "degrees", "classic": "px"}
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
    first: Pose,
    second: Pose,
    method: str = DEFAULT_METHOD,
    mirror: bool = False,
    max_rotation: float = DEFAULT_MAX_ROTATION,
) -> Match:
    """Compare ``second`` with ``first`` (the reference) by ``method`` (see module doc).

    ``mirror=True`` also tries the left/right-swapped ``second`` and keeps the better fit
    (``Match.mirrored`` says which). ``max_rotation`` (degrees, 0-180) bounds the in-plane
    rotation alignment of ``normalized`` and ``oks``; 0 turns it off.
    Raises :class:`MatchError` when the poses share too few joints, ``ValueError`` for an
    unknown method.
    """
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}: use one of {', '.join(METHODS)}.")
    if not 0.0 <= max_rotation <= 180.0:
        raise ValueError(f"max_rotation must be 0 to 180 degrees, not {max_rotation}.")
    result = _match_one(first, second, method, max_rotation)
    if mirror:
        try:
            swapped = _match_one(first, mirrored(second), method, max_rotation)
        except MatchError:
            swapped = None
        if swapped is not None and swapped.similarity > result.similarity:
            return Match(
                similarity=swapped.similarity,
                method=swapped.method,
                joints=swapped.joints,
                breakdown=swapped.breakdown,
                mirrored=True,
                rotation=swapped.rotation,
                aligned=swapped.aligned,
            )
    return result


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


def _centre_and_size(points: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float]:
    centre = weights @ points / weights.sum()
    size = math.sqrt(float(weights @ ((points - centre) ** 2).sum(axis=1)) / weights.sum())
    return centre, size


def _align(first: Pose, second: Pose, shared: np.ndarray, max_rotation: float) -> _Alignment:
    """Weighted Procrustes of the second pose onto the first on their shared joints.

    Robust: after each fit, joints far off get less say in the next one (Cauchy weights,
    :data:`ROBUST_SCALE`), so one raised arm does not drag the torso out of line and the
    breakdown shows the arm alone.
    """
    weights = _weights(first, second, shared)
    if weights.sum() <= _EPS:
        raise MatchError("The joints found in both poses all have zero confidence.")
    first_xy = first.keypoints[shared, :2].astype(np.float64)
    second_xy = second.keypoints[shared, :2].astype(np.float64)
    bound = math.radians(max_rotation)
    fit = weights
    for iteration in range(ROBUST_ITERATIONS + 1):
        first_centre, first_size = _centre_and_size(first_xy, fit)
        second_centre, second_size = _centre_and_size(second_xy, fit)
        if first_size <= _EPS or second_size <= _EPS:
            raise MatchError("The joints found in both poses lie on one point; cannot compare.")
        p = (first_xy - first_centre) / first_size
        q = (second_xy - second_centre) / second_size
        # In 2-D the weighted Kabsch rotation has a closed form: maximise
        # cos(t) * sum(w p.q) + sin(t) * sum(w p x q); bounding t keeps the optimum on the
        # boundary because that objective is unimodal in t.
        dot = float(fit @ (p * q).sum(axis=1))
        cross = float(fit @ (p[:, 1] * q[:, 0] - p[:, 0] * q[:, 1]))
        angle = min(max(math.atan2(cross, dot), -bound), bound)
        cos, sin = math.cos(angle), math.sin(angle)
        rotation = np.array([[cos, sin], [-sin, cos]])  # row vectors: q @ rotation turns by t
        q = q @ rotation
        if iteration < ROBUST_ITERATIONS:
            residuals = np.linalg.norm(p - q, axis=1)
            fit = weights / (1.0 + (residuals / ROBUST_SCALE) ** 2)
    # The whole second pose (not just shared joints) in the first pose's pixels.
    keypoints = second.keypoints.astype(np.float64).copy()
    keypoints[:, :2] = ((keypoints[:, :2] - second_centre) / second_size) @ rotation
    keypoints[:, :2] = keypoints[:, :2] * first_size + first_centre
    keypoints[second.keypoints[:, 2] <= 0, :2] = 0.0
    aligned = Pose(keypoints=keypoints.astype(np.float32), score=second.score)
    return _Alignment(p, q, weights, math.degrees(angle), aligned)


def _worst_first(items: list[JointDifference]) -> tuple[JointDifference, ...]:
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
        breakdown=_worst_first(items),
        rotation=alignment.rotation,
        aligned=alignment.aligned,
    )


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
        breakdown=_worst_first(items),
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
        breakdown=_worst_first(items),
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
        breakdown=_worst_first(items),
        aligned=aligned,
    )
