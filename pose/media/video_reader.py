"""Videos in: opening, probing and checking a file, then its frames as upright RGB.

Frames are read with PyAV, one packet at a time so that damaged data loses as little as
possible (:class:`ReadStats` counts what was lost). Every frame is held to the same limits
as the first (:data:`MAX_SIDE`, :data:`MAX_FRAME_PIXELS`); :func:`letterbox` fits a frame
that changes size midway into the first frame's size.
"""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from pose.media.images import InputError, check_regular_file

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
# Pixels decoded per video (frames x width x height; every frame is decoded, also with
# 'every Nth frame'): a 4096x4096 clip of 900 frames (15,100 MP) held the only video
# worker for 149 s and took the server to 2.3 GB (issue 28). 4,000 MP is a minute of
# 1080p at 30 frames/s, 16 s of 4K; 0 turns the budget off.
MAX_MEGAPIXELS = float(os.environ.get("POSE_MAX_VIDEO_MEGAPIXELS", 4000))
MAX_EVERY = 100
DEFAULT_FPS = Fraction(25)


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
    check_regular_file(file, "a video file")
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


# JPEG start-of-frame markers (baseline, progressive, lossless, ...): not DHT, JPG or DAC.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def jpeg_frame_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) a JPEG (an MJPEG packet) says it has, from its start-of-frame
    header; None when there is none. Reads the markers only, never the picture."""
    index = 2 if data[:2] == b"\xff\xd8" else 0
    while index + 9 <= len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker in _SOF_MARKERS:
            height, width = struct.unpack_from(">HH", data, index + 5)
            return width, height
        if marker == 0xFF:  # fill byte before a marker
            index += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            index += 2
            continue
        index += 2 + struct.unpack_from(">H", data, index + 2)[0]
    return None


def avi_header_size(path: str | os.PathLike) -> tuple[int, int] | None:
    """(width, height) an AVI's video stream header claims (its BITMAPINFOHEADER), or None.

    FFmpeg replaces it with the first decoded frame's size while probing, so a header
    claiming 16000x16000 over small JPEGs passed the side limit, and its frames, decoded as
    fields of a picture that is not there, came out half "damaged" (issue 28).
    """
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024)
    found = head.find(b"strf")
    if found < 0 or len(head) < found + 20:
        return None
    width, height = struct.unpack_from("<ii", head, found + 12)
    return abs(width), abs(height)


def _over_limit(width: int, height: int) -> bool:
    return max(width, height) > MAX_SIDE or width * height > MAX_FRAME_PIXELS


def _check(container, name: str) -> VideoInfo:
    if container.format.name == "image2" or container.format.name.endswith("_pipe"):
        raise InputError(f"{name} is a still image, not a video. Use the Image tab for photos.")
    if not container.streams.video:
        raise InputError(f"{name} has no video track (audio only?). Please upload a video.")
    stream = container.streams.video[0]
    if stream.codec_context is None or not stream.codec_context.width:
        raise InputError(f"{name} uses a video codec we cannot decode. Use H.264, VP9 or AV1.")
    info = _describe(container, stream, name)
    claimed = avi_header_size(container.name) if container.format.name == "avi" else None
    if claimed and _over_limit(*claimed):
        raise InputError(
            f"{name}: its header says {claimed[0]}x{claimed[1]} pixels; the limit is "
            f"{MAX_SIDE} pixels a side. Please re-encode the video at a smaller size."
        )
    if max(info.width, info.height) > MAX_SIDE:
        raise InputError(
            f"{name} is {info.width}x{info.height} pixels; the limit is {MAX_SIDE} pixels a side."
        )
    check_pixel_budget(info)
    if info.duration is not None and info.duration > MAX_SECONDS:
        raise InputError(
            f"{name} lasts {info.duration:.0f} s; the limit is {MAX_SECONDS:.0f} s. Please trim it."
        )
    return info


def pixel_budget_refusal(
    name: str, frames: int, width: int, height: int, limit: float, more: bool = False
) -> str:
    """The message for a clip over :data:`MAX_MEGAPIXELS`, with what would fit (``more``:
    counted while decoding, the clip holds at least ``frames``)."""
    fits = int(limit * 1e6 // max(1, width * height))
    return (
        f"{name} {'has more than' if more else 'is'} {frames} frames of {width}x{height} pixels, "
        f"{frames * width * height / 1e6:,.0f} megapixels to decode; the limit is "
        f"{limit:,.0f} megapixels a video (about {fits} frames at this size). "
        "Please trim it or re-encode it at a smaller size."
    )


def check_pixel_budget(info: VideoInfo, limit: float | None = None) -> None:
    """InputError when the frames the header counts are over ``limit`` megapixels
    (default :data:`MAX_MEGAPIXELS`)."""
    limit = MAX_MEGAPIXELS if limit is None else limit
    if limit <= 0 or not info.frames:
        return
    if info.frames * info.width * info.height > limit * 1e6:
        raise InputError(
            pixel_budget_refusal(info.name, info.frames, info.width, info.height, limit)
        )


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
                # FFmpeg's MJPEG decoder answers a frame over max_pixels as invalid data:
                # a JPEG claiming 16000x16000 is refused for its size, not counted damaged.
                claimed = (
                    jpeg_frame_size(bytes(packet)) if stream.codec_context.name == "mjpeg" else None
                )
                if claimed and _over_limit(*claimed):
                    raise InputError(
                        f"{name}: frame {stats.decoded + 1} says it is {claimed[0]}x{claimed[1]} "
                        f"pixels; the limit is {MAX_SIDE} pixels a side for every frame, not "
                        "just the first. Please re-encode the video at a smaller size."
                    ) from None
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
    pixels = 0  # decoded so far: the header's frame count may be missing or wrong
    for index, frame in enumerate(_decode(container, stream, info.name, stats)):
        check_frame_size(frame.width, frame.height, index, info.name)
        decoded = stats.decoded = index + 1
        pixels += frame.width * frame.height
        if MAX_MEGAPIXELS > 0 and pixels > MAX_MEGAPIXELS * 1e6:
            raise InputError(
                pixel_budget_refusal(
                    info.name, decoded, frame.width, frame.height, MAX_MEGAPIXELS, more=True
                )
            )
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


def steady_frames(
    container,
    info: VideoInfo,
    every: int = 1,
    max_frames: int = MAX_FRAMES,
    stats: ReadStats | None = None,
) -> Generator[tuple[int, float, np.ndarray], None, int]:
    """:func:`iter_frames` with every frame in the first frame's size: (source index, time
    in s, RGB uint8 (H, W, 3)), H and W the first frame's. Spliced clips and streams change
    size midway; a frame of another size is letterboxed (:func:`letterbox`) into the first's,
    so keypoints stay in output pixels and people keep their proportions. The one reader of
    the video stream, the side-by-side comparison and the browser preview, so all three
    show a frame alike. Returns the frames decoded in all, as :func:`iter_frames`."""
    reader = iter_frames(container, info, every, max_frames, stats)
    first = previous = None  # (H, W, 3) shapes
    while True:
        try:
            index, seconds, image = next(reader)
        except StopIteration as end:
            return end.value
        shape = image.shape
        first = first or shape
        if shape != first:
            if shape != previous:
                log.info("frame %d is %dx%d: letterboxed", index, shape[1], shape[0])
            image = letterbox(image, first[1], first[0])
        previous = shape
        yield index, seconds, image


def read_video(
    path: str | os.PathLike, every: int = 1, max_frames: int = MAX_FRAMES
) -> Generator[tuple[int, float, np.ndarray], None, int]:
    """:func:`steady_frames` of the file at ``path``, opened and closed here (closing the
    generator early closes the file)."""
    container, info = open_video(path)
    try:
        return (yield from steady_frames(container, info, every, max_frames))
    finally:
        container.close()
