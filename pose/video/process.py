"""Video in; annotated, browser-playable video and per-frame keypoints out.

:func:`process_video` reads frames with PyAV (:mod:`pose.media.video_reader`), runs them through the
model, draws them, and encodes them as H.264 in MP4 or VP9 in WebM (:mod:`pose.media.video_writer`);
the keypoints come back as a :class:`VideoResult` (:mod:`pose.video.result`).

The work runs as a small pipeline of threads joined by bounded queues (:mod:`pose.video.pipeline`),
so decoding, inference, drawing and encoding overlap and keep two cores busy::

    read (PyAV decode, RGB) -> infer (the model; one worker per core, frames dealt in turn)
        -> draw (keypoint decode, smoothing, skeletons, RGB->YUV) -> encode (libx264, caller)

The model runtime, OpenCV and the codecs release the GIL while they work, so the threads run
truly in parallel. Audio is not copied to the output.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import statistics
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from pose.media.images import InputError
from pose.media.video_reader import (
    MAX_FRAMES,
    ReadStats,
    check_frame_budget,
    iter_frames,
    letterbox,
    open_video,
)
from pose.media.video_writer import (
    VideoWriter,
    encoder_for,
    to_yuv420,
)
from pose.network.registry import PoseModel, motion_model
from pose.output.draw import draw_ids, draw_poses
from pose.photo.estimate import DEFAULT_THRESHOLD, decode_output, resolve_box
from pose.pose3d.blazepose import get_landmark_model, lift
from pose.video.pipeline import END, QUEUE_SIZE, Pipeline
from pose.video.region import DEFAULT_POLICY, LaggedPlanner, RegionPolicy, infer_windows
from pose.video.result import (
    FrameKeypoints,
    VideoResult,
)
from pose.video.smoothing import PoseSmoother
from pose.video.track import PoseTracker

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int | None], None]


def process_video(
    source: str | os.PathLike,
    output: str | os.PathLike,
    *,
    size: str | tuple[int, int] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    every: int = 1,
    smooth: bool = False,
    max_frames: int = MAX_FRAMES,
    model: PoseModel | None = None,
    workers: int = 0,
    progress: ProgressCallback | None = None,
    lift3d: bool = False,
    regions: RegionPolicy | None = DEFAULT_POLICY,
) -> VideoResult:
    """Annotate every ``every``-th frame of ``source`` into ``output`` (.mp4 H.264 or .webm VP9).

    The output keeps the input's size (odd sides padded to even), frame rate and duration:
    with ``every`` > 1 each annotated frame is held until the next (the skipped frames are
    not encoded), and the last one until the source's end. Audio is dropped. Each person
    gets a tracking ID (:class:`pose.video.track.PoseTracker`), drawn above their head and kept in
    :attr:`FrameKeypoints.ids`. ``smooth`` applies the One Euro filter across frames, one
    filter per ID. ``model``: by default
    :func:`pose.network.registry.motion_model` (int8 when built); ``workers``: model workers
    (default
    one per core; 1 = one call at a time on all cores, see :meth:`PoseModel.workers`).
    ``progress(done, total)`` is called from this thread after each encoded frame
    (``total`` is ``None`` when the file does not say how many frames it has). ``lift3d``
    also lifts every person of every processed frame to 3D (:mod:`pose.pose3d.blazepose`; about
    15-40
    ms a person on two cores, in the draw stage: docs/pose3d.md has the cost per frame).
    (``total`` is ``None`` when the file does not say how many frames it has).
    ``regions``: run the network only around the people found a few frames earlier, with
    full-frame passes as :class:`pose.video.region.RegionPolicy` says (None: every frame whole).
    Raises :class:`InputError` for unusable input; the partial output is removed then.
    """
    box = resolve_box(size)
    model = model or motion_model()
    started = time.perf_counter()
    encode_start = time.thread_time()  # this thread encodes (and opens and probes)
    resources = contextlib.ExitStack()  # closed after the pipeline's threads have stopped
    container, info = open_video(source)
    resources.callback(container.close)
    try:
        encoder_for(output)
        total = check_frame_budget(info, every, max_frames)
        runs = resources.enter_context(model.workers(workers))
    except BaseException:
        resources.close()
        raise
    writer: VideoWriter | None = None  # opened on the first frame: rotation may swap W and H
    frames: list[FrameKeypoints] = []
    pipeline = Pipeline()
    # Frame n goes to worker n % len(runs) and comes back from it in the same turn, so the
    # order survives without sequence numbers.
    decoded = [queue.Queue(QUEUE_SIZE) for _ in runs]
    inferred = [queue.Queue(QUEUE_SIZE) for _ in runs]
    drawn: queue.Queue = queue.Queue(QUEUE_SIZE)
    smoother = PoseSmoother() if smooth else None
    tracker = PoseTracker()
    landmark_model = get_landmark_model() if lift3d else None
    if landmark_model is not None:
        landmark_model.load()  # fails (missing model) before any frame is read
    # Frame n's windows come from frame n - lag's people: one more than the workers, so a
    # worker rarely waits for the draw stage to decode them.
    planner = LaggedPlanner(regions, lag=len(runs) + 1) if regions is not None else None
    source_frames = 0  # decoded in all; set by the reader before it ends the queue
    stats = ReadStats()

    def read() -> None:
        nonlocal source_frames
        reader = iter_frames(container, info, every, max_frames, stats)
        first = previous = None  # (H, W, 3) shapes
        turn = number = 0
        try:
            while True:
                index, seconds, image = next(reader)
                shape = image.shape
                first = first or shape
                if shape != first:
                    # Spliced clips and streams change size midway. The output keeps the
                    # first frame's size, and the model sees the frame as it will be shown,
                    # so keypoints stay in output pixels and people keep their proportions.
                    if shape != previous:
                        log.info("frame %d is %dx%d: letterboxed", index, shape[1], shape[0])
                    image = letterbox(image, first[1], first[0])
                previous = shape
                if planner is not None:
                    planner.frame(number, image, box)
                number += 1
                if not pipeline.put(decoded[turn], (index, seconds, image)):
                    return
                turn = (turn + 1) % len(decoded)
        except StopIteration as end:
            source_frames = end.value

    def infer(inbox: queue.Queue, outbox: queue.Queue, run, numbers: Iterator[int]) -> None:
        while (item := pipeline.get(inbox)) is not END:
            index, seconds, image = item
            plan = planner.decide(next(numbers), pipeline.stop) if planner else None
            if plan is None:
                (result,) = model.infer_batch([image], box, run=run)
            else:
                result = infer_windows(run, image, box, plan)
            if not pipeline.put(outbox, (index, seconds, image, result)):
                return

    def draw() -> None:
        turn = number = 0
        while (item := pipeline.get(inferred[turn])) is not END:
            turn = (turn + 1) % len(inferred)
            index, seconds, image, result = item
            people = decode_output(result, threshold)
            ids = tracker.update(people, seconds)
            if planner is not None:
                planner.result(number, people)
            number += 1
            if smoother is not None:
                size = (image.shape[1], image.shape[0])
                people = smoother.update(people, seconds, size, ids=ids)
            bodies = lift(image, people, landmark_model) if landmark_model is not None else []
            planes = to_yuv420(draw_ids(draw_poses(image, people), people, ids))
            keypoints = FrameKeypoints(index, seconds, tuple(people), tuple(ids), tuple(bodies))
            if not pipeline.put(drawn, (keypoints, planes)):
                return

    pipeline.spawn("read", read, *decoded)
    for number, (inbox, outbox, run) in enumerate(zip(decoded, inferred, runs, strict=True)):
        numbers = itertools.count(number, len(runs))  # the frames this worker is dealt
        pipeline.spawn(f"infer{number}", partial(infer, inbox, outbox, run, numbers), outbox)
    pipeline.spawn("draw", draw, drawn)
    try:
        while (item := pipeline.get(drawn)) is not END:
            keypoints, planes = item
            if writer is None:
                writer = VideoWriter(output, planes.shape[1], planes.shape[0] * 2 // 3, info.fps)
            writer.write_yuv(planes, keypoints.index)
            frames.append(keypoints)
            if progress is not None:
                progress(len(frames), total)
        pipeline.raise_first()
        if writer is None:
            raise InputError(f"{info.name} contains no video frames.")
        writer.hold_until(source_frames)
        writer.close()
    except BaseException:
        pipeline.close()
        try:
            if writer is not None:
                writer.close()
        finally:
            Path(output).unlink(missing_ok=True)
        raise
    finally:
        pipeline.close()
        resources.close()
    seconds = time.perf_counter() - started
    log.info("%d frames in %.1f s", len(frames), seconds)
    return VideoResult(
        output=Path(output),
        source=info,
        every=every,
        fps=info.fps,
        width=writer.width,
        height=writer.height,
        frames=tuple(frames),
        seconds=seconds,
        stage_cpu_seconds={**pipeline.cpu_seconds, "encode": time.thread_time() - encode_start},
        backend=model.backend,
        lost_frames=stats.lost,
        windows=tuple(planner.decisions) if planner is not None else (),
        network_share=statistics.fmean(planner.shares) if planner and planner.shares else 1.0,
    )
