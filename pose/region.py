"""Run the network only where people are: the region policy for videos and webcam frames.

Most pixels of a street or webcam frame hold nobody. After a full-frame pass, the next
frames run the network on a few *windows*: one around each group of people found (expanded
for movement), and, as far as a budget allows, one around each patch of the picture that
moves outside them (someone may be entering). A full-frame pass comes back every
:attr:`RegionPolicy.full_every` frames, when the windows would cost nearly as much as the
frame, and when most of the picture changes at once (a cut, a jump), so nobody is lost for
long.

Windows live on the network's output grid (one cell = :data:`pose.network.STRIDE` input
pixels) of the *full* frame's network input: the frame is resized exactly as for a
full pass, and each window's input pixels are cut from that, on cell boundaries. So people
stay at their current network size, each output cell of a window is the same cell of the
full frame's grid, and the windows' outputs are pasted into a full-size map that the
usual decoder reads (:func:`paste`): keypoints come out in frame pixels with no remapping.
The network's cost is proportional to the cells it runs on (int8, one thread: 15-16 ms per
1000 cells from 16x16 to 54x40 cells, measured), so several small windows cost no more than
one window of their summed size.

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

# A need: the (left, top, right, bottom) cells some content wants, not yet on whole cells.
Need = tuple[float, float, float, float]


@dataclass(frozen=True)
class RegionPolicy:
    """When to run windows instead of the full frame, and how big they are.

    Sizes are in output cells of the full frame's network input (8 input pixels each).
    """

    # A full-frame pass at least every this many frames: someone who appears without
    # motion that the check below sees (slowly, behind others, or while the budget is
    # spent) is found within this.
    full_every: int = 8
    # The window around each person's joints grows by this share of the person's larger
    # side on every side: arms and legs move, heads and feet are often not found, and the
    # decision may come from a frame a few frames old (``lag``).
    grow: float = 0.2
    # ... plus this many cells, so the network sees the context around a person it needs
    # (a window's edges are padded with zeros inside the network, unlike the full frame).
    context: int = 5
    # Window sides are multiples of this many cells, and a window keeps its size while its
    # people fit in it: a new input shape costs the runtime a resize (1-2.5 ms, measured).
    step: int = 2
    # The smallest window side, in cells.
    minimum: int = 8
    # Windows covering more than this share of the frame's cells in all save too little
    # for what a window's edges cost in accuracy: run the full frame instead.
    max_share: float = 0.7
    # Motion check on a grey thumbnail with one pixel per cell: a cell whose brightness
    # changed by more than ``motion_level`` (0-255) since the previous frame moves. A patch
    # of ``motion_cells`` or more moving cells outside the people's windows gets a window of
    # its own while the windows stay within ``max_share``, largest patches first ...
    motion_level: float = 12.0
    motion_cells: int = 3
    # At most this many patches are tried (each is placed among the windows: a noisy
    # picture with hundreds of small patches must not cost more than the network saves).
    motion_patches: int = 16
    # ... and when this share of all cells moves, the picture has changed (a cut, a jump,
    # a fast pan): people are no longer where they were, so the full frame runs.
    scene_change: float = 0.3

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

    @property
    def box(self) -> Need:
        return (self.left, self.top, self.right, self.bottom)

    def to_dict(self) -> dict:
        return {"left": self.left, "top": self.top, "right": self.right, "bottom": self.bottom}


# What the planner decides for a frame: the windows to run, or None for the full frame.
Plan = tuple[Window, ...] | None


def plan_cells(plan: Plan, grid: tuple[int, int]) -> int:
    """Cells the network runs on for ``plan`` (the whole ``grid`` for a full pass)."""
    return grid[0] * grid[1] if plan is None else sum(window.cells for window in plan)


def grid_of(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    """(columns, rows) of the output grid for a ``width`` x ``height`` frame fitted in ``box``."""
    net_w, net_h = network_size(width, height, box)
    return net_w // STRIDE, net_h // STRIDE


def _area(need: Need) -> float:
    return max(need[2] - need[0], 0.0) * max(need[3] - need[1], 0.0)


def _union(a: Need, b: Need) -> Need:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _overlap(a: Need, b: Need) -> float:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def _clip(need: Need, grid: tuple[int, int]) -> Need:
    """``need`` cut to the grid: people at the border need no cells beyond it."""
    left, top, right, bottom = need
    return (max(left, 0.0), max(top, 0.0), min(right, float(grid[0])), min(bottom, float(grid[1])))


def people_needs(
    people: Sequence[Pose],
    frame_size: tuple[int, int],
    grid: tuple[int, int],
    policy: RegionPolicy = DEFAULT_POLICY,
) -> list[Need]:
    """The cells around each person's found joints, grown by ``policy.grow`` of the
    person's larger side plus ``policy.context`` cells, cut to the grid; people with no
    found joint need nothing. ``frame_size`` = (width, height) in pixels."""
    cell_w, cell_h = frame_size[0] / grid[0], frame_size[1] / grid[1]
    needs = []
    for person in people:
        if person.num_visible == 0:
            continue
        x0, y0, x1, y1 = person.bbox()
        margin = policy.grow * max(x1 - x0, y1 - y0)
        need = (
            (x0 - margin) / cell_w - policy.context,
            (y0 - margin) / cell_h - policy.context,
            (x1 + margin) / cell_w + policy.context,
            (y1 + margin) / cell_h + policy.context,
        )
        needs.append(_clip(need, grid))
    return needs


def group(needs: Sequence[Need]) -> list[Need]:
    """Needs joined while two of them overlap, or while one box around both costs no more
    cells than the two apart: one window per group of people, none run twice."""
    groups = list(needs)
    while pair := next(
        (
            (i, j)
            for i in range(len(groups))
            for j in range(i + 1, len(groups))
            if _worth_joining(groups[i], groups[j])
        ),
        None,
    ):
        i, j = pair
        groups[i] = _union(groups[i], groups[j])
        del groups[j]
    return groups


def _worth_joining(a: Need, b: Need) -> bool:
    return _overlap(a, b) > 0 or _area(_union(a, b)) <= _area(a) + _area(b)


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
    needed: Need,
    grid: tuple[int, int],
    previous: Window | None = None,
    policy: RegionPolicy = DEFAULT_POLICY,
) -> Window:
    """A window holding the ``needed`` cells, sides quantised by ``policy.step`` and kept
    from ``previous`` while the need fits, inside ``grid``."""
    left, top, right, bottom = _clip(needed, grid)
    width = _side(right - left, previous and previous.width, grid[0], policy)
    height = _side(bottom - top, previous and previous.height, grid[1], policy)
    column = _place(left, right, width, grid[0])
    row = _place(top, bottom, height, grid[1])
    return Window(column, row, column + width, row + height)


def windows_for(
    needs: Sequence[Need],
    grid: tuple[int, int],
    previous: Sequence[Window] = (),
    policy: RegionPolicy = DEFAULT_POLICY,
) -> tuple[Window, ...]:
    """Windows for ``needs``: grouped (:func:`group`), each placed by :func:`window_for`
    keeping the size of the previous window it overlaps most; grouped again while rounding
    made two windows overlap. Ordered top to bottom, left to right."""
    groups = group(needs)
    for _ in range(4):
        windows = []
        for need in groups:
            before = max(previous, key=lambda w: _overlap(w.box, need), default=None)
            if before is not None and _overlap(before.box, need) == 0:
                before = None
            windows.append(window_for(need, grid, before, policy))
        regrouped = group([window.box for window in windows])
        if len(regrouped) == len(windows):
            break
        groups = regrouped
    return tuple(sorted(windows, key=lambda w: (w.top, w.left)))


def thumbnail(image: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> float32 (rows, columns) grey, one pixel per grid cell."""
    # Each cell is the mean of a 4x4 bilinear sample of it, not of all its pixels: 0.06
    # against 1.4 ms on a 1280x720 frame (in the reader, every frame), values within 0.4
    # levels on average, 98 % of cells moving or not alike (street.avi, measured).
    sample = cv2.resize(image, (grid[0] * 4, grid[1] * 4), interpolation=cv2.INTER_LINEAR)
    grey = cv2.cvtColor(sample, cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, grid, interpolation=cv2.INTER_AREA).astype(np.float32)


def moving(previous: np.ndarray, current: np.ndarray, policy: RegionPolicy) -> np.ndarray:
    """bool (rows, columns): the cells whose brightness changed by more than
    ``policy.motion_level`` between two :func:`thumbnail` images."""
    return np.abs(current - previous) > policy.motion_level


def motion_needs(
    motion: np.ndarray, covered: Sequence[Window], policy: RegionPolicy = DEFAULT_POLICY
) -> list[Need]:
    """Patches of moving cells (bool (rows, columns)) outside the ``covered`` windows, of
    ``policy.motion_cells`` or more cells each, the ``policy.motion_patches`` largest,
    largest first, each with ``policy.context`` cells around it."""
    outside = motion.astype(np.uint8)
    for window in covered:
        outside[window.top : window.bottom, window.left : window.right] = 0
    count, _, stats, _ = cv2.connectedComponentsWithStats(outside, connectivity=8)
    patches = sorted(
        (stats[k] for k in range(1, count) if stats[k][4] >= policy.motion_cells),
        key=lambda patch: -patch[4],
    )[: policy.motion_patches]
    grid = (motion.shape[1], motion.shape[0])
    margin = policy.context
    return [
        _clip(
            (float(x - margin), float(y - margin), float(x + w + margin), float(y + h + margin)),
            grid,
        )
        for x, y, w, h, _ in patches
    ]


class RegionPlanner:
    """The policy's state across frames: decides, frame after frame, full pass or windows.

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
        self._windows: tuple[Window, ...] = ()
        self._grid: tuple[int, int] | None = None
        self.last: Plan = None  # the latest decision

    def plan(
        self,
        people: Sequence[Pose] | None,
        frame_size: tuple[int, int],
        grid: tuple[int, int],
        previous_thumbnail: np.ndarray | None = None,
        current_thumbnail: np.ndarray | None = None,
    ) -> Plan:
        """The windows for the next frame, or None for a full pass.

        ``people``: found in the frame the decision is based on (None: no result yet);
        ``frame_size`` (width, height) pixels and ``grid`` (:func:`grid_of`) of the next
        frame; the thumbnails (:func:`thumbnail`) of the frame before it and of it. Without
        both thumbnails there is no motion check.
        """
        plan = self._decide(people, frame_size, grid, previous_thumbnail, current_thumbnail)
        self._grid = grid
        self._windows = plan or ()
        self.last = plan
        self._since_full = 1 if plan is None else self._since_full + 1
        return plan

    def _decide(self, people, frame_size, grid, previous_thumbnail, current_thumbnail) -> Plan:
        policy = self.policy
        if (
            people is None
            or self._since_full is None
            or self._since_full >= policy.full_every
            or grid != self._grid
        ):
            return None
        needs = people_needs(people, frame_size, grid, policy)
        if not needs:
            return None  # nobody seen: look everywhere
        budget = policy.max_share * grid[0] * grid[1]
        windows = windows_for(needs, grid, self._windows, policy)
        if plan_cells(windows, grid) > budget:
            return None
        if previous_thumbnail is None or current_thumbnail is None:
            return windows  # no motion check
        if previous_thumbnail.shape != current_thumbnail.shape:
            return None
        motion = moving(previous_thumbnail, current_thumbnail, policy)
        if motion.mean() >= policy.scene_change:
            return None
        for patch in motion_needs(motion, windows, policy):
            wider = windows_for([*needs, patch], grid, self._windows, policy)
            if plan_cells(wider, grid) <= budget:
                needs.append(patch)
                windows = wider
        return windows


def crop_input(network_input: np.ndarray, window: Window) -> np.ndarray:
    """The window's pixels of a full frame's network input (net_h, net_w, C)."""
    return network_input[
        window.top * STRIDE : window.bottom * STRIDE, window.left * STRIDE : window.right * STRIDE
    ]


def paste(maps: np.ndarray, window: Window, full: np.ndarray) -> np.ndarray:
    """A window's output maps (height, width, C) placed into ``full`` (rows, columns, C),
    in place; returns ``full``."""
    full[window.top : window.bottom, window.left : window.right] = maps
    return full


def infer_windows(
    run: Callable[[np.ndarray], np.ndarray],
    image: np.ndarray,
    box: tuple[int, int],
    windows: Sequence[Window],
    num_heatmaps: int = 19,
) -> NetOutput:
    """Run only ``windows`` (disjoint) of an RGB uint8 (H, W, 3) frame fitted in ``box``.

    ``run``: float32 (1, h, w, 3) BGR -> float32 (1, h/8, w/8, 57) (a model runner). The
    output covers the full grid, zero outside the windows (no joint or limb evidence
    there), with the full pass's scale.
    """
    height, width = image.shape[:2]
    net_w, net_h = network_size(width, height, box)
    grid = (net_w // STRIDE, net_h // STRIDE)
    network_input = preprocess(image, net_w, net_h)
    maps = None
    for window in windows:
        out = run(np.ascontiguousarray(crop_input(network_input, window))[None])[0]
        if maps is None:
            maps = np.zeros((grid[1], grid[0], out.shape[2]), out.dtype)
        paste(out, window, maps)
    if maps is None:
        raise ValueError("infer_windows needs at least one window")
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
        self._decisions: dict[int, Plan] = {}
        self._next = 0  # the next frame to decide
        self.decisions: list[Plan] = []  # every decision, in frame order
        self.shares: list[float] = []  # the share of its grid each decision runs

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

    def decide(self, number: int, stop: threading.Event | None = None) -> Plan:
        """The windows for frame ``number`` (None: full pass); waits for the results it
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
        plan = self._planner.plan(people, size, grid, previous[2] if previous else None, current)
        self._decisions[n] = plan
        self.decisions.append(plan)
        self.shares.append(plan_cells(plan, grid) / (grid[0] * grid[1]))
        self._frames.pop(n - 1, None)
        self._people.pop(base, None)
        self._next = n + 1
        return True


def serial_plan(
    images: Sequence[np.ndarray],
    box: tuple[int, int],
    people_of: Callable[[int, np.ndarray, Plan], Sequence[Pose]],
    policy: RegionPolicy = DEFAULT_POLICY,
    lag: int = 1,
) -> list[tuple[Plan, Sequence[Pose]]]:
    """The policy run one frame after another: for each image, (decision, people) where
    ``people_of(n, image, plan)`` finds the people of frame ``n`` in the ``plan``'s windows
    (None: the full frame). The reference for :class:`LaggedPlanner`'s results."""
    planner = RegionPlanner(policy)
    results: list[tuple[Plan, Sequence[Pose]]] = []
    previous = None
    for n, image in enumerate(images):
        height, width = image.shape[:2]
        grid = grid_of(width, height, box)
        current = thumbnail(image, grid)
        base = results[n - lag][1] if n >= lag else None
        plan = planner.plan(base, (width, height), grid, previous, current)
        results.append((plan, people_of(n, image, plan)))
        previous = current
    return results
