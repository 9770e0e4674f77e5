"""Live webcam processing: one :class:`WebcamSession` per browser session.

Frames arrive as RGB arrays (decoded in memory from the browser's JPEG data URLs) and are
never written to disk. A session keeps its own One Euro smoother and its frame-rate and
latency meters, so two people streaming at once do not disturb each other.

Mirroring: a selfie preview is mirrored, and Gradio's webcam sends the mirrored pixels to
the server. Run on those, the model would call the person's right hand their left. So with
``mirrored=True`` the frame is flipped back before inference (keypoints are in the real,
un-mirrored image) and the drawing is flipped again for display, so it lines up with the
preview the person sees. Live matching (:func:`match_live`) compares the real frame's
person with a reference pose and rings the worst joints in the displayed orientation.
"""

from __future__ import annotations

import base64
import logging
import time
from collections import deque
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from pose.body.skeleton import Joint
from pose.body.types import Estimate, Pose
from pose.match import WORST_BELOW, Match, MatchError, match, rank_by_size
from pose.media.images import MAX_WORKING_SIDE, load_frame
from pose.network.registry import PoseModel, motion_model
from pose.output.draw import draw_ids, draw_poses
from pose.photo.estimate import DEFAULT_THRESHOLD, decode_output, estimate, resolve_box
from pose.video.crop_follow import CropFollower
from pose.video.region import RegionPlanner, grid_of, infer_windows, thumbnail
from pose.video.stream import Follower

log = logging.getLogger(__name__)

# Frames over which the live frame rate is measured (about 2-3 s at 10 frames/s).
RATE_WINDOW = 20
# Live frames run on the motion model (int8, pose.network.registry.motion_model) at the balanced
# size:
# as fast as float32 at the fast size (24 against 23 ms a frame) and it finds far more
# (nine-size mean AP 0.506 against 0.334; docs/performance.md).
DEFAULT_LIVE_SIZE = "balanced"
JPEG_QUALITY = 80


def jpeg_data_url(image: np.ndarray, quality: int = JPEG_QUALITY) -> str:
    """RGB uint8 (H, W, 3) -> ``data:image/jpeg;base64,...``, encoded in memory."""
    # cv2 swaps channels and mirrors in about 0.02 ms where a reversed NumPy view's copy
    # takes 1-2 ms at 640x480 (measured): three such copies were a quarter of a webcam frame.
    ok, encoded = cv2.imencode(
        ".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise ValueError("could not encode the frame as JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(encoded.tobytes()).decode("ascii")


@dataclass(frozen=True)
class LiveFrame:
    """The result for one webcam frame.

    ``display``: RGB uint8 (H, W, 3) to show, oriented like the browser's preview.
    ``estimate``: people in the real (un-mirrored) frame's pixels.
    ``mirrored``: ``display`` is the real frame flipped left to right.
    ``ids``: each person's tracking ID (same order as ``estimate.people``).
    """

    display: np.ndarray
    estimate: Estimate
    frame_number: int
    fps: float
    latency_ms: float
    smoothed: bool
    mirrored: bool = False
    ids: tuple[int, ...] = ()

    @property
    def status(self) -> str:
        count = len(self.estimate.people)
        people = f"{count} {'person' if count == 1 else 'people'}"
        if self.ids:
            people += f" (ID{'s' if len(self.ids) > 1 else ''} {', '.join(map(str, self.ids))})"
        rate = f"{self.fps:.1f} frames/s" if self.fps > 0 else "measuring frames/s"
        smoothing = "smoothing on" if self.smoothed else "smoothing off"
        return (
            f"{rate} · {self.latency_ms:.0f} ms per frame · {people} · "
            f"frame {self.frame_number} · {smoothing}"
        )


@dataclass
class WebcamSession:
    """Per-session state: the follower (stable IDs, then the smoother: the video stream's last
    step, :class:`pose.video.stream.Follower`), a frame counter and the rate/latency meters."""

    follower: Follower = field(default_factory=Follower)
    frames: int = 0
    # Runs the network only around the people of the previous frame (pose.video.region); None:
    # every frame whole.
    regions: RegionPlanner | None = field(default_factory=RegionPlanner)
    # BlazePose's crops followed from frame to frame while the second opinion is on.
    crops: CropFollower | None = None
    _last: tuple[tuple[Pose, ...], np.ndarray] | None = None  # (people, thumbnail)
    _arrivals: deque[float] = field(default_factory=lambda: deque(maxlen=RATE_WINDOW))
    _latencies: deque[float] = field(default_factory=lambda: deque(maxlen=RATE_WINDOW))

    @property
    def latency_ms(self) -> float:
        """Median time per frame over the last :data:`RATE_WINDOW` frames (robust to the
        slow first frame, which loads the model)."""
        return float(np.median(self._latencies)) if self._latencies else 0.0

    @property
    def fps(self) -> float:
        """Frames handled per second over the last :data:`RATE_WINDOW` frames."""
        if len(self._arrivals) < 2:
            return 0.0
        span = self._arrivals[-1] - self._arrivals[0]
        return (len(self._arrivals) - 1) / span if span > 0 else 0.0

    def process(
        self,
        frame: np.ndarray | bytes | str,
        *,
        mirrored: bool = True,
        smooth: bool = True,
        size: str | tuple[int, int] | None = DEFAULT_LIVE_SIZE,
        threshold: float = DEFAULT_THRESHOLD,
        model: PoseModel | None = None,
        now: float | None = None,
        second_opinion: bool = False,
    ) -> LiveFrame:
        """Estimate, smooth and draw one frame as received from the browser.

        ``frame``: the encoded frame (bytes or a file path) or a decoded array (grey, RGB or
        RGBA), checked first by :func:`pose.media.images.load_frame` with the Image tab's limits
        and messages (:class:`pose.media.images.InputError`).

        ``now`` (seconds, monotonic) is the arrival time; it times the smoother and the
        frame-rate meter. Latency is the time spent here, from arrival to drawn frame.
        ``model``: by default :func:`pose.network.registry.motion_model`.
        ``second_opinion``: BlazePose's landmark model also reads each person from a crop
        followed from frame to frame, fused per joint with OpenPose's
        (:mod:`pose.video.crop_follow`; about 25-50 ms a person, up to four).
        """
        started = time.perf_counter()
        arrival = time.monotonic() if now is None else now
        frame = load_frame(frame)
        model = model or motion_model()
        real = cv2.flip(frame, 1) if mirrored else np.ascontiguousarray(frame)
        result = self._estimate(real, size, threshold, model)
        result, track_on = self._second_opinion(real, result, threshold, second_opinion)
        size_px = (result.width, result.height)
        people, ids = self.follower.step(result.people, arrival, size_px, smooth, track_on)
        result = replace(result, people=tuple(people))
        display = drawn_display(real, result, ids, mirrored)
        self.frames += 1
        self._arrivals.append(arrival)
        self._latencies.append((time.perf_counter() - started) * 1000)
        return LiveFrame(
            display=display,
            estimate=result,
            frame_number=self.frames,
            fps=self.fps,
            latency_ms=self.latency_ms,
            smoothed=smooth,
            mirrored=mirrored,
            ids=tuple(ids),
        )

    def _second_opinion(
        self, real: np.ndarray, result: Estimate, threshold: float, wanted: bool
    ) -> tuple[Estimate, list[Pose] | None]:
        """``result`` (the real frame's people, RGB (H, W, 3)) fused with BlazePose's reading
        of the crops :attr:`crops` follows when the second opinion is ``wanted``, and what
        the tracker should follow (the crop follower's ``track_on``, None without it)."""
        if not wanted:
            self.crops = None  # turned back on, it starts afresh: old crops are stale
            return result, None
        self.crops = self.crops or CropFollower()
        timings = dict(result.timings_ms)
        people, bodies, track_on = self.crops.step(real, result.people, threshold, timings)
        result = replace(result, people=tuple(people), bodies=tuple(bodies),
                         timings_ms=timings)  # fmt: skip
        return result, track_on

    def _estimate(
        self, real: np.ndarray, size: str | tuple[int, int] | None, threshold: float, model
    ) -> Estimate:
        """The people in the real frame: the whole frame, or the windows around the
        previous frame's people that :attr:`regions` chooses."""
        if self.regions is None or max(real.shape[:2]) > MAX_WORKING_SIDE:
            return estimate(real, size=size, threshold=threshold, model=model)
        box = resolve_box(size)
        height, width = real.shape[:2]
        grid = grid_of(width, height, box)
        current = thumbnail(real, grid)
        people, previous = self._last if self._last is not None else (None, None)
        plan = self.regions.plan(people, (width, height), grid, previous, current)
        if plan is None:
            result = estimate(real, size=size, threshold=threshold, model=model)
        else:
            started = time.perf_counter()
            output = infer_windows(model.run, real, box, plan)
            inferred = time.perf_counter()
            found = tuple(decode_output(output, threshold))
            timings = {
                "model_ms": (inferred - started) * 1000,
                "decode_ms": (time.perf_counter() - inferred) * 1000,
            }
            result = Estimate(people=found, width=width, height=height, timings_ms=timings)
        self._last = (result.people, current)
        return result


@dataclass(frozen=True)
class LiveMatch:
    """A live frame's largest person compared with a reference pose.

    ``display``: RGB uint8 (H, W, 3) oriented like :attr:`LiveFrame.display`, with the
    ``worst`` joints ringed. ``result``: the comparison, or ``None`` when there is none
    (nobody in view, too few shared joints), and ``problem`` says why. ``worst``: the
    joints that differ most (score below :data:`pose.match.WORST_BELOW`, at most three),
    named on the live person's own body.
    """

    display: np.ndarray
    result: Match | None
    worst: tuple[Joint, ...] = ()
    problem: str = ""


def match_live(live: LiveFrame, reference: Pose, either_side: bool = True) -> LiveMatch:
    """Compare the largest person in ``live`` with ``reference`` (the normalized method).

    ``either_side`` also accepts the left/right-swapped pose, as people copying a photo
    while watching a mirrored preview often do. Pure: ``live`` is not changed.
    """
    people = rank_by_size(live.estimate.people)
    if not people:
        return LiveMatch(live.display, None, problem="No person in view.")
    person = people[0]
    try:
        result = match(reference, person, mirror=either_side)
    except MatchError as exc:
        return LiveMatch(live.display, None, problem=str(exc))
    worst = result.worst_in_second(3, below=WORST_BELOW)
    display = live.display
    if worst:
        # The person's joints are in real pixels: ring them on the real orientation.
        real = cv2.flip(display, 1) if live.mirrored else display
        ringed = draw_poses(real, [person], highlight=worst)
        display = cv2.flip(ringed, 1) if live.mirrored else ringed
    return LiveMatch(display, result, worst)


def drawn_display(real: np.ndarray, result: Estimate, ids: list[int], mirrored: bool) -> np.ndarray:
    """The frame to show: ``result``'s people (in the real frame's pixels) and their ``ids``
    drawn on the real RGB frame (H, W, 3), flipped left to right when the preview is
    ``mirrored``."""
    drawn = draw_poses(real, result.people)
    display = cv2.flip(drawn, 1) if mirrored else drawn
    # IDs are written on the display itself, so mirrored text still reads left to right.
    shown = [mirror_x(p, result.width) for p in result.people] if mirrored else result.people
    return draw_ids(display, shown, ids)


def mirror_x(pose: Pose, width: int) -> Pose:
    """``pose`` as seen in the left-right mirrored image ``width`` pixels wide (joints keep
    their names: only where they are drawn changes)."""
    keypoints = pose.keypoints.copy()
    keypoints[:, 0] = np.where(keypoints[:, 2] > 0, width - 1 - keypoints[:, 0], keypoints[:, 0])
    return replace(pose, keypoints=keypoints)
