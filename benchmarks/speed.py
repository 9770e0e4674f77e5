"""Speed of the pipeline against the original approach and against the machine's limit.

    .venv/bin/python -m benchmarks.speed [--frames 90] [--repeats 7] [--no-app] [--json]

One run, on real frames (../shared/eval/video/demo.mp4, centre-cropped to 4:3 and resized to
640x480, looped into a clip), times:

(a) the original approach: ``cv2.dnn.readNetFromTensorflow(graph_opt.pb)``, one frame at a
    time on a 432x368 blob, argmax of each heatmap, lines drawn (no encoding, as the script
    only showed frames); per frame and frames/s over the clip;
(b) our image path: model + multi-person decode + drawing, one frame, per backend;
(c) our video path: :func:`pose.video.process_video` (decode, inference, drawing, H.264
    encoding overlapped in threads) in frames/s, plus a serial loop of the same steps;
(d) model-only latency at each input-size preset, per backend and thread count;

each with its ratio to (a) (how many times faster). The region path (issue 17,
:mod:`pose.region`: the network runs only around the people found) is timed against full frames
on three clips, each with the original loop on the same clip as its baseline: the benchmark
clip, the street clip (../shared/eval/video/street.avi, 640x360) and the COCO eval photos at
60 % on a grey frame, each held still (``--region-only`` runs just that, the CPU's name and its
matmul peak). Then the machine's limit: the model's
FLOPs at each size, the GFLOP/s of a large float32 matmul on the same cores, and achieved /
peak; where the time of one frame goes; peak RSS; and the app's cold start (``python app.py``
in a subprocess until its first ``estimate_image`` answer through gradio_client), its
round-trip time and its peak RSS. Medians after warm-up; alternatives are interleaved in
each round so that load from other processes hits them alike.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from benchmarks.common import COCO_DIR, DEMO, EVAL_DIR, ROOT, STREET, cpu_model
from pose.draw import draw_poses
from pose.estimate import DEFAULT_THRESHOLD, decode_output, estimate
from pose.model import MOTION_BACKEND, PoseModel
from pose.network import (
    NUM_HEATMAPS,
    PRESETS,
    NetOutput,
    model_path,
    network_size,
    preprocess,
    verify,
)
from pose.runners import TFLiteRunner, cpu_has_bf16
from pose.skeleton import DRAWN_LIMBS
from pose.stream import DEFAULT_LIVE_SIZE, WebcamSession, jpeg_data_url

CLIP = DEMO
PHOTO = EVAL_DIR / "coco" / "000000196141.jpg"
FRAME_SIZE = (640, 480)
ORIGINAL_BLOB = (432, 368)  # the original script's --width/--height, at our balanced size
ORIGINAL_THRESHOLD = 0.2  # the original script's --thr
GOALS = {"video_ratio": 5.0, "webcam_ms": 40.0, "app_rss_gb": 1.5, "cold_start_s": 10.0}
# Issue 17's goals: the video path's ratio to the original loop depends on the CPU's float
# peak (8x at about 470 GF/s, 5x at about 200; in between, on the line through the two), and
# a webcam frame within 25 ms.
REGION_GOALS = {"peaks": ((200.0, 5.0), (470.0, 8.0)), "webcam_ms": 25.0}
REGION_FRAMES = 90


def video_goal(peak_gflops: float) -> float:
    """Issue 17's video-path ratio goal for a CPU of this float peak."""
    (low_peak, low_goal), (high_peak, high_goal) = REGION_GOALS["peaks"]
    share = (peak_gflops - low_peak) / (high_peak - low_peak)
    return float(np.clip(low_goal + share * (high_goal - low_goal), low_goal, high_goal))


# --------------------------------------------------------------------------- helpers


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


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
    from pose.video import VideoWriter

    with VideoWriter(path, FRAME_SIZE[0], FRAME_SIZE[1], Fraction(25)) as writer:
        for index in range(count):
            writer.write(frames[index % len(frames)])
    return path


def row(label: str, value: str, ratio: float | None = None, note: str = "") -> None:
    ratio_text = f"{ratio:6.2f}x" if ratio is not None else " " * 7
    print(f"  {label:<44}{value:>14}  {ratio_text}  {note}")


# --------------------------------------------------------------------------- (a) original


class Original:
    """The original openpose.py approach: OpenCV dnn, one frame, argmax per heatmap."""

    def __init__(self) -> None:
        self.net = cv2.dnn.readNetFromTensorflow(str(model_path()))

    def forward(self, frame_bgr: np.ndarray) -> np.ndarray:
        blob = cv2.dnn.blobFromImage(
            frame_bgr, 1.0, ORIGINAL_BLOB, (127.5, 127.5, 127.5), swapRB=True, crop=False
        )
        self.net.setInput(blob)
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
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            self.frame(frame)
            count += 1
        elapsed = time.perf_counter() - started
        capture.release()
        return count / elapsed


def webcam_frame(model: PoseModel, regions: bool = True) -> Callable[[np.ndarray], object]:
    """What the server does per webcam frame: un-mirror, estimate, smooth, draw, JPEG
    (``regions``: on the region path, the default; else every frame whole)."""
    session = WebcamSession() if regions else WebcamSession(regions=None)

    def process(frame: np.ndarray) -> str:
        live = session.process(frame, mirrored=True, smooth=True, model=model)
        return jpeg_data_url(live.display)

    return process


# --------------------------------------------------------------------------- (c) video


def video_fps(
    clip: Path, out_dir: Path, model: PoseModel, size: str, count: int, **options
) -> float:
    from pose.video import process_video

    output = out_dir / f"out-{model.backend}-{size}.mp4"
    started = time.perf_counter()
    result = process_video(clip, output, size=size, model=model, **options)
    elapsed = time.perf_counter() - started
    if len(result.frames) != count:
        raise RuntimeError(f"process_video wrote {len(result.frames)} of {count} frames")
    return count / elapsed


def with_x264_preset(preset: str, fn: Callable[..., float], *args, **kwargs) -> float:
    """``fn(*args, **kwargs)`` with pose.video's H.264 encoder at another x264 preset."""
    from pose import video

    options = video.ENCODER_OPTIONS["libx264"]
    video.ENCODER_OPTIONS["libx264"] = {**options, "preset": preset}
    try:
        return fn(*args, **kwargs)
    finally:
        video.ENCODER_OPTIONS["libx264"] = options


def serial_stages(clip: Path, out_dir: Path, model: PoseModel, size: str) -> dict[str, float]:
    """One thread, no overlap: per-frame median ms of each stage, plus frames/s overall."""
    import av

    from pose.video import VideoWriter, to_yuv420

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
    """CPU ms per frame of each thread of :func:`pose.video.process_video`, workers summed."""
    from pose.video import process_video

    result = process_video(clip, out_dir / "stages.mp4", size=size, model=model)
    count = len(result.frames)
    labels = {
        "read": "read (video decode, RGB)",
        "infer": "infer (preprocess + model), all workers",
        "draw": "draw (PAF decode, skeletons, YUV)",
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


# --------------------------------------------------------------------------- region path


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
    from pose.media import load_image

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
    from pose.video import VideoWriter

    height, width = frames[0].shape[:2]
    with VideoWriter(path, width, height, Fraction(25)) as writer:
        for image in frames:
            writer.write(image)
    return path


def region_section(
    original: Original,
    model: PoseModel,
    clips: dict[str, tuple[Path, list[np.ndarray]]],
    out_dir: Path,
    rounds: int,
) -> dict[str, dict[str, float]]:
    """Per clip: frames/s of the original loop, the video path on full frames and on the
    region path (interleaved rounds), the share of the grid the region path ran, and the
    webcam frame (pose.stream, every frame of the clip in turn) in ms, full and region."""
    from pose.video import process_video

    figures: dict[str, dict[str, float]] = {}
    for name, (clip, frames) in clips.items():
        count = len(frames)
        shares: list[float] = []

        def video(regions: bool, clip=clip, count=count, shares=shares) -> float:
            options = {} if regions else {"regions": None}
            output = out_dir / f"region-{regions}.mp4"
            started = time.perf_counter()
            result = process_video(clip, output, size="balanced", model=model, **options)
            elapsed = time.perf_counter() - started
            if regions:
                shares.append(result.network_share)
            return count / elapsed

        cases = {
            "original loop": lambda clip=clip: original.clip_fps(clip),
            "video path, full frames": lambda video=video: video(False),
            "video path, region path": lambda video=video: video(True),
        }
        samples: dict[str, list[float]] = {case: [] for case in cases}
        video(True)  # warm-up: interpreters for the shapes the region path uses
        for _ in range(rounds):
            for case, fn in cases.items():
                samples[case].append(fn())
        fps = {case: statistics.median(values) for case, values in samples.items()}
        # Webcam: each session sees the clip's frames in order; frames alternate between
        # the two so that load hits them alike.
        sessions = {
            "webcam, full frames": WebcamSession(regions=None),
            "webcam, region path": WebcamSession(),
        }
        times: dict[str, list[float]] = {case: [] for case in sessions}
        for index, frame in enumerate(frames):
            for case, session in sessions.items():
                took = timed(
                    lambda session=session, frame=frame: jpeg_data_url(
                        session.process(frame, mirrored=True, smooth=True, model=model).display
                    )
                )
                if index >= 2:
                    times[case].append(took)
        row_figures = {f"{case} fps": value for case, value in fps.items()}
        row_figures.update({f"{case} ms": median_ms(values) for case, values in times.items()})
        row_figures["grid share"] = float(np.mean(shares)) if shares else 1.0
        row_figures["frames"] = count
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
        for case in ("original loop", "video path, full frames", "video path, region path"):
            value = values[f"{case} fps"]
            row(f"  {case}", f"{value:8.1f} fps", value / base)
        for case in ("webcam, full frames", "webcam, region path"):
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
    matmul = matmul_gflops(threads)
    peak = max(matmul["tensorflow"], matmul["numpy"])
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
    for label, ok, value in region_goals(figures, peak):
        print(f"  {'met ' if ok else 'MISS'}  {label:<66}{value:>10}")
    if args.json:
        print(json.dumps({"cpu": cpu_model(), "peak_gflops": peak, "region": figures}))
    return 0


# --------------------------------------------------------------------------- machine limit


def model_flops(net_w: int, net_h: int) -> tuple[float, float | None]:
    """(our count, TensorFlow profiler's count) of floating-point operations for one frame.

    Ours: 2 x multiply-accumulates of every Conv2D and depthwise conv (output pixels x kernel
    volume) plus one operation per output element of BiasAdd, Relu and MaxPool (x kernel).
    """
    import tensorflow as tf

    path = model_path()
    verify(path)
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(path.read_bytes())
    graph = tf.Graph()
    with graph.as_default():
        fixed = tf.compat.v1.placeholder(tf.float32, [1, net_h, net_w, 3], name="fixed_image")
        tf.import_graph_def(graph_def, input_map={"image:0": fixed}, name="")
    total = 0
    for op in graph.get_operations():
        if op.type not in ("Conv2D", "DepthwiseConv2dNative", "BiasAdd", "Relu", "MaxPool"):
            continue
        out = op.outputs[0].shape.as_list()
        pixels = out[1] * out[2]
        if op.type == "Conv2D":
            kh, kw, cin, cout = op.inputs[1].shape.as_list()
            total += 2 * pixels * kh * kw * cin * cout
        elif op.type == "DepthwiseConv2dNative":
            kh, kw, cin, multiplier = op.inputs[1].shape.as_list()
            total += 2 * pixels * kh * kw * cin * multiplier
        elif op.type == "MaxPool":
            _, kh, kw, _ = op.get_attr("ksize")
            total += pixels * out[3] * kh * kw
        else:
            total += pixels * out[3]
    profiled = None
    try:
        options = (
            tf.compat.v1.profiler.ProfileOptionBuilder(
                tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
            )
            .with_empty_output()
            .build()
        )
        profiled = float(tf.compat.v1.profiler.profile(graph, options=options).total_float_ops)
    except Exception as exc:  # the profiler is optional; our own count stands alone
        logging.warning("TensorFlow profiler failed: %s", exc)
    return float(total), profiled


def matmul_gflops(threads: int, n: int = 4096, repeats: int = 5) -> dict[str, float]:
    """Best GFLOP/s of an n x n float32 matmul on ``threads`` threads, two ways.

    TensorFlow's (oneDNN) in a session with the model's thread settings, and NumPy's BLAS
    (its OpenBLAS wheel picks older AVX2 kernels on this CPU, so it reads lower). The larger
    is the peak the model is compared with.
    """
    import tensorflow as tf

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    flop = 2.0 * n**3
    a @ b  # warm-up: thread pool, page faults
    numpy_best = min(timed(lambda: a @ b) for _ in range(repeats))
    graph = tf.Graph()
    with graph.as_default():
        product = tf.linalg.matmul(tf.constant(a), tf.constant(b))
    config = tf.compat.v1.ConfigProto(
        intra_op_parallelism_threads=threads, inter_op_parallelism_threads=1
    )
    with tf.compat.v1.Session(graph=graph, config=config) as session:
        session.run(product.op)  # .op: compute without copying the result out
        spent = cpu_seconds()
        tf_best = min(timed(lambda: session.run(product.op)) for _ in range(repeats))
        tf_cpu = (cpu_seconds() - spent) / repeats
    return {
        "tensorflow": flop / tf_best / 1e9,
        "numpy": flop / numpy_best / 1e9,
        "tensorflow_per_cpu_second": flop / tf_cpu / 1e9,
    }


# --------------------------------------------------------------------------- app


def cpu_seconds() -> float:
    """User + system CPU time of this process so far, all threads (and native pools)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_of(pid: int) -> float:
    """Peak resident set size (VmHWM) of a live process, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return float(line.split()[1]) * 1024
    return float("nan")


def app_figures(
    photo: Path, clip: Path, calls: int = 5, timeout: float = 120.0
) -> dict[str, float]:
    """Cold start to first answer, then round-trip median and the app's peak RSS, after
    the photos and again after ``clip`` through the Video tab's endpoint at each preset."""
    from gradio_client import Client, handle_file

    port = free_port()
    env = dict(os.environ, POSE_PORT=str(port), POSE_HOST="127.0.0.1")
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryFile("w+") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            client = None
            while client is None:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"app exited: {log.read()[-2000:]}")
                if time.perf_counter() - started > timeout:
                    raise TimeoutError(f"app did not answer within {timeout:.0f} s")
                try:
                    client = Client(url, verbose=False)
                except Exception:
                    time.sleep(0.1)
            connected = time.perf_counter() - started

            def ask():
                return client.predict(
                    handle_file(str(photo)),
                    "balanced",
                    DEFAULT_THRESHOLD,
                    api_name="/estimate_image",
                )

            ask()
            cold = time.perf_counter() - started
            round_trips = [timed(ask) for _ in range(calls)]
            rss = peak_rss_of(process.pid)
            for preset in PRESETS:  # each size is another interpreter shape
                client.predict(
                    handle_file(str(clip)), preset, DEFAULT_THRESHOLD, 1, True,
                    api_name="/estimate_video",
                )  # fmt: skip
            rss_video = peak_rss_of(process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    return {
        "cold_start_s": cold,
        "connect_s": connected,
        "round_trip_ms": median_ms(round_trips),
        "app_peak_rss_gb": rss / 1e9,
        "app_peak_rss_after_videos_gb": rss_video / 1e9,
    }


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


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    args = parse_args(argv)
    if args.region_only:
        return region_only(args)
    figures: dict[str, object] = {}
    frames = real_frames()
    frame = frames[0]
    frame_bgr = np.ascontiguousarray(frame[:, :, ::-1])
    threads = int(os.environ.get("POSE_THREADS", os.cpu_count() or 2))
    print(f"CPU: {cpu_model()}")
    print(
        f"speed benchmark: {len(frames)} real frames from {CLIP.name} at "
        f"{FRAME_SIZE[0]}x{FRAME_SIZE[1]}, {os.cpu_count()} CPUs, {threads} model threads, "
        f"medians of {args.repeats} rounds after warm-up; ratio = (a) time / time"
    )

    models = {
        "tflite": PoseModel(backend="tflite", threads=threads),
        "session": PoseModel(backend="session", threads=threads),
    }
    if cpu_has_bf16():  # without native bfloat16 it would just be the session again
        models["bf16"] = PoseModel(backend="bf16", threads=threads)
    models["int8"] = PoseModel(backend="int8", threads=threads)  # not exact: docs/backends.md
    original = Original()
    for model in models.values():
        model.load()

    # (a) + (b): one frame, interleaved.
    single = {
        "(a) original, one frame": lambda: original.frame(frame_bgr.copy()),
        "(a) original, forward only": lambda: original.forward(frame_bgr),
    }
    for name, model in models.items():
        single[f"(b) image path, {name}"] = lambda model=model: draw_poses(
            frame, estimate(frame, size="balanced", model=model).people
        )
    for preset in PRESETS:
        if preset != "balanced":
            single[f"(b) image path, tflite, {preset}"] = lambda preset=preset: draw_poses(
                frame, estimate(frame, size=preset, model=models["tflite"]).people
            )
    webcam = webcam_frame(models[MOTION_BACKEND])
    single[f"webcam frame ({DEFAULT_LIVE_SIZE}), {MOTION_BACKEND}"] = lambda: webcam(frame)
    webcam_full = webcam_frame(models[MOTION_BACKEND], regions=False)
    single[f"webcam frame, {MOTION_BACKEND}, full frames"] = lambda: webcam_full(frame)
    single_ms, single_best, single_cpu = interleaved(single, args.repeats)
    base_ms = single_ms["(a) original, one frame"]
    figures["single_ms"] = single_ms
    figures["single_best_ms"] = single_best
    figures["single_cpu_ms"] = single_cpu

    # (d) model only, per preset and backend, plus thread counts and batching.
    model_cases: dict[str, Callable[[], object]] = {}
    inputs = {}
    for preset, box in PRESETS.items():
        net_w, net_h = network_size(FRAME_SIZE[0], FRAME_SIZE[1], box)
        inputs[preset] = preprocess(frame, net_w, net_h)[None]
        for name, model in models.items():
            model_cases[f"{preset} {net_w}x{net_h}, {name}"] = (
                lambda model=model, batch=inputs[preset]: model.run(batch)
            )
    single_thread = {
        name: PoseModel(backend=name, threads=1) for name in ("tflite", "session") if threads > 1
    }
    for name, model in single_thread.items():
        model_cases[f"balanced, {name}, 1 thread"] = lambda model=model: model.run(
            inputs["balanced"]
        )
    tf_interpreter = TFLiteRunner(models["tflite"].tflite.path, threads, runtime="tensorflow")
    model_cases["balanced, tflite via tf.lite.Interpreter"] = lambda: tf_interpreter.run(
        inputs["balanced"]
    )
    pair = np.concatenate([inputs["balanced"]] * 2)
    model_cases["balanced, tflite, batch of 2 (per frame)"] = lambda: models["tflite"].run(pair)
    model_ms, model_best, model_cpu = interleaved(model_cases, args.repeats)
    model_ms["balanced, tflite, batch of 2 (per frame)"] /= 2
    model_best["balanced, tflite, batch of 2 (per frame)"] /= 2
    figures["model_ms"] = model_ms
    figures["model_best_ms"] = model_best
    figures["model_cpu_ms"] = model_cpu

    # (c) video path, clip passes interleaved: original loop, ours per backend and size.
    with tempfile.TemporaryDirectory(prefix="pose-speed-") as tmp:
        out_dir = Path(tmp)
        clip = write_clip(frames, args.frames, out_dir / "clip.mp4")
        clip_cases: dict[str, Callable[[], float]] = {
            "(a) original loop": lambda: original.clip_fps(clip)
        }
        for name, model in models.items():
            clip_cases[f"(c) video path, {name}, balanced"] = lambda model=model: video_fps(
                clip, out_dir, model, "balanced", args.frames
            )
        clip_cases["(c) video path, tflite, fast"] = lambda: video_fps(
            clip, out_dir, models["tflite"], "fast", args.frames
        )
        # What two of the steps contribute: each undone alone, on the default video model.
        motion = models[MOTION_BACKEND]
        clip_cases[f"  {MOTION_BACKEND}, one model call at a time (2 threads)"] = lambda: video_fps(
            clip, out_dir, motion, "balanced", args.frames, workers=1
        )
        clip_cases[f"  {MOTION_BACKEND}, x264 superfast instead of ultrafast"] = lambda: (
            with_x264_preset("superfast", video_fps, clip, out_dir, motion, "balanced", args.frames)
        )
        for name in ("session", "tflite", MOTION_BACKEND):  # one thread, no overlap
            clip_cases[f"serial loop, {name}, balanced"] = lambda model=models[name]: serial_stages(
                clip, out_dir, model, "balanced"
            )["fps"]
        fps_samples: dict[str, list[float]] = {name: [] for name in clip_cases}
        cpu_samples: dict[str, list[float]] = {name: [] for name in clip_cases}
        for fn in clip_cases.values():  # warm-up pass: interpreters for this shape
            fn()
        for _ in range(args.clip_rounds):
            for name, fn in clip_cases.items():
                spent = cpu_seconds()
                fps_samples[name].append(fn())
                cpu_samples[name].append((cpu_seconds() - spent) * 1000 / args.frames)
        fps = {name: statistics.median(values) for name, values in fps_samples.items()}
        cpu_ms = {name: statistics.median(values) for name, values in cpu_samples.items()}
        stages = serial_stages(clip, out_dir, models[MOTION_BACKEND], "balanced")
        overlapped = pipeline_stages(clip, out_dir, models[MOTION_BACKEND], "balanced")
        region = region_section(
            original,
            models[MOTION_BACKEND],
            region_clips(out_dir, frames, args.frames),
            out_dir,
            args.clip_rounds,
        )
    figures["region"] = region
    figures["pipeline_cpu_ms"] = overlapped
    figures["fps"] = fps
    figures["cpu_ms_per_frame"] = cpu_ms
    figures["stages_ms"] = stages
    base_fps = fps["(a) original loop"]

    print(
        "\n(a)/(b) one 640x480 frame, balanced (432x368 box); webcam: pose.stream at its live size"
    )
    for name, value in single_ms.items():
        note = f"best {single_best[name]:.1f} ms, CPU {single_cpu[name]:.1f} ms"
        row(name, f"{value:8.1f} ms", base_ms / value, note)
    print("\n(c) video, frames/s end to end (decode, inference, drawing, H.264 encode)")
    for name, value in fps.items():
        row(name, f"{value:8.1f} fps", value / base_fps)
    cores = os.cpu_count() or 1
    print(
        "\n(c) the same by CPU time per frame (all threads; barely moved by other processes'"
        f" load); ratio = (a) CPU / CPU; 'free' = frames/s if all {cores} cores were ours"
    )
    base_cpu = cpu_ms["(a) original loop"]
    for name, value in cpu_ms.items():
        row(name, f"{value:8.1f} ms", base_cpu / value, f"free {cores * 1000 / value:5.1f} fps")
    print(f"\n(d) model only, a 640x480 frame per call; ratio to (a) one frame ({base_ms:.0f} ms)")
    for name, value in model_ms.items():
        row(name, f"{value:8.1f} ms", base_ms / value, f"best {model_best[name]:.1f} ms")

    print("\nthe machine's limit: operations per frame, achieved / peak (best times: less noise)")
    matmul = matmul_gflops(threads)
    peak = max(matmul["tensorflow"], matmul["numpy"])
    peak_cpu = matmul["tensorflow_per_cpu_second"]
    figures["matmul_gflops"] = matmul
    row("peak: 4096^2 float32 matmul, TensorFlow", f"{matmul['tensorflow']:8.1f} GF/s")
    row("     the same in NumPy (OpenBLAS)", f"{matmul['numpy']:8.1f} GF/s")
    row("     TensorFlow's, per CPU-second", f"{peak_cpu:8.1f} GF/s", None, "(one core's worth)")
    limits = {}
    for preset, box in PRESETS.items():
        net_w, net_h = network_size(FRAME_SIZE[0], FRAME_SIZE[1], box)
        ours, profiled = model_flops(net_w, net_h)
        for name in models:
            key = f"{preset} {net_w}x{net_h}, {name}"
            achieved = ours / (model_best[key] / 1000) / 1e9
            per_cpu = ours / (model_cpu[key] / 1000) / 1e9
            limits[key] = {"gflop": ours / 1e9, "gflops": achieved, "per_cpu_second": per_cpu}
            prof = f", profiler {profiled / 1e9:.2f}" if profiled else ""
            row(
                key,
                f"{achieved:8.1f} GF/s",
                None,
                f"{achieved / peak:5.1%} of peak; per CPU-second {per_cpu:5.1f} GF/s = "
                f"{per_cpu / peak_cpu:5.1%}; {ours / 1e9:.2f} GFLOP{prof}",
            )
    figures["limits"] = limits

    print(f"\nwhere one frame's time goes (serial loop, {MOTION_BACKEND}, balanced; medians)")
    serial_total = sum(value for name, value in stages.items() if name != "fps")
    for name, value in stages.items():
        if name != "fps":
            row(name, f"{value:8.1f} ms", None, f"{value / serial_total:5.1%}")
    row("sum (serial)", f"{serial_total:8.1f} ms")
    pipeline_ms = 1000 / fps[f"(c) video path, {MOTION_BACKEND}, balanced"]
    row("video path per frame (overlapped)", f"{pipeline_ms:8.1f} ms")
    print(f"\nwhere the video path's CPU time goes (overlapped, {MOTION_BACKEND}, one pass)")
    stage_total = sum(overlapped.values())
    for name, value in overlapped.items():
        row(name, f"{value:8.1f} ms", None, f"{value / stage_total:5.1%} of the CPU time")
    row("sum (CPU ms per frame)", f"{stage_total:8.1f} ms")

    process_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    figures["benchmark_peak_rss_gb"] = process_rss
    print(f"\npeak RSS of this benchmark process (all backends + OpenCV dnn): {process_rss:.2f} GB")

    app = None
    if not args.no_app:
        try:
            app = app_figures(PHOTO if PHOTO.is_file() else CLIP, CLIP)
        except Exception as exc:  # report and carry on: the other figures still stand
            print(f"app: could not measure ({type(exc).__name__}: {exc})")
    if app:
        # The handler itself, in this process: what Gradio adds is the rest.
        from pose.media import load_image, write_png_atomically
        from ui.image import estimate_image

        png_dir = Path(tempfile.mkdtemp(prefix="pose-speed-png-"))

        photo = load_image(PHOTO)
        annotated = draw_poses(photo, estimate(photo, model=models["tflite"]).people)
        local, _, _ = interleaved(
            {
                "model": lambda: estimate(photo, size="balanced", model=models["tflite"]),
                "handler": lambda: estimate_image(str(PHOTO), "balanced", DEFAULT_THRESHOLD),
                "png": lambda: write_png_atomically(annotated, png_dir),
            },
            args.repeats,
        )
        shutil.rmtree(png_dir, ignore_errors=True)
        app.update({f"{name}_ms": value for name, value in local.items()})
        figures["app"] = app
        print(
            f"\napp (python app.py, model cached), {PHOTO.name} {photo.shape[1]}x{photo.shape[0]}"
        )
        row("cold start to first estimate_image answer", f"{app['cold_start_s']:8.1f} s")
        row("of which until the client connected", f"{app['connect_s']:8.1f} s")
        row("estimate_image round trip via gradio_client", f"{app['round_trip_ms']:8.1f} ms")
        row("  model + decode, in-process", f"{app['model_ms']:8.1f} ms")
        row("  the whole handler in-process (+ draw, files)", f"{app['handler_ms']:8.1f} ms")
        row("  PNG of the answer (app's image output)", f"{app['png_ms']:8.1f} ms")
        overhead = app["round_trip_ms"] - app["handler_ms"] - app["png_ms"]
        row("  Gradio queue, HTTP up/downloads, client", f"{overhead:8.1f} ms")
        row("app peak RSS", f"{app['app_peak_rss_gb']:8.2f} GB")
        row(
            "  after a video at each preset as well",
            f"{app['app_peak_rss_after_videos_gb']:8.2f} GB",
        )

    print("\ngoals (issue 6, part 5)")
    video_ratio = fps["(c) video path, tflite, balanced"] / base_fps
    video_cpu_ratio = base_cpu / cpu_ms["(c) video path, tflite, balanced"]
    int8_ratio = fps["(c) video path, int8, balanced"] / base_fps
    int8_cpu_ratio = base_cpu / cpu_ms["(c) video path, int8, balanced"]
    webcam_key = f"webcam frame ({DEFAULT_LIVE_SIZE}), {MOTION_BACKEND}"
    webcam_ms, webcam_best = single_ms[webcam_key], single_best[webcam_key]
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
    for label, ok, value in checks:
        print(f"  {'met ' if ok else 'MISS'}  {label:<44}{value:>10}")
    goal_peak = args.peak or peak
    print(f"\ngoals (issue 17; {cpu_model()}, float peak {goal_peak:.0f} GF/s)")
    for label, ok, value in region_goals(region, goal_peak):
        print(f"  {'met ' if ok else 'MISS'}  {label:<66}{value:>10}")
    if args.json:
        print(json.dumps(figures, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
