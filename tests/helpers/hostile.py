"""Hostile media made at test time (issue 20): JPEGs that claim more than they hold, MJPEG
clips whose frames change size, clips with damaged middles, and Gradio's plain HTTP
protocol: a call's event stream read to its end, and the webcam stream (gradio_client cannot
call a stream). benchmarks/reliability.py uses them too."""

from __future__ import annotations

import base64
import io
import json
import struct
from fractions import Fraction
from pathlib import Path

import av
import cv2
import httpx
import numpy as np
from PIL import Image


def jpeg(height: int = 64, width: int = 64, **options) -> bytes:
    """A noisy RGB JPEG; ``mode`` ("L", "CMYK", ...) and Pillow's save options apply."""
    rng = np.random.default_rng(height * width)
    image = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    mode = options.pop("mode", "RGB")
    image.convert(mode).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def claiming(data: bytes, width: int, height: int) -> bytes:
    """``data`` (a baseline JPEG) with its frame header rewritten to claim ``width`` x
    ``height``: the data then ends long before the picture does."""
    patched = bytearray(data)
    start = patched.find(b"\xff\xc0")
    struct.pack_into(">HH", patched, start + 5, height, width)
    return bytes(patched)


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def mjpeg_clip(path: Path, sizes: list[tuple[int, int]], fps: int = 10) -> Path:
    """An MJPEG AVI whose frame ``i`` is ``sizes[i]`` (w, h): JPEGs muxed as packets, so
    each carries its own size (as in a spliced clip)."""
    frames = []
    for index, (width, height) in enumerate(sizes):
        image = np.full((height, width, 3), (index * 9) % 256, np.uint8)
        cv2.circle(image, (width // 2, height // 2), min(width, height) // 3, (250, 40, 40), -1)
        frames.append(cv2.imencode(".jpg", image)[1].tobytes())
    return mux_jpegs(path, frames, sizes[0], fps)


def mux_jpegs(path: Path, frames: list[bytes], size: tuple[int, int], fps: int = 10) -> Path:
    """An MJPEG AVI of the given JPEG files as its packets, undecoded: each frame keeps its
    own size whatever ``size`` (w, h) the stream's header claims."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mjpeg", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuvj420p"
        for index, data in enumerate(frames):
            packet = av.Packet(data)
            packet.stream = stream
            packet.pts = packet.dts = index
            packet.time_base = Fraction(1, fps)
            container.mux(packet)
    return path


def damage_middle(path: Path, fraction: float = 0.2, seed: int = 0) -> Path:
    """Overwrite the middle ``fraction`` of a file's bytes with noise, in place."""
    data = bytearray(path.read_bytes())
    start = int(len(data) * (0.5 - fraction / 2))
    end = int(len(data) * (0.5 + fraction / 2))
    rng = np.random.default_rng(seed)
    data[start:end] = rng.integers(0, 256, end - start, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    return path


def read_call(url: str, timeout: float = 120) -> tuple[str, str]:
    """Read a Gradio call's event stream (``.../gradio_api/call/NAME/EVENT_ID``) to its end;
    return its last event's name ("complete", "error", ...) and the last data line."""
    event = payload = ""
    with httpx.stream("GET", url, timeout=timeout) as response:
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                payload = line.split(":", 1)[1].strip()
    return event, payload


def stream_webcam_frame(
    app_url: str, frame: bytes, mime: str = "image/jpeg", size: str = "fast"
) -> dict:
    """Send one frame to the launched app's webcam stream as a browser does (join the queue
    with a ``data:`` URL frame, read the event stream) at model ``size``, and return the
    first answer: ``{"msg": "process_streaming" | "process_completed", "success": ...,
    "output": ...}``. A refused join raises RuntimeError with the HTTP status."""
    config = httpx.get(app_url + "config", timeout=30).json()
    index, dependency = next(
        (number, dependency)
        for number, dependency in enumerate(config["dependencies"])
        if dependency.get("api_name") == "stream_webcam"
    )
    session = f"test-{np.random.default_rng().integers(1 << 62)}"
    url = f"data:{mime};base64," + base64.b64encode(frame).decode()
    image = {"url": url, "path": None, "meta": {"_type": "gradio.FileData"}}
    # frame, session state, smooth, size, threshold, reference state, either side, second
    # opinion
    data = [image, None, True, size, 0.1, None, True, False][: len(dependency["inputs"])]
    body = {
        "data": data,
        "fn_index": dependency.get("id", index),
        "session_hash": session,
        "trigger_id": dependency["targets"][0][0],
        "event_data": None,
    }
    joined = httpx.post(app_url + "gradio_api/queue/join", json=body, timeout=30)
    if joined.status_code != 200:
        raise RuntimeError(f"HTTP {joined.status_code} {joined.text[:100]}")
    event_id = joined.json()["event_id"]
    try:
        with httpx.stream(
            "GET", app_url + f"gradio_api/queue/data?session_hash={session}", timeout=120
        ) as response:
            for line in response.iter_lines():
                if line.startswith("data:"):
                    message = json.loads(line[5:])
                    if message.get("msg") in ("process_streaming", "process_completed"):
                        return message
    finally:
        httpx.post(app_url + f"gradio_api/stream/{event_id}/close", timeout=10)
    raise AssertionError("the stream never answered")
