"""The accurate photo path (OpenPose + turned readings + BlazePose's second opinion) on the
real COCO eval photos, upright and turned by 90 degrees."""

import numpy as np
import pytest

from benchmarks import eval_sets
from benchmarks.turned import turn_image, turn_photo
from pose.media.images import load_image
from pose.photo.modes import estimate_photo
from pose.pose3d.blazepose import complete_bodies
from pose.pose3d.people import estimate_people
from tests.helpers.paths import EVAL_DIR

COCO = next(item for item in eval_sets.SETS if item.name == "coco")


@pytest.fixture(scope="module")
def scores(model):
    """(angle, way) -> the COCO set's score, for OpenPose's accurate mode and the path."""
    photos = eval_sets.load_set(COCO, EVAL_DIR)
    images = {photo.image_id: load_image(photo.path) for photo in photos}
    out = {}
    for angle in (0, 90):
        turned = {i: turn_image(image, angle) for i, image in images.items()}
        truth = [turn_photo(photo, turned[photo.image_id][1]) for photo in photos]
        for way, find in (("openpose", estimate_photo), ("people", estimate_people)):
            results = {i: find(image, "accurate", model=model).people
                       for i, (image, _) in turned.items()}  # fmt: skip
            out[angle, way] = eval_sets.score_set(COCO, truth, results)
    return out


def test_turned_people_are_found_as_upright_ones_are(scores):
    assert scores[90, "openpose"].found <= 2  # the network alone misses lying people
    assert scores[90, "people"].found >= 0.8 * scores[0, "people"].found
    assert scores[90, "people"].value >= 0.8 * scores[0, "people"].value


def test_the_second_opinion_keeps_upright_people(scores):
    assert scores[0, "people"].found >= scores[0, "openpose"].found - 1


def test_3d_comes_from_the_same_pass_and_follows_largest_only(model):
    image = load_image(EVAL_DIR / "coco" / "000000196141.jpg")
    result = estimate_people(image, model=model)
    assert len(result.bodies) == len(result.people) >= 1
    read = [body for body in result.bodies if body is not None]
    assert 1 <= len(read) <= 4 and read[0].landmarks.shape == (33, 4)
    assert result.timings_ms["people_read"] >= len(read)
    bodies = complete_bodies(image, result)
    for body, kept in zip(bodies, result.bodies, strict=True):
        assert kept is None or body is kept  # not read a second time
    largest = estimate_people(image, largest_only=True, model=model)
    assert len(largest.people) == len(largest.bodies) == 1
    assert np.allclose(largest.people[0].keypoints, result.people[0].keypoints)


def test_fast_mode_is_openposes_single_pass(model):
    image = load_image(EVAL_DIR / "coco" / "000000196141.jpg")
    fast = estimate_people(image, "fast", model=model)
    assert fast.bodies == () and "people_read" not in fast.timings_ms
    assert np.array_equal(
        fast.people[0].keypoints, estimate_photo(image, "fast", model=model).people[0].keypoints
    )
