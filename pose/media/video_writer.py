"""Videos out: RGB frames encoded as browser-playable video.

H.264 (yuv420p, ``+faststart``) in MP4 or MOV, or VP9 in WebM: the codecs every browser
plays. OpenCV's pip wheels only write mp4v, which browsers do not play.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from pose.media.images import InputError

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
