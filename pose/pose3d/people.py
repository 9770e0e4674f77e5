"""Photos, people whatever their orientation: OpenPose's photo modes with BlazePose's second
opinion.

:func:`estimate_people` is the photo path of the Image and Match tabs, the API and the
command line. The accurate mode (the default):

1. BlazePose's person detector reads the photo (a dark one brightened first, at about the
   detector's scale, as the accurate mode brightens it for OpenPose): each prominent
   person's centre, size and rotation (:mod:`pose.pose3d.person_detector`).
2. OpenPose's accurate mode reads the photo (:func:`pose.photo.modes.estimate_photo`), and, when
   the detector says people are turned (in right angles), the photo turned back so they
   stand upright (:mod:`pose.pose3d.oriented`); duplicates are merged.
3. BlazePose's landmark model reads the :attr:`FuseOptions.max_people` largest people from
   upright crops (of a brightened copy of a dark photo); its joints are fused per joint with
   OpenPose's where the crop holds one OpenPose person, only fill the joints OpenPose missed
   where it holds parts of another or where the model doubts the crop holds anyone
   (presence under 0.1), and people only it found are kept when it is confident
   and OpenPose has no one there (:mod:`pose.pose3d.second_opinion`). Its 3D landmarks come
   from the same run (:attr:`pose.body.types.Estimate.bodies`).

Without BlazePose's models (missing, and no package index to fetch them from) the accurate
mode answers with OpenPose alone and logs why. The fast mode is OpenPose's single pass,
unchanged: no detector, no turned reading, no second opinion (it misses turned people).
Every parameter was measured on every labeled set, upright and turned
(``benchmarks.accuracy --turned``, docs/accuracy.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import cv2
import numpy as np

from pose.body.types import Estimate, Pose
from pose.network.registry import PoseModel, get_model
from pose.photo.estimate import DEFAULT_THRESHOLD, select_largest
from pose.photo.modes import (
    ACCURATE,
    DEFAULT_MODE,
    MODES,
    PhotoOptions,
    brighten,
    estimate_photo,
    is_dark,
)
from pose.pose3d.detection_decode import Detection
from pose.pose3d.oriented import merge_people, people_turned_back, turns_to_read
from pose.pose3d.second_opinion import SECOND_OPINION, FuseOptions

if TYPE_CHECKING:
    from pose.pose3d.blazepose import Person3D

__all__ = ["DEFAULT_MODE", "MODES", "estimate_people"]

log = logging.getLogger(__name__)


# The detector reads a 224-pixel square: a photo is shrunk to this long side first, so a
# huge (or dark, hence brightened in floating point) photo costs no more than a small one.
DETECT_SIDE = 1024


def photo_is_dark(image: np.ndarray) -> bool:
    """True when the accurate mode brightens this RGB uint8 photo (H, W, 3) for OpenPose."""
    return ACCURATE.dark_level > 0 and is_dark(image, ACCURATE.dark_level)


def detect(image: np.ndarray, options: FuseOptions = SECOND_OPINION) -> list[Detection]:
    """The person detector's people in an RGB uint8 photo (H, W, 3), in its pixels; a dark
    photo is brightened first (the detector sees no one in the low-light set otherwise), at
    ``options.dark_side``, and its people count from ``options.dark_detection``."""
    from pose.pose3d.detection_decode import MIN_SCORE
    from pose.pose3d.person_detector import get_detector

    height, width = image.shape[:2]
    dark = photo_is_dark(image)
    side = options.dark_side if dark else DETECT_SIDE
    scale = min(1.0, side / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if dark:
        small = brighten(image, size, options.dark_clahe)
    elif scale < 1:
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    else:
        small = image
    back = np.array([[width / size[0], 0.0, 0.0], [0.0, height / size[1], 0.0]])
    wanted = options.dark_detection if dark else options.min_detection
    found = get_detector().detect(small, min_score=min(MIN_SCORE, wanted))
    return [detection.mapped(back) for detection in found]


def estimate_people(
    image: np.ndarray,
    mode: str = DEFAULT_MODE,
    size: str | tuple[int, int] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    largest_only: bool = False,
    model: PoseModel | None = None,
    options: FuseOptions = SECOND_OPINION,
    progress: Callable[[int, int], None] | None = None,
) -> Estimate:
    """Find people in an RGB uint8 photo (H, W, 3); keypoints in the photo's pixels, people
    numbered largest first. ``mode`` "accurate" (OpenPose's three passes, turned people read
    upright, BlazePose's second opinion on the ``options.max_people`` largest) or "fast"
    (OpenPose's single pass). ``timings_ms`` also says how many people the landmark model
    read (``people_read``) and how many turned readings ran (``turns``). ``progress(done,
    total)``: after each of OpenPose's passes over the photo (:func:`estimate_photo`)."""
    if mode not in MODES:
        raise ValueError(f"Unknown photo mode {mode!r}: use one of {', '.join(MODES)}.")
    model = model or get_model()
    if mode == "fast":
        return estimate_photo(
            image, mode, size, threshold, largest_only, model=model, progress=progress
        )
    from pose.pose3d.blazepose import Pose3DError

    started = time.perf_counter()
    try:
        detections = detect(image, options)
    except Pose3DError as exc:
        # BlazePose's models are missing and cannot be fetched: OpenPose alone still answers.
        log.info("no second opinion: %s", exc)
        return estimate_photo(
            image, mode, size, threshold, largest_only, model=model, progress=progress
        )
    detected = time.perf_counter()
    result = estimate_photo(
        image, mode, size, threshold, model=model, options=passes(options), progress=progress
    )
    people, bodies, timings = upright_people_with_second_opinion(
        image, result, detections, options, mode, size, threshold, model
    )
    timings["detect_ms"] = (detected - started) * 1000
    if largest_only and people:
        people, bodies = only_largest(people, bodies)
    timings["total_ms"] = (time.perf_counter() - started) * 1000
    return replace(result, people=tuple(people), bodies=tuple(bodies), timings_ms=timings)


def upright_people_with_second_opinion(
    image: np.ndarray,
    result: Estimate,
    detections: list[Detection],
    options: FuseOptions,
    mode: str,
    size: str | tuple[int, int] | None,
    threshold: float,
    model: PoseModel,
) -> tuple[list[Pose], list[Person3D | None], dict[str, float]]:
    """The accurate mode after OpenPose's passes (``result``) over the RGB uint8 photo
    ``image`` (H, W, 3): people the detector saw turned read upright and merged in, then
    BlazePose's second opinion; ``mode``, ``size``, ``threshold`` and ``model`` are those
    passes' (turned copies are read alike). Returns the people, their 3D bodies (one per
    person, None where none was read) and the timings so far (``result``'s, ``turns`` and the
    landmark model's)."""
    from pose.pose3d.topdown import with_second_opinion

    def find(turned: np.ndarray) -> tuple[Pose, ...]:
        return estimate_photo(
            turned, mode, size, threshold, model=model, options=passes(options)
        ).people

    dark = photo_is_dark(image)
    if dark:
        options = replace(options, min_detection=options.dark_detection)
    turns = turns_to_read(
        detections, options.min_detection, options.turn_step, max_turns=options.max_turns
    )
    people = list(result.people)
    for angle in turns:
        upright = people_turned_back(image, angle, find)
        people = merge_people(people, upright, options.same)
    timings = dict(result.timings_ms)
    timings["turns"] = float(len(turns))
    reading = image
    if dark and options.dark_landmarks:
        reading = brighten(image, (image.shape[1], image.shape[0]), ACCURATE.clahe)
    people, bodies = with_second_opinion(
        reading, people, options, threshold, timings=timings, detections=detections
    )
    return people, bodies, timings


def passes(options: FuseOptions) -> PhotoOptions:
    """OpenPose's accurate passes as the photo path runs them, on the photo and on turned
    copies alike (``options.pass_joints``: how a person's joints come from the passes)."""
    return replace(ACCURATE, joints=options.pass_joints)


def only_largest(
    people: list[Pose], bodies: list[Person3D | None]
) -> tuple[list[Pose], list[Person3D | None]]:
    """The largest person (by :func:`select_largest`) of ``people`` and its body from
    ``bodies`` (one per person), each as a list of one."""
    largest = select_largest(people)[0]
    index = next(i for i, person in enumerate(people) if person is largest)
    return [people[index]], [bodies[index]]
