"""The top-down pass over a photo: BlazePose's detector, then its landmark model on each crop.

:func:`read_people` runs the person detector once on the photo, plans the crops
(:func:`pose.second_opinion.plan_crops`: detected people, turned or not, and OpenPose's
people no detection covers, largest first, capped), and reads each with the landmark model
(:func:`pose.pose3d.lift_crop`): the 3D landmarks and the 2D joints come from that one run.
:func:`upright_openpose` runs the OpenPose network on the upright crop of a turned person.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from pose.detection_decode import Detection
from pose.pose3d import Crop, LandmarkModel, Person3D, get_landmark_model, lift_crop
from pose.second_opinion import SECOND_OPINION, FuseOptions, PlannedCrop, plan_crops
from pose.types import Pose


@dataclass(frozen=True)
class Reading:
    """One person read by the landmark model: ``body`` (3D and pixels), ``plan`` (the crop,
    its rotation and the OpenPose person it came from)."""

    body: Person3D
    plan: PlannedCrop


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
    from pose.person_detector import get_detector

    started = time.perf_counter()
    if detections is None:
        detections = get_detector().detect(image)
    detected = time.perf_counter()
    plans = plan_crops(people, detections, options)
    model = landmark_model or get_landmark_model()
    readings = [Reading(lift_crop(image, plan.crop, model)[0], plan) for plan in plans]
    if timings is not None:
        timings["detect_ms"] = (detected - started) * 1000
        timings["landmarks_ms"] = (time.perf_counter() - detected) * 1000
        timings["people_read"] = float(len(readings))
    return readings


# The OpenPose network's input for an upright crop: square, the person about half its
# height, as in its training (pose.fuse.TARGET_HEIGHT is 250 network pixels).
UPRIGHT_BOX = 432


def upright_openpose(image: np.ndarray, crop: Crop, find, box: int = UPRIGHT_BOX) -> Pose | None:
    """OpenPose's reading of the person in ``crop`` (turned upright, ``box`` pixels a side):
    ``find`` (an RGB uint8 image -> people) runs on the crop; the person nearest its centre
    is mapped back to the photo's pixels. None when no one is found."""
    to_crop = crop.to_crop(box)
    patch = cv2.warpAffine(image, to_crop, (box, box), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT)  # fmt: skip
    found = list(find(patch))
    if not found:
        return None
    centre = np.array([box / 2, box / 2])

    def distance(person: Pose) -> float:
        points = person.keypoints[person.keypoints[:, 2] > 0, :2]
        return float(np.linalg.norm(points.mean(axis=0) - centre)) if len(points) else np.inf

    person = min(found, key=distance)
    back = cv2.invertAffineTransform(to_crop)
    keypoints = person.keypoints.copy()
    keypoints[:, :2] = keypoints[:, :2] @ back[:, :2].T + back[:, 2]
    return Pose(keypoints=keypoints, score=person.score)


def with_second_opinion(
    image: np.ndarray,
    people: Sequence[Pose],
    options: FuseOptions = SECOND_OPINION,
    threshold: float = 0.0,
    find_upright=None,
    timings: dict[str, float] | None = None,
    detections: Sequence[Detection] | None = None,
) -> tuple[list[Pose], list[Person3D | None]]:
    """OpenPose's ``people`` of an RGB uint8 photo (H, W, 3) fused with BlazePose's reading
    of each planned crop (:func:`read_people`); largest first, and for each person the 3D
    body read in the same pass (None for a person no crop was read for).

    With ``options.upright_openpose`` and ``find_upright`` (an image -> people function),
    a person the detector says is turned by ``options.turned`` degrees or more is also read
    by OpenPose on their upright crop; that reading replaces OpenPose's own when it holds
    more joints. ``threshold``: BlazePose joints less visible than this are left out, as
    OpenPose's weaker joints are.
    """
    from pose.second_opinion import blaze_pose, fuse_people

    readings = read_people(image, people, options, timings=timings, detections=detections)
    openpose = list(people)
    plans = [reading.plan for reading in readings]
    if options.upright_openpose and find_upright is not None:
        started = time.perf_counter()
        for index, plan in enumerate(plans):
            if abs(plan.rotation) < options.turned:
                continue
            upright = upright_openpose(image, plan.crop, find_upright)
            if upright is None:
                continue
            if plan.person is None:
                openpose.append(upright)
                plans[index] = PlannedCrop(plan.crop, plan.rotation, len(openpose) - 1)
            elif upright.num_visible > openpose[plan.person].num_visible:
                openpose[plan.person] = upright
        if timings is not None:
            timings["upright_ms"] = (time.perf_counter() - started) * 1000
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
