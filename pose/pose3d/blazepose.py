"""3D pose: BlazePose GHUM's landmark model run on each person the OpenPose graph found.

OpenPose gives every person's 2D joints; from them we cut an upright square crop of each
person (rotated so the hips-to-neck line points up, sized from the body's extent, as
MediaPipe's own detector would), run BlazePose's landmark model (LiteRT, 256x256 RGB in
[0, 1]) on it, and map the result back: 33 landmarks in metres (the model's world output,
origin between the hips, turned back to the image's orientation: x right, y down, z away
from the camera) with a visibility each, and the same points in image pixels. Nothing here
runs unless asked: 2D-only use never loads this model.

For OpenPose's people this module cuts the crops from their joints. The accurate photo mode
also reads the people BlazePose's own detector finds (``pose.pose3d.person_detector``), from the
crops it gives (turned people included), in the same run as their 2D second opinion
(``pose.pose3d.topdown``); videos and the webcam lift from OpenPose's joints only.

The model file is ``models/pose_landmark_full.tflite`` (or ``$POSE_BLAZEPOSE_PATH``). When it
is missing it is fetched by ``python -m models.blazepose`` in a subprocess, so this package
never imports the build side.
"""

from __future__ import annotations

import logging
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from pose.body.landmarks import NUM_LANDMARKS, OPENPOSE_SOURCES, Landmark
from pose.body.skeleton import NUM_JOINTS, Joint
from pose.body.types import Pose
from pose.pose3d.mirrored import average_readings

log = logging.getLogger(__name__)

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
MODEL_NAME = "pose_landmark_full.tflite"
PATH_ENV = "POSE_BLAZEPOSE_PATH"
FETCH_MODULE = "models.blazepose"

INPUT_SIZE = 256
# The model's outputs: 39 points x (x, y, z, visibility, presence) in crop pixels, of which
# the first 33 are the landmarks and 33, 34 the two points MediaPipe derives the next crop
# from (the hips' centre and a point on the circle around the body); 39 x world (x, y, z).
OUTPUT_POINTS = 39
SCREEN_OUTPUT = "Identity"
PRESENCE_OUTPUT = "Identity_1"
WORLD_OUTPUT = "Identity_4"
# MediaPipe enlarges the circle around the body by this factor to make the crop's side.
ROI_SCALE = 1.25
# OpenPose has no head top: the head reaches about this far above the nose, as a fraction of
# the neck-to-nose distance (so the crop keeps the top of the head).
HEAD_MARGIN = 1.0
# A person needs this many OpenPose joints for a crop worth running.
MIN_JOINTS = 4
# Where the hips are when only the upper body is in the photo: the landmark model expects
# them at the crop's centre, as MediaPipe's detector would place them (below the photo's
# edge if need be). Neck to the hips' centre is about 1.55 shoulder widths (1.51-1.65 on the
# 3D eval set's ground truth) and about twice the neck-to-nose distance; the larger of the
# two guesses is kept, as either shrinks when the person turns or bows.
TORSO_PER_SHOULDERS = 1.55
TORSO_PER_HEAD = 2.0


class Pose3DError(RuntimeError):
    """The 3D model is missing and could not be fetched, or does not load."""


def model_path() -> Path:
    """``$POSE_BLAZEPOSE_PATH`` if set, else ``models/pose_landmark_full.tflite``."""
    override = os.environ.get(PATH_ENV)
    return Path(override).expanduser() if override else ROOT / "models" / MODEL_NAME


def ensure_model_file(fetch: bool = True) -> Path:
    """The landmark model's path; fetched first (``python -m models.blazepose`` in a
    subprocess, about 30 MB from the package index) when missing and ``fetch``."""
    path = model_path()
    if path.is_file():
        return path
    hint = f"run `make setup` or `python -m {FETCH_MODULE}` (it downloads the mediapipe wheel)"
    if os.environ.get(PATH_ENV) or not fetch:
        raise Pose3DError(f"3D pose model not found at {path}: {hint}.")
    log.info("fetching the 3D pose model (%s)", FETCH_MODULE)
    try:
        result = subprocess.run(
            [sys.executable, "-m", FETCH_MODULE, "--dest", str(path.parent)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
    except (OSError, subprocess.SubprocessError) as exc:
        detail = [str(exc)]
    if not path.is_file():
        raise Pose3DError(f"3D pose model could not be fetched ({detail[0]}); {hint}.")
    return path


@dataclass(frozen=True)
class Crop:
    """A square of ``side`` pixels centred on ``centre`` (x, y) of the image, turned by
    ``angle`` radians (counter-clockwise on screen) so the person in it stands upright."""

    centre: tuple[float, float]
    side: float
    angle: float

    def to_crop(self, size: int = INPUT_SIZE) -> np.ndarray:
        """2x3 affine matrix: image pixels -> pixels of a ``size`` x ``size`` crop."""
        scale = size / self.side
        cos, sin = math.cos(self.angle) * scale, math.sin(self.angle) * scale
        cx, cy = self.centre
        # Rotation by ``angle`` in image axes (y down), about the centre, then scaled.
        return np.array(
            [
                [cos, -sin, size / 2 - (cos * cx - sin * cy)],
                [sin, cos, size / 2 - (sin * cx + cos * cy)],
            ]
        )

    def to_image(self, size: int = INPUT_SIZE) -> np.ndarray:
        """2x3 affine matrix: crop pixels -> image pixels (the inverse of :meth:`to_crop`)."""
        return cv2.invertAffineTransform(self.to_crop(size))

    def unrotate(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) points in the crop's axes -> the image's axes (x, y turned back; z kept)."""
        cos, sin = math.cos(self.angle), math.sin(self.angle)
        back = np.array([[cos, sin], [-sin, cos]])  # the inverse rotation, for row vectors
        out = np.array(points, dtype=np.float64)
        out[:, :2] = out[:, :2] @ back.T
        return out


def upright_crop(hips: np.ndarray, shoulders: np.ndarray, radius: float) -> Crop:
    """The crop centred on ``hips`` (x, y), turned so the line to ``shoulders`` points up,
    with side ``2 * ROI_SCALE * radius`` (``radius``: hips to the farthest body point)."""
    dx, dy = (np.asarray(shoulders, float) - np.asarray(hips, float)).tolist()
    # Turning by `angle` must take the direction (dx, dy) to straight up, (0, -1).
    angle = -math.pi / 2 - math.atan2(dy, dx)
    angle = (angle + math.pi) % (2 * math.pi) - math.pi
    return Crop((float(hips[0]), float(hips[1])), 2 * ROI_SCALE * float(radius), angle)


def crop_for(person: Pose) -> Crop | None:
    """The upright crop for one OpenPose person, or None when too little of them was found.

    Centre: between the hips (one hip if only one was found); direction: hips to neck (or
    the shoulders' midpoint). Without hips (an upper body), the hips are placed below the
    shoulders (:func:`hips_below`); without those either, the crop is centred on the joints
    found and not turned. Radius: the farthest joint found from the centre, with the head
    extended above the nose by :data:`HEAD_MARGIN`.
    """
    keypoints = person.keypoints.astype(np.float64)
    found = keypoints[:, 2] > 0
    if found.sum() < MIN_JOINTS:
        return None
    points = keypoints[found, :2]

    def mean_of(*joints: Joint) -> np.ndarray | None:
        rows = [keypoints[joint, :2] for joint in joints if found[joint]]
        return np.mean(rows, axis=0) if rows else None

    hips = mean_of(Joint.R_HIP, Joint.L_HIP)
    neck = mean_of(Joint.NECK)
    if neck is None:
        neck = mean_of(Joint.R_SHOULDER, Joint.L_SHOULDER)
    nose = mean_of(Joint.NOSE)
    if hips is None and neck is not None and found[Joint.R_SHOULDER] and found[Joint.L_SHOULDER]:
        hips = hips_below(neck, keypoints[Joint.R_SHOULDER, :2], keypoints[Joint.L_SHOULDER, :2],
                          nose)  # fmt: skip
    extra = []
    if nose is not None and neck is not None:
        extra.append(nose + HEAD_MARGIN * (nose - neck))
    reach = np.vstack([points, *extra]) if extra else points
    if hips is None or neck is None or np.allclose(hips, neck):
        x0, y0 = reach.min(axis=0)
        x1, y1 = reach.max(axis=0)
        centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        radius = float(np.linalg.norm(reach - centre, axis=1).max())
        return Crop((float(centre[0]), float(centre[1])), 2 * ROI_SCALE * max(radius, 8.0), 0.0)
    radius = float(np.linalg.norm(reach - hips, axis=1).max())
    return upright_crop(hips, neck, max(radius, 8.0))


def hips_below(
    neck: np.ndarray, right: np.ndarray, left: np.ndarray, nose: np.ndarray | None
) -> np.ndarray:
    """Where the hips' centre of an upper body lies (x, y pixels): from the neck, across the
    shoulder line on the side away from the nose (down the photo without a nose), by the
    larger of :data:`TORSO_PER_SHOULDERS` shoulder widths and :data:`TORSO_PER_HEAD`
    neck-to-nose distances."""
    across = np.asarray(left, float) - np.asarray(right, float)
    width = float(np.linalg.norm(across))
    down = np.array([-across[1], across[0]]) / max(width, 1e-9)  # perpendicular
    away_from = (nose - neck) if nose is not None else np.array([0.0, -1.0])
    if down @ away_from > 0:
        down = -down
    length = TORSO_PER_SHOULDERS * width
    if nose is not None:
        length = max(length, TORSO_PER_HEAD * float(np.linalg.norm(nose - neck)))
    return np.asarray(neck, float) + down * length


def crop_from_landmarks(screen: np.ndarray, crop: Crop) -> Crop:
    """The crop MediaPipe would track with next: from the model's own points 33 (hips'
    centre) and 34 (on the circle around the body), given ``screen`` (39, >=2) in crop
    pixels of ``crop``. Used by ``refine``."""
    to_image = crop.to_image()
    centre, edge = (to_image[:, :2] @ screen[i, :2] + to_image[:, 2] for i in (33, 34))
    return upright_crop(centre, edge, float(np.linalg.norm(edge - centre)))


def cut(image: np.ndarray, crop: Crop) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> float32 (256, 256, 3) RGB in [0, 1]; black outside the image."""
    patch = cv2.warpAffine(
        image,
        crop.to_crop(),
        (INPUT_SIZE, INPUT_SIZE),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0),
    )
    return patch.astype(np.float32) / 255.0


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(values, -60.0, 60.0)))


@dataclass(frozen=True)
class Person3D:
    """One person in 3D.

    ``landmarks``: float32 (33, 4), BlazePose's landmarks (:class:`pose.body.landmarks.Landmark`)
    as x, y, z in metres from the point between the hips, in the image's axes (x right, y
    down, z away from the camera), and a visibility in [0, 1].
    ``image_landmarks``: float32 (33, 3), the same points as x, y in image pixels and the
    visibility. ``presence``: the model's confidence that the crop holds a person.
    ``crop``: the crop it ran on.
    """

    landmarks: np.ndarray
    image_landmarks: np.ndarray
    presence: float
    crop: Crop = field(compare=False)

    def __post_init__(self) -> None:
        for name, width in (("landmarks", 4), ("image_landmarks", 3)):
            array = np.asarray(getattr(self, name), dtype=np.float32)
            if array.shape != (NUM_LANDMARKS, width):
                raise ValueError(f"{name} must have shape (33, {width}), got {array.shape}")
            array = array.copy()
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    @property
    def joints(self) -> np.ndarray:
        """float32 (18, 4): the landmarks as OpenPose-18 joints (x, y, z metres, visibility);
        the neck is the shoulders' midpoint."""
        out = np.zeros((NUM_JOINTS, 4), np.float32)
        for joint, sources in OPENPOSE_SOURCES.items():
            rows = self.landmarks[list(sources)]
            out[joint, :3] = rows[:, :3].mean(axis=0)
            out[joint, 3] = rows[:, 3].min()
        return out

    @property
    def pixels(self) -> Pose:
        """The landmarks as a 2D OpenPose-18 pose in image pixels (score: visibility)."""
        keypoints = np.zeros((NUM_JOINTS, 3), np.float32)
        for joint, sources in OPENPOSE_SOURCES.items():
            rows = self.image_landmarks[list(sources)]
            keypoints[joint, :2] = rows[:, :2].mean(axis=0)
            keypoints[joint, 2] = rows[:, 2].min()
        return Pose(keypoints=keypoints, score=self.presence)

    def __getitem__(self, landmark: Landmark | str) -> np.ndarray:
        if isinstance(landmark, str):
            landmark = Landmark[landmark.upper()]
        return self.landmarks[landmark]

    def to_dict(self) -> dict:
        """``{"landmarks3d": 33 x [x, y, z, visibility], "joints3d": 18 x [...],
        "presence3d": p}``: metres rounded to the millimetre."""

        def rows(array: np.ndarray) -> list[list[float]]:
            return [[round(x, 4), round(y, 4), round(z, 4), round(v, 3)] for x, y, z, v in
                    array.tolist()]  # fmt: skip

        return {
            "landmarks3d": rows(self.landmarks),
            "joints3d": rows(self.joints),
            "presence3d": round(float(self.presence), 3),
        }


def load_checked(
    path: Path, threads: int, outputs: Sequence[str], names: tuple[str, str]
) -> tuple[object, int, dict[str, int]]:
    """One of BlazePose's models at ``path`` on LiteRT (``threads`` threads), checked: it
    loads and has ``outputs``. Returns (the interpreter, its input's index, each of
    ``outputs`` by name -> its index); raises :class:`Pose3DError` otherwise, naming the
    model as ``names`` (what does not load, what the file is not)."""
    from pose.network.runners import load_interpreter

    loads_as, is_not = names
    try:
        interpreter = load_interpreter(path, threads)
    except (ValueError, RuntimeError) as exc:
        raise Pose3DError(f"{loads_as} at {path} does not load ({exc}).") from exc
    found = {detail["name"]: detail["index"] for detail in interpreter.get_output_details()}
    if any(name not in found for name in outputs):
        raise Pose3DError(f"{path} is not BlazePose's {is_not} (outputs {found}).")
    index = interpreter.get_input_details()[0]["index"]
    return interpreter, index, {name: found[name] for name in outputs}


class LandmarkModel:
    """BlazePose GHUM's landmark model on LiteRT (XNNPACK, ``threads`` threads).

    Loaded on first use, once, behind a lock; one crop at a time (the interpreter is not
    thread-safe). Use :func:`get_landmark_model` for the process-wide instance.
    """

    def __init__(self, path: Path | None = None, threads: int | None = None) -> None:
        self.path = Path(path) if path else None
        self.threads = threads or int(os.environ.get("POSE_THREADS", os.cpu_count() or 2))
        self._interpreter = None
        self._indices: dict[str, int] = {}
        self._lock = threading.Lock()

    def _load(self) -> None:
        path = self.path or ensure_model_file()
        wanted = (SCREEN_OUTPUT, PRESENCE_OUTPUT, WORLD_OUTPUT)
        interpreter, self._input, self._indices = load_checked(
            path, self.threads, wanted, ("3D pose model", "landmark model")
        )
        self._interpreter = interpreter
        log.info("3D pose model loaded (%d threads)", self.threads)

    def load(self) -> None:
        with self._lock:
            if self._interpreter is None:
                self._load()

    def run(self, patch: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        """float32 (256, 256, 3) RGB in [0, 1] -> (screen (39, 5) in crop pixels with raw
        visibility and presence logits, presence in [0, 1], world (39, 3) in metres)."""
        self.load()
        with self._lock:
            interpreter = self._interpreter
            interpreter.set_tensor(self._input, patch[None].astype(np.float32, copy=False))
            interpreter.invoke()
            screen = interpreter.get_tensor(self._indices[SCREEN_OUTPUT])
            presence = interpreter.get_tensor(self._indices[PRESENCE_OUTPUT])
            world = interpreter.get_tensor(self._indices[WORLD_OUTPUT])
        return (
            screen.reshape(OUTPUT_POINTS, 5),
            float(presence.reshape(-1)[0]),
            world.reshape(OUTPUT_POINTS, 3),
        )


def process_wide(factory: Callable[[], T]) -> Callable[[], T]:
    """A function that returns one ``factory()`` per process, made on its first call behind
    a lock, so that two threads never make two (a model each: memory and load time)."""
    made: list[T] = []
    lock = threading.Lock()

    def get() -> T:
        with lock:
            if not made:
                made.append(factory())
            return made[0]

    return get


_landmark_model = process_wide(LandmarkModel)


def get_landmark_model() -> LandmarkModel:
    """The process-wide :class:`LandmarkModel`, created on first call (loads on first run)."""
    return _landmark_model()


def lift_crop(
    image: np.ndarray,
    crop: Crop,
    model: LandmarkModel,
    mirror: bool = False,
    mirror_agree: float = 0.0,
    mirror_zoom: float = 1.0,
) -> tuple[Person3D, np.ndarray]:
    """Run the model on one crop; return the person and the raw screen output (39, 5).
    ``mirror``: also run it on the mirrored crop and average the two readings
    (:func:`pose.pose3d.mirrored.average_readings`, ``mirror_agree`` and ``mirror_zoom``
    its ``agree`` and ``zoom``; twice the model's time)."""
    patch = cut(image, crop)
    screen, presence, world = model.run(patch)
    if mirror:
        other = patch
        if mirror_zoom != 1.0:
            other = cut(image, Crop(crop.centre, crop.side * mirror_zoom, crop.angle))
        flipped = model.run(np.ascontiguousarray(other[:, ::-1]))
        plain = (screen, presence, world)
        screen, presence, world = average_readings(
            plain, flipped, INPUT_SIZE, mirror_agree, mirror_zoom
        )
    to_image = crop.to_image()
    pixels = screen[:NUM_LANDMARKS, :2].astype(np.float64) @ to_image[:, :2].T + to_image[:, 2]
    # The model's visibility (not hidden) times its presence (in the crop) times whether the
    # point is in the photo at all: where the crop runs past the photo's edge it sees black
    # padding, and still calls an upper body's knees there 60-80 % visible (measured on the
    # examples' astronaut).
    height, width = image.shape[:2]
    inside = (
        (pixels[:, 0] >= 0) & (pixels[:, 0] < width) & (pixels[:, 1] >= 0) & (pixels[:, 1] < height)
    )
    visibility = _sigmoid(screen[:NUM_LANDMARKS, 3]) * _sigmoid(screen[:NUM_LANDMARKS, 4]) * inside
    metres = crop.unrotate(world[:NUM_LANDMARKS])
    person = Person3D(
        landmarks=np.column_stack([metres, visibility]),
        image_landmarks=np.column_stack([pixels, visibility]),
        presence=presence,
        crop=crop,
    )
    return person, screen


def lift(
    image: np.ndarray,
    people: Sequence[Pose],
    model: LandmarkModel | None = None,
    refine: bool = False,
    timings: dict[str, float] | None = None,
) -> list[Person3D | None]:
    """3D landmarks for each OpenPose person of an RGB uint8 image (H, W, 3), in order;
    None for a person with too few joints found for a crop.

    ``refine`` runs the model a second time on the crop its first answer proposes (as
    MediaPipe does from frame to frame; twice the cost). ``timings`` receives
    ``"pose3d_ms"``, the time for all people.
    """
    started = time.perf_counter()
    model = model or get_landmark_model()
    out: list[Person3D | None] = []
    for person in people:
        crop = crop_for(person)
        if crop is None:
            out.append(None)
            continue
        lifted, screen = lift_crop(image, crop, model)
        if refine:
            lifted, _ = lift_crop(image, crop_from_landmarks(screen, crop), model)
        out.append(lifted)
    if timings is not None:
        timings["pose3d_ms"] = (time.perf_counter() - started) * 1000
    return out


def complete_bodies(
    image: np.ndarray, result, timings: dict[str, float] | None = None
) -> list[Person3D | None]:
    """Each person's 3D body of an :class:`pose.body.types.Estimate`: the one the photo path's
    landmark run already read (``result.bodies``), else lifted now (:func:`lift`), so no
    person is read twice."""
    bodies = list(result.bodies) or [None] * len(result.people)
    missing = [index for index, body in enumerate(bodies) if body is None]
    started = time.perf_counter()
    for index, body in zip(missing, lift(image, [result.people[i] for i in missing]),
                           strict=True):  # fmt: skip
        bodies[index] = body
    if timings is not None:
        timings["pose3d_ms"] = (time.perf_counter() - started) * 1000
    return bodies


def lift_one(
    image: np.ndarray, person: Pose, label: str = "the image", read: Person3D | None = None
) -> Person3D:
    """:func:`lift` for one person; a :class:`pose.media.images.InputError` (a ``ValueError``) when
    too few of their joints were found for a crop. ``read``: the body the photo path's
    landmark run already read for this person (:attr:`pose.body.types.Estimate.bodies`),
    returned as it is: one photo pass gives the 2D joints and the 3D body alike."""
    if read is not None:
        return read
    lifted = lift(image, [person])[0]
    if lifted is None:
        from pose.media.images import InputError

        raise InputError(
            f"Too few joints were found for the person in {label} to lift them to 3D "
            f"(at least {MIN_JOINTS} needed)."
        )
    return lifted


def add_to_people(people: list[dict], bodies: Sequence[Person3D | None]) -> list[dict]:
    """Add each lifted person's :meth:`Person3D.to_dict` to the matching person's JSON dict
    (``Pose.to_dict()``), in order, in place; ``"landmarks3d": null`` where there was too
    little of a person for a crop. Returns ``people``."""
    for person, body in zip(people, bodies, strict=False):
        person.update(body.to_dict() if body else {"landmarks3d": None})
    return people
