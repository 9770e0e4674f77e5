"""Where the windows go: the cells each person needs, grouped, placed on whole cells."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pose.body.types import Pose
from pose.video.region.policy import DEFAULT_POLICY, Need, RegionPolicy, Window


def _area(need: Need) -> float:
    return max(need[2] - need[0], 0.0) * max(need[3] - need[1], 0.0)


def _union(a: Need, b: Need) -> Need:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _overlap(a: Need, b: Need) -> float:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def clip_to_grid(need: Need, grid: tuple[int, int]) -> Need:
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
        needs.append(clip_to_grid(need, grid))
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
    left, top, right, bottom = clip_to_grid(needed, grid)
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
