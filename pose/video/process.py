"""Video in; annotated, browser-playable video and per-frame keypoints out.

:func:`process_video` is one consumer of the video's stream of people
(:class:`pose.video.stream.PeopleStream`: read, network, decode, track, smooth). Once the
stream has ended, each person's ID is re-joined over the whole clip
(:func:`pose.video.identity.rejoined`: the IDs compare-videos and count-reps follow); then the
frames are read again (the stream's reader, :func:`pose.media.video_reader.read_video`:
decoding is cheap next to the network) and drawn with their skeletons and IDs, one thread
reading and one drawing while this one encodes them as H.264 in MP4 or VP9 in WebM
(:mod:`pose.media.video_writer`), so that the second pass keeps both cores busy. The keypoints
come back as a :class:`VideoResult` (:mod:`pose.video.result`). Audio is not copied.
"""

from __future__ import annotations

import logging
import os
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from pose.media.images import InputError
from pose.media.video_reader import MAX_FRAMES, read_video
from pose.media.video_writer import VideoWriter, encoder_for, to_yuv420
from pose.network.registry import PoseModel
from pose.output.draw import draw_ids, draw_poses
from pose.photo.estimate import DEFAULT_THRESHOLD
from pose.video.identity import rejoined
from pose.video.pipeline import END, QUEUE_SIZE, Pipeline
from pose.video.region import DEFAULT_POLICY, RegionPolicy
from pose.video.result import FrameKeypoints, VideoResult
from pose.video.stream import PeopleStream, StreamOptions

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int | None], None]

# The threads of the drawing stage, whose CPU time VideoResult.stage_cpu_seconds gives as
# "redraw": reading the frames again and drawing them.
REDRAW_STAGES = ("reread", "redraw")


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
    second_opinion: bool = False,
    drawing_progress: ProgressCallback | None = None,
) -> VideoResult:
    """Annotate every ``every``-th frame of ``source`` into ``output`` (.mp4 H.264 or .webm VP9).

    The output keeps the input's size (odd sides padded to even), frame rate and duration:
    with ``every`` > 1 each annotated frame is held until the next (the skipped frames are
    not encoded), and the last one until the source's end. Audio is dropped. Each person
    gets a tracking ID (:class:`pose.video.track.PoseTracker`, re-joined over the whole clip
    by :func:`pose.video.identity.rejoined`: one ID per body), drawn above their head and
    kept in :attr:`FrameKeypoints.ids`. The other options are the stream's
    (:class:`pose.video.stream.StreamOptions`: ``smooth`` the One Euro filter per ID,
    ``model`` by default the int8 motion model, ``workers`` model workers, ``lift3d`` 3D
    landmarks too, ``regions`` the region path or None for every frame whole,
    ``second_opinion`` BlazePose's reading of each tracked person fused with OpenPose's).
    ``progress(done, total)`` is called from this thread after each frame's people are
    found (``total`` is ``None`` when the file does not say how many frames it has);
    ``drawing_progress(done, total)`` after each frame drawn and encoded, which comes once
    every frame's people are found (their IDs are re-joined over the whole clip first).
    Raises :class:`InputError` for unusable input; the partial output is removed then.
    """
    options = StreamOptions(
        size, threshold, every, smooth, max_frames, model, workers, lift3d, regions,
        second_opinion,
    )  # fmt: skip
    started = time.perf_counter()
    found, stream = find_people(source, output, options, progress)
    rejoin_start = time.thread_time()
    joined = rejoined(found)
    encode_start = time.thread_time()  # this thread encodes while two others read and draw
    encoding = _Encoding(Path(output), stream.info.fps)
    try:
        encoding.write_all(source, joined, options, drawing_progress)
    except BaseException:
        encoding.abandon()
        raise
    seconds = time.perf_counter() - started
    log.info("%d frames in %.1f s", len(encoding.frames), seconds)
    cpu = {"rejoin": encode_start - rejoin_start, "encode": time.thread_time() - encode_start}
    return _result(encoding, stream, seconds, cpu)


def find_people(
    source: str | os.PathLike,
    output: str | os.PathLike,
    options: StreamOptions,
    progress: ProgressCallback | None = None,
) -> tuple[list[FrameKeypoints], PeopleStream]:
    """The first pass: every processed frame's people from the stream of ``source``
    (``progress(done, total)`` after each), and the ended stream (its info and figures).
    Raises :class:`InputError` for an ``output`` of an unknown suffix, before the network
    runs, and for a source without frames."""
    with PeopleStream(source, options) as stream:
        encoder_for(output)  # an unknown suffix fails before the network runs
        found = stream.all_keypoints(progress)
    if not found:
        raise InputError(f"{stream.info.name} contains no video frames.")
    return found, stream


def draw_frame(image: np.ndarray, keypoints: FrameKeypoints) -> np.ndarray:
    """The frame with skeletons and IDs drawn, as YUV 4:2:0 planes ((H * 3 / 2, W) uint8,
    :func:`pose.media.video_writer.to_yuv420`): the stream's ``render`` for the video."""
    drawn = draw_poses(image, keypoints.people)
    return to_yuv420(draw_ids(drawn, keypoints.people, keypoints.ids))


@dataclass
class _Encoding:
    """The annotated video being written, and the keypoints of the frames in it."""

    output: Path
    fps: Any
    writer: VideoWriter | None = None  # opened on the first frame: rotation may swap W and H
    frames: list[FrameKeypoints] = field(default_factory=list)
    redraw_cpu: float = 0.0  # CPU seconds the threads that read and draw again took

    def write_all(
        self,
        source: str | os.PathLike,
        frames: list[FrameKeypoints],
        options: StreamOptions,
        progress: ProgressCallback | None = None,
    ) -> None:
        """Draw ``frames`` (each frame's people with their re-joined IDs) into ``source``'s
        frames and encode them (``progress(done, total)`` after each frame); hold the last
        frame until the source's end. Three stages overlap, so that both cores work: one
        thread reads the frames again (:func:`_reread`), one draws them (:func:`_redraw`),
        and this one encodes."""
        pipeline = Pipeline()
        images: queue.Queue = queue.Queue(QUEUE_SIZE)
        drawn: queue.Queue = queue.Queue(QUEUE_SIZE)
        ending: dict[str, int] = {}
        pipeline.spawn(
            "reread", partial(_reread, pipeline, source, frames, options, images, ending), images
        )
        pipeline.spawn("redraw", partial(_redraw, pipeline, images, drawn), drawn)
        try:
            while (item := pipeline.get(drawn)) is not END:
                index, planes, keypoints = item
                if self.writer is None:
                    height = planes.shape[0] * 2 // 3
                    self.writer = VideoWriter(self.output, planes.shape[1], height, self.fps)
                self.writer.write_yuv(planes, index)
                self.frames.append(keypoints)
                if progress is not None:
                    progress(len(self.frames), len(frames))
            pipeline.raise_first()
        finally:
            pipeline.close()
            self.redraw_cpu = sum(pipeline.cpu_seconds.get(name, 0.0) for name in REDRAW_STAGES)
        if self.writer is None:
            raise InputError(f"{self.output.name}: no frame of the video could be read again.")
        self.writer.hold_until(ending["decoded"])
        self.writer.close()

    def abandon(self) -> None:
        """Close and remove a partial output."""
        try:
            if self.writer is not None:
                self.writer.close()
        finally:
            self.output.unlink(missing_ok=True)


def _reread(
    pipeline: Pipeline,
    source: str | os.PathLike,
    frames: list[FrameKeypoints],
    options: StreamOptions,
    outbox: queue.Queue,
    ending: dict[str, int],
) -> None:
    """Read ``source`` again (the stream's reader: the same frames, letterboxed alike) and put
    (source index, RGB image (H, W, 3), its keypoints) on ``outbox`` for each of ``frames``;
    at the end ``ending["decoded"]`` holds how many frames the source decoded in all."""
    reader = read_video(source, options.every, options.max_frames)
    wanted = iter(frames)
    keypoints = next(wanted, None)
    try:
        while True:
            try:
                index, _, image = next(reader)
            except StopIteration as end:
                ending["decoded"] = end.value
                return
            if keypoints is None or index != keypoints.index:
                continue  # a frame the stream could not use (damaged data)
            if not pipeline.put(outbox, (index, image, keypoints)):
                return  # the encoder stopped
            keypoints = next(wanted, None)
    finally:
        reader.close()


def _redraw(pipeline: Pipeline, inbox: queue.Queue, outbox: queue.Queue) -> None:
    """Each (index, image, keypoints) of ``inbox`` drawn (:func:`draw_frame`) onto ``outbox``
    as (index, YUV planes, keypoints)."""
    while (item := pipeline.get(inbox)) is not END:
        index, image, keypoints = item
        if not pipeline.put(outbox, (index, draw_frame(image, keypoints), keypoints)):
            return  # the encoder stopped


def _result(
    encoding: _Encoding, stream: PeopleStream, seconds: float, cpu: dict[str, float]
) -> VideoResult:
    writer = encoding.writer
    return VideoResult(
        output=encoding.output,
        source=stream.info,
        every=stream.options.every,
        fps=stream.info.fps,
        width=writer.width,
        height=writer.height,
        frames=tuple(encoding.frames),
        seconds=seconds,
        stage_cpu_seconds={
            **stream.stage_cpu_seconds,
            "rejoin": cpu["rejoin"],
            "redraw": encoding.redraw_cpu,
            "encode": cpu["encode"],
        },
        backend=stream.backend,
        lost_frames=stream.lost_frames,
        windows=stream.windows,
        network_share=stream.network_share,
    )
