"""A second opinion per person: BlazePose's reading of each person fused with OpenPose's.

OpenPose (bottom-up) finds small people and crowds well, but only upright ones; BlazePose's
detector finds each prominent person whatever way they lie, and its landmark model reads
them from an upright crop. This module decides which crops to read (:func:`plan_crops`)
and fuses the two lists of people (:func:`fuse_people`): people are matched by keypoint
similarity; a matched pair's two readings of each joint are blended, the more confident
weighing more, smoothly (:func:`blend_joints`), and the pair is scored by how well the two
agree (:func:`agreed_score`); people only one model found are kept when confident enough.
Pure NumPy on :class:`pose.body.types.Pose`; :mod:`pose.pose3d.topdown` runs the models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pose.body.skeleton import NUM_JOINTS
from pose.body.types import Pose
from pose.photo.fuse import body_box, person_height, share_inside, similarity
from pose.pose3d.blazepose import Crop, crop_for, upright_crop
from pose.pose3d.detection_decode import Detection
from pose.pose3d.oriented import TURN_STEP


@dataclass(frozen=True)
class FuseOptions:
    """The second opinion's knobs (measured on every set: docs/accuracy.md).

    ``max_people``: landmark runs per photo, largest people first (the cap that keeps a
    crowd from costing one run per person). ``same``: keypoint similarity
    (:func:`pose.photo.fuse.similarity`) from which an OpenPose and a BlazePose person are one.
    ``min_visibility``: BlazePose joints less visible than this are left out. ``joints``:
    "blend" mixes the two readings of a joint continuously and lowers its confidence where
    they disagree (:func:`blend_joints`: a photo and its rescaled copy get the same joints),
    "max" keeps the more confident reading of a joint, "mean" their confidence-weighted
    mean where they agree within a tenth of the person's height (else the more confident),
    "fill" only the joints OpenPose missed. ``blaze_weight``:
    BlazePose's visibility times this is its confidence against OpenPose's heatmap scores
    (BlazePose's joints move about twice as far as OpenPose's between a photo and its 70 %
    copy: 3.8 against 1.9 % of the body's height at the 75th percentile).
    ``keep_alone``: a person only BlazePose found is kept when their landmark model presence
    is at least this. ``min_detection``: the detector's score from which a person gets a
    crop of their own. ``max_turns``: turned readings of the photo by OpenPose at most
    (:func:`pose.pose3d.oriented.turns_to_read`; 0: none), in steps of ``turn_step`` degrees.
    ``crowd_share``: a reading is *crowded* when another OpenPose person has at least this
    share of their found joints inside the reading's body box (:func:`crowding`; above 1:
    never); ``crowded`` says what a crowded reading does to its OpenPose person: "max" (fused
    as any other), "fill" (only the joints OpenPose missed) or "skip" (nothing). A crowded
    reading that matches no one is never a person of its own (0.2: a fifth of a neighbour's
    joints; 0.1-0.35 score alike on every set). ``unsure``: a reading whose landmark model
    presence is under this is treated as crowded too (the model doubts the crop holds a
    person: a noisy detection's crop; 0: never).
    Dark photos (:func:`pose.photo.modes.is_dark`): the detector reads a copy brightened
    straight at ``dark_side`` pixels (long side; averaging that many photo pixels into one
    lowers a low-light frame's noise) with CLAHE ``dark_clahe``, and its people count from
    ``dark_detection``; ``dark_landmarks``: the landmark model reads a brightened copy too.
    ``agreement``: a fused person's score counts each joint both models found as two
    opinions (:func:`agreed_score`), agreeing within this share of the person's height
    (0: the plain :func:`person_score`). ``views``: the landmark model reads each crop
    this many ways and its readings are averaged (:func:`pose.pose3d.topdown.read_views`;
    1: the crop once; 2: 5 % smaller and larger). ``mirror``: each of those reads is also
    made on the mirrored crop and the two averaged (:mod:`pose.pose3d.mirrored`; twice the
    landmark runs; off: on four views it adds nothing measurable, docs/accuracy.md; videos
    read each crop once: :mod:`pose.video.crop_follow`);
    ``mirror_agree``: a landmark the two readings place apart loses visibility (``agree`` of
    :func:`pose.pose3d.mirrored.average_readings`, a share of the crop's side; 0: off);
    ``mirror_zoom``: the mirrored crop's side over the plain one's. ``pass_joints``: how
    OpenPose's passes give a person's joints (:attr:`pose.photo.modes.PhotoOptions.joints`).
    """

    max_people: int = 4
    same: float = 0.3
    min_visibility: float = 0.0
    joints: str = "mean"
    blaze_weight: float = 0.5
    keep_alone: float = 0.5
    min_detection: float = 0.5
    max_turns: int = 1
    turn_step: int = TURN_STEP
    crowd_share: float = 0.2
    crowded: str = "fill"
    dark_side: int = 320
    dark_clahe: float = 0.0
    dark_detection: float = 0.3
    dark_landmarks: bool = True
    agreement: float = 0.1
    views: int = 4
    mirror: bool = False
    mirror_agree: float = 0.0
    mirror_zoom: float = 1.0
    pass_joints: str = "pick"
    unsure: float = 0.1


SECOND_OPINION = FuseOptions()


@dataclass(frozen=True)
class PlannedCrop:
    """A crop to read: the :class:`pose.pose3d.blazepose.Crop`, how far its person is turned
    (degrees counter-clockwise, 0 when unknown), and the OpenPose person it belongs to (index) or
    None for a person only the detector found."""

    crop: Crop
    rotation: float
    person: int | None


def detection_crop(detection: Detection) -> Crop:
    """The crop MediaPipe cuts for a detection: centred on the hips, turned so that key point
    1 points up, :data:`pose.pose3d.detection_decode.ROI_SCALE` times the body's circle."""
    # upright_crop's side is 2 * pose3d.ROI_SCALE * radius: MediaPipe's margin, ROI_SCALE.
    return upright_crop(detection.keypoints[0], detection.keypoints[1], detection.radius)


def covers(detection: Detection, person: Pose) -> float:
    """Share of ``person``'s found joints inside ``detection``'s circle around the body."""
    found = person.keypoints[:, 2] > 0
    if not found.any():
        return 0.0
    distance = np.linalg.norm(person.keypoints[found, :2] - detection.centre, axis=1)
    return float((distance <= detection.radius).mean())


def plan_crops(
    people: Sequence[Pose], detections: Sequence[Detection], options: FuseOptions = SECOND_OPINION
) -> list[PlannedCrop]:
    """The crops to read, largest person first, at most ``options.max_people``.

    Each detection (score >= ``min_detection``) gives a crop, tied to the OpenPose person it
    covers best (most of their joints inside its circle, each person tied once); every
    OpenPose person no detection covers gets the crop :func:`pose.pose3d.blazepose.crop_for`
    cuts from their joints. So a turned person the network missed still gets read, and a
    crowd's small people get read from OpenPose's joints, up to the cap.
    """
    planned: list[tuple[float, PlannedCrop]] = []
    taken: set[int] = set()
    for detection in detections:
        if detection.score < options.min_detection:
            continue
        best, best_share = None, 0.5
        for index, person in enumerate(people):
            share = covers(detection, person)
            if index not in taken and share > best_share:
                best, best_share = index, share
        if best is not None:
            taken.add(best)
        crop = detection_crop(detection)
        planned.append((crop.side, PlannedCrop(crop, detection.rotation, best)))
    for index, person in enumerate(people):
        if index in taken:
            continue
        crop = crop_for(person)
        if crop is not None:
            planned.append((crop.side, PlannedCrop(crop, 0.0, index)))
    planned.sort(key=lambda item: -item[0])
    return [plan for _, plan in planned[: max(options.max_people, 0)]]


def blaze_pose(
    image_landmarks_pose: Pose, min_visibility: float, weight: float = 1.0, threshold: float = 0
) -> Pose:
    """BlazePose's 18 joints (:attr:`pose.pose3d.blazepose.Person3D.pixels`) with joints under
    ``min_visibility`` or ``threshold`` marked missing and confidences times ``weight``
    (capped at 1)."""
    keypoints = image_landmarks_pose.keypoints.copy()
    visibility = keypoints[:, 2]
    keep = (visibility >= max(min_visibility, 1e-6)) & (visibility >= threshold)
    keypoints[:, 2] = np.where(keep, np.minimum(visibility * weight, 1.0), 0.0)
    return Pose(keypoints=keypoints, score=image_landmarks_pose.score)


def person_score(keypoints: np.ndarray) -> float:
    """Mean confidence of the found joints times the share of the 18 found (OpenPose's
    person score, so fused and unfused people rank alike)."""
    found = keypoints[:, 2] > 0
    if not found.any():
        return 0.0
    return float(keypoints[found, 2].mean() * found.sum() / NUM_JOINTS)


def agreed_score(openpose: Pose, reading: Pose, fused: np.ndarray, tolerance: float) -> float:
    """The person score of ``fused`` (18, 3) when two models read the same person: where both
    found a joint, its confidence is the chance that at least one of two independent
    opinions is right, 1 - (1 - c_openpose) (1 - c_blazepose a), ``a`` = exp(-d^2 / (2 (t
    h)^2)) their agreement (d their distance, h the person's height, t ``tolerance``); other
    joints keep their fused confidence. Then :func:`person_score`'s mean times share found.

    So a person both models place alike ranks above one only one model vouches for, or whose
    two readings disagree (a bystander half seen, a skeleton joined from two bodies): AP is
    rank-based, and unlabeled bystanders and false people sink below confirmed people."""
    height = max(person_height(openpose), person_height(reading))
    confidence = fused[:, 2].copy()
    a, b = openpose.keypoints, reading.keypoints
    both = (a[:, 2] > 0) & (b[:, 2] > 0) & (fused[:, 2] > 0)
    if height <= 0 or tolerance <= 0 or not both.any():
        return person_score(fused)
    squared = ((a[both, :2] - b[both, :2]) ** 2).sum(axis=1)
    agree = np.exp(-squared / (2 * (tolerance * height) ** 2))
    confidence[both] = 1 - (1 - a[both, 2]) * (1 - b[both, 2] * agree)
    found = fused[:, 2] > 0
    return float(confidence[found].mean() * found.sum() / NUM_JOINTS)


def fuse_joints(a: Pose, b: Pose, how: str = "blend", agree: float = 0.0) -> Pose:
    """Per joint, the reading of ``a`` or ``b`` (x, y, confidence in both):

    "blend" mixes the two readings continuously (:func:`blend_joints`, ``agree`` its
    scale); "max" keeps the more confident reading; "mean" the confidence-weighted mean of
    the two where both were found within ``agree`` pixels of each other (else the more
    confident); "fill" keeps ``a``'s joints. A joint one model missed comes from the other."""
    if how == "blend":
        return blend_joints(a, b, agree)
    ka, kb = a.keypoints, b.keypoints
    both = (ka[:, 2] > 0) & (kb[:, 2] > 0)
    out = np.where((ka[:, 2] >= kb[:, 2])[:, None], ka, kb)
    if how == "mean":
        close = both & (np.linalg.norm(ka[:, :2] - kb[:, :2], axis=1) <= agree)
        weights = ka[:, 2] / np.maximum(ka[:, 2] + kb[:, 2], 1e-9)
        mean = ka[:, :2] * weights[:, None] + kb[:, :2] * (1 - weights[:, None])
        out[close, :2] = mean[close]
    elif how == "fill":
        return fill_joints(a, b)
    elif how != "max":
        raise ValueError(f"Unknown joint fusion {how!r}: use blend, max, mean or fill.")
    return Pose(keypoints=out, score=person_score(out))


# How sharply the blend favours the more confident reading: a's weight is
# ca^s / (ca^s + cb^s), so equal confidences mix half and half, a confidence twice the
# other's weighs 94 % (s = 4), and no small change of confidence moves a joint far.
BLEND_SHARPNESS = 4.0


def blend_joints(a: Pose, b: Pose, scale: float, sharpness: float = BLEND_SHARPNESS) -> Pose:
    """Two readings of one person (keypoints (18, 3): x, y, confidence) mixed per joint.

    Where both found a joint, its position is the mean of the two weighted by
    confidence^``sharpness``: the weight changes smoothly with the confidences, so a photo
    and its rescaled copy, whose confidences differ a little, get nearly the same joint
    (keeping the more confident reading flipped such a joint from one model's reading to
    the other's, many pixels apart). Its confidence is the larger of the two times how
    well the readings agree, exp(-d² / (2 scale²)) with d their distance (the per-joint
    term of :func:`pose.photo.fuse.similarity`; ``scale``: a tenth of the person's
    height): a joint the two models put apart is uncertain, and counts less when poses
    are compared. A joint one reading missed is the other's, as it was read.
    """
    ka, kb = a.keypoints.astype(np.float64), b.keypoints.astype(np.float64)
    ca, cb = ka[:, 2], kb[:, 2]
    both = (ca > 0) & (cb > 0)
    out = np.where((ca >= cb)[:, None], ka, kb)
    weight_a = ca**sharpness / np.maximum(ca**sharpness + cb**sharpness, 1e-12)
    mixed = ka[:, :2] * weight_a[:, None] + kb[:, :2] * (1.0 - weight_a[:, None])
    apart = np.linalg.norm(ka[:, :2] - kb[:, :2], axis=1)
    agreement = np.exp(-(apart**2) / (2.0 * max(scale, 1e-9) ** 2))
    out[both, :2] = mixed[both]
    out[both, 2] = np.maximum(ca, cb)[both] * agreement[both]
    out = out.astype(np.float32)
    return Pose(keypoints=out, score=person_score(out))


def crowding(reading: Pose, people: Sequence[Pose], own: int | None) -> float:
    """The largest share of any OpenPose person's found joints (``own`` excepted) inside the
    box around ``reading``'s joints: near 0 when the crop held one person, near 1 when a
    second body stands within it (whose joints the landmark model may have read instead)."""
    box = body_box(reading)
    if box is None:
        return 0.0
    shares = [share_inside(person, box) for index, person in enumerate(people) if index != own]
    return max(shares, default=0.0)


def fill_joints(a: Pose, b: Pose) -> Pose:
    """``a`` with the joints it missed taken from ``b``."""
    missing = (a.keypoints[:, 2] <= 0) & (b.keypoints[:, 2] > 0)
    out = a.keypoints.copy()
    out[missing] = b.keypoints[missing]
    return Pose(keypoints=out, score=person_score(out))


def fill_from_crowded(person: Pose, reading: Pose) -> Pose:
    """``person`` (OpenPose's) with the joints it missed taken from a crowded ``reading``
    (:func:`crowding`), but only when ``person`` already has at least half as many found
    joints as the reading: otherwise most of the filled person would be a reading that may
    hold a neighbour's joints, and whether such a reading joins a few found joints of
    someone changes with the photo's scale (a 70 % copy then numbered another person
    largest: docs/matching.md)."""
    if 2 * person.num_visible < reading.num_visible:
        return person
    return fill_joints(person, reading)


def fused_reading(person: Pose, reading: Pose, crowded: bool, options: FuseOptions) -> Pose:
    """OpenPose's ``person`` with BlazePose's ``reading`` of them: fused per joint
    (:func:`fuse_joints`), or, when the reading's crop is ``crowded``, as
    ``options.crowded`` says ("max" fuses all the same, "fill" only fills missing joints,
    otherwise the person is kept as found); scored by how well the two agree when
    ``options.agreement`` is set."""
    fused = person
    height = max(person_height(reading), person_height(person))
    if not crowded or options.crowded == "max":
        fused = fuse_joints(person, reading, options.joints, 0.1 * height)
    elif options.crowded == "fill":
        fused = fill_from_crowded(person, reading)
    if options.agreement > 0:
        keypoints = fused.keypoints
        score = agreed_score(person, reading, keypoints, options.agreement)
        fused = Pose(keypoints=keypoints, score=score)
    return fused


def fuse_people(
    openpose: Sequence[Pose],
    blaze: Sequence[tuple[Pose, float, int | None]],
    options: FuseOptions = SECOND_OPINION,
) -> tuple[list[Pose], list[int | None]]:
    """OpenPose's people and BlazePose's readings (pose, presence, the OpenPose person its
    crop came from or None) -> one list of people, largest first, and for each the index
    into ``blaze`` of the reading fused into it (None: OpenPose alone).

    A reading joins the OpenPose person its crop came from when their keypoints agree
    (:func:`pose.photo.fuse.similarity` >= ``same``), else the most similar unmatched one above
    ``same``; a reading that joins no one is kept as a person of its own when its presence
    is at least ``keep_alone`` and it is not a duplicate of a person already kept.
    """
    fused: list[Pose] = list(openpose)
    source: list[int | None] = [None] * len(openpose)
    alone: list[tuple[Pose, int]] = []
    for index, (pose, presence, origin) in enumerate(blaze):
        if not (pose.keypoints[:, 2] > 0).any():
            continue

        def agreement(other: int, pose: Pose = pose) -> float:
            size = max(person_height(pose), person_height(openpose[other]))
            return similarity(pose, openpose[other], size)

        candidates = [i for i in range(len(openpose)) if source[i] is None]
        if origin is not None and origin in candidates and agreement(origin) >= options.same:
            match = origin
        else:
            scored = [(agreement(i), i) for i in candidates]
            best = max(scored, default=(0.0, None))
            match = best[1] if best[0] >= options.same else None
        crowded = crowding(pose, openpose, match) >= options.crowd_share
        crowded = crowded or presence < options.unsure
        if match is not None:
            fused[match] = fused_reading(openpose[match], pose, crowded, options)
            source[match] = index
        elif presence >= options.keep_alone and not crowded:
            alone.append((pose, index))
    for pose, index in alone:
        size = person_height(pose)
        if any(similarity(pose, other, max(size, person_height(other))) >= options.same
               for other in fused):  # fmt: skip
            continue
        fused.append(Pose(keypoints=pose.keypoints, score=person_score(pose.keypoints)))
        source.append(index)
    # One numbering everywhere (pose.body.types.number_people): largest first, then by score.
    ranked = sorted(range(len(fused)), key=lambda i: (fused[i].area, fused[i].score), reverse=True)
    return [fused[i] for i in ranked], [source[i] for i in ranked]
