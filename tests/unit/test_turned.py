"""Turned copies of labeled photos: the pixels and the labels turn together."""

import numpy as np
import pytest

from benchmarks.eval_sets import Person, Photo
from benchmarks.turned import turn_image, turn_matrix, turn_photo, turn_points


def marked_photo(width: int = 40, height: int = 24) -> tuple[np.ndarray, tuple[int, int]]:
    image = np.zeros((height, width, 3), np.uint8)
    spot = (31, 5)  # x, y
    image[spot[1], spot[0]] = (255, 255, 255)
    return image, spot


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_right_angles_move_the_marked_pixel_where_the_matrix_says(degrees):
    image, spot = marked_photo()
    turned, matrix = turn_image(image, degrees)
    x, y = turn_points([spot], matrix)[0]
    assert float(x).is_integer() and float(y).is_integer()
    assert turned[int(y), int(x)].tolist() == [255, 255, 255]
    assert turned.sum() == 3 * 255
    expected = (40, 24) if degrees == 180 else (24, 40)
    assert turned.shape[1::-1] == expected


def test_ninety_degrees_is_counter_clockwise_on_screen():
    image, _ = marked_photo()
    _, matrix = turn_image(image, 90)
    # The top-right corner of the photo becomes the top-left corner.
    assert turn_points([(39, 0)], matrix)[0].tolist() == [0, 0]


def test_forty_five_degrees_keeps_every_corner_on_the_canvas():
    width, height = 40, 24
    matrix, (out_w, out_h) = turn_matrix(width, height, 45)
    corners = turn_points([(0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1)],
                          matrix)  # fmt: skip
    assert corners.min() >= -1e-9
    assert (corners[:, 0] <= out_w - 1 + 1e-9).all() and (corners[:, 1] <= out_h - 1 + 1e-9).all()
    image = np.full((height, width, 3), 200, np.uint8)
    turned, _ = turn_image(image, 45)
    assert turned.shape[:2] == (out_h, out_w)
    assert turned[0, 0].sum() == 0  # the corners of the new canvas are black
    assert turned[out_h // 2, out_w // 2].tolist() == [200, 200, 200]


def test_labeled_people_turn_with_the_photo_and_keep_area():
    keypoints = np.zeros((17, 3))
    keypoints[5] = (31, 5, 2)
    keypoints[6] = (10, 20, 2)
    person = Person(keypoints=keypoints, area=123.0, bbox=(10, 5, 21, 15))
    photo = Photo(1, None, (person,))
    image, _ = marked_photo()
    _, matrix = turn_image(image, 270)
    turned = turn_photo(photo, matrix).people[0]
    assert turned.area == 123.0
    assert turned.keypoints[5, :2].tolist() == turn_points([(31, 5)], matrix)[0].tolist()
    assert turned.keypoints[0].tolist() == [0, 0, 0]  # unlabeled stays unlabeled
    x, y, w, h = turned.bbox
    assert (w, h) == pytest.approx((15, 21))
    for kx, ky, _ in turned.keypoints[[5, 6]]:
        assert x - 1e-9 <= kx <= x + w + 1e-9 and y - 1e-9 <= ky <= y + h + 1e-9
