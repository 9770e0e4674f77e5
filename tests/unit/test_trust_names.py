"""The trust benchmark names the poses of a worst moment as the tracking benchmark does: the
checked street.avi reference goes one to one to the people found in a frame."""

from types import SimpleNamespace

import numpy as np

from benchmarks.sequence_trust import CHECKED, checked_name
from pose.body.types import Pose

FRAME = 132  # street.avi: W and K are one body for the model, W's head and arm show apart

# A person standing about 260 px tall: (x, y) per joint, in the model's joint order
# (nose, neck, shoulders/elbows/wrists right then left, hips/knees/ankles right then left,
# eyes, ears).
STANDING = np.array(
    [
        [0, -110], [0, -85], [-25, -85], [-32, -45], [-35, -5], [25, -85], [32, -45],
        [35, -5], [-15, 0], [-17, 60], [-18, 120], [15, 0], [17, 60], [18, 120],
        [-6, -115], [6, -115], [-12, -112], [12, -112],
    ],
    dtype=np.float64,
)  # fmt: skip


def person_at(anchor: np.ndarray, joints: list[int] | None = None) -> np.ndarray:
    """(18, 3) keypoints of the standing person, only ``joints`` found (all when None),
    moved so that the mean of the found joints is ``anchor``."""
    found = np.zeros(18, bool)
    found[list(range(18)) if joints is None else joints] = True
    points = np.zeros((18, 3))
    points[found, :2] = STANDING[found] - STANDING[found].mean(axis=0) + anchor
    points[found, 2] = 0.9
    return points


def clip_of(*people: np.ndarray) -> SimpleNamespace:
    """A clip with one processed frame, 0, in which ``people`` were found."""
    return SimpleNamespace(frames=(0,), people=((*(Pose(p) for p in people),),))


def test_a_partial_person_beside_the_body_the_reference_names_is_not_named_after_it():
    shared = person_at(CHECKED["K"][FRAME])  # the body the reference calls K here
    head_and_arm = person_at(CHECKED["K"][FRAME] + [33, -7], [17, 5, 6, 7])  # W's, apart
    clip = clip_of(shared, head_and_arm)
    assert checked_name(clip, 0, FRAME, shared) == "K"
    assert checked_name(clip, 0, FRAME, head_and_arm) is None
    # Found alone, the same partial pose is the nearest reference person's.
    assert checked_name(clip_of(head_and_arm), 0, FRAME, head_and_arm) == "K"


def test_a_pose_not_among_those_found_is_named_on_its_own():
    far_off = person_at(np.array([1200.0, 100.0]))
    shared = person_at(CHECKED["K"][FRAME])
    assert checked_name(clip_of(far_off), 0, FRAME, shared) == "K"
    assert checked_name(clip_of(shared), 0, FRAME, far_off) is None
