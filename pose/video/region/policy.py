"""The region policy's settings, its windows and plans, and the output grid they live on."""

from __future__ import annotations

from dataclasses import dataclass

from pose.network.spec import STRIDE, network_size

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
