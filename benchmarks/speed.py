"""Speed of the pipeline against the original approach and against the machine's limit.

    .venv/bin/python -m benchmarks.speed [--frames 90] [--repeats 7] [--no-app] [--json]

One run, on real frames (../shared/eval/video/demo.mp4, centre-cropped to 4:3 and resized to
640x480, looped into a clip), times:

(a) the original approach: ``cv2.dnn.readNetFromTensorflow(graph_opt.pb)``, one frame at a
    time on a 432x368 blob, argmax of each heatmap, lines drawn (no encoding, as the script
    only showed frames); per frame and frames/s over the clip;
(b) our image path: model + multi-person decode + drawing, one frame, per backend;
(c) our video path: :func:`pose.video.process.process_video` (decode, inference, drawing, H.264
    encoding overlapped in threads) in frames/s, plus a serial loop of the same steps;
(d) model-only latency at each input-size preset, per backend and thread count;

each with its ratio to (a) (how many times faster). The region path (issue 17,
:mod:`pose.video.region`: the network runs only around the people found) is timed against full
frames
on three clips, each with the original loop on the same clip as its baseline: the benchmark
clip, the street clip (../shared/eval/video/street.avi, 640x360) and the COCO eval photos at
60 % on a grey frame, each held still (``--region-only`` runs just that, the CPU's name and its
matmul peak). Then the machine's limit: the model's
FLOPs at each size, the GFLOP/s of a large float32 matmul on the same cores, and achieved /
peak; where the time of one frame goes; peak RSS; and the app's cold start (``python app.py``
in a subprocess until its first ``estimate_image`` answer through gradio_client), its
round-trip time and its peak RSS. Medians after warm-up; alternatives are interleaved in
each round so that load from other processes hits them alike.

This module times (a) to (d) and prints the report, one function per section; the other
parts live beside it: the region path in :mod:`benchmarks.speed_region`, the machine's limit
in :mod:`benchmarks.machine`, the app in :mod:`benchmarks.app_start`, and what they share
(frames, :class:`Original`, timing, rows) in :mod:`benchmarks.speed_common`. Their names
still import from here.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.app_start import PHOTO, app_figures, app_section, free_port, peak_rss_of
from benchmarks.common import cpu_model
from benchmarks.machine import limit_section, matmul_gflops, model_flops
from benchmarks.speed_common import (
    CLIP,
    FRAME_SIZE,
    ORIGINAL_BLOB,
    ORIGINAL_THRESHOLD,
    Original,
    cpu_seconds,
    interleaved,
    median_ms,
    print_checks,
    real_frames,
    row,
    timed,
    write_clip,
)
from benchmarks.speed_region import (
    REGION_FRAMES,
    REGION_GOALS,
    print_region,
    region_clips,
    region_goals,
    region_only,
    region_section,
    small_people_frames,
    street_clip_frames,
    video_goal,
    write_frames,
)
from pose.network.registry import MOTION_BACKEND, PoseModel
from pose.network.runners import TFLiteRunner, cpu_has_bf16
from pose.network.spec import NUM_HEATMAPS, PRESETS, NetOutput, network_size, preprocess
from pose.output.draw import draw_poses
from pose.photo.estimate import DEFAULT_THRESHOLD, decode_output, estimate
from pose.video.live import DEFAULT_LIVE_SIZE, WebcamSession, jpeg_data_url

__all__ = [
    "CLIP",
    "FRAME_SIZE",
    "GOALS",
    "ORIGINAL_BLOB",
    "ORIGINAL_THRESHOLD",
    "PHOTO",
    "REGION_FRAMES",
    "REGION_GOALS",
    "Original",
    "app_figures",
    "cpu_seconds",
    "free_port",
    "interleaved",
    "main",
    "matmul_gflops",
    "median_ms",
    "model_flops",
    "peak_rss_of",
    "pipeline_stages",
    "print_region",
    "real_frames",
    "region_clips",
    "region_goals",
    "region_only",
    "region_section",
    "row",
    "serial_stages",
    "small_people_frames",
    "street_clip_frames",
    "timed",
    "video_fps",
    "video_goal",
    "webcam_frame",
    "with_x264_preset",
    "write_clip",
    "write_frames",
]

GOALS = {"video_ratio": 5.0, "webcam_ms": 40.0, "app_rss_gb": 1.5, "cold_start_s": 10.0}

# The figures of one run, by section; printed as JSON with --json.
Figures = dict[str, Any]


# --------------------------------------------------------------------------- (a)/(b) one frame


def load_models(threads: int) -> dict[str, PoseModel]:
    """The backends timed, loaded: tflite, session, bf16 (only with native bfloat16), int8."""
    models = {
        "tflite": PoseModel(backend="tflite", threads=threads),
        "session": PoseModel(backend="session", threads=threads),
    }
    if cpu_has_bf16():  # without native bfloat16 it would just be the session again
        models["bf16"] = PoseModel(backend="bf16", threads=threads)
    models["int8"] = PoseModel(backend="int8", threads=threads)  # not exact: docs/backends.md
    for model in models.values():
        model.load()
    return models


def webcam_frame(model: PoseModel, regions: bool = True) -> Callable[[np.ndarray], object]:
    """What the server does per webcam frame: un-mirror, estimate, smooth, draw, JPEG
    (``regions``: on the region path, the default; else every frame whole)."""
    session = WebcamSession() if regions else WebcamSession(regions=None)

    def process(frame: np.ndarray) -> str:
        live = session.process(frame, mirrored=True, smooth=True, model=model)
        return jpeg_data_url(live.display)

    return process


def single_cases(
    original: Original, models: dict[str, PoseModel], frame: np.ndarray
) -> dict[str, Callable[[], object]]:
    """(a) and (b) on one RGB (480, 640, 3) frame, and the webcam frame, by row label."""
    frame_bgr = np.ascontiguousarray(frame[:, :, ::-1])
    cases: dict[str, Callable[[], object]] = {
        "(a) original, one frame": lambda: original.frame(frame_bgr.copy()),
        "(a) original, forward only": lambda: original.forward(frame_bgr),
    }
    for name, model in models.items():
        cases[f"(b) image path, {name}"] = lambda model=model: draw_poses(
            frame, estimate(frame, size="balanced", model=model).people
        )
    for preset in PRESETS:
        if preset != "balanced":
            cases[f"(b) image path, tflite, {preset}"] = lambda preset=preset: draw_poses(
                frame, estimate(frame, size=preset, model=models["tflite"]).people
            )
    webcam = webcam_frame(models[MOTION_BACKEND])
    cases[f"webcam frame ({DEFAULT_LIVE_SIZE}), {MOTION_BACKEND}"] = lambda: webcam(frame)
    webcam_full = webcam_frame(models[MOTION_BACKEND], regions=False)
    cases[f"webcam frame, {MOTION_BACKEND}, full frames"] = lambda: webcam_full(frame)
    return cases


def single_frame(
    figures: Figures,
    original: Original,
    models: dict[str, PoseModel],
    frame: np.ndarray,
    repeats: int,
) -> None:
    """Time :func:`single_cases` interleaved: ``single_ms``, ``single_best_ms`` and
    ``single_cpu_ms`` in ``figures``."""
    single_ms, single_best, single_cpu = interleaved(single_cases(original, models, frame), repeats)
    figures["single_ms"] = single_ms
    figures["single_best_ms"] = single_best
    figures["single_cpu_ms"] = single_cpu


def print_single(figures: Figures) -> None:
    single_ms, single_best = figures["single_ms"], figures["single_best_ms"]
    base_ms = single_ms["(a) original, one frame"]
    print(
        "\n(a)/(b) one 640x480 frame, balanced (432x368 box); "
        "webcam: pose.video.live at its live size"
    )
    for name, value in single_ms.items():
        note = f"best {single_best[name]:.1f} ms, CPU {figures['single_cpu_ms'][name]:.1f} ms"
        row(name, f"{value:8.1f} ms", base_ms / value, note)


# --------------------------------------------------------------------------- (d) model only


def model_cases(
    models: dict[str, PoseModel], frame: np.ndarray, threads: int
) -> tuple[dict[str, Callable[[], object]], str]:
    """Model calls on one RGB (480, 640, 3) frame by row label: per preset and backend, one
    thread, TensorFlow's interpreter, and a batch of two (whose label is returned too: its
    times are for two frames)."""
    cases: dict[str, Callable[[], object]] = {}
    inputs = {}
    for preset, box in PRESETS.items():
        net_w, net_h = network_size(FRAME_SIZE[0], FRAME_SIZE[1], box)
        inputs[preset] = preprocess(frame, net_w, net_h)[None]
        for name, model in models.items():
            cases[f"{preset} {net_w}x{net_h}, {name}"] = lambda model=model, batch=inputs[preset]: (
                model.run(batch)
            )
    single_thread = {
        name: PoseModel(backend=name, threads=1) for name in ("tflite", "session") if threads > 1
    }
    for name, model in single_thread.items():
        cases[f"balanced, {name}, 1 thread"] = lambda model=model: model.run(inputs["balanced"])
    tf_interpreter = TFLiteRunner(models["tflite"].tflite.path, threads, runtime="tensorflow")
    cases["balanced, tflite via tf.lite.Interpreter"] = lambda: tf_interpreter.run(
        inputs["balanced"]
    )
    pair = np.concatenate([inputs["balanced"]] * 2)
    batch_label = "balanced, tflite, batch of 2 (per frame)"
    cases[batch_label] = lambda: models["tflite"].run(pair)
    return cases, batch_label


def model_only(
    figures: Figures, models: dict[str, PoseModel], frame: np.ndarray, threads: int, repeats: int
) -> None:
    """Time :func:`model_cases` interleaved: ``model_ms``, ``model_best_ms`` and
    ``model_cpu_ms`` in ``figures``, per frame."""
    cases, batch_label = model_cases(models, frame, threads)
    model_ms, model_best, model_cpu = interleaved(cases, repeats)
    model_ms[batch_label] /= 2
    model_best[batch_label] /= 2
    figures["model_ms"] = model_ms
    figures["model_best_ms"] = model_best
    figures["model_cpu_ms"] = model_cpu


def print_model(figures: Figures) -> None:
    base_ms = figures["single_ms"]["(a) original, one frame"]
    model_best = figures["model_best_ms"]
    print(f"\n(d) model only, a 640x480 frame per call; ratio to (a) one frame ({base_ms:.0f} ms)")
    for name, value in figures["model_ms"].items():
        row(name, f"{value:8.1f} ms", base_ms / value, f"best {model_best[name]:.1f} ms")


# --------------------------------------------------------------------------- (c) video


def video_fps(
    clip: Path, out_dir: Path, model: PoseModel, size: str, count: int, **options
) -> float:
    from pose.video.process import process_video

    output = out_dir / f"out-{model.backend}-{size}.mp4"
    started = time.perf_counter()
    result = process_video(clip, output, size=size, model=model, **options)
    elapsed = time.perf_counter() - started
    if len(result.frames) != count:
        raise RuntimeError(f"process_video wrote {len(result.frames)} of {count} frames")
    return count / elapsed


def with_x264_preset(preset: str, fn: Callable[..., float], *args, **kwargs) -> float:
    """``fn(*args, **kwargs)`` with the video writer's H.264 encoder at another x264 preset."""
    from pose.media.video_writer import ENCODER_OPTIONS

    options = ENCODER_OPTIONS["libx264"]
    ENCODER_OPTIONS["libx264"] = {**options, "preset": preset}
    try:
        return fn(*args, **kwargs)
    finally:
        ENCODER_OPTIONS["libx264"] = options


def serial_stages(clip: Path, out_dir: Path, model: PoseModel, size: str) -> dict[str, float]:
    """One thread, no overlap: per-frame median ms of each stage, plus frames/s overall."""
    import av

    from pose.media.video_writer import VideoWriter, to_yuv420

    box = PRESETS[size]
    stages: dict[str, list[float]] = {
        name: [] for name in ("video decode", "preprocess", "model", "PAF decode", "draw", "encode")
    }
    started = time.perf_counter()
    count = 0
    with (
        av.open(str(clip)) as container,
        VideoWriter(out_dir / "serial.mp4", *FRAME_SIZE, Fraction(25)) as writer,
    ):
        frames = container.decode(video=0)
        while True:
            t0 = time.perf_counter()
            frame = next(frames, None)
            if frame is None:
                break
            image = frame.to_ndarray(format="rgb24")
            t1 = time.perf_counter()
            net_w, net_h = network_size(image.shape[1], image.shape[0], box)
            batch = preprocess(image, net_w, net_h)[None]
            t2 = time.perf_counter()
            raw = model.run(batch)[0]
            t3 = time.perf_counter()
            output = _net_output(raw, image.shape)
            people = decode_output(output, DEFAULT_THRESHOLD)
            t4 = time.perf_counter()
            drawn = draw_poses(image, people)
            t5 = time.perf_counter()
            writer.write_yuv(to_yuv420(drawn))
            t6 = time.perf_counter()
            for name, begin, end in zip(
                stages, (t0, t1, t2, t3, t4, t5), (t1, t2, t3, t4, t5, t6), strict=True
            ):
                stages[name].append(end - begin)
            count += 1
    elapsed = time.perf_counter() - started
    result = {name: median_ms(values[2:] or values) for name, values in stages.items()}
    result["fps"] = count / elapsed
    return result


def pipeline_stages(clip: Path, out_dir: Path, model: PoseModel, size: str) -> dict[str, float]:
    """CPU ms per frame of each thread of :func:`pose.video.process.process_video`, workers
    summed.
    """
    from pose.video.process import process_video

    result = process_video(clip, out_dir / "stages.mp4", size=size, model=model)
    count = len(result.frames)
    labels = {
        "read": "read (video decode, RGB)",
        "infer": "infer (preprocess + model), all workers",
        "draw": "follow (PAF decode, tracking, smoothing)",
        "rejoin": "rejoin (IDs over the whole clip)",
        "redraw": "redraw (read again, skeletons, IDs, YUV)",
        "encode": "encode (H.264, caller's thread)",
    }
    spent: dict[str, float] = dict.fromkeys(labels.values(), 0.0)
    for name, seconds in result.stage_cpu_seconds.items():
        spent[labels[name.rstrip("0123456789")]] += seconds * 1000 / count
    return spent


def _net_output(raw: np.ndarray, shape: tuple[int, ...]):
    out_h, out_w = raw.shape[:2]
    return NetOutput(
        heatmaps=raw[:, :, :NUM_HEATMAPS],
        pafs=raw[:, :, NUM_HEATMAPS:],
        scale=(shape[1] / out_w, shape[0] / out_h),
    )


def clip_cases(
    original: Original, models: dict[str, PoseModel], clip: Path, out_dir: Path, count: int
) -> dict[str, Callable[[], float]]:
    """Passes over ``clip`` (``count`` frames) by row label, each returning frames/s: the
    original loop, ours per backend and size, two steps undone, and the serial loop."""
    cases: dict[str, Callable[[], float]] = {"(a) original loop": lambda: original.clip_fps(clip)}
    for name, model in models.items():
        cases[f"(c) video path, {name}, balanced"] = lambda model=model: video_fps(
            clip, out_dir, model, "balanced", count
        )
    cases["(c) video path, tflite, fast"] = lambda: video_fps(
        clip, out_dir, models["tflite"], "fast", count
    )
    # What two of the steps contribute: each undone alone, on the default video model.
    motion = models[MOTION_BACKEND]
    cases[f"  {MOTION_BACKEND}, one model call at a time (2 threads)"] = lambda: video_fps(
        clip, out_dir, motion, "balanced", count, workers=1
    )
    cases[f"  {MOTION_BACKEND}, x264 superfast instead of ultrafast"] = lambda: with_x264_preset(
        "superfast", video_fps, clip, out_dir, motion, "balanced", count
    )
    for name in ("session", "tflite", MOTION_BACKEND):  # one thread, no overlap
        cases[f"serial loop, {name}, balanced"] = lambda model=models[name]: serial_stages(
            clip, out_dir, model, "balanced"
        )["fps"]
    return cases


def clip_rounds(
    cases: dict[str, Callable[[], float]], rounds: int, count: int
) -> tuple[dict[str, float], dict[str, float]]:
    """(median frames/s, median CPU ms per frame) of each case, after one warm-up pass;
    each round runs every case in turn."""
    fps_samples: dict[str, list[float]] = {name: [] for name in cases}
    cpu_samples: dict[str, list[float]] = {name: [] for name in cases}
    for fn in cases.values():  # warm-up pass: interpreters for this shape
        fn()
    for _ in range(rounds):
        for name, fn in cases.items():
            spent = cpu_seconds()
            fps_samples[name].append(fn())
            cpu_samples[name].append((cpu_seconds() - spent) * 1000 / count)
    fps = {name: statistics.median(values) for name, values in fps_samples.items()}
    cpu_ms = {name: statistics.median(values) for name, values in cpu_samples.items()}
    return fps, cpu_ms


def video_passes(
    figures: Figures,
    original: Original,
    models: dict[str, PoseModel],
    frames: list[np.ndarray],
    args: argparse.Namespace,
) -> None:
    """(c) on a clip of ``args.frames`` frames, where one frame's time goes, and the region
    path's section (printed as each clip is done): ``region``, ``pipeline_cpu_ms``, ``fps``,
    ``cpu_ms_per_frame`` and ``stages_ms`` in ``figures``."""
    motion = models[MOTION_BACKEND]
    with tempfile.TemporaryDirectory(prefix="pose-speed-") as tmp:
        out_dir = Path(tmp)
        clip = write_clip(frames, args.frames, out_dir / "clip.mp4")
        cases = clip_cases(original, models, clip, out_dir, args.frames)
        fps, cpu_ms = clip_rounds(cases, args.clip_rounds, args.frames)
        stages = serial_stages(clip, out_dir, motion, "balanced")
        overlapped = pipeline_stages(clip, out_dir, motion, "balanced")
        clips = region_clips(out_dir, frames, args.frames)
        region = region_section(original, motion, clips, out_dir, args.clip_rounds)
    figures["region"] = region
    figures["pipeline_cpu_ms"] = overlapped
    figures["fps"] = fps
    figures["cpu_ms_per_frame"] = cpu_ms
    figures["stages_ms"] = stages


def print_video(figures: Figures) -> None:
    fps = figures["fps"]
    base_fps = fps["(a) original loop"]
    print("\n(c) video, frames/s end to end (decode, inference, drawing, H.264 encode)")
    for name, value in fps.items():
        row(name, f"{value:8.1f} fps", value / base_fps)


def print_video_cpu(figures: Figures) -> None:
    cpu_ms = figures["cpu_ms_per_frame"]
    cores = os.cpu_count() or 1
    print(
        "\n(c) the same by CPU time per frame (all threads; barely moved by other processes'"
        f" load); ratio = (a) CPU / CPU; 'free' = frames/s if all {cores} cores were ours"
    )
    base_cpu = cpu_ms["(a) original loop"]
    for name, value in cpu_ms.items():
        row(name, f"{value:8.1f} ms", base_cpu / value, f"free {cores * 1000 / value:5.1f} fps")


# --------------------------------------------------------------------------- stages, RSS


def print_stages(figures: Figures) -> None:
    """Where one frame's time goes in the serial loop, and the video path's CPU time."""
    stages, overlapped = figures["stages_ms"], figures["pipeline_cpu_ms"]
    print(f"\nwhere one frame's time goes (serial loop, {MOTION_BACKEND}, balanced; medians)")
    serial_total = sum(value for name, value in stages.items() if name != "fps")
    for name, value in stages.items():
        if name != "fps":
            row(name, f"{value:8.1f} ms", None, f"{value / serial_total:5.1%}")
    row("sum (serial)", f"{serial_total:8.1f} ms")
    pipeline_ms = 1000 / figures["fps"][f"(c) video path, {MOTION_BACKEND}, balanced"]
    row("video path per frame (overlapped)", f"{pipeline_ms:8.1f} ms")
    print(f"\nwhere the video path's CPU time goes (overlapped, {MOTION_BACKEND}, one pass)")
    stage_total = sum(overlapped.values())
    for name, value in overlapped.items():
        row(name, f"{value:8.1f} ms", None, f"{value / stage_total:5.1%} of the CPU time")
    row("sum (CPU ms per frame)", f"{stage_total:8.1f} ms")


def rss_section(figures: Figures) -> None:
    """This process's peak RSS, as ``benchmark_peak_rss_gb`` in ``figures``."""
    process_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    figures["benchmark_peak_rss_gb"] = process_rss
    print(f"\npeak RSS of this benchmark process (all backends + OpenCV dnn): {process_rss:.2f} GB")


# --------------------------------------------------------------------------- goals


def goal_checks(figures: Figures) -> list[tuple[str, bool, str]]:
    """Issue 6's goals as (label, met, figure); the app's only when it was measured."""
    fps, cpu_ms, single_ms = figures["fps"], figures["cpu_ms_per_frame"], figures["single_ms"]
    base_fps, base_cpu = fps["(a) original loop"], cpu_ms["(a) original loop"]
    video_ratio = fps["(c) video path, tflite, balanced"] / base_fps
    video_cpu_ratio = base_cpu / cpu_ms["(c) video path, tflite, balanced"]
    int8_ratio = fps["(c) video path, int8, balanced"] / base_fps
    int8_cpu_ratio = base_cpu / cpu_ms["(c) video path, int8, balanced"]
    webcam_key = f"webcam frame ({DEFAULT_LIVE_SIZE}), {MOTION_BACKEND}"
    webcam_ms, webcam_best = single_ms[webcam_key], figures["single_best_ms"][webcam_key]
    checks = [
        (f"video path >= 5x (a), default: {MOTION_BACKEND}", int8_ratio >= GOALS["video_ratio"],
         f"{int8_ratio:.2f}x"),
        ("  the same by CPU time per frame", int8_cpu_ratio >= GOALS["video_ratio"],
         f"{int8_cpu_ratio:.2f}x"),
        ("  exact float32 (tflite, POSE_BACKEND=tflite)", video_ratio >= GOALS["video_ratio"],
         f"{video_ratio:.2f}x"),
        ("    the same by CPU time per frame", video_cpu_ratio >= GOALS["video_ratio"],
         f"{video_cpu_ratio:.2f}x"),
        (f"webcam frame < 40 ms ({DEFAULT_LIVE_SIZE}), median", webcam_ms < GOALS["webcam_ms"],
         f"{webcam_ms:.1f} ms"),
        ("  best of the rounds (least disturbed)", webcam_best < GOALS["webcam_ms"],
         f"{webcam_best:.1f} ms"),
    ]  # fmt: skip
    app = figures.get("app")
    if app:
        video_rss = app["app_peak_rss_after_videos_gb"]
        checks += [
            ("app peak RSS < 1.5 GB", app["app_peak_rss_gb"] < GOALS["app_rss_gb"],
             f"{app['app_peak_rss_gb']:.2f} GB"),
            ("  after videos at every preset too", video_rss < GOALS["app_rss_gb"],
             f"{video_rss:.2f} GB"),
            ("cold start < 10 s", app["cold_start_s"] < GOALS["cold_start_s"],
             f"{app['cold_start_s']:.1f} s"),
        ]  # fmt: skip
    return checks


def print_goals(figures: Figures, goal_peak: float) -> None:
    """Issue 6's goals, then issue 17's with the video goal set by ``goal_peak`` GF/s."""
    print("\ngoals (issue 6, part 5)")
    print_checks(goal_checks(figures), 44)
    print(f"\ngoals (issue 17; {cpu_model()}, float peak {goal_peak:.0f} GF/s)")
    print_checks(region_goals(figures["region"], goal_peak), 66)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=90, help="frames in the benchmark clip")
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds per measurement")
    parser.add_argument("--clip-rounds", type=int, default=5, help="timed passes over the clip")
    parser.add_argument("--no-app", action="store_true", help="skip the app cold start")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument(
        "--peak",
        type=float,
        help="GF/s to set issue 17's video goal by, instead of the peak measured now "
        "(a loaded machine measures too low)",
    )
    parser.add_argument(
        "--region-only",
        action="store_true",
        help="only the CPU, its peak and the region path against full frames (issue 17)",
    )
    return parser.parse_args(argv)


def print_header(frames: list[np.ndarray], threads: int, repeats: int) -> None:
    print(f"CPU: {cpu_model()}")
    print(
        f"speed benchmark: {len(frames)} real frames from {CLIP.name} at "
        f"{FRAME_SIZE[0]}x{FRAME_SIZE[1]}, {os.cpu_count()} CPUs, {threads} model threads, "
        f"medians of {repeats} rounds after warm-up; ratio = (a) time / time"
    )


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    args = parse_args(argv)
    if args.region_only:
        return region_only(args)
    frames = real_frames()
    threads = int(os.environ.get("POSE_THREADS", os.cpu_count() or 2))
    print_header(frames, threads, args.repeats)
    models = load_models(threads)
    original = Original()
    # Everything is timed first, then printed (the region path prints as it goes), so that
    # the report reads (a) to (d) however the measurements had to be ordered.
    figures: Figures = {}
    single_frame(figures, original, models, frames[0], args.repeats)
    model_only(figures, models, frames[0], threads, args.repeats)
    video_passes(figures, original, models, frames, args)
    print_single(figures)
    print_video(figures)
    print_video_cpu(figures)
    print_model(figures)
    peak = limit_section(figures, list(models), threads)
    print_stages(figures)
    rss_section(figures)
    if not args.no_app:
        app_section(figures, models["tflite"], args.repeats)
    print_goals(figures, args.peak or peak)
    if args.json:
        print(json.dumps(figures, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
