"""Video throughput: our pipelined video path against the original script's per-frame loop.

    .venv/bin/python -m benchmarks.video [--frames 40] [--rounds 2] [--size balanced]

Builds a clip at run time by looping ../shared/eval/video/demo.mp4 (960x540 street scene,
several people) and times, in the same run and on the same clip:

- ``baseline``: the approach of the original openpose.py script: OpenCV's
  ``cv2.dnn.readNetFromTensorflow(graph_opt.pb)``, one frame at a time on a 368x368 blob,
  argmax of each heatmap, lines drawn, written with OpenCV's mp4v ``VideoWriter`` (which
  browsers do not play);
- ``sequential``: our steps (PyAV decode, the model, PAF decode, drawing, H.264
  encode) one after another in one thread, to show what the pipeline adds;
- ``pipeline``: :func:`pose.video.process.process_video`, decode / inference / drawing / encoding
  overlapped in threads; at the default input size and at
  480x272, which feeds the network about as many pixels as the baseline's 368x368.

Both models are loaded and warmed up before timing. Rounds alternate between the paths so
that load from other processes on the machine hits them alike; the best round counts.
Prints frames per second of each path, the ratio to the baseline, and how many cores the
process kept busy (CPU time of all its threads over wall time; at most 2 here).
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from benchmarks.common import DEMO
from pose.body.skeleton import DRAWN_LIMBS
from pose.media.video_reader import iter_frames, open_video
from pose.media.video_writer import VideoWriter
from pose.network.registry import get_model
from pose.network.spec import DEFAULT_PRESET, model_path, network_size
from pose.output.draw import draw_poses
from pose.photo.estimate import DEFAULT_THRESHOLD, decode_output, resolve_box
from pose.video.process import process_video

BASELINE_SIZE = (368, 368)  # the original script's default network input
BASELINE_THRESHOLD = 0.1


def make_clip(path: Path, frames: int) -> tuple[int, int]:
    """Loop the demo clip's frames into ``frames`` frames of H.264 at 25 fps; return (w, h)."""
    with av.open(str(DEMO)) as container:
        images = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    # Ping-pong through the clip so the motion stays continuous.
    order = images + images[-2:0:-1]
    with VideoWriter(path, images[0].shape[1], images[0].shape[0], Fraction(25)) as writer:
        for index in range(frames):
            writer.write(order[index % len(order)])
    return images[0].shape[1], images[0].shape[0]


def run_baseline(net, source: Path, output: Path) -> int:
    """The original per-frame loop: read, blob, forward, argmax, draw, mp4v write."""
    capture = cv2.VideoCapture(str(source))
    width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    fps = capture.get(cv2.CAP_PROP_FPS) or 25
    writer = cv2.VideoWriter(str(output), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    count = 0
    while True:
        ok, frame = capture.read()  # BGR
        if not ok:
            break
        blob = cv2.dnn.blobFromImage(
            frame, 1.0, BASELINE_SIZE, (127.5, 127.5, 127.5), swapRB=True, crop=False
        )
        net.setInput(blob)
        heatmaps = net.forward()[0, :19]  # (19, h, w); the rest are PAFs, unused
        points = []
        for joint in range(18):
            _, confidence, _, (col, row) = cv2.minMaxLoc(heatmaps[joint])
            x = width * col / heatmaps.shape[2]
            y = height * row / heatmaps.shape[1]
            points.append((int(x), int(y)) if confidence > BASELINE_THRESHOLD else None)
        for start, end in DRAWN_LIMBS:
            if points[start] and points[end]:
                cv2.line(frame, points[start], points[end], (0, 255, 0), 3)
                cv2.circle(frame, points[start], 3, (0, 0, 255), cv2.FILLED)
                cv2.circle(frame, points[end], 3, (0, 0, 255), cv2.FILLED)
        writer.write(frame)
        count += 1
    capture.release()
    writer.release()
    return count


def run_sequential(source: Path, output: Path, size: str) -> int:
    """Our steps, one after another in one thread (no overlap, one frame per call)."""
    model, box = get_model(), resolve_box(size)
    container, info = open_video(source)
    count = 0
    with container, VideoWriter(output, info.width, info.height, info.fps) as writer:
        for _, _, image in iter_frames(container, info, max_frames=10**6):
            people = decode_output(model.infer(image, box), DEFAULT_THRESHOLD)
            writer.write(draw_poses(image, people))
            count += 1
    return count


def run_pipeline(source: Path, output: Path, size: str) -> int:
    return len(process_video(source, output, size=size, max_frames=10**6).frames)


def timed(run: Callable[[], int]) -> tuple[int, float, float]:
    """(frames, wall seconds, cores busy = CPU seconds of all our threads / wall seconds)."""
    started, cpu = time.perf_counter(), time.process_time()
    frames = run()
    wall = time.perf_counter() - started
    return frames, wall, (time.process_time() - cpu) / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=40, help="frames in the test clip")
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds per path")
    parser.add_argument("--size", default=DEFAULT_PRESET, help="our model input preset")
    parser.add_argument(
        "--also",
        nargs="*",
        default=["480x272"],
        help="more input sizes for the pipeline (default 480x272: about the baseline's "
        "135k network pixels for a 16:9 clip)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    work = Path(tempfile.mkdtemp(prefix="pose-bench-video-"))
    source = work / "clip.mp4"
    width, height = make_clip(source, args.frames)
    net = cv2.dnn.readNetFromTensorflow(str(model_path()))
    # Warm-up: load both graphs and run each path once on a short clip.
    warm = work / "warm.mp4"
    make_clip(warm, 4)
    run_baseline(net, warm, work / "warm-baseline.mp4")
    run_pipeline(warm, work / "warm-ours.mp4", args.size)

    paths: dict[str, Callable[[], int]] = {
        "baseline": lambda: run_baseline(net, source, work / "baseline.mp4"),
        "sequential": lambda: run_sequential(source, work / "sequential.mp4", args.size),
        "pipeline": lambda: run_pipeline(source, work / "pipeline.mp4", args.size),
    }
    for size in args.also:
        paths[f"pipeline {size}"] = lambda size=size: run_pipeline(
            source, work / f"pipeline-{size}.mp4", size
        )
    best: dict[str, float] = {}
    busy: dict[str, float] = {}
    for _ in range(args.rounds):
        for name, run in paths.items():
            frames, seconds, cores = timed(run)
            assert frames == args.frames, f"{name} processed {frames} frames"
            if frames / seconds > best.get(name, 0.0):
                best[name], busy[name] = frames / seconds, cores
    print_paths(args, (width, height), best, busy)


def print_paths(
    args: argparse.Namespace, clip: tuple[int, int], best: dict[str, float], busy: dict[str, float]
) -> None:
    """The table: each path's best frames/s (``best``), its ratio to the baseline's, the
    cores it kept busy (``busy``), its network input on the ``clip``'s (W, H) frames and
    its output."""
    width, height = clip
    print(
        f"clip: {args.frames} frames {width}x{height} (demo.mp4 looped); cores: {os.cpu_count()}; "
        f"our backend: {get_model().backend}; best of {args.rounds} rounds"
    )
    net = {"baseline": f"{BASELINE_SIZE[0]}x{BASELINE_SIZE[1]} (stretched)"}
    for name in best:
        if name != "baseline":
            size = name.split(" ", 1)[1] if " " in name else args.size
            net[name] = "{}x{}".format(*network_size(width, height, resolve_box(size)))
    print(
        f"{'path':<20}{'frames/s':>9}{'vs baseline':>13}{'cores busy':>12}  "
        f"{'network input':<22}output"
    )
    for name, fps in best.items():
        label = "mp4v (not browser-playable)" if name == "baseline" else "H.264 yuv420p mp4"
        ratio = fps / best["baseline"]
        print(f"{name:<20}{fps:>9.1f}{ratio:>12.2f}x{busy[name]:>12.2f}  {net[name]:<22}{label}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
