"""BlazePose's person-detector decoding on hand-built tensors (no model)."""

import math

import numpy as np
import pytest

from pose.pose3d.detection_decode import (
    ANCHORS,
    INPUT_SIZE,
    NUM_ANCHORS,
    Detection,
    decode_boxes,
    decode_detections,
    sigmoid_scores,
    ssd_anchors,
    weighted_nms,
)
from pose.pose3d.person_detector import letterbox


def test_anchors_follow_the_models_output_order():
    assert ANCHORS.shape == (NUM_ANCHORS, 2)
    # Stride 8: 28 x 28 cells, two anchors each, row by row.
    assert ANCHORS[0] == pytest.approx((0.5 / 28, 0.5 / 28))
    assert ANCHORS[1] == pytest.approx(ANCHORS[0])
    assert ANCHORS[2] == pytest.approx((1.5 / 28, 0.5 / 28))
    assert ANCHORS[2 * 28] == pytest.approx((0.5 / 28, 1.5 / 28))
    # Stride 16 starts after 28 * 28 * 2; the three stride-32 layers share one 7 x 7 grid.
    assert ANCHORS[1568] == pytest.approx((0.5 / 14, 0.5 / 14))
    assert ANCHORS[1568 + 392] == pytest.approx((0.5 / 7, 0.5 / 7))
    assert ANCHORS[1568 + 392 + 5] == pytest.approx((0.5 / 7, 0.5 / 7))
    assert ANCHORS[1568 + 392 + 6] == pytest.approx((1.5 / 7, 0.5 / 7))
    assert ANCHORS[-1] == pytest.approx((6.5 / 7, 6.5 / 7))
    assert len(ssd_anchors(224, (8,))) == 28 * 28 * 2


def raw_person(anchor: int, centre=(10.0, -4.0), size=(60.0, 90.0), up=(0.0, -50.0)):
    """Regressions (2254, 12) with one person at ``anchor``: box centre offset ``centre``
    and ``size`` in input pixels; key point 0 at the box centre, 1 at ``up`` from it."""
    raw = np.zeros((NUM_ANCHORS, 12), np.float32)
    raw[anchor, 0:2] = centre
    raw[anchor, 2:4] = size
    raw[anchor, 4:6] = centre
    raw[anchor, 6:8] = (centre[0] + up[0], centre[1] + up[1])
    return raw


def test_boxes_and_key_points_are_offsets_in_input_pixels_from_the_anchor():
    anchor = 1568 + 2 * (14 * 3 + 5)  # stride 16, row 3, column 5
    boxes, keypoints = decode_boxes(raw_person(anchor))
    cx, cy = (5.5 / 14 + 10 / INPUT_SIZE, 3.5 / 14 - 4 / INPUT_SIZE)
    assert boxes[anchor] == pytest.approx(
        (cx - 30 / 224, cy - 45 / 224, cx + 30 / 224, cy + 45 / 224)
    )
    assert keypoints[anchor, 0] == pytest.approx((cx, cy))
    assert keypoints[anchor, 1] == pytest.approx((cx, cy - 50 / 224))
    with pytest.raises(ValueError, match="anchors"):
        decode_boxes(np.zeros((10, 12)))


def test_scores_are_clipped_sigmoids():
    with np.errstate(over="raise"):
        scores = sigmoid_scores(np.array([[-1000.0], [0.0], [1000.0]]))
    assert scores == pytest.approx([0.0, 0.5, 1.0])


@pytest.mark.parametrize(
    ("up", "degrees"),
    [((0, -1), 0), ((-1, 0), 90), ((0, 1), 180), ((1, 0), -90), ((-1, -1), 45)],
)
def test_rotation_is_the_turn_from_upright_counter_clockwise(up, degrees):
    detection = Detection(
        0.9, np.zeros(4), np.array([[100.0, 100.0], [100 + up[0], 100 + up[1]], [0, 0], [0, 0]])
    )
    assert detection.rotation == pytest.approx(degrees)
    assert detection.radius == pytest.approx(math.hypot(*up))


def test_weighted_nms_merges_overlaps_keeps_separate_people_drops_weak_ones():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60], [0, 0, 10, 10]], float)
    keypoints = np.array([[[5, 5]], [[7, 5]], [[55, 55]], [[0, 0]]], float)
    scores = np.array([0.9, 0.6, 0.7, 0.2])
    found = weighted_nms(scores, boxes, keypoints, min_score=0.5, min_suppression=0.3)
    assert [d.score for d in found] == [0.9, 0.7]
    # The first is the score-weighted mean of the two overlapping detections.
    assert found[0].keypoints[0, 0] == pytest.approx((5 * 0.9 + 7 * 0.6) / 1.5)
    assert found[0].box[0] == pytest.approx(0.6 / 1.5)
    assert found[1].keypoints[0].tolist() == [55, 55]
    assert len(weighted_nms(scores, boxes, keypoints, 0.5, 0.3, max_people=1)) == 1


def test_decode_finds_the_one_confident_person():
    anchor = 1568 + 392 + 6 * (7 * 2 + 3)  # stride 32, row 2, column 3
    logits = np.full((1, NUM_ANCHORS, 1), -8.0, np.float32)
    logits[0, anchor] = 3.0
    found = decode_detections(raw_person(anchor, up=(-40.0, 0.0))[None], logits)
    assert len(found) == 1
    assert found[0].score == pytest.approx(1 / (1 + math.exp(-3)))
    assert found[0].rotation == pytest.approx(90)
    assert found[0].centre == pytest.approx((3.5 / 7 + 10 / 224, 2.5 / 7 - 4 / 224))


def test_letterbox_maps_square_coordinates_back_to_the_photo():
    image = np.zeros((100, 300, 3), np.uint8)
    image[40:60, 200:220] = 255
    tensor, back = letterbox(image)
    assert tensor.shape == (224, 224, 3) and tensor.min() == -1.0 and tensor.max() == 1.0
    ys, xs = np.nonzero(tensor[:, :, 0] > 0)
    centre = np.array([(xs.mean() + 0.5) / 224, (ys.mean() + 0.5) / 224])
    assert centre @ back[:, :2].T + back[:, 2] == pytest.approx((210, 50), abs=1.5)
    moved = Detection(1.0, np.array([0, 0, 1, 1.0]), np.array([[0.5, 0.5]] * 4)).mapped(back)
    assert moved.box == pytest.approx((0, -100, 300, 200), abs=1.5)
