"""Video in; annotated, browser-playable video and per-frame keypoints out.

Frames are read with PyAV, run through the model, drawn, and encoded as H.264 (yuv420p,
``+faststart``) in MP4, or VP9 in WebM: the codecs every browser plays. OpenCV's pip
wheels only write mp4v, which browsers do not play.

The work runs as a small pipeline of threads joined by bounded queues, so decoding,
inference, drawing and encoding overlap and keep two cores busy::

    read (PyAV decode, RGB) -> infer (the model; one worker per core, frames dealt in turn)
        -> draw (keypoint decode, smoothing, skeletons, RGB->YUV) -> encode (libx264, caller)

The model runtime, OpenCV and the codecs release the GIL while they work, so the threads run
truly in parallel. Audio is not copied to the output.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from pathlib import Path

import av
import cv2
import numpy as np

from pose.angles import joint_angle_cells, pose_angles_json
from pose.draw import draw_ids, draw_poses
from pose.estimate import DEFAULT_THRESHOLD, decode_output, resolve_box
from pose.media import InputError
from pose.model import PoseModel, motion_model
from pose.pose3d import Person3D, add_to_people, get_landmark_model, lift
from pose.region import DEFAULT_POLICY, LaggedPlanner, Plan, RegionPolicy, infer_windows
from pose.skeleton import Joint
from pose.smoothing import PoseSmoother
from pose.track import PoseTracker
from pose.types import JOINT_NAMES, Pose

log = logging.getLogger(__name__)

# Limits, documented in the README and the Video tab. Processing runs at roughly 10-20
# frames/s on two cores, so 900 processed frames is about a minute of work; longer clips
# can be processed by taking every Nth frame.
MAX_FRAMES = int(os.environ.get("POSE_MAX_VIDEO_FRAMES", 900))
MAX_SECONDS = float(os.environ.get("POSE_MAX_VIDEO_SECONDS", 600))
MAX_SIDE = 4096
# Every frame is held to MAX_SIDE, not just the first: a clip may change size midway. The
# decoder itself refuses frames over MAX_SIDE x MAX_SIDE pixels (FFmpeg's max_pixels), so
# a 16000x16000 frame is never allocated (768 MB as RGB).
MAX_FRAME_PIXELS = MAX_SIDE * MAX_SIDE
MAX_EVERY = 100
DEFAULT_FPS = Fraction(25)
# Batching frames into one model call gained nothing (measured on the street clip: with
# TFLite one frame per call ran 10-14 frames/s against 7-9 for two). The model stage instead
# runs one single-threaded worker per core (PoseModel.workers), each on every other frame.
QUEUE_SIZE = 4

ENCODERS = {".mp4": "libx264", ".mov": "libx264", ".m4v": "libx264", ".webm": "libvpx-vp9"}
ENCODER_OPTIONS = {
    # ultrafast: the same quality as superfast at CRF 23 (PSNR 34.3 dB on the street clip at
    # 640x480) for 2.6x less CPU (1.3 against 3.3 ms a frame) and files 65 % larger; the video
    # path is CPU-bound on two cores, and the model needs the CPU more. One encoder thread:
    # x264's own threads cost 50 % more CPU per frame, and the pipeline already runs the
    # encoder beside the model.
    "libx264": {"preset": "ultrafast", "crf": "23", "threads": "1"},
    # Realtime deadline: VP9's default mode is tens of times slower than x264 veryfast.
    "libvpx-vp9": {"deadline": "realtime", "cpu-used": "8", "row-mt": "1", "crf": "32", "b": "0"},
}
# "id" (the person's tracking ID) and "angle" (:func:`pose.export.table_rows`) came later:
# they follow the original columns so that readers of the first seven keep working.
CSV_HEADERS = ["frame", "time", "person", "joint", "x", "y", "confidence", "id", "angle"]

ProgressCallback = Callable[[int, int | None], None]


@dataclass(frozen=True)
class VideoInfo:
    """What a video file holds. ``width`` x ``height`` is the stored size: phones record a
    display rotation instead of turning the pixels, which is applied per frame
    (:func:`upright`), so the output may be the transpose of this.

    ``frames`` comes from the container header or duration x fps, so it is an estimate
    (``None`` if neither is known).
    """

    name: str
    width: int
    height: int
    fps: Fraction
    frames: int | None
    duration: float | None
    codec: str
    has_audio: bool

    def to_dict(self) -> dict:
        return {
            "width": self.width,
            "height": self.height,
            "fps": round(float(self.fps), 3),
            "frames": self.frames,
            "duration": None if self.duration is None else round(self.duration, 3),
            "codec": self.codec,
            "has_audio": self.has_audio,
        }


@dataclass(frozen=True)
class FrameKeypoints:
    """People found in source frame ``index`` (0-based), shown at ``time`` seconds, and
    their tracking IDs (:mod:`pose.track`; same order as ``people``; empty when untracked);
    with ``lift3d``, ``bodies`` has each person's 3D landmarks (None: too few joints)."""

    index: int
    time: float
    people: tuple[Pose, ...]
    ids: tuple[int, ...] = ()
    bodies: tuple[Person3D | None, ...] = ()

    def id_of(self, number: int) -> int | None:
        """The tracking ID of ``people[number]``, or ``None`` when untracked."""
        return self.ids[number] if number < len(self.ids) else None

    def to_dict(self) -> dict:
        """``{"frame", "time", "people": [{"id", "score", "keypoints", "angles", ...}]}``;
        with 3D, each person also has ``"landmarks3d"``."""
        people = [
            {"id": self.id_of(number), **person.to_dict()}
            for number, person in enumerate(self.people)
        ]
        people = add_to_people(people, self.bodies)
        return {"frame": self.index, "time": round(self.time, 4), "people": people}


@dataclass(frozen=True)
class VideoResult:
    """An annotated video at ``output`` (at the source's ``fps`` and duration) and the
    keypoints of each processed frame."""

    output: Path
    source: VideoInfo
    every: int
    fps: Fraction
    width: int
    height: int
    frames: tuple[FrameKeypoints, ...]
    seconds: float
    # CPU seconds each pipeline stage spent ("read", "infer0", ..., "draw", "encode"): where
    # the time goes when the stages overlap (benchmarks/speed.py prints it).
    stage_cpu_seconds: dict[str, float] = field(default_factory=dict)
    backend: str = ""  # the model backend that ran ("int8", "tflite", ...)
    # Source frames that could not be decoded (damaged data); the frame before them is held.
    lost_frames: int = 0
    # Per processed frame: the windows of output cells the network ran on, None for the
    # full frame (pose.region); empty when the region path was off.
    windows: tuple[Plan, ...] = ()

    @property
    def audio_dropped(self) -> bool:
        return self.source.has_audio

    @property
    def processing_fps(self) -> float:
        return len(self.frames) / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict:
        """JSON-ready; ``frames`` has one entry per processed frame (``every``-th), in order."""
        return {
            "source": self.source.to_dict(),
            "output": {
                "width": self.width,
                "height": self.height,
                "fps": round(float(self.fps), 3),
                "frames": len(self.frames),
                "every": self.every,
                "audio": False,
                "model": self.backend,  # the backend that ran ("int8", "tflite", ...)
                "lost_frames": self.lost_frames,
            },
            "frames": [frame.to_dict() for frame in self.frames],
            "joints": list(JOINT_NAMES),  # names the 18 [x, y, score] of each keypoints list
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def to_csv(self) -> str:
        """One row per found joint: frame, time, person (1-based in the frame), joint, x, y,
        confidence, id (the person's tracking ID, the same in every frame), angle (degrees at
        elbows, shoulders, hips, knees; the trunk lean on the neck row; else empty)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_HEADERS)
        for frame in self.frames:
            for number, person in enumerate(frame.people, start=1):
                angles = joint_angle_cells(person)
                for joint in Joint:
                    x, y, score = person.keypoints[joint].tolist()
                    if score > 0:
                        writer.writerow(
                            [
                                frame.index,
                                round(frame.time, 4),
                                number,
                                joint.label,
                                round(x, 1),
                                round(y, 1),
                                round(score, 3),
                                frame.id_of(number - 1),
                                angles[joint],
                            ]
                        )
        return buffer.getvalue()

    def person_ids(self) -> list[int]:
        """Tracking IDs of everyone found, the most often seen first (ties: lower ID first)."""
        counts: dict[int, int] = {}
        for frame in self.frames:
            for person_id in frame.ids:
                counts[person_id] = counts.get(person_id, 0) + 1
        return sorted(counts, key=lambda person_id: (-counts[person_id], person_id))

    def track_angles(self, person_id: int) -> list[tuple[int, float, dict[str, float | None]]]:
        """(frame index, time, angles JSON) of every processed frame where the person with
        tracking ID ``person_id`` was found, in order (for plotting angles over time)."""
        rows = []
        for frame in self.frames:
            for number, person in enumerate(frame.people):
                if frame.id_of(number) == person_id:
                    rows.append((frame.index, frame.time, pose_angles_json(person)))
        return rows


def tracked_people(payload: dict) -> list[tuple[int, int]]:
    """(ID, frames seen) of everyone in a video's keypoints JSON (:meth:`VideoResult.to_dict`),
    the most often seen first (ties: lower ID first). People without an ID are skipped."""
    counts: dict[int, int] = {}
    for frame in payload.get("frames", []):
        for person in frame.get("people", []):
            if isinstance(person.get("id"), int):
                counts[person["id"]] = counts.get(person["id"], 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def angle_series(payload: dict, person_id: int) -> list[tuple[int, float, dict]]:
    """(frame, time, angles) of each frame of a video's keypoints JSON where the person with
    ID ``person_id`` was found, in order; angles as in the JSON (degrees or ``None``)."""
    rows = []
    for frame in payload.get("frames", []):
        for person in frame.get("people", []):
            if person.get("id") == person_id:
                rows.append((frame["frame"], frame["time"], person.get("angles", {})))
    return rows


# --------------------------------------------------------------------------- reading


def _frame_rate(stream) -> Fraction:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and 0 < rate <= 240:
            return Fraction(rate)
    return DEFAULT_FPS


def _describe(container, stream, name: str) -> VideoInfo:
    fps = _frame_rate(stream)
    duration = None
    if stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    elif container.duration:
        duration = container.duration / av.time_base
    frames = stream.frames or (round(duration * fps) if duration else None)
    width, height = stream.codec_context.width, stream.codec_context.height
    return VideoInfo(
        name=name,
        width=width,
        height=height,
        fps=fps,
        frames=frames,
        duration=duration,
        codec=stream.codec_context.name,
        has_audio=bool(container.streams.audio),
    )


def open_video(path: str | os.PathLike) -> tuple[av.container.InputContainer, VideoInfo]:
    """Open a video file for reading; raise :class:`InputError` with a clear message if unusable.

    Checks: the file exists and is not empty, FFmpeg can read it, it has a video track
    that can be decoded, it is not a still image, and it is within :data:`MAX_SECONDS`
    and :data:`MAX_SIDE`. The caller closes the returned container.
    """
    file = Path(path)
    name = file.name
    if not file.is_file():
        raise InputError(f"File not found: {name}.")
    if file.stat().st_size == 0:
        raise InputError(f"{name} is empty (0 bytes). Please upload a video.")
    try:
        container = av.open(str(file), metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{name} is not a video we can read: it is damaged, incomplete or in an "
            f"unknown format ({exc.__class__.__name__}). Use an MP4, MOV, WebM or AVI file."
        ) from None
    try:
        info = _check(container, name)
    except BaseException:
        container.close()
        raise
    return container, info


def _check(container, name: str) -> VideoInfo:
    if container.format.name == "image2" or container.format.name.endswith("_pipe"):
        raise InputError(f"{name} is a still image, not a video. Use the Image tab for photos.")
    if not container.streams.video:
        raise InputError(f"{name} has no video track (audio only?). Please upload a video.")
    stream = container.streams.video[0]
    if stream.codec_context is None or not stream.codec_context.width:
        raise InputError(f"{name} uses a video codec we cannot decode. Use H.264, VP9 or AV1.")
    info = _describe(container, stream, name)
    if max(info.width, info.height) > MAX_SIDE:
        raise InputError(
            f"{name} is {info.width}x{info.height} pixels; the limit is {MAX_SIDE} pixels a side."
        )
    if info.duration is not None and info.duration > MAX_SECONDS:
        raise InputError(
            f"{name} lasts {info.duration:.0f} s; the limit is {MAX_SECONDS:.0f} s. Please trim it."
        )
    return info


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """:class:`VideoInfo` of a file, validated as in :func:`open_video`."""
    container, info = open_video(path)
    container.close()
    return info


def check_frame_budget(info: VideoInfo, every: int, max_frames: int = MAX_FRAMES) -> int | None:
    """Number of frames that ``every`` would process; InputError if over ``max_frames``."""
    if not isinstance(every, int) or not 1 <= every <= MAX_EVERY:
        raise InputError(f"'Every Nth frame' must be a whole number from 1 to {MAX_EVERY}.")
    if info.frames is None:
        return None
    todo = -(-info.frames // every)
    if todo > max_frames:
        needed = -(-info.frames // max_frames)
        raise InputError(
            f"{info.name} has about {info.frames} frames; at most {max_frames} frames are "
            f"processed per video. Set 'every Nth frame' to {needed} or more, or trim the video."
        )
    return todo


def upright(image: np.ndarray, rotation: int) -> np.ndarray:
    """Apply a display rotation (degrees counter-clockwise, multiple of 90) to (H, W, C) pixels."""
    turns = round(rotation / 90) % 4
    return np.ascontiguousarray(np.rot90(image, turns)) if turns else image


def letterbox(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Fit (H, W, C) pixels into ``width`` x ``height``: scaled to fit, keeping their aspect
    ratio, centred on black. Returns ``image`` itself when it already has that size."""
    if image.shape[:2] == (height, width):
        return image
    scale = min(width / image.shape[1], height / image.shape[0])
    fitted = (
        max(1, min(width, round(image.shape[1] * scale))),
        max(1, min(height, round(image.shape[0] * scale))),
    )
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, fitted, interpolation=interpolation).reshape(
        fitted[1], fitted[0], *image.shape[2:]
    )
    canvas = np.zeros((height, width, *image.shape[2:]), dtype=image.dtype)
    left, top = (width - fitted[0]) // 2, (height - fitted[1]) // 2
    canvas[top : top + fitted[1], left : left + fitted[0]] = resized
    return canvas


@dataclass
class ReadStats:
    """What :func:`iter_frames` saw: frames decoded (skipped ones included) and frames lost
    to damaged data (packets that gave no frame, or frames the header counts but the file
    does not hold)."""

    decoded: int = 0
    lost: int = 0
    packets: int = 0


def check_frame_size(width: int, height: int, index: int, name: str) -> None:
    """InputError if decoded frame ``index`` (0-based) is beyond :data:`MAX_SIDE` or
    :data:`MAX_FRAME_PIXELS`: a clip that grows midway is refused, not letterboxed."""
    if max(width, height) > MAX_SIDE or width * height > MAX_FRAME_PIXELS:
        raise InputError(
            f"{name}: frame {index + 1} is {width}x{height} pixels; the limit is {MAX_SIDE} "
            "pixels a side for every frame, not just the first. Please re-encode the video "
            "at a smaller size."
        )


def _decode(container, stream, name: str, stats: ReadStats) -> Iterator:
    """Decoded frames of ``stream``; a file cut short yields the frames before the cut.

    Packets are decoded one by one (rather than ``container.decode``) so that a damaged
    packet or a truncated file does not lose the frames still inside the decoder.
    ``stats.packets`` counts the packets that carried data.
    """
    # Set before the first packet opens the decoder: larger frames fail to decode (EINVAL)
    # instead of being allocated.
    stream.codec_context.options = {
        **stream.codec_context.options,
        "max_pixels": str(MAX_FRAME_PIXELS),
    }
    try:
        for packet in container.demux(stream):
            stats.packets += packet.size > 0
            try:
                yield from packet.decode()
            except av.InvalidDataError as exc:
                log.info("skipped a damaged packet: %s", exc)  # CLI: one line
            except av.ArgumentError:
                # The decoder refused the frame's size (max_pixels above): it was fine
                # until now, so the picture grew past the limit.
                raise InputError(
                    f"{name}: a frame after frame {stats.decoded} is over {MAX_SIDE}x"
                    f"{MAX_SIDE} pixels; the limit is {MAX_SIDE} pixels a side for every "
                    "frame, not just the first. Please re-encode the video at a smaller size."
                ) from None
    except av.FFmpegError as exc:
        log.info("reading stopped early: %s", exc)
        try:
            yield from stream.codec_context.decode(None)  # flush frames still buffered
        except av.FFmpegError:
            return


def iter_frames(
    container,
    info: VideoInfo,
    every: int = 1,
    max_frames: int = MAX_FRAMES,
    stats: ReadStats | None = None,
) -> Generator[tuple[int, float, np.ndarray], None, int]:
    """Yield (source index, time in s, upright RGB uint8 (H, W, 3)) for every ``every``-th frame.

    Returns (as the generator's ``StopIteration.value``) how many frames were decoded in
    all, skipped ones included: the writer holds the last annotated frame until then.
    ``stats``, if given, is filled in as frames are read (``lost`` at the end).
    Raises InputError when no frame decodes, when a frame is beyond the size limits
    (:func:`check_frame_size`), or when the file holds more frames than its header said
    and exceeds ``max_frames``.
    """
    stream = container.streams.video[0]
    stats = stats if stats is not None else ReadStats()
    # No frame-parallel decoding ("AUTO"): a damaged packet would then lose every frame in
    # flight. Decoding has its own pipeline thread and is cheap next to the model.
    produced = 0
    decoded = 0
    for index, frame in enumerate(_decode(container, stream, info.name, stats)):
        check_frame_size(frame.width, frame.height, index, info.name)
        decoded = stats.decoded = index + 1
        if index % every:
            continue
        if produced >= max_frames:
            raise InputError(
                f"{info.name} has more frames than its header says; at most {max_frames} "
                f"frames are processed per video. Choose a larger 'every Nth frame'."
            )
        seconds = float(frame.time) if frame.time is not None else index / float(info.fps)
        rgb = frame.to_ndarray(format="rgb24")
        yield index, seconds, upright(rgb, frame.rotation)
        produced += 1
    if produced == 0:
        raise InputError(
            f"{info.name} contains no video frames that can be decoded (damaged or empty?)."
        )
    # Every packet with data should give a frame; the container's own count (exact in MP4
    # and AVI, 0 when unknown) also catches frames the demuxer skipped over damaged bytes.
    stats.lost = max(0, stats.packets - decoded, (stream.frames or 0) - decoded)
    if stats.lost:
        log.info("%d frames could not be decoded (damaged data)", stats.lost)
    return decoded


# --------------------------------------------------------------------------- writing


def even_size(width: int, height: int) -> tuple[int, int]:
    """H.264/VP9 in yuv420p need even sides: round odd sizes up by one pixel."""
    return width + width % 2, height + height % 2


def to_yuv420(image: np.ndarray) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> I420 planes (H*3/2, W') with odd sides padded by edge pixels."""
    height, width = image.shape[:2]
    pad_w, pad_h = even_size(width, height)
    if (pad_w, pad_h) != (width, height):
        image = np.pad(image, ((0, pad_h - height), (0, pad_w - width), (0, 0)), mode="edge")
    return cv2.cvtColor(image, cv2.COLOR_RGB2YUV_I420)


def encoder_for(path: str | os.PathLike) -> str:
    """The encoder for an output file name; InputError for a suffix no browser plays."""
    codec = ENCODERS.get(Path(path).suffix.lower())
    if codec is None:
        raise InputError(
            f"Cannot write {Path(path).name}: the output must end in {', '.join(sorted(ENCODERS))}."
        )
    return codec


class VideoWriter:
    """Encode RGB frames to a browser-playable file: H.264 for .mp4/.mov, VP9 for .webm.

    Timestamps count frames at ``fps`` (time base 1/fps). A frame may be given the number
    of the source frame it shows: frames left out between two written ones are not
    encoded, the player holds the earlier one, so every Nth frame plays at the source's
    speed. :meth:`hold_until` makes the last frame last to the source's end.
    """

    def __init__(self, path: str | os.PathLike, width: int, height: int, fps: Fraction) -> None:
        self.path = Path(path)
        codec = encoder_for(self.path)
        self.width, self.height = even_size(width, height)
        # faststart moves the index to the front so browsers start playing before the end.
        options = {"movflags": "+faststart"} if codec == "libx264" else {}
        self._container = av.open(str(self.path), "w", container_options=options)
        self._stream = self._container.add_stream(
            codec, rate=fps, options=ENCODER_OPTIONS.get(codec, {})
        )
        self._stream.width, self._stream.height = self.width, self.height
        self._stream.pix_fmt = "yuv420p"
        self.frames = 0  # encoded
        self._next = 0  # the earliest free frame number
        self._last: np.ndarray | None = None

    def write_yuv(self, planes: np.ndarray, number: int | None = None) -> None:
        """Encode one frame given as I420 planes from :func:`to_yuv420`, shown from frame
        ``number`` (default: right after the previous one) until the next written frame."""
        number = self._next if number is None else number
        if number < self._next:
            raise ValueError(f"frame {number} comes after frame {self._next - 1}")
        frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        frame.pts = number
        self._container.mux(self._stream.encode(frame))
        self.frames += 1
        self._next = number + 1
        self._last = planes

    def write(self, image: np.ndarray, number: int | None = None) -> None:
        """Encode one RGB uint8 (H, W, 3) frame (``number`` as in :meth:`write_yuv`)."""
        self.write_yuv(to_yuv420(image), number)

    def hold_until(self, end: int) -> None:
        """Show the last frame until frame ``end`` (exclusive), so the output lasts
        ``end / fps`` s. Containers give the last frame one tick, hence one repeat at
        ``end - 1``; nothing happens if the last frame is already there."""
        if self._last is not None and end - 1 >= self._next:
            self.write_yuv(self._last, end - 1)

    def close(self) -> None:
        try:
            self._container.mux(self._stream.encode(None))
        finally:
            self._container.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


# --------------------------------------------------------------------------- pipeline

_END = object()


class _Pipeline:
    """Threads joined by bounded queues; the first error stops every stage."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.cpu_seconds: dict[str, float] = {}
        self.errors: list[BaseException] = []
        self._threads: list[threading.Thread] = []

    def put(self, box: queue.Queue, item) -> bool:
        while not self.stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self, box: queue.Queue):
        while True:
            try:
                return box.get(timeout=0.1)
            except queue.Empty:
                if self.stop.is_set():
                    return _END

    def spawn(self, name: str, target: Callable[[], None], *outboxes: queue.Queue) -> None:
        def run() -> None:
            try:
                target()
            except BaseException as exc:
                self.errors.append(exc)
                self.stop.set()
            finally:
                self.cpu_seconds[name] = time.thread_time()
                for outbox in outboxes:
                    self.put(outbox, _END)

        thread = threading.Thread(target=run, name=f"video-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def close(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def raise_first(self) -> None:
        if self.errors:
            raise self.errors[0]


def process_video(
    source: str | os.PathLike,
    output: str | os.PathLike,
    *,
    size: str | tuple[int, int] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    every: int = 1,
    smooth: bool = False,
    max_frames: int = MAX_FRAMES,
    model: PoseModel | None = None,
    workers: int = 0,
    progress: ProgressCallback | None = None,
    lift3d: bool = False,
    regions: RegionPolicy | None = DEFAULT_POLICY,
) -> VideoResult:
    """Annotate every ``every``-th frame of ``source`` into ``output`` (.mp4 H.264 or .webm VP9).

    The output keeps the input's size (odd sides padded to even), frame rate and duration:
    with ``every`` > 1 each annotated frame is held until the next (the skipped frames are
    not encoded), and the last one until the source's end. Audio is dropped. Each person
    gets a tracking ID (:class:`pose.track.PoseTracker`), drawn above their head and kept in
    :attr:`FrameKeypoints.ids`. ``smooth`` applies the One Euro filter across frames, one
    filter per ID. ``model``: by default
    :func:`pose.model.motion_model` (int8 when built); ``workers``: model workers (default
    one per core; 1 = one call at a time on all cores, see :meth:`PoseModel.workers`).
    ``progress(done, total)`` is called from this thread after each encoded frame
    (``total`` is ``None`` when the file does not say how many frames it has). ``lift3d``
    also lifts every person of every processed frame to 3D (:mod:`pose.pose3d`; about 15-40
    ms a person on two cores, in the draw stage: docs/pose3d.md has the cost per frame).
    (``total`` is ``None`` when the file does not say how many frames it has).
    ``regions``: run the network only around the people found a few frames earlier, with
    full-frame passes as :class:`pose.region.RegionPolicy` says (None: every frame whole).
    Raises :class:`InputError` for unusable input; the partial output is removed then.
    """
    box = resolve_box(size)
    model = model or motion_model()
    started = time.perf_counter()
    encode_start = time.thread_time()  # this thread encodes (and opens and probes)
    resources = contextlib.ExitStack()  # closed after the pipeline's threads have stopped
    container, info = open_video(source)
    resources.callback(container.close)
    try:
        encoder_for(output)
        total = check_frame_budget(info, every, max_frames)
        runs = resources.enter_context(model.workers(workers))
    except BaseException:
        resources.close()
        raise
    writer: VideoWriter | None = None  # opened on the first frame: rotation may swap W and H
    frames: list[FrameKeypoints] = []
    pipeline = _Pipeline()
    # Frame n goes to worker n % len(runs) and comes back from it in the same turn, so the
    # order survives without sequence numbers.
    decoded = [queue.Queue(QUEUE_SIZE) for _ in runs]
    inferred = [queue.Queue(QUEUE_SIZE) for _ in runs]
    drawn: queue.Queue = queue.Queue(QUEUE_SIZE)
    smoother = PoseSmoother() if smooth else None
    tracker = PoseTracker()
    landmark_model = get_landmark_model() if lift3d else None
    if landmark_model is not None:
        landmark_model.load()  # fails (missing model) before any frame is read
    # Frame n's windows come from frame n - lag's people: one more than the workers, so a
    # worker rarely waits for the draw stage to decode them.
    planner = LaggedPlanner(regions, lag=len(runs) + 1) if regions is not None else None
    source_frames = 0  # decoded in all; set by the reader before it ends the queue
    stats = ReadStats()

    def read() -> None:
        nonlocal source_frames
        reader = iter_frames(container, info, every, max_frames, stats)
        first = previous = None  # (H, W, 3) shapes
        turn = number = 0
        try:
            while True:
                index, seconds, image = next(reader)
                shape = image.shape
                first = first or shape
                if shape != first:
                    # Spliced clips and streams change size midway. The output keeps the
                    # first frame's size, and the model sees the frame as it will be shown,
                    # so keypoints stay in output pixels and people keep their proportions.
                    if shape != previous:
                        log.info("frame %d is %dx%d: letterboxed", index, shape[1], shape[0])
                    image = letterbox(image, first[1], first[0])
                previous = shape
                if planner is not None:
                    planner.frame(number, image, box)
                number += 1
                if not pipeline.put(decoded[turn], (index, seconds, image)):
                    return
                turn = (turn + 1) % len(decoded)
        except StopIteration as end:
            source_frames = end.value

    def infer(inbox: queue.Queue, outbox: queue.Queue, run, numbers: Iterator[int]) -> None:
        while (item := pipeline.get(inbox)) is not _END:
            index, seconds, image = item
            plan = planner.decide(next(numbers), pipeline.stop) if planner else None
            if plan is None:
                (result,) = model.infer_batch([image], box, run=run)
            else:
                result = infer_windows(run, image, box, plan)
            if not pipeline.put(outbox, (index, seconds, image, result)):
                return

    def draw() -> None:
        turn = number = 0
        while (item := pipeline.get(inferred[turn])) is not _END:
            turn = (turn + 1) % len(inferred)
            index, seconds, image, result = item
            people = decode_output(result, threshold)
            ids = tracker.update(people, seconds)
            if planner is not None:
                planner.result(number, people)
            number += 1
            if smoother is not None:
                size = (image.shape[1], image.shape[0])
                people = smoother.update(people, seconds, size, ids=ids)
            bodies = lift(image, people, landmark_model) if landmark_model is not None else []
            planes = to_yuv420(draw_ids(draw_poses(image, people), people, ids))
            keypoints = FrameKeypoints(index, seconds, tuple(people), tuple(ids), tuple(bodies))
            if not pipeline.put(drawn, (keypoints, planes)):
                return

    pipeline.spawn("read", read, *decoded)
    for number, (inbox, outbox, run) in enumerate(zip(decoded, inferred, runs, strict=True)):
        numbers = itertools.count(number, len(runs))  # the frames this worker is dealt
        pipeline.spawn(f"infer{number}", partial(infer, inbox, outbox, run, numbers), outbox)
    pipeline.spawn("draw", draw, drawn)
    try:
        while (item := pipeline.get(drawn)) is not _END:
            keypoints, planes = item
            if writer is None:
                writer = VideoWriter(output, planes.shape[1], planes.shape[0] * 2 // 3, info.fps)
            writer.write_yuv(planes, keypoints.index)
            frames.append(keypoints)
            if progress is not None:
                progress(len(frames), total)
        pipeline.raise_first()
        if writer is None:
            raise InputError(f"{info.name} contains no video frames.")
        writer.hold_until(source_frames)
        writer.close()
    except BaseException:
        pipeline.close()
        try:
            if writer is not None:
                writer.close()
        finally:
            Path(output).unlink(missing_ok=True)
        raise
    finally:
        pipeline.close()
        resources.close()
    seconds = time.perf_counter() - started
    log.info("%d frames in %.1f s", len(frames), seconds)
    return VideoResult(
        output=Path(output),
        source=info,
        every=every,
        fps=info.fps,
        width=writer.width,
        height=writer.height,
        frames=tuple(frames),
        seconds=seconds,
        stage_cpu_seconds={**pipeline.cpu_seconds, "encode": time.thread_time() - encode_start},
        backend=model.backend,
        lost_frames=stats.lost,
        windows=tuple(planner.decisions) if planner is not None else (),
    )
