"""The plausibility check: no skeleton joined from two bodies.

A bottom-up decoder (:mod:`pose.photo.paf`) chains joints along limbs it scores from the network's
fields; in a crowd a limb can run from one person to another (the knee of a man in front to
the ankle of a woman behind him, the neck of one to the nose of another), and the joined
skeleton, being large, becomes person 1. Such a limb is far longer than the rest of the
skeleton allows: each limb is at most a known share of a person's height (a limb seen at an
angle only looks shorter), so every limb gives a lower bound on the height, and a limb many
times longer than the height the other limbs give cannot belong with them.

:func:`check_people` cuts those limbs, splits the skeleton into the parts still joined, keeps
the parts with enough joints as people of their own and drops the rest. Skeletons with no
such limb are returned as they are (the same objects). Pure NumPy; all people of an image
are measured in one batch, and only the rare implausible ones go through the per-person
split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pose.body.skeleton import LIMBS, NUM_JOINTS, Joint
from pose.body.types import Pose

J = Joint
# The most each limb of LIMBS (same order) spans, as a share of standing height: typical
# adult proportions (anthropometric tables) rounded up, so a real limb seen whole gives a
# height at or below the person's. Neck -> hip runs to the side of the pelvis; the face
# limbs allow a head turned sideways.
_MAX_SHARE = {
    (J.NECK, J.R_SHOULDER): 0.13, (J.NECK, J.L_SHOULDER): 0.13,
    (J.R_SHOULDER, J.R_ELBOW): 0.19, (J.R_ELBOW, J.R_WRIST): 0.155,
    (J.L_SHOULDER, J.L_ELBOW): 0.19, (J.L_ELBOW, J.L_WRIST): 0.155,
    (J.NECK, J.R_HIP): 0.32, (J.R_HIP, J.R_KNEE): 0.25, (J.R_KNEE, J.R_ANKLE): 0.25,
    (J.NECK, J.L_HIP): 0.32, (J.L_HIP, J.L_KNEE): 0.25, (J.L_KNEE, J.L_ANKLE): 0.25,
    (J.NECK, J.NOSE): 0.11, (J.NOSE, J.R_EYE): 0.025, (J.R_EYE, J.R_EAR): 0.05,
    (J.NOSE, J.L_EYE): 0.025, (J.L_EYE, J.L_EAR): 0.05,
    (J.R_SHOULDER, J.R_EAR): 0.15, (J.L_SHOULDER, J.L_EAR): 0.15,
}  # fmt: skip
# The decoder links both hips (and both shoulders) through the neck only: once a joined neck
# is cut off, the hips of one pelvis would fall apart into two legs. These two bridges keep
# them together when they are close enough to be one body's (they are checked as limbs are).
BRIDGES = ((J.R_HIP, J.L_HIP, 0.20), (J.R_SHOULDER, J.L_SHOULDER, 0.26))
# Every edge checked: the decoder's limbs (skeleton.LIMBS order), then the bridges.
EDGES: tuple[tuple[Joint, Joint], ...] = LIMBS + tuple((a, b) for a, b, _ in BRIDGES)
_EDGE_A = np.array([int(a) for a, _ in EDGES], dtype=np.intp)
_EDGE_B = np.array([int(b) for _, b in EDGES], dtype=np.intp)
_SHARE = np.array(
    [_MAX_SHARE[limb] for limb in LIMBS] + [share for _, _, share in BRIDGES], dtype=np.float32
)
# Joints of the body proper: a part of a split skeleton must hold enough of these to be a
# person (an arm with an ear, or a head alone, is a piece of someone, not someone).
_BODY = np.array([joint not in (J.NOSE, J.R_EYE, J.L_EYE, J.R_EAR, J.L_EAR) for joint in J])
# Limbs that measure the body's height, by kind (a left limb and its right partner are one
# kind), -1 for the others: the eye and ear limbs are a few pixels long, where one pixel of
# error is a large share; the shoulder -> ear limbs repeat the head chain; the bridges
# shrink when a body turns sideways. A kind gives one height (the longer side's), so the
# two neck -> hip limbs joined to another person's pelvis count as one wrong limb, not two.
_KIND = {
    (J.NECK, J.R_SHOULDER): 0, (J.NECK, J.L_SHOULDER): 0,
    (J.R_SHOULDER, J.R_ELBOW): 1, (J.L_SHOULDER, J.L_ELBOW): 1,
    (J.R_ELBOW, J.R_WRIST): 2, (J.L_ELBOW, J.L_WRIST): 2,
    (J.NECK, J.R_HIP): 3, (J.NECK, J.L_HIP): 3,
    (J.R_HIP, J.R_KNEE): 4, (J.L_HIP, J.L_KNEE): 4,
    (J.R_KNEE, J.R_ANKLE): 5, (J.L_KNEE, J.L_ANKLE): 5,
    (J.NECK, J.NOSE): 6,
}  # fmt: skip
_KINDS = 7
_EDGE_KIND = np.array([_KIND.get(edge, -1) for edge in EDGES], dtype=np.intp)
# (E, K) one-hot: edge e measures kind k.
_MEASURES = (_EDGE_KIND[:, None] == np.arange(_KINDS)[None, :]).astype(np.float32)


@dataclass(frozen=True)
class PlausibleParams:
    """Knobs of :func:`check_people` (defaults measured with ``benchmarks/accuracy.py``).

    ``factor``: a limb is cut when it is longer than ``factor`` times its share of the
    body's height, plus ``slack``. The height is the ``rank``-th largest of the heights the
    kinds of body limb give (rank 2: one joined kind cannot raise it). ``slack``: allowance
    for joint error, in heatmap cells (a peak is placed to about a cell; far-away people are
    a few cells tall). ``min_parts``: parts with fewer joints of the body (neck to ankles,
    the face not counted) are dropped.
    """

    factor: float = 2.5
    rank: int = 2
    slack: float = 1.0
    min_parts: int = 4


DEFAULT_PLAUSIBLE = PlausibleParams()


def limb_lengths(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Length of every edge of every person, and whether both its joints were found.

    keypoints: (P, 18, 3) x, y, score. Returns float32 (P, E) lengths in the keypoints'
    units and bool (P, E), E = 21 edges in the order of :data:`EDGES`.
    """
    points = np.asarray(keypoints, dtype=np.float32)
    found = (points[:, _EDGE_A, 2] > 0) & (points[:, _EDGE_B, 2] > 0)
    delta = points[:, _EDGE_A, :2] - points[:, _EDGE_B, :2]
    return np.sqrt((delta * delta).sum(axis=-1)), found


def body_height(lengths: np.ndarray, found: np.ndarray, rank: int = 2) -> np.ndarray:
    """Each person's height as their body limbs give it: each kind of limb found gives
    length / share (the longer of left and right), and the ``rank``-th largest of these is
    the height; 0 when fewer than ``rank`` kinds are found.

    lengths, found: (P, E) as :func:`limb_lengths` gives. Returns float32 (P,).
    """
    heights = np.where(found, lengths / _SHARE, 0.0).astype(np.float32)  # (P, E)
    if heights.shape[0] == 0:
        return np.zeros(0, dtype=np.float32)
    by_kind = (heights[:, :, None] * _MEASURES[None]).max(axis=1)  # (P, K)
    ordered = -np.sort(-by_kind, axis=1)  # largest first
    return ordered[:, rank - 1]


def implausible_limbs(
    keypoints: np.ndarray, cell: float, params: PlausibleParams = DEFAULT_PLAUSIBLE
) -> np.ndarray:
    """Which edges of each person are too long to belong to the rest of their body.

    keypoints: (P, 18, 3) x, y, score; cell: the heatmap cell's size in the keypoints'
    units (image pixels per cell). Returns bool (P, E), in the order of :data:`EDGES`:
    found edges longer than ``factor`` x share x :func:`body_height` + ``slack`` cells.
    People whose height cannot be measured get no cut.
    """
    lengths, found = limb_lengths(keypoints)
    height = body_height(lengths, found, params.rank)
    allowed = params.factor * _SHARE[None, :] * height[:, None] + params.slack * cell
    return found & (height[:, None] > 0) & (lengths > allowed)


def split_parts(keypoints: np.ndarray, cut: np.ndarray) -> list[np.ndarray]:
    """The parts of one skeleton still joined once the ``cut`` limbs are removed.

    keypoints: (18, 3); cut: bool (E,) over :data:`EDGES`. Two found joints are in one part
    when a chain of found, uncut edges links them. Returns one (18, 3) copy per part, the
    other joints zeroed, largest part first.
    """
    found = keypoints[:, 2] > 0
    parent = list(range(NUM_JOINTS))

    def root(joint: int) -> int:
        while parent[joint] != joint:
            parent[joint] = parent[parent[joint]]
            joint = parent[joint]
        return joint

    for index, (a, b) in enumerate(EDGES):
        if found[a] and found[b] and not cut[index]:
            parent[root(int(a))] = root(int(b))
    labels = np.array([root(joint) if found[joint] else -1 for joint in range(NUM_JOINTS)])
    parts = []
    for label in np.unique(labels[labels >= 0]):
        part = np.zeros_like(keypoints)
        members = labels == label
        part[members] = keypoints[members]
        parts.append(part)
    return sorted(parts, key=lambda part: int((part[:, 2] > 0).sum()), reverse=True)


def _as_person(keypoints: np.ndarray) -> Pose:
    """A part as a person, scored as :func:`pose.photo.paf.decode_multi` scores people: the mean
    confidence of its joints times the share of the 18 joints found."""
    found = keypoints[:, 2] > 0
    score = float(keypoints[found, 2].mean()) * int(found.sum()) / NUM_JOINTS
    return Pose(keypoints=keypoints, score=score)


def check_people(
    people: Sequence[Pose], cell: float, params: PlausibleParams = DEFAULT_PLAUSIBLE
) -> list[Pose]:
    """People whose joints can belong to one body each: implausible skeletons split.

    ``people``: as the decoder gives them; cell: heatmap cell size in their pixels. Each
    skeleton with a limb too long for the rest (:func:`implausible_limbs`) is cut there;
    each part with at least ``min_parts`` joints is checked again (a part may hold a second
    joined limb, hidden by the first) and kept as a person; parts with fewer body joints (a
    head, an arm with an ear) are dropped.
    Plausible people keep their place and identity; parts come where their skeleton was.
    """
    if not people:
        return []
    stacked = np.stack([person.keypoints for person in people])
    cuts = implausible_limbs(stacked, cell, params)
    flagged = cuts[:, : len(LIMBS)].any(axis=1)  # a far bridge alone splits nothing
    if not flagged.any():
        return list(people)
    out: list[Pose] = []
    for person, keypoints, cut, bad in zip(people, stacked, cuts, flagged, strict=True):
        if not bad:
            out.append(person)
            continue
        joints = int((keypoints[:, 2] > 0).sum())
        for part in split_parts(keypoints, cut):
            count = int((part[:, 2] > 0).sum())
            if count == joints:
                # The cut limb closed a loop (shoulder -> ear beside the head chain): nothing
                # came apart, so the skeleton stays as it is.
                out.append(person)
            elif int((part[_BODY, 2] > 0).sum()) >= params.min_parts:
                # Smaller than its skeleton, so this recursion ends.
                out += check_people([_as_person(part)], cell, params)
    return out
