"""Run the network only where people are: the region policy for videos and webcam frames.

Most pixels of a street or webcam frame hold nobody. After a full-frame pass, the next
frames run the network on a *window* around the people found, expanded for movement, and a
full-frame pass comes back every :attr:`RegionPolicy.full_every` frames and whenever the
picture changes outside the window (someone may be entering), so nobody is lost for long.

Windows live on the network's output grid (one cell = :data:`pose.network.STRIDE` input
pixels) of the *full* frame's network input: the frame is resized exactly as for a
full pass, and the window's input pixels are cut from that, on cell boundaries. So people
stay at their current network size, each output cell of the window is the same cell of the
full frame's grid, and the window's output is pasted back into a full-size map that the
usual decoder reads (:func:`paste`): keypoints come out in frame pixels with no remapping.

Everything here is pure except :class:`LaggedPlanner`, which lets a pool of model workers
ask for decisions in any order and get the ones a serial run makes (see its docstring).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from pose.network import STRIDE, NetOutput, network_size, preprocess
from pose.types import Pose


@dataclass(frozen=True)
class RegionPolicy:
    """When to run a window instead of the full frame, and how big it is.

    Sizes are in output cells of the full frame's network input (8 input pixels each).
    """

    # A full-frame pass at least every this many frames: someone who appears without
    # motion that the check below sees (slowly, or behind others) is found within this.
    full_every: int = 8
    # The window around each person's joints grows by this share of the person's larger
    # side on every side: arms and legs move, heads and feet are often not found, and the
    # decision may come from a frame a few frames old (``lag``).
    grow: float = 0.35
    # ... plus this many cells, so the network sees the context around a person it needs
    # (the window's edges are padded with zeros inside the network, unlike the full frame).
    context: int = 4
    # Window sides are multiples of this many cells, and a window keeps its size while the
    # people fit in it: each new input shape costs the runtime a new interpreter (50-90 ms).
    step: int = 8
    # The smallest window side, in cells.
    minimum: int = 16
    # A window covering more than this share of the frame's cells saves too little (int8
    # on one thread: 0.8 of the cells cost 0.82 of the time, 0.44 cost 0.51, measured):
    # run the full frame instead.
    max_share: float = 0.7
    # Motion check on a grey thumbnail with one pixel per cell: a cell whose brightness
    # changed by more than ``motion_level`` (0-255) since the previous frame counts as
    # moving; ``motion_cells`` or more moving cells outside the window mean a full pass.
    motion_level: float = 12.0
    motion_cells: int = 3

    def __post_init__(self) -> None:
        if self.full_every < 1 or self.step < 1 or self.minimum < 1:
            raise ValueError("full_every, step and minimum must be at least 1")


DEFAULT_POLICY = RegionPolicy()


@dataclass(frozen=True)
class Window:
    """A rectangle of output cells: columns ``left`` to ``right`` (exclusive), rows ``top``
    to ``bottom`` (exclusive), on a grid of ``grid`` = (columns, rows) cells."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def cells(self) -> int:
        return self.width * self.height

    def to_dict(self) -> dict:
        return {"left": self.left, "top": self.top, "right": self.right, "bottom": self.bottom}


def grid_of(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    """(columns, rows) of the output grid for a ``width`` x ``height`` frame fitted in ``box``."""
    net_w, net_h = network_size(width, height, box)
    return net_w // STRIDE, net_h // STRIDE


def people_cells(
    people: Sequence[Pose],
    frame_size: tuple[int, int],
    grid: tuple[int, int],
    policy: RegionPolicy = DEFAULT_POLICY,
) -> tuple[float, float, float, float] | None:
    """The (left, top, right, bottom) cells around every person's found joints, each box
    grown by ``policy.grow`` of the person's larger side plus ``policy.context`` cells;
    None when nobody has a found joint. ``frame_size`` = (width, height) in pixels."""
    cell_w, cell_h = frame_size[0] / grid[0], frame_size[1] / grid[1]
    boxes = []
    for person in people:
        if person.num_visible == 0:
            continue
        x0, y0, x1, y1 = person.bbox()
        margin = policy.grow * max(x1 - x0, y1 - y0)
        boxes.append(
            (
                (x0 - margin) / cell_w - policy.context,
                (y0 - margin) / cell_h - policy.context,
                (x1 + margin) / cell_w + policy.context,
                (y1 + margin) / cell_h + policy.context,
            )
        )
    if not boxes:
        return None
    left, top, right, bottom = np.array(boxes).T
    return float(left.min()), float(top.min()), float(right.max()), float(bottom.max())


def _side(needed: float, previous: int | None, full: int, policy: RegionPolicy) -> int:
    """A window side (cells): ``needed`` rounded up to ``policy.step``, at least
    ``policy.minimum``, at most ``full``; the ``previous`` side while the need fits in it
    and is more than half of it (fewer distinct shapes)."""
    side = max(policy.minimum, int(np.ceil(needed / policy.step)) * policy.step)
    if previous is not None and needed <= previous < 2 * side:
        side = previous
    return min(side, full)


def _place(low: float, high: float, side: int, full: int) -> int:
    """The first cell of a ``side``-cell span centred on [low, high], inside [0, full)."""
    start = round((low + high - side) / 2)
    return min(max(start, 0), full - side)


def window_for(
    needed: tuple[float, float, float, float],
    grid: tuple[int, int],
    previous: Window | None = None,
    policy: RegionPolicy = DEFAULT_POLICY,
) -> Window:
    """A window holding the ``needed`` cells (from :func:`people_cells`), sides quantised
    by ``policy.step`` and kept from ``previous`` while the need fits, inside ``grid``."""
    left, top, right, bottom = needed
    # Clip the need to the frame first: people at the border need no cells beyond it.
    left, right = max(left, 0.0), min(right, float(grid[0]))
    top, bottom = max(top, 0.0), min(bottom, float(grid[1]))
    width = _side(right - left, previous and previous.width, grid[0], policy)
    height = _side(bottom - top, previous and previous.height, grid[1], policy)
    column = _place(left, right, width, grid[0])
    row = _place(top, bottom, height, grid[1])
    return Window(column, row, column + width, row + height)


def thumbnail(image: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> float32 (rows, columns) grey, one pixel per grid cell."""
    small = cv2.resize(image, grid, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)


def moving_outside(
    previous: np.ndarray, current: np.ndarray, window: Window, policy: RegionPolicy
) -> bool:
    """True when at least ``policy.motion_cells`` cells outside ``window`` changed by more
    than ``policy.motion_level`` between two :func:`thumbnail` images (rows, columns)."""
    moving = np.abs(current - previous) > policy.motion_level
    moving[window.top : window.bottom, window.left : window.right] = False
    return int(moving.sum()) >= policy.motion_cells


class RegionPlanner:
    """The policy's state across frames: decides, frame after frame, full pass or window.

    Deterministic: the decision for frame ``n`` depends only on the earlier decisions,
    the people found in the frame the caller hands over (a serial caller: frame ``n - 1``;
    the video pool: frame ``n - lag``) and the thumbnails of frames ``n - 1`` and ``n``.
    """

    def __init__(self, policy: RegionPolicy = DEFAULT_POLICY) -> None:
        self.policy = policy
        self.reset()

    def reset(self) -> None:
        """Forget everything: the next frame gets a full pass."""
        self._since_full: int | None = None  # frames since the last full pass
        self._window: Window | None = None
        self._grid: tuple[int, int] | None = None
        self.last: Window | None = None  # the latest decision

    def plan(
        self,
        people: Sequence[Pose] | None,
        frame_size: tuple[int, int],
        grid: tuple[int, int],
        previous_thumbnail: np.ndarray | None = None,
        current_thumbnail: np.ndarray | None = None,
    ) -> Window | None:
        """The window for the next frame, or None for a full pass.

        ``people``: found in the frame the decision is based on (None: no result yet);
        ``frame_size`` (width, height) pixels and ``grid`` (:func:`grid_of`) of the next
        frame; the thumbnails (:func:`thumbnail`) of the frame before it and of it. Without
        both thumbnails there is no motion check.
        """
        window = self._decide(people, frame_size, grid, previous_thumbnail, current_thumbnail)
        self._grid = grid
        self._window = self.last = window
        self._since_full = 1 if window is None else self._since_full + 1
        return window

    def _decide(self, people, frame_size, grid, previous_thumbnail, current_thumbnail):
        policy = self.policy
        if (
            people is None
            or self._since_full is None
            or self._since_full >= policy.full_every
            or grid != self._grid
        ):
            return None
        needed = people_cells(people, frame_size, grid, policy)
        if needed is None:
            return None  # nobody seen: look everywhere
        window = window_for(needed, grid, self._window, policy)
        if window.cells > policy.max_share * grid[0] * grid[1]:
            return None
        if previous_thumbnail is None or current_thumbnail is None:
            return window  # no motion check
        if previous_thumbnail.shape != current_thumbnail.shape or moving_outside(
            previous_thumbnail, current_thumbnail, window, policy
        ):
            return None
        return window


def crop_input(network_input: np.ndarray, window: Window) -> np.ndarray:
    """The window's pixels of a full frame's network input (net_h, net_w, C)."""
    return network_input[
        window.top * STRIDE : window.bottom * STRIDE, window.left * STRIDE : window.right * STRIDE
    ]


def paste(maps: np.ndarray, window: Window, grid: tuple[int, int]) -> np.ndarray:
    """A window's output maps (height, width, C) placed in a zero (rows, columns, C) map of
    the full grid: no joint or limb evidence outside the window."""
    full = np.zeros((grid[1], grid[0], maps.shape[2]), dtype=maps.dtype)
    full[window.top : window.bottom, window.left : window.right] = maps
    return full


def infer_window(
    run: Callable[[np.ndarray], np.ndarray],
    image: np.ndarray,
    box: tuple[int, int],
    window: Window,
    num_heatmaps: int = 19,
) -> NetOutput:
    """Run only ``window`` of an RGB uint8 (H, W, 3) frame fitted in ``box``.

    ``run``: float32 (1, h, w, 3) BGR -> float32 (1, h/8, w/8, 57) (a model runner). The
    output covers the full grid, zero outside the window, with the full pass's scale.
    """
    height, width = image.shape[:2]
    net_w, net_h = network_size(width, height, box)
    grid = (net_w // STRIDE, net_h // STRIDE)
    inputs = crop_input(preprocess(image, net_w, net_h), window)
    maps = paste(run(np.ascontiguousarray(inputs)[None])[0], window, grid)
    return NetOutput(
        heatmaps=maps[:, :, :num_heatmaps],
        pafs=maps[:, :, num_heatmaps:],
        scale=(width / grid[0], height / grid[1]),
    )


class LaggedPlanner:
    """A :class:`RegionPlanner` shared by the video pipeline's threads.

    The decision for frame ``n`` uses the people of frame ``n - lag``, so ``lag`` frames
    can be in the model at once (a pool of workers) while each decision still waits for
    the result it needs. Decisions are made in frame order whatever order the workers
    ask in, so they, and hence every frame's people, equal those of a serial loop that
    makes the same decisions (:func:`serial_plan` is that loop's reference).

    The reader calls :meth:`frame` for every frame in order, before handing it on;
    the stage that decodes people calls :meth:`result` for every frame in order; a worker
    calls :meth:`decide` before running frame ``n``.
    """

    def __init__(self, policy: RegionPolicy = DEFAULT_POLICY, lag: int = 2) -> None:
        if lag < 1:
            raise ValueError("lag must be at least 1")
        self.lag = lag
        self._planner = RegionPlanner(policy)
        self._ready = threading.Condition()
        self._frames: dict[int, tuple[tuple[int, int], tuple[int, int], np.ndarray]] = {}
        self._people: dict[int, Sequence[Pose]] = {}
        self._decisions: dict[int, Window | None] = {}
        self._next = 0  # the next frame to decide
        self.decisions: list[Window | None] = []  # every decision, in frame order

    def frame(self, number: int, image: np.ndarray, box: tuple[int, int]) -> None:
        """Register frame ``number`` (0-based, in order): its size, grid and thumbnail."""
        height, width = image.shape[:2]
        grid = grid_of(width, height, box)
        with self._ready:
            self._frames[number] = ((width, height), grid, thumbnail(image, grid))
            self._ready.notify_all()

    def result(self, number: int, people: Sequence[Pose]) -> None:
        """The people found in frame ``number``."""
        with self._ready:
            self._people[number] = people
            self._ready.notify_all()

    def decide(self, number: int, stop: threading.Event | None = None) -> Window | None:
        """The window for frame ``number`` (None: full pass); waits for the results it
        needs. Returns None at once when ``stop`` is set (the pipeline is ending)."""
        with self._ready:
            while self._next <= number:
                if stop is not None and stop.is_set():
                    return None
                if not self._decide_next():
                    self._ready.wait(timeout=0.1)
            return self._decisions.pop(number)

    def _decide_next(self) -> bool:
        """Make the next decision if its inputs are in; False when they are not yet."""
        n = self._next
        base = n - self.lag
        if n not in self._frames or (base >= 0 and base not in self._people):
            return False
        size, grid, current = self._frames[n]
        previous = self._frames.get(n - 1)
        people = self._people.get(base) if base >= 0 else None
        window = self._planner.plan(people, size, grid, previous[2] if previous else None, current)
        self._decisions[n] = window
        self.decisions.append(window)
        self._frames.pop(n - 1, None)
        self._people.pop(base, None)
        self._next = n + 1
        return True


def serial_plan(
    images: Sequence[np.ndarray],
    box: tuple[int, int],
    people_of: Callable[[int, np.ndarray, Window | None], Sequence[Pose]],
    policy: RegionPolicy = DEFAULT_POLICY,
    lag: int = 1,
) -> list[tuple[Window | None, Sequence[Pose]]]:
    """The policy run one frame after another: for each image, (decision, people) where
    ``people_of(n, image, window)`` finds the people of frame ``n`` in ``window``
    (None: the full frame). The reference for :class:`LaggedPlanner`'s results."""
    planner = RegionPlanner(policy)
    results: list[tuple[Window | None, Sequence[Pose]]] = []
    previous = None
    for n, image in enumerate(images):
        height, width = image.shape[:2]
        grid = grid_of(width, height, box)
        current = thumbnail(image, grid)
        base = results[n - lag][1] if n >= lag else None
        window = planner.plan(base, (width, height), grid, previous, current)
        results.append((window, people_of(n, image, window)))
        previous = current
    return results
