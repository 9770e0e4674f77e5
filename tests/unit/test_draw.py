import numpy as np

from pose.body.skeleton import JOINT_COLORS, Joint
from pose.body.types import Pose
from pose.output.draw import DrawSpec, draw_poses, place_tags


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


def test_tags_of_a_crowd_never_cover_each_other_and_stay_in_the_image():
    # Five tags wanted at nearly the same place (people side by side), one at the edge.
    wanted = [(100, 50, 30, 24), (110, 52, 30, 24), (95, 48, 40, 24), (105, 50, 30, 24),
              (100, 51, 30, 24), (390, -10, 30, 24)]  # fmt: skip
    placed = place_tags(wanted, 400, 300)
    assert placed[0] == wanted[0]  # person 1 keeps its place
    for i, a in enumerate(placed):
        assert a[0] >= 0 and a[0] + a[2] < 400 and a[1] >= 0 and a[1] + a[3] < 300
        assert a[2:] == wanted[i][2:]
        for b in placed[i + 1 :]:
            apart = a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0]
            assert apart or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1], (a, b)
    # Each moved no further than it had to: a few boxes' sizes at most.
    assert all(
        abs(p[0] - w[0]) + abs(p[1] - w[1]) <= 120 for p, w in zip(placed, wanted, strict=True)
    )
    # Tags far apart stay where they were wanted.
    assert place_tags([(10, 10, 20, 20), (200, 10, 20, 20)], 400, 300) == [
        (10, 10, 20, 20), (200, 10, 20, 20)]  # fmt: skip


def _nearest_free_spots(wanted, width, height, gap=2):
    """The rule :func:`place_tags` follows, spelled out the slow way (every one of the 81
    spots clipped by NumPy and sorted by distance for every tag), as it was written first."""
    placed = []
    for x, y, w, h in wanted:
        x_max, y_max = max(0, width - w - 1), max(0, height - h - 1)
        ideal = (int(np.clip(x, 0, x_max)), int(np.clip(y, 0, y_max)), w, h)
        spots = [
            (int(np.clip(x + dx * (w + gap) / 2, 0, x_max)),
             int(np.clip(y + dy * (h + gap), 0, y_max)), w, h)
            for dy in range(-4, 5)
            for dx in range(-4, 5)
        ]  # fmt: skip
        spots.sort(key=lambda box: (box[0] - ideal[0]) ** 2 + (box[1] - ideal[1]) ** 2)
        taken = [
            box for box in spots
            if all(box[0] + box[2] <= o[0] or o[0] + o[2] <= box[0]
                   or box[1] + box[3] <= o[1] or o[1] + o[3] <= box[1] for o in placed)
        ]  # fmt: skip
        placed.append(taken[0] if taken else ideal)
    return placed


def test_tags_land_where_the_slow_rule_puts_them_in_crowds_and_at_edges():
    # The shortcut (a free ideal spot is taken without sorting) must not move any tag.
    rng = np.random.default_rng(7)
    moved = 0
    for _ in range(400):
        width, height = (int(v) for v in rng.choice([(640, 360), (64, 48), (30, 200)]))
        wanted = [
            (int(rng.integers(-60, width + 60)), int(rng.integers(-60, height + 60)),
             int(rng.integers(5, 50)), int(rng.integers(5, 30)))
            for _ in range(int(rng.integers(0, 16)))
        ]  # fmt: skip
        placed = place_tags(wanted, width, height)
        assert placed == _nearest_free_spots(wanted, width, height), wanted
        moved += sum(p[:2] != w[:2] for p, w in zip(placed, wanted, strict=True))
    assert moved > 100  # crowds and edges did move tags
