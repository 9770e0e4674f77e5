import numpy as np

from pose.body.skeleton import JOINT_COLORS, Joint
from pose.body.types import Pose
from pose.output.draw import DrawSpec, draw_poses


def two_joint_pose(score_b: float = 0.9) -> Pose:
    keypoints = np.zeros((18, 3), np.float32)
    keypoints[Joint.NECK] = (8, 8, 0.9)
    keypoints[Joint.R_SHOULDER] = (24, 8, score_b)
    return Pose(keypoints)


def test_returns_a_copy_and_leaves_input_untouched():
    image = np.zeros((32, 32, 3), np.uint8)
    out = draw_poses(image, [two_joint_pose()], DrawSpec(joint_radius=2, limb_thickness=1))
    assert out is not image
    assert image.sum() == 0
    assert out.sum() > 0


def test_joint_and_limb_pixels_are_coloured():
    image = np.zeros((32, 32, 3), np.uint8)
    out = draw_poses(image, [two_joint_pose()], DrawSpec(joint_radius=2, limb_thickness=3))
    assert tuple(out[8, 8]) == JOINT_COLORS[Joint.NECK]
    assert tuple(out[8, 24]) == JOINT_COLORS[Joint.R_SHOULDER]
    # The limb's colour is that of its far joint; its middle is fully covered.
    assert tuple(out[8, 16]) == JOINT_COLORS[Joint.R_SHOULDER]
    # Far from the skeleton nothing is drawn.
    assert out[24:, :].sum() == 0


def test_missing_joint_draws_neither_it_nor_its_limb():
    image = np.zeros((32, 32, 3), np.uint8)
    out = draw_poses(
        image, [two_joint_pose(score_b=0.0)], DrawSpec(joint_radius=2, limb_thickness=1)
    )
    assert out[8, 14:].sum() == 0
    assert out[8, 8].sum() > 0


def test_highlighted_joint_gets_a_white_ring():
    image = np.zeros((64, 64, 3), np.uint8)
    out = draw_poses(
        image,
        [two_joint_pose()],
        DrawSpec(joint_radius=3, limb_thickness=1),
        highlight=[Joint.NECK],
    )
    ring = out[8 - 5 : 8 + 6, 8 - 5 : 8 + 6]
    assert (ring >= 200).all(axis=2).any()


def test_ids_are_written_on_their_colour_above_the_person():
    from pose.output.draw import draw_ids, id_color

    image = np.zeros((120, 160, 3), np.uint8)
    keypoints = np.zeros((18, 3), np.float32)
    keypoints[Joint.NECK] = (80, 70, 0.9)
    keypoints[Joint.R_HIP] = (80, 110, 0.9)
    nobody = Pose(np.zeros((18, 3), np.float32))
    out = draw_ids(image, [Pose(keypoints), nobody], [12, 3])
    assert image.sum() == 0
    box = np.all(out == id_color(12), axis=-1)
    rows, cols = np.nonzero(box)
    assert len(rows) > 20 and rows.max() < 70  # above the top joint
    assert abs(cols.mean() - 80) < 10  # centred on the person
    assert not np.all(out == id_color(3), axis=-1).any()  # nobody found: no tag
    assert (out == 255).all(axis=-1).any()  # white digits
    assert id_color(12) != id_color(13)
