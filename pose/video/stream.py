"""One stream of people per video: read, network, decode, track, smooth.

Every consumer of a video (the annotated video and its JSON/CSV in :mod:`pose.video.process`,
comparison and repetitions in :mod:`pose.sequence.compare`, ``pose batch`` in
:mod:`pose.batch.folder`) reads the same stream::

    from pose.video.stream import PeopleStream, StreamOptions

    with PeopleStream("clip.mp4", StreamOptions(smooth=True)) as stream:
        for frame in stream:               # StreamFrame, in source order
            frame.keypoints.people         # tuple[Pose, ...], (18, 3) keypoints in frame pixels
            frame.keypoints.ids            # each person's tracking ID, same order
            frame.image                    # (H, W, 3) uint8 RGB, as the network saw it
    stream.source_frames, stream.lost_frames, stream.network_share  # once it has ended

The work runs as threads joined by bounded queues (:mod:`pose.video.pipeline`), so decoding,
inference and decoding of the network's output overlap and keep two cores busy::

    read (PyAV decode, RGB; region plans) -> infer (one worker per core, frames dealt in turn)
        -> follow (keypoint decode, tracking, smoothing, 3D, ``render``) -> the caller

``render(image, keypoints)``, when given, runs in the follow thread and its result rides along
as :attr:`StreamFrame.rendered`: the annotated video draws and converts to YUV there, so that
drawing overlaps encoding in the caller's thread. The model runtime, OpenCV and the codecs
release the GIL while they work, so the threads run truly in parallel.

The webcam has no file to read ahead: :class:`pose.video.live.WebcamSession` takes one frame at
a time, and shares this stream's last step, :class:`Follower` (tracking, then smoothing).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from pose.body.types import Pose
from pose.media.video_reader import (
    MAX_FRAMES,
    ReadStats,
    check_frame_budget,
    open_video,
    steady_frames,
)
from pose.network.registry import PoseModel, motion_model
from pose.photo.estimate import DEFAULT_THRESHOLD, decode_output, resolve_box
from pose.pose3d.blazepose import get_landmark_model
from pose.video.appearance import frame_looks
from pose.video.crop_follow import CropFollower, with_bodies
from pose.video.pipeline import END, QUEUE_SIZE, Pipeline
from pose.video.region import DEFAULT_POLICY, LaggedPlanner, Plan, RegionPolicy, infer_windows
from pose.video.result import FrameKeypoints
from pose.video.smoothing import PoseSmoother
from pose.video.track import PoseTracker

log = logging.getLogger(__name__)

# What a consumer may compute in the stream's follow thread: (image, keypoints) -> anything.
Render = Callable[[np.ndarray, FrameKeypoints], Any]


@dataclass(frozen=True)
class StreamOptions:
    """How a video becomes people.

    ``size``: the network's input preset or (W, H); ``threshold``: minimum joint confidence;
    ``every``: every Nth source frame; ``smooth``: the One Euro filter, one per tracking ID;
    ``max_frames``: refuse clips that would give more frames; ``model``: by default
    :func:`pose.network.registry.motion_model` (int8 when built); ``workers``: model workers
    (default one per core, see :meth:`PoseModel.workers`); ``lift3d``: each person's 3D
    landmarks too (:mod:`pose.pose3d.blazepose`, 15-40 ms a person); ``regions``: run the
    network only around the people found a few frames earlier (None: every frame whole);
    ``second_opinion``: BlazePose's landmark model reads each person from a crop followed
    from frame to frame, fused per joint with OpenPose's (:mod:`pose.video.crop_follow`; one
    landmark run a person, up to four a frame, and the person detector now and then);
    ``appearance``: each person's look (the colours of torso and upper legs,
    :mod:`pose.video.appearance`) helps tracking and re-joining tell people apart where
    they cross (about half a millisecond of CPU a frame on street.avi).
    """

    size: str | tuple[int, int] | None = None
    threshold: float = DEFAULT_THRESHOLD
    every: int = 1
    smooth: bool = False
    max_frames: int = MAX_FRAMES
    model: PoseModel | None = None
    workers: int = 0
    lift3d: bool = False
    regions: RegionPolicy | None = DEFAULT_POLICY
    second_opinion: bool = False
    appearance: bool = True


@dataclass(frozen=True)
class StreamFrame:
    """One processed frame: its people (:class:`FrameKeypoints`: index, time, people, IDs,
    3D bodies), the RGB uint8 image (H, W, 3) they were found in (letterboxed into the first
    frame's size when the clip changes size), and what ``render`` made of them (or None)."""

    keypoints: FrameKeypoints
    image: np.ndarray
    rendered: Any = None


@dataclass
class Follower:
    """The last step of every stream, frame after frame: a tracking ID per person
    (:class:`PoseTracker`), then, when smoothing, the One Euro filter per ID."""

    tracker: PoseTracker = field(default_factory=PoseTracker)
    smoother: PoseSmoother = field(default_factory=PoseSmoother)

    def step(
        self,
        people: Sequence[Pose],
        seconds: float,
        size: tuple[int, int],
        smooth: bool,
        track_on: Sequence[Pose] | None = None,
        looks: Sequence[np.ndarray | None] | None = None,
    ) -> tuple[list[Pose], list[int]]:
        """(people, IDs) of the frame at ``seconds`` (frame ``size`` (W, H) pixels); the
        people smoothed when ``smooth`` (turned off, the filter forgets its history so that
        turning it back on does not pull from stale frames). ``track_on``: each person as
        the tracker should match them, same order (the second opinion's OpenPose joints);
        ``looks``: each person's look (:func:`pose.video.appearance.frame_looks`)."""
        ids = self.tracker.update(people if track_on is None else track_on, seconds, looks)
        if not smooth:
            self.smoother.reset()
            return list(people), ids
        return self.smoother.update(people, seconds, size, ids=ids), ids


@dataclass
class _Context:
    """What the stages of one stream share (each stage is a function of it)."""

    container: Any
    info: Any
    options: StreamOptions
    box: tuple[int, int]
    model: PoseModel
    runs: list[Callable[[np.ndarray], np.ndarray]]
    planner: LaggedPlanner | None
    landmark_model: Any
    render: Render | None
    opinion: CropFollower | None = None
    pipeline: Pipeline = field(default_factory=Pipeline)
    stats: ReadStats = field(default_factory=ReadStats)
    follower: Follower = field(default_factory=Follower)
    decoded: list[queue.Queue] = field(default_factory=list)
    inferred: list[queue.Queue] = field(default_factory=list)
    followed: queue.Queue = field(default_factory=lambda: queue.Queue(QUEUE_SIZE))
    source_frames: int = 0  # decoded in all; set by the reader before it ends its queues


def _read(context: _Context) -> None:
    """Decode frames (each in the first frame's size), plan their windows, deal them to the
    workers in turn."""
    options, planner = context.options, context.planner
    reader = steady_frames(
        context.container, context.info, options.every, options.max_frames, context.stats
    )
    turn = 0
    try:
        for number in itertools.count():
            index, seconds, image = next(reader)
            if planner is not None:
                planner.frame(number, image, context.box)
            if not context.pipeline.put(context.decoded[turn], (index, seconds, image)):
                return
            turn = (turn + 1) % len(context.decoded)
    except StopIteration as end:
        context.source_frames = end.value


def _infer(context: _Context, worker: int) -> None:
    """One model worker: the frames ``worker``, ``worker + workers``, ... through the
    network (whole, or the windows the planner chose)."""
    inbox, outbox = context.decoded[worker], context.inferred[worker]
    run, planner, pipeline = context.runs[worker], context.planner, context.pipeline
    numbers = itertools.count(worker, len(context.runs))  # the frames this worker is dealt
    while (item := pipeline.get(inbox)) is not END:
        index, seconds, image = item
        plan = planner.decide(next(numbers), pipeline.stop) if planner else None
        if plan is None:
            (result,) = context.model.infer_batch([image], context.box, run=run)
        else:
            result = infer_windows(run, image, context.box, plan)
        if not pipeline.put(outbox, (index, seconds, image, result)):
            return


def _follow(context: _Context) -> None:
    """Collect the workers' outputs in frame order: decode, track, smooth, lift, render."""
    options, planner, pipeline = context.options, context.planner, context.pipeline
    turn = number = 0
    while (item := pipeline.get(context.inferred[turn])) is not END:
        turn = (turn + 1) % len(context.inferred)
        index, seconds, image, result = item
        people = decode_output(result, options.threshold)
        if planner is not None:
            planner.result(number, people)  # before smoothing: windows follow what was found
        number += 1
        read: list = []  # each person's 3D body from the second opinion's own reading
        track_on = None
        if context.opinion is not None:
            people, read, track_on = context.opinion.step(image, people, options.threshold)
        size = (image.shape[1], image.shape[0])
        looks = None
        if options.appearance:
            looks = frame_looks(image, [p.keypoints for p in (track_on or people)])
        people, ids = context.follower.step(people, seconds, size, options.smooth, track_on, looks)
        bodies = with_bodies(image, people, read, context.landmark_model)
        keypoints = FrameKeypoints(index, seconds, tuple(people), tuple(ids), tuple(bodies),
                                   tuple(looks or ()))  # fmt: skip
        rendered = context.render(image, keypoints) if context.render is not None else None
        if not pipeline.put(context.followed, StreamFrame(keypoints, image, rendered)):
            return


class PeopleStream:
    """A video as a stream of :class:`StreamFrame`, one per processed frame, in order.

    Opening checks the file (:class:`pose.media.images.InputError` for unusable input: not a
    video, too long for ``max_frames``, ...). Use it as a context manager, iterate it once;
    leaving the block early stops the threads. After the end: :attr:`source_frames`,
    :attr:`lost_frames`, :attr:`stage_cpu_seconds`, :attr:`windows`, :attr:`network_share`.
    """

    def __init__(
        self,
        source: str | os.PathLike,
        options: StreamOptions = StreamOptions(),  # frozen: one shared default is safe
        render: Render | None = None,
    ) -> None:
        self.options = options
        self.model = options.model or motion_model()
        self._resources = contextlib.ExitStack()  # closed after the threads have stopped
        container, self.info = open_video(source)
        self._resources.callback(container.close)
        try:
            self.total = check_frame_budget(self.info, options.every, options.max_frames)
            runs = self._resources.enter_context(self.model.workers(options.workers))
            landmark_model = get_landmark_model() if options.lift3d else None
            if options.lift3d or options.second_opinion:
                get_landmark_model().load()  # fails (missing model) before any frame is read
        except BaseException:
            self._resources.close()
            raise
        # Frame n's windows come from frame n - lag's people: one more than the workers, so
        # a worker rarely waits for the follow stage to decode them.
        regions = options.regions
        planner = LaggedPlanner(regions, lag=len(runs) + 1) if regions is not None else None
        self._context = _Context(
            container, self.info, options, resolve_box(options.size), self.model, runs,
            planner, landmark_model, render,
            CropFollower() if options.second_opinion else None,
        )  # fmt: skip
        self._started = False

    def __enter__(self) -> PeopleStream:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __iter__(self) -> Iterator[StreamFrame]:
        if self._started:
            raise RuntimeError("a PeopleStream is read once")
        self._start()
        pipeline = self._context.pipeline
        while (frame := pipeline.get(self._context.followed)) is not END:
            yield frame
        pipeline.raise_first()

    def all_keypoints(
        self, progress: Callable[[int, int | None], None] | None = None
    ) -> list[FrameKeypoints]:
        """Read the stream to its end: every processed frame's keypoints, in order;
        ``progress(done, total)`` after each (``total`` None when the file does not say)."""
        found = []
        for frame in self:
            found.append(frame.keypoints)
            if progress is not None:
                progress(len(found), self.total)
        return found

    def _start(self) -> None:
        """Spawn the stages: read -> infer (one per worker) -> follow."""
        context, pipeline = self._context, self._context.pipeline
        self._started = True
        context.decoded = [queue.Queue(QUEUE_SIZE) for _ in context.runs]
        context.inferred = [queue.Queue(QUEUE_SIZE) for _ in context.runs]
        pipeline.spawn("read", partial(_read, context), *context.decoded)
        for worker, outbox in enumerate(context.inferred):
            pipeline.spawn(f"infer{worker}", partial(_infer, context, worker), outbox)
        # Named "draw" in the stage timings, as before the stream: benchmarks read it so.
        pipeline.spawn("draw", partial(_follow, context), context.followed)

    def close(self) -> None:
        """Stop every stage, wait for the threads, release the file and the workers."""
        self._context.pipeline.close()
        self._resources.close()

    @property
    def backend(self) -> str:
        return self.model.backend

    @property
    def source_frames(self) -> int:
        """Source frames decoded in all (known once the stream has ended)."""
        return self._context.source_frames

    @property
    def lost_frames(self) -> int:
        """Source frames that could not be decoded (damaged data)."""
        return self._context.stats.lost

    @property
    def stage_cpu_seconds(self) -> dict[str, float]:
        """CPU seconds of each stage's thread ("read", "infer0", ..., "draw")."""
        return dict(self._context.pipeline.cpu_seconds)

    @property
    def windows(self) -> tuple[Plan, ...]:
        """Per processed frame, the windows the network ran on (None: the whole frame)."""
        planner = self._context.planner
        return tuple(planner.decisions) if planner is not None else ()

    @property
    def network_share(self) -> float:
        """The mean share of the network input's cells run per frame (1.0: every frame whole)."""
        planner = self._context.planner
        return statistics.fmean(planner.shares) if planner and planner.shares else 1.0


def people_stream(
    source: str | os.PathLike, options: StreamOptions = StreamOptions()
) -> Iterator[FrameKeypoints]:
    """The people of each processed frame of ``source``, in order (a generator over
    :class:`PeopleStream` for consumers that need neither the images nor the totals)."""
    with PeopleStream(source, options) as stream:
        for frame in stream:
            yield frame.keypoints
