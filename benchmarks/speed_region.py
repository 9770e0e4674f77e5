"""The region path (issue 17, :mod:`pose.video.region`: the network runs only around the people
found) against full frames, on three clips, each with the original loop on the same clip as
its baseline: the benchmark clip, the street clip (../shared/eval/video/street.avi, 640x360)
and the COCO eval photos at 60 % on a grey frame, each held still.

Part of :mod:`benchmarks.speed`; ``python -m benchmarks.speed --region-only`` runs just this
(:func:`region_only`), with the CPU's name and its matmul peak.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from benchmarks.common import COCO_DIR, STREET, cpu_model
from benchmarks.machine import matmul_gflops, peak_gflops
from benchmarks.speed_common import (
    CLIP,
    Original,
    median_ms,
    print_checks,
    real_frames,
    row,
    timed,
)
from pose.network.registry import MOTION_BACKEND, PoseModel
from pose.video.live import WebcamSession, jpeg_data_url

# Issue 17's goals: the video path's ratio to the original loop depends on the CPU's float
# peak (8x at about 470 GF/s, 5x at about 200; in between, on the line through the two), and
# a webcam frame within 25 ms.
REGION_GOALS = {"peaks": ((200.0, 5.0), (470.0, 8.0)), "webcam_ms": 25.0}
REGION_FRAMES = 90
# Issue 24: the same paths with the second opinion (pose.video.crop_follow), an option: timed
# in the same run, printed beside them; the goals above are the default paths'.
SECOND_VIDEO = "video path, region path + second opinion"
SECOND_WEBCAM = "webcam, region path + second opinion"


def video_goal(peak_gflops: float) -> float:
    """Issue 17's video-path ratio goal for a CPU of this float peak."""
    (low_peak, low_goal), (high_peak, high_goal) = REGION_GOALS["peaks"]
    share = (peak_gflops - low_peak) / (high_peak - low_peak)
    return float(np.clip(low_goal + share * (high_goal - low_goal), low_goal, high_goal))


def street_clip_frames(count: int) -> list[np.ndarray]:
    """The first ``count`` frames of the street clip, RGB (360, 640, 3)."""
    import av

    frames = []
    with av.open(str(STREET)) as container:
        for frame in container.decode(video=0):
            image = frame.to_ndarray(format="rgb24")
            frames.append(cv2.resize(image, (640, 360), interpolation=cv2.INTER_AREA))
            if len(frames) >= count:
                break
    return frames


def small_people_frames(count: int) -> list[np.ndarray]:
    """The COCO eval photos at 60 % on a grey 640x480 frame, each held still in turn."""
    from pose.media.images import load_image

    stills = []
    for path in sorted(COCO_DIR.glob("*.jpg")):
        photo = load_image(path)
        scale = min(0.6 * 640 / photo.shape[1], 0.6 * 480 / photo.shape[0])
        small = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        frame = np.full((480, 640, 3), 128, np.uint8)
        frame[40 : 40 + small.shape[0], 80 : 80 + small.shape[1]] = small
        stills.append(frame)
    hold = -(-count // len(stills))
    return [stills[index // hold] for index in range(count)]


def write_frames(frames: list[np.ndarray], path: Path) -> Path:
    """RGB ``frames`` (all of one size) as an H.264 mp4 at 25 fps."""
    from pose.media.video_writer import VideoWriter

    height, width = frames[0].shape[:2]
    with VideoWriter(path, width, height, Fraction(25)) as writer:
        for image in frames:
            writer.write(image)
    return path


def video_path_fps(
    original: Original, model: PoseModel, clip: Path, count: int, out_dir: Path, rounds: int
) -> tuple[dict[str, float], list[float]]:
    """Median frames/s of the original loop and the video path (full frames, region path,
    region path with the second opinion) on ``clip`` of ``count`` frames, in interleaved
    rounds after a warm-up, and the share of the grid each region-path run ran."""
    from pose.video.process import process_video

    shares: list[float] = []

    def video(regions: bool, second: bool = False) -> float:
        options = {} if regions else {"regions": None}
        output = out_dir / f"region-{regions}.mp4"
        started = time.perf_counter()
        result = process_video(clip, output, size="balanced", model=model,
                               second_opinion=second, **options)  # fmt: skip
        elapsed = time.perf_counter() - started
        if regions and not second:
            shares.append(result.network_share)
        return count / elapsed

    cases = {
        "original loop": lambda: original.clip_fps(clip),
        "video path, full frames": lambda: video(False),
        "video path, region path": lambda: video(True),
        SECOND_VIDEO: lambda: video(True, True),
    }
    samples: dict[str, list[float]] = {case: [] for case in cases}
    video(True)  # warm-up: interpreters for the shapes the region path uses
    video(True, True)  # and BlazePose's two models
    for _ in range(rounds):
        for case, fn in cases.items():
            samples[case].append(fn())
    fps = {case: statistics.median(values) for case, values in samples.items()}
    return fps, shares


def webcam_frame_ms(model: PoseModel, frames: list[np.ndarray]) -> dict[str, float]:
    """Median ms per webcam frame (pose.video.live, the display encoded as JPEG) on full
    frames, the region path and the region path with the second opinion; ``frames`` are RGB
    (H, W, 3), each seen by every session in order, the first two left out as warm-up."""
    # Frames alternate between the sessions so that load hits them alike.
    sessions = {
        "webcam, full frames": WebcamSession(regions=None),
        "webcam, region path": WebcamSession(),
        SECOND_WEBCAM: WebcamSession(),
    }
    times: dict[str, list[float]] = {case: [] for case in sessions}
    for index, frame in enumerate(frames):
        for case, session in sessions.items():
            second = case == SECOND_WEBCAM
            took = timed(
                lambda session=session, frame=frame, second=second: jpeg_data_url(
                    session.process(frame, mirrored=True, smooth=True, model=model,
                                    second_opinion=second).display
                )
            )  # fmt: skip
            if index >= 2:
                times[case].append(took)
    return {case: median_ms(values) for case, values in times.items()}


def region_section(
    original: Original,
    model: PoseModel,
    clips: dict[str, tuple[Path, list[np.ndarray]]],
    out_dir: Path,
    rounds: int,
) -> dict[str, dict[str, float]]:
    """Per clip: frames/s of the original loop, the video path on full frames and on the
    region path (interleaved rounds), the share of the grid the region path ran, and the
    webcam frame (pose.video.live, every frame of the clip in turn) in ms, full and region."""
    figures: dict[str, dict[str, float]] = {}
    for name, (clip, frames) in clips.items():
        fps, shares = video_path_fps(original, model, clip, len(frames), out_dir, rounds)
        row_figures = {f"{case} fps": value for case, value in fps.items()}
        row_figures.update(
            {f"{case} ms": value for case, value in webcam_frame_ms(model, frames).items()}
        )
        row_figures["grid share"] = float(np.mean(shares)) if shares else 1.0
        row_figures["frames"] = len(frames)
        figures[name] = row_figures
        print_region({name: row_figures}, model.backend)  # each clip as soon as it is done
        sys.stdout.flush()
    return figures


def print_region(figures: dict[str, dict[str, float]], backend: str) -> None:
    print(
        f"\nregion path (issue 17; {backend}, balanced): the network runs only around the people"
        " found;\nratio = frames/s / the original loop's on the same clip"
    )
    for name, values in figures.items():
        base = values["original loop fps"]
        print(f"  {name} ({values['frames']} frames; region path ran {values['grid share']:.0%} "
              "of the grid on average)")  # fmt: skip
        for case in ("original loop", "video path, full frames", "video path, region path",
                     SECOND_VIDEO):  # fmt: skip
            value = values[f"{case} fps"]
            row(f"  {case}", f"{value:8.1f} fps", value / base)
        for case in ("webcam, full frames", "webcam, region path", SECOND_WEBCAM):
            row(f"  {case} (median)", f"{values[f'{case} ms']:8.1f} ms")


def region_goals(figures: dict[str, dict[str, float]], peak: float) -> list[tuple[str, bool, str]]:
    goal = video_goal(peak)
    checks = []
    for name, values in figures.items():
        base = values["original loop fps"]
        for case in ("video path, full frames", "video path, region path"):
            ratio = values[f"{case} fps"] / base
            checks.append((f"{name}: {case} >= {goal:.1f}x", ratio >= goal, f"{ratio:.2f}x"))
        for case in ("webcam, full frames", "webcam, region path"):
            value = values[f"{case} ms"]
            checks.append(
                (f"{name}: {case} < {REGION_GOALS['webcam_ms']:.0f} ms",
                 value < REGION_GOALS["webcam_ms"], f"{value:.1f} ms")
            )  # fmt: skip
    return checks


def region_clips(out_dir: Path, frames: list[np.ndarray], count: int) -> dict:
    """The three clips of the region section: (path, frames) by name."""
    benchmark = [frames[index % len(frames)] for index in range(count)]
    street = street_clip_frames(count)
    small = small_people_frames(count)
    return {
        "COCO photos at 60 %, held still (640x480)": (
            write_frames(small, out_dir / "small.mp4"),
            small,
        ),
        f"benchmark clip ({CLIP.name}, 640x480)": (
            write_frames(benchmark, out_dir / "bench.mp4"),
            benchmark,
        ),
        "street clip (street.avi, 640x360)": (write_frames(street, out_dir / "street.mp4"), street),
    }


def region_only(args: argparse.Namespace) -> int:
    """``--region-only``: the CPU, its peak, and the region section with its goals."""
    threads = int(os.environ.get("POSE_THREADS", os.cpu_count() or 2))
    print(f"CPU: {cpu_model()}, {os.cpu_count()} CPUs, {threads} model threads")
    peak = peak_gflops(matmul_gflops(threads))
    print(f"float32 peak (4096^2 matmul, best of 5): {peak:.1f} GF/s")
    peak = args.peak or peak
    print(f"video goal on this CPU: {video_goal(peak):.1f}x (by {peak:.0f} GF/s)")
    model = PoseModel(backend=MOTION_BACKEND, threads=threads)
    model.load()
    original = Original()
    with tempfile.TemporaryDirectory(prefix="pose-speed-") as tmp:
        clips = region_clips(Path(tmp), real_frames(), args.frames)
        figures = region_section(original, model, clips, Path(tmp), args.clip_rounds)
    print("\ngoals (issue 17)")
    print_checks(region_goals(figures, peak), 66)
    if args.json:
        print(json.dumps({"cpu": cpu_model(), "peak_gflops": peak, "region": figures}))
    return 0
