"""What the parts of the speed benchmark share: the benchmark frames, the original approach
they are all compared with, timing helpers and the report's row format.

:mod:`benchmarks.speed` runs the whole benchmark; :mod:`benchmarks.speed_region`,
:mod:`benchmarks.machine` and :mod:`benchmarks.app_start` time one part each, with these.
"""

from __future__ import annotations

import contextlib
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from benchmarks.common import DEMO
from pose.body.skeleton import DRAWN_LIMBS
from pose.network.spec import model_path

CLIP = DEMO
FRAME_SIZE = (640, 480)
ORIGINAL_BLOB = (432, 368)  # the original script's --width/--height, at our balanced size
ORIGINAL_THRESHOLD = 0.2  # the original script's --thr


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def cpu_seconds() -> float:
    """User + system CPU time of this process so far, all threads (and native pools)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def interleaved(
    cases: dict[str, Callable[[], object]], repeats: int, warmup: int = 2
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """(median, best, median CPU) milliseconds per case; each round runs every case in turn.

    CPU time counts all of this process's threads; other processes' load barely moves it.
    """
    for fn in cases.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            spent = cpu_seconds()
            samples[name].append(timed(fn))
            cpu[name].append(cpu_seconds() - spent)
    medians = {name: median_ms(values) for name, values in samples.items()}
    best = {name: min(values) * 1000.0 for name, values in samples.items()}
    cpu_medians = {name: median_ms(values) for name, values in cpu.items()}
    return medians, best, cpu_medians


def real_frames() -> list[np.ndarray]:
    """The eval clip's frames as RGB uint8 (480, 640, 3): centre 4:3 crop, area-resized."""
    import av

    frames = []
    with av.open(str(CLIP)) as container:
        for frame in container.decode(video=0):
            image = frame.to_ndarray(format="rgb24")
            height, width = image.shape[:2]
            crop_w = min(width, height * 4 // 3)
            left = (width - crop_w) // 2
            image = image[:, left : left + crop_w]
            frames.append(cv2.resize(image, FRAME_SIZE, interpolation=cv2.INTER_AREA))
    if not frames:
        raise SystemExit(f"error: no frames in {CLIP}")
    return frames


def write_clip(frames: list[np.ndarray], count: int, path: Path) -> Path:
    """``count`` frames (looping ``frames``) as an H.264 mp4 at 25 fps."""
    from pose.media.video_writer import VideoWriter

    with VideoWriter(path, FRAME_SIZE[0], FRAME_SIZE[1], Fraction(25)) as writer:
        for index in range(count):
            writer.write(frames[index % len(frames)])
    return path


def row(label: str, value: str, ratio: float | None = None, note: str = "") -> None:
    ratio_text = f"{ratio:6.2f}x" if ratio is not None else " " * 7
    print(f"  {label:<44}{value:>14}  {ratio_text}  {note}")


def print_checks(checks: list[tuple[str, bool, str]], width: int) -> None:
    """One line per goal: met or MISS, the goal (padded to ``width``), the figure."""
    for label, ok, value in checks:
        print(f"  {'met ' if ok else 'MISS'}  {label:<{width}}{value:>10}")


@contextlib.contextmanager
def opencv_default_threads() -> Iterator[None]:
    """OpenCV on its default threads (one per core) for the block, as the original script
    ran: this package runs OpenCV on one thread once a TFLite runner exists
    (:func:`pose.network.runners.opencv_on_one_thread`)."""
    before = cv2.getNumThreads()
    cv2.setNumThreads(-1)  # negative: OpenCV's default
    try:
        yield
    finally:
        cv2.setNumThreads(before)


class Original:
    """The original openpose.py approach: OpenCV dnn, one frame, argmax per heatmap, on
    OpenCV's default threads (:func:`opencv_default_threads`)."""

    def __init__(self) -> None:
        self.net = cv2.dnn.readNetFromTensorflow(str(model_path()))

    def forward(self, frame_bgr: np.ndarray) -> np.ndarray:
        """Heatmaps (1, 19, 46, 54) NCHW of a BGR frame, on the script's 432x368 blob."""
        blob = cv2.dnn.blobFromImage(
            frame_bgr, 1.0, ORIGINAL_BLOB, (127.5, 127.5, 127.5), swapRB=True, crop=False
        )
        self.net.setInput(blob)
        with opencv_default_threads():
            return self.net.forward()[:, :19]  # heatmaps only; the script ignores the PAFs

    def frame(self, frame_bgr: np.ndarray) -> np.ndarray:
        """Forward, one argmax per joint, lines and dots drawn on the frame (in place)."""
        out = self.forward(frame_bgr)
        height, width = frame_bgr.shape[:2]
        points: list[tuple[int, int] | None] = []
        for joint in range(18):
            _, confidence, _, (col, row_) = cv2.minMaxLoc(out[0, joint])
            x = int(width * col / out.shape[3])
            y = int(height * row_ / out.shape[2])
            points.append((x, y) if confidence > ORIGINAL_THRESHOLD else None)
        for start, end in DRAWN_LIMBS:
            if points[start] and points[end]:
                cv2.line(frame_bgr, points[start], points[end], (0, 255, 0), 3)
                cv2.circle(frame_bgr, points[start], 3, (0, 0, 255), cv2.FILLED)
        return frame_bgr

    def clip_fps(self, clip: Path) -> float:
        """Frames/s of the script's loop: VideoCapture read + :meth:`frame`, to the end."""
        capture = cv2.VideoCapture(str(clip))
        count = 0
        started = time.perf_counter()
        with opencv_default_threads():
            while True:
                ok, frame = capture.read()
                if not ok:
                    break
                self.frame(frame)
                count += 1
        elapsed = time.perf_counter() - started
        capture.release()
        return count / elapsed
