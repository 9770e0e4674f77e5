"""Bad (and awkward but valid) media, made at test time, shared by the media unit tests and
the table-driven app test. Each maker writes one file into a folder and returns its path."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image


def photo_array(width: int = 96, height: int = 64, seed: int = 0) -> np.ndarray:
    """A noisy RGB uint8 (height, width, 3) picture: it compresses like a photo, not a fill."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)


def encoded(array: np.ndarray, fmt: str, **save) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt, **save)
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """A valid greyscale PNG of width x height black pixels: a few hundred KB that would
    decode to width*height bytes. Streamed through zlib so the test never holds it whole."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + pixels
    rows_per_chunk = max(1, (1 << 20) // len(row))
    parts, done = [], 0
    while done < height:
        count = min(rows_per_chunk, height - done)
        parts.append(compressor.compress(row * count))
        done += count
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


def damaged_png() -> bytes:
    """A PNG whose compressed pixel data is overwritten: the header reads, decoding fails."""
    data = bytearray(encoded(photo_array(), "PNG"))
    start = data.index(b"IDAT") + 4
    data[start + 10 : start + 400] = b"\xa5" * 390
    return bytes(data)


@dataclass(frozen=True)
class BadImage:
    """One row of the table: a file name, its bytes, and a fragment of the expected message."""

    name: str
    make: Callable[[], bytes]
    message: str

    def write(self, folder: Path) -> Path:
        path = folder / self.name
        path.write_bytes(self.make())
        return path


BAD_IMAGES = [
    BadImage("notes.txt", lambda: b"this is not a photo\n", "not an image we can read"),
    BadImage("random.jpg", lambda: bytes(range(256)) * 8, "not an image we can read"),
    BadImage("empty.jpg", lambda: b"", "empty (0 bytes)"),
    BadImage(
        "truncated.jpg",
        lambda: (data := encoded(photo_array(), "JPEG", quality=90))[: len(data) // 2],
        "truncated",
    ),
    BadImage(
        "truncated.png",
        lambda: (data := encoded(photo_array(), "PNG"))[: len(data) // 2],
        "truncated",
    ),
    BadImage("damaged.png", damaged_png, "damaged and cannot be decoded"),
    BadImage("tiny.png", lambda: encoded(photo_array(8, 8), "PNG"), "at least 16 pixels"),
    BadImage("bomb.png", lambda: png_bomb(8000, 8000), "8000x8000 pixels (64 MP)"),
    BadImage("huge-bomb.png", lambda: png_bomb(15000, 15000), "too many pixels (225 MP)"),
    BadImage(
        "drawing.eps",
        lambda: b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\nshowpage\n",
        "not an image we can read",
    ),
]


# --- Videos -------------------------------------------------------------------------------


def synthetic_video(path: Path, seconds: float, fps: int = 1, side: int = 64) -> Path:
    """A tiny H.264 MP4 of ``seconds`` at ``fps`` (noise frames): long clips in little time."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = stream.height = side
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for index in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(photo_array(side, side, seed=index % 4), "rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def frameless_video(path: Path) -> Path:
    """An MP4 with a video track that holds no frames at all."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        container.start_encoding()  # write the header even though no packet follows
    return path


def undecodable_video(path: Path) -> Path:
    """A well-formed MP4 (header, index, 10 frames) whose every compressed frame is zeroed."""
    synthetic_video(path, seconds=2, fps=5)
    data = bytearray(path.read_bytes())
    start = data.index(b"mdat") + 4
    moov = data.index(b"moov") - 4
    end = moov if moov > start else len(data)
    data[start:end] = bytes(end - start)
    path.write_bytes(bytes(data))
    return path


def audio_only(path: Path) -> Path:
    """An M4A-like MP4 with one second of silence and no video track."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        stream.layout = "mono"
        for start in range(0, 16000, 1024):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, 1024), dtype=np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate = 16000
            frame.pts = start
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


@dataclass(frozen=True)
class BadVideo:
    """A bad video: ``make(path)`` writes it; the message must contain ``message``."""

    name: str
    make: Callable[[Path], object]
    message: str

    def write(self, folder: Path) -> Path:
        path = folder / self.name
        self.make(path)
        return path


def _truncated_copy(source: Path, keep: float) -> Callable[[Path], object]:
    return lambda path: path.write_bytes((data := source.read_bytes())[: int(len(data) * keep)])


def bad_videos(eval_video: Path) -> list[BadVideo]:
    return [
        BadVideo("notes.mp4", lambda p: p.write_text("not a video\n"), "not a video we can read"),
        BadVideo("empty.mp4", lambda p: p.write_bytes(b""), "empty (0 bytes)"),
        BadVideo(
            "random.mkv", lambda p: p.write_bytes(bytes(range(256)) * 64), "not a video we can read"
        ),
        BadVideo("truncated.mp4", _truncated_copy(eval_video, 0.02), "not a video we can read"),
        BadVideo(
            "photo.mp4", lambda p: p.write_bytes(encoded(photo_array(), "PNG")), "still image"
        ),
        # An MP4 whose video track holds no frame: FFmpeg drops the empty track.
        BadVideo("no-frames.mp4", frameless_video, "no video track"),
        BadVideo("corrupt.mp4", undecodable_video, "no video frames that can be decoded"),
        BadVideo("audio.mp4", audio_only, "no video track"),
        BadVideo("long.mp4", lambda p: synthetic_video(p, seconds=601), "the limit is 600 s"),
    ]
