"""Clips made at test time from the COCO eval photos, and probes of video files."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image

from tests.helpers.paths import COCO_DIR


def make_clip(
    path: Path,
    frames: int = 6,
    size: tuple[int, int] = (320, 240),
    fps: int = 10,
    codec: str = "libx264",
    audio: bool = False,
    rotation: int = 0,
) -> Path:
    """Write a clip cycling through the COCO eval photos, resized to ``size`` (w, h)."""
    photos = sorted(COCO_DIR.glob("*.jpg"))
    images = [np.asarray(Image.open(p).convert("RGB").resize(size)) for p in photos]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        sound = container.add_stream("aac", rate=8000) if audio else None
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(images[index % len(images)], format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        if sound is not None:
            samples = np.zeros((1, 8000), dtype=np.float32)
            chunk = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            chunk.sample_rate = 8000
            chunk.pts = 0
            container.mux(sound.encode(chunk))
            container.mux(sound.encode(None))
    return path


def make_walking_clip(path: Path, frames: int = 12, fps: int = 10, step: int = 6) -> Path:
    """One person, whole body in view: the COCO skier photo (000000000785.jpg, 640x425)
    cropped to 512x424 and panned ``step`` pixels a frame, as if the camera followed them."""
    photo = np.asarray(Image.open(COCO_DIR / "000000000785.jpg").convert("RGB"))
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = 512, 424
        stream.pix_fmt = "yuv420p"
        for index in range(frames):
            left = min(index * step, photo.shape[1] - 512)
            image = np.ascontiguousarray(photo[:424, left : left + 512])
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def make_resizing_clip(path: Path, sizes: list[tuple[int, int]], fps: int = 10) -> Path:
    """An MJPEG AVI whose frame ``i`` is the first COCO photo at ``sizes[i]`` (w, h).

    Encoders scale every frame to the stream's size, so the JPEGs are made here and muxed
    as packets: each carries its own size, as in a spliced clip or a camera that switched.
    """
    photo = Image.open(sorted(COCO_DIR.glob("*.jpg"))[0]).convert("RGB")
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mjpeg", rate=fps)
        stream.width, stream.height = sizes[0]
        stream.pix_fmt = "yuvj420p"
        for index, size in enumerate(sizes):
            ok, data = cv2.imencode(".jpg", np.asarray(photo.resize(size))[:, :, ::-1])
            assert ok
            packet = av.Packet(bytes(data))
            packet.stream, packet.time_base = stream, Fraction(1, fps)
            packet.pts = packet.dts = index
            container.mux(packet)
    return path


def probe(path: Path) -> tuple[str, str, int, int, int, Fraction]:
    """(codec, pixel format, frames decoded, width, height, average rate) of a file."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        count = sum(1 for _ in container.decode(stream))
        context = stream.codec_context
        return (
            context.name,
            context.pix_fmt,
            count,
            context.width,
            context.height,
            stream.average_rate,
        )


def timeline(path: Path) -> tuple[float, list[float]]:
    """(duration in s, presentation time of each decoded frame in s) of a file's video."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = [float(frame.time) for frame in container.decode(stream)]
        if stream.duration:
            return float(stream.duration * stream.time_base), times
        return container.duration / av.time_base, times
