"""pose.video.track on people built in code (no model): crossings, occlusions, new and lost
tracks.
"""

import numpy as np
import pytest

from pose.body.skeleton import Joint
from pose.body.types import Pose
from pose.video.track import PoseTracker, TrackerParams, body_height, match_cost

# A standing person in body heights: x right from the body's centre line, y down from the
# top of the head (OpenPose-18 joints; the eyes and ears are left out).
TEMPLATE = {
    Joint.NOSE: (0.0, 0.06),
    Joint.NECK: (0.0, 0.17),
    Joint.R_SHOULDER: (-0.12, 0.18),
    Joint.R_ELBOW: (-0.14, 0.36),
    Joint.R_WRIST: (-0.14, 0.50),
    Joint.L_SHOULDER: (0.12, 0.18),
    Joint.L_ELBOW: (0.14, 0.36),
    Joint.L_WRIST: (0.14, 0.50),
    Joint.R_HIP: (-0.08, 0.47),
    Joint.R_KNEE: (-0.08, 0.72),
    Joint.R_ANKLE: (-0.08, 0.96),
    Joint.L_HIP: (0.08, 0.47),
    Joint.L_KNEE: (0.08, 0.72),
    Joint.L_ANKLE: (0.08, 0.96),
}
FPS = 30.0


def person(x: float, y: float, height: float, drop=()) -> np.ndarray:
    """(18, 3) keypoints of a standing person whose head top is at (x, y) pixels."""
    keypoints = np.zeros((18, 3), np.float32)
    for joint, (dx, dy) in TEMPLATE.items():
        if joint not in drop:
            keypoints[joint] = (x + dx * height, y + dy * height, 0.8)
    return keypoints


def test_body_height_from_any_limbs():
    assert body_height(person(100, 50, 300)) == pytest.approx(300, rel=0.2)
    legs_only = person(
        100, 50, 300, drop=[j for j in TEMPLATE if "KNEE" not in j.name and "ANKLE" not in j.name]
    )
    assert body_height(legs_only) == pytest.approx(300, rel=0.2)


def test_match_cost_in_body_heights():
    tracks = np.stack([person(100, 50, 200), person(400, 50, 200)])
    people = np.stack([person(420, 50, 200), np.zeros((18, 3), np.float32)])
    cost = match_cost(tracks, people, np.array([200.0, 200.0]))
    assert cost.shape == (2, 2)
    assert cost[1, 0] == pytest.approx(0.1)
    assert cost[0, 0] == pytest.approx(1.6)
    assert np.isinf(cost[:, 1]).all()  # nobody: no shared joint


def test_ids_follow_people_whatever_their_order():
    tracker = PoseTracker()
    first = tracker.update([person(100, 50, 200), person(500, 60, 220)], 0.0)
    assert first == [1, 2]
    swapped = tracker.update(
        [person(505, 60, 220), person(103, 50, 200), person(900, 40, 150)], 1 / FPS
    )
    assert swapped == [2, 1, 3]
    assert tracker.update([], 2 / FPS) == []
    assert tracker.update([Pose(person(106, 50, 200))], 3 / FPS) == [1]  # Pose objects too


def crossing(occluded: range, frames: int = 90) -> tuple[list[list[np.ndarray]], list[list[str]]]:
    """Two people walking towards each other along a pavement for ``frames`` frames at 30
    fps: A (nearer, taller) left to right, B (further, shorter) right to left. They meet
    halfway, where B is hidden behind A in the frames of ``occluded``; their joints overlap
    for a few frames either side. Returns the keypoints and the names of each frame."""
    people, names = [], []
    for frame in range(frames):
        progress = frame / (frames - 1)
        a = person(100 + 800 * progress, 100, 400)
        b = person(900 - 800 * progress, 120, 340)
        shown = [("A", a)] if frame in occluded else [("A", a), ("B", b)]
        if frame % 2:
            shown.reverse()  # the model lists people in no stable order
        people.append([points for _, points in shown])
        names.append([name for name, _ in shown])
    return people, names


def run(tracker: PoseTracker, people: list[list[np.ndarray]]) -> list[list[int]]:
    return [tracker.update(frame, index / FPS) for index, frame in enumerate(people)]


def identities(ids: list[list[int]], names: list[list[str]]) -> dict[str, set[int]]:
    seen: dict[str, set[int]] = {}
    for frame_ids, frame_names in zip(ids, names, strict=True):
        for track, name in zip(frame_ids, frame_names, strict=True):
            seen.setdefault(name, set()).add(track)
    return seen


@pytest.mark.parametrize(
    "occluded",
    [
        range(35, 55),  # hidden for 0.67 s while they pass each other
        range(42, 48),  # hidden only while right behind A: both seen overlapping either side
        range(0),  # never hidden: the skeletons overlap while they pass
    ],
)
def test_crossing_keeps_both_ids(occluded):
    people, names = crossing(occluded)
    assert identities(run(PoseTracker(), people), names) == {"A": {1}, "B": {2}}


def test_partial_person_keeps_the_id():
    tracker = PoseTracker()
    tracker.update([person(100, 50, 300)], 0.0)
    legs = [j for j in TEMPLATE if j.name.endswith(("HIP", "KNEE", "ANKLE"))]
    upper = [j for j in TEMPLATE if j not in legs]
    assert tracker.update([person(104, 50, 300, drop=legs)], 1 / FPS) == [1]
    assert tracker.update([person(108, 50, 300, drop=upper)], 2 / FPS) == [1]


def test_lost_for_longer_than_max_age_gets_a_new_id_and_ids_are_never_reused():
    tracker = PoseTracker(TrackerParams(max_age=1.0))
    assert tracker.update([person(100, 50, 300)], 0.0) == [1]
    assert tracker.update([person(100, 50, 300)], 0.9) == [1]  # back within a second
    assert tracker.update([], 2.0) == []
    assert tracker.update([person(100, 50, 300)], 2.1) == [2]  # gone 1.2 s: a new person
    tracker.reset()
    assert tracker.update([person(100, 50, 300)], 0.0) == [3]


def test_a_stranger_far_away_is_not_given_a_lost_id():
    tracker = PoseTracker()
    tracker.update([person(100, 50, 300)], 0.0)
    # 0.3 s later someone appears across the frame: too far to be the same person.
    assert tracker.update([person(1200, 50, 300)], 0.3) == [2]


def test_time_going_back_starts_over_with_new_ids():
    tracker = PoseTracker()
    tracker.update([person(100, 50, 300)], 5.0)
    assert tracker.update([person(100, 50, 300)], 0.0) == [2]


def test_bad_keypoints_raise():
    with pytest.raises(ValueError, match="18, 3"):
        PoseTracker().update([np.zeros((17, 3))], 0.0)
