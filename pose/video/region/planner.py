"""Deciding, frame after frame, full pass or windows: serially, or for a pool of workers
that must get the decisions a serial run makes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from pose.body.types import Pose
from pose.video.region.layout import people_needs, windows_for
from pose.video.region.motion import motion_needs, moving, thumbnail
from pose.video.region.policy import DEFAULT_POLICY, Plan, RegionPolicy, Window, grid_of, plan_cells


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
