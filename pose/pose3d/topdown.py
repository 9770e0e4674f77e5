"""The top-down pass over a photo: BlazePose's detector, then its landmark model on each crop.

:func:`read_people` runs the person detector once on the photo, plans the crops
(:func:`pose.pose3d.second_opinion.plan_crops`: detected people, turned or not, and OpenPose's
people no detection covers, largest first, capped), and reads each with the landmark model
(:func:`pose.pose3d.blazepose.lift_crop`): the 3D landmarks and the 2D joints come from that
one run.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pose.body.types import Pose
from pose.pose3d.blazepose import Crop, LandmarkModel, Person3D, get_landmark_model, lift_crop
from pose.pose3d.detection_decode import Detection
from pose.pose3d.second_opinion import SECOND_OPINION, FuseOptions, PlannedCrop, plan_crops


@dataclass(frozen=True)
class Reading:
    """One person read by the landmark model: ``body`` (3D and pixels), ``plan`` (the crop,
    its rotation and the OpenPose person it came from)."""

    body: Person3D
    plan: PlannedCrop


# The crops :func:`read_views` reads around a planned one: (side factor, shift right, shift
# down), shifts in shares of the side; symmetric, so their mean is the planned crop.
VIEWS = ((0.95, 0.02, 0.02), (0.95, -0.02, -0.02), (1.05, 0.02, -0.02), (1.05, -0.02, 0.02))
# Two views whose mean is the planned crop too (``views`` 2).
VIEW_PAIR = ((0.95, 0.02, 0.02), (1.05, -0.02, -0.02))


def read_views(
    image: np.ndarray,
    crop: Crop,
    model: LandmarkModel,
    views: int = 1,
    mirror: tuple[bool, float, float] = (False, 0.0, 1.0),
) -> Person3D:
    """The landmark model's reading of ``crop`` of an RGB uint8 photo (H, W, 3): with
    ``views`` 1 the crop as planned (:func:`pose.pose3d.blazepose.lift_crop`, its
    ``mirror``, ``mirror_agree`` and ``mirror_zoom`` the three of ``mirror``); otherwise the
    mean of the readings of :data:`VIEWS` (crops 5 % larger and smaller, shifted by 2 % of
    their side; ``views`` 2: :data:`VIEW_PAIR`), landmarks, pixels, visibility and presence
    alike. Why: the model's points move with how the crop's pixels sample the photo (a photo
    and its 70 % copy, cut the same, still differ by 1.1 % of the body's height at the 75th
    percentile); the mean of four samplings moves about half as far."""
    if views <= 1:
        return lift_crop(image, crop, model, *mirror)[0]
    (x, y), side = crop.centre, crop.side
    chosen = VIEW_PAIR if views == 2 else VIEWS[:views]
    bodies = [
        lift_crop(
            image, Crop((x + dx * side, y + dy * side), side * factor, crop.angle), model, *mirror
        )[0]
        for factor, dx, dy in chosen
    ]
    return Person3D(
        landmarks=np.mean([body.landmarks for body in bodies], axis=0),
        image_landmarks=np.mean([body.image_landmarks for body in bodies], axis=0),
        presence=float(np.mean([body.presence for body in bodies])),
        crop=crop,
    )


def read_people(
    image: np.ndarray,
    people: Sequence[Pose],
    options: FuseOptions = SECOND_OPINION,
    landmark_model: LandmarkModel | None = None,
    timings: dict[str, float] | None = None,
    detections: Sequence[Detection] | None = None,
) -> list[Reading]:
    """Every planned crop of an RGB uint8 photo (H, W, 3) read by the landmark model, given
    OpenPose's ``people`` in the photo's pixels; ``detections``: the person detector's, when
    it already ran. ``timings`` receives ``detect_ms`` and ``landmarks_ms``."""
    from pose.pose3d.person_detector import get_detector

    started = time.perf_counter()
    if detections is None:
        detections = get_detector().detect(image)
    detected = time.perf_counter()
    plans = plan_crops(people, detections, options)
    model = landmark_model or get_landmark_model()
    mirror = (options.mirror, options.mirror_agree, options.mirror_zoom)
    readings = [
        Reading(read_views(image, plan.crop, model, options.views, mirror), plan) for plan in plans
    ]
    if timings is not None:
        timings["detect_ms"] = (detected - started) * 1000
        timings["landmarks_ms"] = (time.perf_counter() - detected) * 1000
        timings["people_read"] = float(len(readings))
    return readings


def with_second_opinion(
    image: np.ndarray,
    people: Sequence[Pose],
    options: FuseOptions = SECOND_OPINION,
    threshold: float = 0.0,
    timings: dict[str, float] | None = None,
    detections: Sequence[Detection] | None = None,
) -> tuple[list[Pose], list[Person3D | None]]:
    """OpenPose's ``people`` of an RGB uint8 photo (H, W, 3) fused with BlazePose's reading
    of each planned crop (:func:`read_people`); largest first, and for each person the 3D
    body read in the same pass (None for a person no crop was read for).

    ``threshold``: BlazePose joints less visible than this are left out, as
    OpenPose's weaker joints are.
    """
    from pose.pose3d.second_opinion import blaze_pose, fuse_people

    readings = read_people(image, people, options, timings=timings, detections=detections)
    openpose = list(people)
    plans = [reading.plan for reading in readings]
    blaze = [
        (
            blaze_pose(
                reading.body.pixels, options.min_visibility, options.blaze_weight, threshold
            ),
            reading.body.presence,
            plan.person,
        )
        for reading, plan in zip(readings, plans, strict=True)
    ]
    fused, source = fuse_people(openpose, blaze, options)
    return fused, [readings[index].body if index is not None else None for index in source]
