"""Looks (what people wear) on images and people built in code: the colour signature, when it
is taken, how tracking and re-joining use it when two people cross (no model)."""

import numpy as np
import pytest

from pose.body.skeleton import Joint
from pose.video.appearance import (
    REGIONS,
    blend,
    frame_looks,
    look_distance,
    look_of,
    median_look,
    overlapped,
)
from pose.video.crossings import swap_after_merges
from pose.video.rejoin import rejoin_ids
from pose.video.track import PoseTracker, TrackerParams, look_bias
from tests.unit.test_track import person

RED, BLUE, GREY = (200, 30, 30), (30, 30, 200), (128, 128, 128)
FPS = 30.0


def painted(image: np.ndarray, keypoints: np.ndarray, shirt, trousers) -> np.ndarray:
    """``image`` (H, W, 3) with the person's torso box painted ``shirt`` and the box of the
    hips to the knees ``trousers`` (RGB)."""
    xs = keypoints[[Joint.R_SHOULDER, Joint.L_SHOULDER], 0]
    top, hip = keypoints[Joint.NECK, 1], keypoints[Joint.R_HIP, 1]
    knee = keypoints[Joint.R_KNEE, 1]
    x0, x1 = int(xs.min()) - 2, int(xs.max()) + 3
    image[int(top) : int(hip), x0:x1] = shirt
    image[int(hip) : int(knee) + 2, x0:x1] = trousers
    return image


def canvas() -> np.ndarray:
    return np.full((400, 800, 3), GREY, np.uint8)


def test_a_look_is_the_colour_of_torso_and_upper_legs():
    body = person(200, 50, 300)
    image = painted(canvas(), body, RED, BLUE)
    look = look_of(image, body)
    assert look.shape == (len(REGIONS), 3)
    # lightness, red-green, yellow-blue: a red shirt is red, blue trousers are blue
    assert look[0, 1] > 50 and look[1, 2] < -50
    same = look_of(painted(canvas(), body, RED, BLUE), body)
    other = look_of(painted(canvas(), body, BLUE, RED), body)
    assert look_distance(look, same) == pytest.approx(0.0)
    assert look_distance(look, other) > 50


def test_no_look_from_unsure_joints_or_off_the_image():
    body = person(200, 50, 300)
    image = painted(canvas(), body, RED, BLUE)
    unsure = body.copy()
    unsure[[Joint.R_SHOULDER, Joint.L_SHOULDER, Joint.R_KNEE, Joint.L_KNEE], 2] = 0.1
    assert look_of(image, unsure) is None
    no_knees = body.copy()
    no_knees[[Joint.R_KNEE, Joint.L_KNEE], 2] = 0.0
    look = look_of(image, no_knees)
    assert np.isfinite(look[0]).all() and np.isnan(look[1]).all()  # the torso only
    outside = person(2000, 50, 300)
    assert look_of(image, outside) is None


def test_overlapping_people_give_no_look():
    left, right, far = person(200, 50, 300), person(230, 50, 300), person(600, 50, 300)
    image = painted(painted(canvas(), left, RED, BLUE), far, BLUE, RED)
    looks = frame_looks(image, [left, right, far])
    assert looks[0] is None and looks[1] is None  # one box mostly inside the other
    assert looks[2] is not None
    assert frame_looks(image, []) == []
    assert overlapped(np.array([0, 0, 10, 10]), [np.array([5, 5, 20, 20])])
    assert not overlapped(np.array([0, 0, 10, 10]), [np.array([9, 9, 20, 20])])


def test_distance_blend_and_median_region_by_region():
    red = np.array([[100.0, 80, 10], [50, 0, -60]])
    lighter = red + np.array([[40, 0, 0], [40, 0, 0]])
    redder = red + np.array([[0, 40, 0], [0, 40, 0]])
    assert look_distance(red, lighter) == pytest.approx(20.0)  # lightness weighs half
    assert look_distance(red, redder) == pytest.approx(40.0)
    torso_only = red.copy()
    torso_only[1] = np.nan
    assert look_distance(torso_only, redder) == pytest.approx(40.0)
    legs_only = np.full((2, 3), np.nan)
    legs_only[1] = red[1]
    assert np.isnan(look_distance(torso_only, legs_only))
    assert np.isnan(look_distance(None, red))
    moved = blend(torso_only, redder, 0.25)
    assert moved[0, 1] == pytest.approx(90.0)  # a quarter of the way
    assert moved[1].tolist() == redder[1].tolist()  # the region it lacked, taken
    assert blend(None, red, 0.1).tolist() == red.tolist()
    assert median_look([red, None, redder, red]).tolist() == red.tolist()
    assert median_look([None]) is None


def test_look_bias_only_for_a_track_between_two_known_people():
    params = TrackerParams()
    red, blue = np.array([[60.0, 80, 0], [30, 0, 0]]), np.array([[60.0, -40, -60], [30, 0, 0]])
    allowed = np.array([[True, True], [False, True]])
    bias = look_bias(allowed, [red, blue], [red, blue], params)
    assert bias[0, 0] == 0.0 and bias[0, 1] == pytest.approx(params.look_weight)
    assert bias[1].tolist() == [0.0, 0.0]  # one candidate: nothing to decide
    assert not look_bias(allowed, [red, blue], [red, None], params).any()  # unknown: no help
    assert not look_bias(allowed, [None, blue], [red, blue], params).any()


def test_a_track_takes_the_person_dressed_like_it_when_two_are_close():
    """Two people part after walking together: the red one is a little farther from where
    the track expects its person, but the track was red all along."""
    tracker = PoseTracker()
    red_look = np.array([[70.0, 85, 10], [40, 0, -5]])
    blue_look = np.array([[70.0, -30, -70], [40, 0, -5]])
    for t in range(10):
        ids = tracker.update([person(300, 50, 300)], t / FPS, [red_look])
    assert ids == [1]
    red = person(300 + 40, 50, 300)  # 0.13 body heights off
    blue = person(300 - 20, 50, 300)  # 0.07 body heights off: nearer
    plain = PoseTracker()
    for t in range(10):
        plain.update([person(300, 50, 300)], t / FPS)
    assert plain.update([red, blue], 10 / FPS) == [2, 1]  # position alone: the nearer
    assert tracker.update([red, blue], 10 / FPS, [red_look, blue_look]) == [1, 2]
    with pytest.raises(ValueError, match="1 looks for 2 people"):
        tracker.update([red, blue], 11 / FPS, [red_look])


def walk(frames: int, x0: float, speed: float) -> list[np.ndarray]:
    return [person(x0 + speed * t, 50, 300) for t in range(frames)]


def crossing(after_look: np.ndarray):
    """Red (ID 1) walks right, blue (ID 2) left; they meet at frame 20, where blue's track
    ends in red's body; the one body walks on with ID 1 and ``after_look`` from frame 30."""
    red_look = np.array([[70.0, 85, 10], [40, 0, -5]])
    blue_look = np.array([[70.0, -30, -70], [40, 0, -5]])
    mixed = (red_look + blue_look) / 2
    red, blue = walk(50, 100, 5.0), walk(21, 300, -5.0)
    frames, ids, looks = [], [], []
    for t in range(50):
        if t <= 20:
            frames.append([red[t], blue[t]])
            ids.append([1, 2])
            looks.append([red_look if t < 15 else None, blue_look if t < 15 else None])
        else:
            frames.append([red[t]])
            ids.append([1])
            looks.append([mixed if t < 30 else after_look])
    return frames, ids, looks, [t / FPS for t in range(50)], red_look, blue_look


def test_after_a_crossing_the_body_takes_the_id_of_whom_it_turns_out_to_be():
    blue_look = np.array([[70.0, -30, -70], [40, 0, -5]])
    frames, ids, looks, times, red_look, _ = crossing(after_look=blue_look)
    swapped = swap_after_merges(frames, ids, looks, times)
    # while the two overlap the body is a mix and keeps ID 1; from when it looks blue, it
    # was blue who walked on
    assert swapped[:30] == ids[:30]
    assert all(row == [2] for row in swapped[30:])
    assert rejoin_ids(frames, ids, times, looks=looks)[21:] == swapped[21:]
    # the same clip without looks, or with the body staying red: nothing changes
    assert rejoin_ids(frames, ids, times) == ids
    frames, ids, looks, times, _, _ = crossing(after_look=red_look)
    assert swap_after_merges(frames, ids, looks, times) == ids


def test_a_track_back_in_other_clothes_is_not_rejoined():
    red_look = np.array([[70.0, 85, 10], [40, 0, -5]])
    blue_look = np.array([[70.0, -30, -70], [40, 0, -5]])
    body = walk(40, 100, 3.0)
    frames = [[keypoints] if not 15 <= t < 22 else [] for t, keypoints in enumerate(body)]
    ids = [[1] if t < 15 else [2] if t >= 22 else [] for t in range(40)]
    times = [t / FPS for t in range(40)]
    same = [[red_look] if row else [] for row in frames]
    other = [[red_look if t < 15 else blue_look] if row else [] for t, row in enumerate(frames)]
    assert rejoin_ids(frames, ids, times, looks=same)[-1] == [1]  # back, dressed alike
    assert rejoin_ids(frames, ids, times)[-1] == [1]  # no looks: by position and body
    assert rejoin_ids(frames, ids, times, looks=other)[-1] == [2]
