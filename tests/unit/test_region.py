"""The region policy (pose.video.region): windows from poses, grouping, quantisation, motion
windows, when to run the full frame, cropping on the output grid, and decisions that do not
depend on thread timing."""

from __future__ import annotations

import random
import threading
import time

import cv2
import numpy as np
import pytest

from pose.body.types import Pose
from pose.network.spec import STRIDE, network_size, preprocess
from pose.video.region import (
    LaggedPlanner,
    Plan,
    RegionPlanner,
    RegionPolicy,
    Window,
    crop_input,
    grid_of,
    group,
    infer_windows,
    motion_needs,
    moving,
    paste,
    people_needs,
    plan_cells,
    serial_plan,
    thumbnail,
    window_for,
    windows_for,
)

BOX = (432, 368)
FRAME = (640, 480)  # (width, height): network input 432x320, grid 54x40
GRID = (54, 40)


def person(x0: float, y0: float, x1: float, y1: float, joints: int = 18) -> Pose:
    """A pose whose found joints span (x0, y0)-(x1, y1)."""
    keypoints = np.zeros((18, 3), np.float32)
    xs = np.linspace(x0, x1, joints)
    ys = np.linspace(y0, y1, joints)
    keypoints[:joints] = np.stack([xs, ys, np.full(joints, 0.8)], axis=1)
    return Pose(keypoints=keypoints, score=0.5)


def still(value: float = 100.0) -> np.ndarray:
    return np.full((GRID[1], GRID[0]), value, np.float32)


def test_grid_is_the_network_input_in_cells():
    assert grid_of(*FRAME, BOX) == GRID
    net_w, net_h = network_size(*FRAME, BOX)
    assert (net_w // STRIDE, net_h // STRIDE) == GRID


def test_people_needs_grow_around_each_person_inside_the_grid():
    policy = RegionPolicy(grow=0.5, context=2)
    assert people_needs([], FRAME, GRID, policy) == []
    assert people_needs([person(0, 0, 0, 0, joints=0)], FRAME, GRID, policy) == []
    cell, cell_h = FRAME[0] / GRID[0], FRAME[1] / GRID[1]  # 11.85 and 12 px
    ((left, top, right, bottom),) = people_needs([person(200, 100, 240, 200)], FRAME, GRID, policy)
    # 100 px tall: 50 px of margin on every side, then two cells of context.
    assert left == pytest.approx(150 / cell - 2)
    assert right == pytest.approx(290 / cell + 2)
    assert top == pytest.approx(50 / cell_h - 2)
    assert bottom == pytest.approx(250 / cell_h + 2)
    two = people_needs([person(200, 100, 240, 200), person(5, 300, 60, 470)], FRAME, GRID, policy)
    assert len(two) == 2
    assert two[1][0] == 0 and two[1][3] == GRID[1]  # cut at the grid's left and bottom


def test_group_joins_overlapping_or_cheaper_together_and_keeps_far_apart_separate():
    far = [(0, 0, 10, 10), (40, 25, 50, 35)]
    assert group(far) == far  # one box around both: 50x35 cells against 200
    overlapping = [(0, 0, 10, 10), (8, 8, 20, 20)]
    assert group(overlapping) == [(0, 0, 20, 20)]
    side_by_side = [(0, 0, 10, 10), (10, 0, 20, 10)]  # touching: 200 cells either way
    assert group(side_by_side) == [(0, 0, 20, 10)]
    chain = [(0, 0, 10, 10), (30, 0, 40, 10), (9, 0, 31, 10)]  # the third links the others
    assert group(chain) == [(0, 0, 40, 10)]


def test_windows_for_far_apart_people_are_separate_and_disjoint():
    policy = RegionPolicy(step=4, minimum=8)
    windows = windows_for([(1, 1, 11, 15), (40, 20, 50, 38)], GRID, policy=policy)
    assert len(windows) == 2
    a, b = windows
    assert not (a.left < b.right and b.left < a.right and a.top < b.bottom and b.top < a.bottom)
    assert plan_cells(windows, GRID) < 0.3 * GRID[0] * GRID[1]
    assert plan_cells(None, GRID) == GRID[0] * GRID[1]
    # Rounding up may make neighbours overlap: they are joined, never run twice.
    close = windows_for([(0, 0, 9, 9), (10, 0, 19, 9)], GRID, policy=RegionPolicy(step=8))
    assert len(close) == 1


def test_window_holds_the_need_in_quantised_sides_inside_the_grid():
    policy = RegionPolicy(step=8, minimum=16)
    for need in [(10.2, 5.5, 20.1, 30.0), (-4, -3, 12, 9), (40, 30, 60, 45), (0, 0, 54, 40)]:
        window = window_for(need, GRID, policy=policy)
        assert 0 <= window.left < window.right <= GRID[0]
        assert 0 <= window.top < window.bottom <= GRID[1]
        for side, full in ((window.width, GRID[0]), (window.height, GRID[1])):
            assert side == full or (side % 8 == 0 and side >= 16)
        # Holds the need, clipped to the grid.
        assert window.left <= max(need[0], 0) and window.right >= min(need[2], GRID[0])
        assert window.top <= max(need[1], 0) and window.bottom >= min(need[3], GRID[1])


def test_window_keeps_its_size_while_the_people_fit():
    policy = RegionPolicy(step=8, minimum=16)
    first = window_for((10, 10, 30, 30), GRID, policy=policy)  # 20 cells: 24 wide
    assert (first.width, first.height) == (24, 24)
    smaller = window_for((12, 12, 28, 27), GRID, first, policy)  # 16 would do: stays 24
    assert (smaller.width, smaller.height) == (24, 24)
    bigger = window_for((5, 5, 35, 30), GRID, first, policy)  # 30 cells: grows to 32
    assert (bigger.width, bigger.height) == (32, 32)
    # Less than half the window's side needed (5 cells: 16 would do): it shrinks.
    much_smaller = window_for((12, 12, 17, 17), GRID, bigger, policy)
    assert (much_smaller.width, much_smaller.height) == (16, 16)


def test_planner_full_first_then_windows_then_full_every_n():
    policy = RegionPolicy(full_every=4)
    planner = RegionPlanner(policy)
    people = [person(280, 200, 320, 300)]
    decisions = [planner.plan(people, FRAME, GRID, still(), still()) for _ in range(9)]
    full = [plan is None for plan in decisions]
    assert full == [True, False, False, False, True, False, False, False, True]
    assert all(plan_cells(plan, GRID) < 0.6 * GRID[0] * GRID[1] for plan in decisions if plan)


def test_planner_runs_one_window_per_group_of_people():
    planner = RegionPlanner()
    people = [person(20, 40, 60, 160), person(560, 300, 600, 420)]
    planner.plan(people, FRAME, GRID)
    plan = planner.plan(people, FRAME, GRID, still(), still())
    assert plan is not None and len(plan) == 2
    assert plan_cells(plan, GRID) < 0.4 * GRID[0] * GRID[1]


@pytest.mark.parametrize(
    ("people", "why"),
    [
        (None, "no result yet"),
        ([], "nobody seen: look everywhere"),
        ([person(10, 10, 630, 470)], "window too big to save work"),
    ],
)
def test_planner_runs_the_full_frame(people, why):
    planner = RegionPlanner()
    planner.plan([person(280, 200, 320, 300)], FRAME, GRID)  # the first is always full
    assert planner.plan(people, FRAME, GRID) is None, why


def test_motion_outside_the_windows_gets_a_window_a_changed_picture_a_full_pass():
    planner = RegionPlanner(RegionPolicy(full_every=100))
    people = [person(280, 200, 320, 300)]
    planner.plan(people, FRAME, GRID)
    plan = planner.plan(people, FRAME, GRID, still(), still())
    assert plan is not None and len(plan) == 1
    (window,) = plan
    inside = still()
    inside[window.top + 1 : window.top + 4, window.left + 1 : window.left + 4] += 80
    assert planner.plan(people, FRAME, GRID, still(), inside) == plan
    entering = still()
    entering[0:3, 0] += 80  # someone at the left border
    with_motion = planner.plan(people, FRAME, GRID, still(), entering)
    assert with_motion is not None and len(with_motion) == 2
    assert any(w.left == 0 and w.top == 0 for w in with_motion)  # a window where it moves
    noise = still() + np.random.default_rng(0).uniform(-5, 5, (GRID[1], GRID[0]))
    assert planner.plan(people, FRAME, GRID, still(), noise) == plan
    cut = still(200.0)  # another picture: people are elsewhere now
    assert planner.plan(people, FRAME, GRID, still(), cut) is None


def test_motion_windows_stay_within_the_budget_largest_first():
    policy = RegionPolicy(full_every=100, max_share=0.34, grow=0.2, context=4)
    planner = RegionPlanner(policy)
    people = [person(280, 200, 320, 300)]
    planner.plan(people, FRAME, GRID)
    alone = planner.plan(people, FRAME, GRID, still(), still())
    busy = still()
    busy[2:6, 2:6] += 80  # a small patch, top left
    busy[2:20, 44:52] += 80  # a large patch, top right
    plan = planner.plan(people, FRAME, GRID, still(), busy)
    assert plan is not None and plan_cells(plan, GRID) <= 0.34 * GRID[0] * GRID[1]
    assert plan_cells(plan, GRID) > plan_cells(alone, GRID)
    assert any(w.right >= 52 for w in plan)  # the large patch was taken first
    assert not any(w.left <= 2 and w.top <= 2 for w in plan)  # no budget left for the small


def test_a_new_frame_size_means_a_full_pass():
    planner = RegionPlanner()
    people = [person(280, 200, 320, 300)]
    planner.plan(people, FRAME, GRID)
    assert planner.plan(people, FRAME, GRID) is not None
    assert planner.plan(people, (320, 240), (40, 30)) is None


def test_motion_needs_are_patches_outside_the_windows_over_the_level():
    policy = RegionPolicy(motion_level=10, motion_cells=2, context=1)
    changed = still()
    changed[0, 0] += 30
    motion = moving(still(), changed, policy)
    assert motion.sum() == 1 and motion_needs(motion, [], policy) == []  # one cell: noise
    changed[0, 1] += 30
    changed[12:15, 12:15] += 30  # inside the window below
    motion = moving(still(), changed, policy)
    assert motion_needs(motion, [], policy) == [(11, 11, 16, 16), (0, 0, 3, 2)]  # largest first
    assert motion_needs(motion, [Window(10, 10, 20, 20)], policy) == [(0, 0, 3, 2)]
    speckled = still()
    speckled[::4, ::4] += 30  # hundreds of one-cell patches ...
    speckled[1::4, ::4] += 30  # ... of two cells each
    few = RegionPolicy(motion_level=10, motion_cells=2, motion_patches=5)
    assert len(motion_needs(moving(still(), speckled, few), [], few)) == 5


def test_thumbnail_has_one_grey_pixel_per_cell():
    image = np.zeros((480, 640, 3), np.uint8)
    image[:, 320:] = 255
    small = thumbnail(image, GRID)
    assert small.shape == (GRID[1], GRID[0]) and small.dtype == np.float32
    assert small[:, :26].max() == 0 and small[:, 28:].min() == 255


def test_crop_and_paste_follow_the_output_grid():
    net = np.arange(320 * 432 * 3, dtype=np.float32).reshape(320, 432, 3)
    window = Window(8, 4, 32, 20)
    crop = crop_input(net, window)
    assert crop.shape == (16 * STRIDE, 24 * STRIDE, 3)
    assert crop[0, 0, 0] == net[4 * STRIDE, 8 * STRIDE, 0]
    maps = np.ones((16, 24, 57), np.float32)
    full = paste(maps, window, np.zeros((40, 54, 57), np.float32))
    assert full.shape == (40, 54, 57)
    assert full.sum() == maps.sum() and full[4:20, 8:32].min() == 1


def pool_network(batch: np.ndarray) -> np.ndarray:
    """A stand-in for the network with no context: each output cell is the mean of its
    8x8 input block, repeated on 57 channels. (N, h, w, 3) -> (N, h/8, w/8, 57)."""
    n, h, w, _ = batch.shape
    cells = batch.reshape(n, h // STRIDE, STRIDE, w // STRIDE, STRIDE, 3).mean(axis=(2, 4, 5))
    return np.repeat(cells[..., None], 57, axis=3).astype(np.float32)


def test_infer_windows_gives_the_full_frames_cells_inside_and_zero_outside():
    rng = np.random.default_rng(1)
    image = cv2.resize(rng.integers(0, 255, (60, 80, 3), np.uint8), FRAME)
    net_w, net_h = network_size(*FRAME, BOX)
    full = pool_network(preprocess(image, net_w, net_h)[None])[0]
    windows = (Window(16, 8, 40, 24), Window(0, 30, 8, 40))
    out = infer_windows(pool_network, image, BOX, windows)
    assert out.heatmaps.shape == (40, 54, 19) and out.pafs.shape == (40, 54, 38)
    assert out.scale == (FRAME[0] / 54, FRAME[1] / 40)
    for inside in (np.s_[8:24, 16:40], np.s_[30:40, 0:8]):
        np.testing.assert_array_equal(out.heatmaps[inside], full[inside][..., :19])
    assert out.heatmaps[:8].max() == 0 and out.pafs[:30, :16].max() == 0
    with pytest.raises(ValueError):
        infer_windows(pool_network, image, BOX, ())


def synthetic_video(count: int = 30) -> list[np.ndarray]:
    """A dark frame with a bright block walking right; a second block appears at frame 17."""
    frames = []
    for n in range(count):
        image = np.full((480, 640, 3), 40, np.uint8)
        x = 200 + 6 * n
        image[200:320, x : x + 40] = 220
        if n >= 17:
            image[20:80, 560:600] = 220
        frames.append(image)
    return frames


def fake_people(n: int, image: np.ndarray, plan: Plan) -> list[Pose]:
    """People found by a stand-in detector: a bright block's box (only those wholly inside
    one of the plan's windows)."""
    found = []
    grey = image[:, :, 0] > 128
    boxes = cv2.connectedComponentsWithStats(grey.astype(np.uint8))[2]
    for x, y, w, h, _ in boxes[1:]:
        found.append(person(x, y, x + w, y + h))
    if plan is None:
        return found
    cell_w, cell_h = 640 / GRID[0], 480 / GRID[1]
    return [
        p
        for p in found
        if any(
            w.left * cell_w <= p.bbox()[0] and p.bbox()[2] <= w.right * cell_w
            and w.top * cell_h <= p.bbox()[1] and p.bbox()[3] <= w.bottom * cell_h
            for w in plan
        )
    ]  # fmt: skip


def test_the_new_block_is_found_where_it_moves_when_it_appears():
    frames = synthetic_video()
    results = serial_plan(frames, BOX, fake_people, RegionPolicy(full_every=100), lag=1)
    assert all(plan is not None for plan, _ in results[1:27])  # no full frame needed
    assert all(len(plan) == 1 for plan, _ in results[1:17])
    assert len(results[17][0]) == 2  # a window where the new block moved in
    assert len(results[17][1]) == 2  # ... and both blocks found
    assert all(len(people) == 2 for _, people in results[17:])


@pytest.mark.parametrize("lag", [1, 3])
def test_lagged_planner_decides_as_a_serial_loop_whatever_the_thread_timing(lag):
    frames = synthetic_video()
    policy = RegionPolicy(full_every=5)
    expected = serial_plan(frames, BOX, fake_people, policy, lag=lag)
    planner = LaggedPlanner(policy, lag=lag)
    workers = 3
    inferred: dict[int, tuple[Plan, list[Pose]]] = {}
    done = threading.Event()

    def reader() -> None:
        for n, image in enumerate(frames):
            planner.frame(n, image, BOX)

    def worker(first: int) -> None:
        rng = random.Random(first)
        for n in range(first, len(frames), workers):
            time.sleep(rng.uniform(0, 0.003))  # workers run at their own pace
            plan = planner.decide(n)
            inferred[n] = (plan, fake_people(n, frames[n], plan))

    def decoder() -> None:  # hands results back in frame order, as the draw stage does
        for n in range(len(frames)):
            while n not in inferred:
                time.sleep(0.0005)
            planner.result(n, inferred[n][1])
        done.set()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    threads += [threading.Thread(target=reader), threading.Thread(target=decoder)]
    for thread in reversed(threads):
        thread.start()
    assert done.wait(timeout=20)
    for thread in threads:
        thread.join(timeout=5)
    assert planner.decisions == [plan for plan, _ in expected]
    for n, (plan, people) in enumerate(expected):
        assert inferred[n][0] == plan
        assert [p.bbox() for p in inferred[n][1]] == [p.bbox() for p in people]
    assert any(plan is not None for plan in planner.decisions)


def test_lagged_planner_stops_waiting_when_told():
    planner = LaggedPlanner(lag=1)
    stop = threading.Event()
    stop.set()
    assert planner.decide(0, stop) is None  # frame 0 was never registered


def test_policy_rejects_nonsense():
    with pytest.raises(ValueError):
        RegionPolicy(full_every=0)
    with pytest.raises(ValueError):
        LaggedPlanner(lag=0)


@pytest.mark.parametrize(("flags", "full"), [((), False), (("--full-frames",), True)])
def test_cli_video_runs_the_region_path_unless_told_full_frames(monkeypatch, flags, full):
    from fractions import Fraction
    from types import SimpleNamespace

    import pose.video.process
    from pose.cli import main

    calls = []

    def fake_process_video(source, output, **options):
        calls.append(options)
        return SimpleNamespace(
            frames=(), width=320, height=240, fps=Fraction(10), seconds=1.0,
            processing_fps=0.0, audio_dropped=False, person_ids=lambda: [],
        )  # fmt: skip

    monkeypatch.setattr(pose.video.process, "process_video", fake_process_video)
    assert main(["video", "in.mp4", "out.mp4", *flags]) == 0
    assert ("regions" in calls[0] and calls[0]["regions"] is None) == full
