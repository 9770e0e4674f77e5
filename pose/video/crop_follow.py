"""The second opinion in videos and the webcam: BlazePose's crops followed from frame to frame.

The photo path (:func:`pose.pose3d.people.estimate_people`) runs BlazePose's person detector
on every photo, then its landmark model on each person's upright crop. A video cannot pay for
the detector on every frame, and need not: as MediaPipe does, each person read in one frame is
read in the next from the crop that reading proposes (:func:`pose.pose3d.blazepose
.crop_from_landmarks`: centred on the hips, turned so the body stands upright in it, so a
turned person is read upright). :class:`CropFollower` keeps those crops:

- a followed crop is tied to the OpenPose person it covers (:func:`plan_followed`); an
  OpenPose person no crop covers gets the crop their own joints give
  (:func:`pose.pose3d.blazepose.crop_for`), at once, with no detector;
- the person detector runs on the first frame, every :attr:`FollowOptions.detect_every`
  frames, and on the frame after a crop was lost (its reading's presence fell below
  :attr:`FollowOptions.keep_presence`): that is how people OpenPose does not see at all
  (turned, upside down) come in; detections inside a followed crop are skipped;
- every crop is read by the landmark model, largest first, at most
  :attr:`pose.pose3d.second_opinion.FuseOptions.max_people`; the readings are fused per joint
  with OpenPose's people by the photo path's own fusion
  (:func:`pose.pose3d.second_opinion.fuse_people`), and each fused person's 3D body is the
  reading's (no second landmark run).

Tracking IDs and smoothing come after, unchanged (:class:`pose.video.stream.Follower`).
:func:`plan_followed`, :func:`crop_covers`, :func:`distinct_crops` and :func:`detector_due`
are pure; :class:`CropFollower` holds the state of one stream or webcam session.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pose.body.types import Pose
from pose.pose3d.blazepose import (
    ROI_SCALE,
    Crop,
    Person3D,
    crop_for,
    crop_from_landmarks,
    get_landmark_model,
    lift,
    lift_crop,
)
from pose.pose3d.detection_decode import Detection
from pose.pose3d.second_opinion import (
    SECOND_OPINION,
    FuseOptions,
    PlannedCrop,
    blaze_pose,
    detection_crop,
    fuse_people,
)


@dataclass(frozen=True)
class FollowOptions:
    """How crops are followed. ``detect_every``: the person detector runs at least every
    this many frames (0: only on the first frame and after a lost crop); ``keep_presence``:
    a reading whose landmark-model presence is below this loses its crop (the person left,
    or the crop slid off them); ``fuse``: the photo path's second-opinion options (the cap
    on people read per frame, the fusion's thresholds)."""

    detect_every: int = 15
    keep_presence: float = 0.5
    fuse: FuseOptions = SECOND_OPINION  # the photo path's fusion, measured on clips too


FOLLOW = FollowOptions()


def crop_radius(crop: Crop) -> float:
    """The radius of the circle around the body a crop was cut for (pixels): its side
    without MediaPipe's margin (:data:`pose.pose3d.blazepose.ROI_SCALE`), halved."""
    return crop.side / (2 * ROI_SCALE)


def crop_covers(crop: Crop, person: Pose) -> float:
    """Share of ``person``'s found joints inside the circle around the body ``crop`` was
    cut for (0 when none were found)."""
    found = person.keypoints[:, 2] > 0
    if not found.any():
        return 0.0
    distance = np.linalg.norm(person.keypoints[found, :2] - np.asarray(crop.centre), axis=1)
    return float((distance <= crop_radius(crop)).mean())


def crop_rotation(crop: Crop) -> float:
    """How far the body in ``crop`` is turned from upright, degrees counter-clockwise on
    screen (as :attr:`pose.pose3d.detection_decode.Detection.rotation`)."""
    return math.degrees(crop.angle)


def distinct_crops(crops: Sequence[Crop], same: float = 0.5) -> list[Crop]:
    """``crops`` without the ones that follow a person an earlier crop already follows:
    centres closer than ``same`` times the smaller radius (two crops slid onto one body
    after people crossed). Earlier crops win, so pass the more trusted first."""
    kept: list[Crop] = []
    for crop in crops:
        radius = crop_radius(crop)
        if all(
            math.dist(crop.centre, other.centre) > same * min(radius, crop_radius(other))
            for other in kept
        ):
            kept.append(crop)
    return kept


def _tie(crop: Crop, people: Sequence[Pose], taken: set[int]) -> int | None:
    """The untaken person ``crop`` covers best (more than half of their joints), or None."""
    best, best_share = None, 0.5
    for index, person in enumerate(people):
        share = crop_covers(crop, person)
        if index not in taken and share > best_share:
            best, best_share = index, share
    return best


def plan_followed(
    people: Sequence[Pose],
    followed: Sequence[Crop],
    detections: Sequence[Detection] = (),
    options: FuseOptions = SECOND_OPINION,
) -> list[PlannedCrop]:
    """The crops to read in this frame, at most ``options.max_people``: the followed ones
    first, then the new ones, each largest first.

    ``people``: OpenPose's people in this frame; ``followed``: the crops the previous
    frame's readings proposed; ``detections``: the person detector's, when it ran on this
    frame. Each followed crop is tied to the OpenPose person it covers best; a detection
    (score >= ``options.min_detection``) whose centre no followed crop holds adds a crop (a
    person who came in, or one OpenPose does not see); every OpenPose person still untied
    gets the crop their joints give (:func:`pose.pose3d.blazepose.crop_for`).
    """
    planned: list[PlannedCrop] = []
    taken: set[int] = set()

    def add(crop: Crop) -> None:
        person = _tie(crop, people, taken)
        if person is not None:
            taken.add(person)
        planned.append(PlannedCrop(crop, crop_rotation(crop), person))

    for crop in followed:
        add(crop)
    for detection in detections:
        inside = any(
            math.dist(detection.centre, crop.centre) <= crop_radius(crop) for crop in followed
        )
        if detection.score >= options.min_detection and not inside:
            add(detection_crop(detection))
    for index, person in enumerate(people):
        crop = crop_for(person) if index not in taken else None
        if crop is not None:
            planned.append(PlannedCrop(crop, crop_rotation(crop), index))
    # Followed people keep their place under the cap, then the largest new ones: in a crowd,
    # a person read in one frame and not in the next would flicker between fused and
    # OpenPose-only joints, which costs the tracker ID switches.
    kept = len(followed)
    order = sorted(range(len(planned)), key=lambda i: (i >= kept, -planned[i].crop.side))
    return [planned[i] for i in order[: max(options.max_people, 0)]]


def detector_due(frame: int, last_detected: int | None, lost: bool, every: int) -> bool:
    """Whether the person detector runs on frame number ``frame``: on the first frame
    (``last_detected`` None), after a crop was lost, and ``every`` frames after it last ran
    (``every`` 0: never on a schedule)."""
    if last_detected is None or lost:
        return True
    return every > 0 and frame - last_detected >= every


@dataclass
class CropFollower:
    """One stream's or webcam session's followed crops; :meth:`step` once per frame, in
    order. ``reads`` and ``detections_run`` count the landmark and detector runs."""

    options: FollowOptions = FOLLOW
    landmark_model: object | None = None
    detector: object | None = None
    frames: int = 0
    reads: int = 0
    detections_run: int = 0
    _followed: list[Crop] = field(default_factory=list)
    _last_detected: int | None = None
    _lost: bool = False

    def step(
        self,
        image: np.ndarray,
        people: Sequence[Pose],
        threshold: float = 0.0,
        timings: dict[str, float] | None = None,
    ) -> tuple[list[Pose], list[Person3D | None], list[Pose]]:
        """OpenPose's ``people`` of this frame (RGB uint8 (H, W, 3)) fused with BlazePose's
        reading of each followed or new crop: (people, largest first; each person's 3D body
        from the same reading, None for a person no crop was read for; each person as the
        tracker should match them, :func:`tracked_as`). ``threshold``:
        BlazePose joints less visible than this are left out, as OpenPose's weaker ones are.
        ``timings`` receives ``detect_ms``, ``landmarks_ms`` and ``people_read``."""
        started = time.perf_counter()
        detections: list[Detection] = []
        if detector_due(self.frames, self._last_detected, self._lost, self.options.detect_every):
            detections = self._detect(image)
            self._last_detected = self.frames
        detected = time.perf_counter()
        plans = plan_followed(people, self._followed, detections, self.options.fuse)
        model = self.landmark_model or get_landmark_model()
        readings = [lift_crop(image, plan.crop, model) for plan in plans]
        fuse = self.options.fuse
        blaze = [
            (blaze_pose(body.pixels, fuse.min_visibility, fuse.blaze_weight, threshold),
             body.presence, plan.person)
            for (body, _), plan in zip(readings, plans, strict=True)
        ]  # fmt: skip
        fused, source = fuse_people(people, blaze, fuse)
        self._carry(readings, plans)
        self.frames += 1
        self.reads += len(readings)
        if timings is not None:
            timings["detect_ms"] = (detected - started) * 1000
            timings["landmarks_ms"] = (time.perf_counter() - detected) * 1000
            timings["people_read"] = float(len(readings))
        bodies = [readings[index][0] if index is not None else None for index in source]
        return fused, bodies, tracked_as(people, fused, source, plans)

    def _detect(self, image: np.ndarray) -> list[Detection]:
        from pose.pose3d.person_detector import get_detector

        self.detections_run += 1
        return (self.detector or get_detector()).detect(image)

    def _carry(self, readings: list[tuple[Person3D, np.ndarray]], plans: list[PlannedCrop]) -> None:
        """The crops the next frame reads: each reading still present proposes its own
        (most present first, so a duplicate keeps the better reading); a reading that faded
        marks a crop lost, which brings the detector back next frame."""
        keep = self.options.keep_presence
        present = sorted(
            ((body.presence, crop_from_landmarks(screen, plan.crop))
             for (body, screen), plan in zip(readings, plans, strict=True)
             if body.presence >= keep),
            key=lambda item: -item[0],
        )  # fmt: skip
        # Only a followed crop counts as lost: a crop cut from OpenPose's joints that holds
        # no one (a false person) must not bring the detector back on every frame.
        self._lost = any(
            body.presence < keep and any(plan.crop is crop for crop in self._followed)
            for (body, _), plan in zip(readings, plans, strict=True)
        )
        self._followed = distinct_crops([crop for _, crop in present])

    def reset(self) -> None:
        """Forget every followed crop (a new clip, or the webcam turned the option off)."""
        self._followed, self._last_detected, self._lost = [], None, False


def tracked_as(
    openpose: Sequence[Pose],
    fused: Sequence[Pose],
    source: Sequence[int | None],
    plans: Sequence[PlannedCrop],
) -> list[Pose]:
    """Each fused person as the tracker matches them: the OpenPose person their reading was
    fused into when that is known (the person the reading's crop was tied to, now fused
    away), else the fused person. Tracks then follow OpenPose's joints as without the
    option (BlazePose's guesses at hidden limbs of people who cross each other cost ID
    switches on the street clip: 12 -> 17); a person only BlazePose found is tracked by
    its own joints."""
    still = {id(person) for person in fused}
    out = []
    for person, index in zip(fused, source, strict=True):
        origin = plans[index].person if index is not None else None
        if origin is not None and id(openpose[origin]) not in still:
            out.append(openpose[origin])
        else:
            out.append(person)
    return out


def with_bodies(
    image: np.ndarray, people: Sequence[Pose], read: Sequence[Person3D | None], model3d
) -> list[Person3D | None]:
    """Each person's 3D body when 3D is asked for (``model3d``, a landmark model, given;
    else none): the second opinion's reading where it read the person (``read``, same order
    as ``people``; empty without the option), else lifted now (:func:`pose.pose3d.blazepose
    .lift`), so no person is read twice in a frame."""
    if model3d is None:
        return []
    if not read:
        return lift(image, people, model3d)
    missing = [index for index, body in enumerate(read) if body is None]
    bodies = list(read)
    lifted = lift(image, [people[index] for index in missing], model3d)
    for index, body in zip(missing, lifted, strict=True):
        bodies[index] = body
    return bodies
