"""The photo modes on the real model and the labeled eval photos of every set."""

import numpy as np
import pytest

from benchmarks import eval_sets
from pose.media.images import load_image
from pose.photo.estimate import estimate
from pose.photo.modes import estimate_photo
from tests.helpers.paths import COCO_DIR, EVAL_DIR


@pytest.fixture(scope="module")
def found_per_set(model) -> dict[str, dict[str, eval_sets.SetScore]]:
    """mode -> set name -> score, over every labeled photo in ../shared/eval."""
    scores: dict[str, dict[str, eval_sets.SetScore]] = {"fast": {}, "accurate": {}}
    for item in eval_sets.SETS:
        photos = eval_sets.load_set(item, EVAL_DIR)
        images = {photo.image_id: load_image(photo.path) for photo in photos}
        for mode, by_set in scores.items():
            results = {
                image_id: estimate_photo(image, mode, model=model).people
                for image_id, image in images.items()
            }
            by_set[item.name] = eval_sets.score_set(item, photos, results)
    return scores


def test_accurate_mode_finds_at_least_as_many_correct_people_in_every_set(found_per_set):
    fast, accurate = found_per_set["fast"], found_per_set["accurate"]
    for name in eval_sets.SET_NAMES:
        assert accurate[name].found >= fast[name].found, name
    total = {mode: sum(s.found for s in found_per_set[mode].values()) for mode in found_per_set}
    assert total["accurate"] > total["fast"]


def test_accurate_mode_finds_someone_in_the_dark_photos(found_per_set):
    assert found_per_set["fast"]["exlpose"].found == 0  # the photos are nearly black
    assert found_per_set["accurate"]["exlpose"].found >= 1


def test_accurate_mode_raises_the_mean_over_sets(found_per_set):
    mean = {
        mode: np.mean([s.value for s in by_set.values()]) for mode, by_set in found_per_set.items()
    }
    assert mean["accurate"] > mean["fast"] + 0.02


def test_fast_mode_is_the_single_pass(model):
    image = load_image(COCO_DIR / "000000196141.jpg")
    single = estimate(image, model=model)
    fast = estimate_photo(image, "fast", model=model)
    assert len(fast.people) == len(single.people) >= 1
    assert np.array_equal(fast.people[0].keypoints, single.people[0].keypoints)


def test_accurate_mode_keeps_keypoints_in_photo_pixels_and_largest_only(model):
    image = load_image(COCO_DIR / "000000196141.jpg")
    result = estimate_photo(image, "accurate", model=model)
    assert (result.width, result.height) == (640, 429)
    points = np.concatenate([p.keypoints[p.visible, :2] for p in result.people])
    assert points.min() >= -8 and points[:, 0].max() <= 648 and points[:, 1].max() <= 437
    largest = estimate_photo(image, "accurate", model=model, largest_only=True).people
    assert len(largest) == 1 and largest[0].area == max(p.area for p in result.people)


def test_unknown_mode_is_a_clear_error(model):
    with pytest.raises(ValueError, match="photo mode"):
        estimate_photo(np.zeros((64, 64, 3), np.uint8), "slow", model=model)


def test_a_long_thin_black_photo_has_nobody(model):
    # At the small scale its network input would be a 16-pixel sliver, which gives noise.
    for shape in ((3000, 200, 3), (200, 3000, 3)):
        assert estimate_photo(np.zeros(shape, np.uint8), model=model).people == ()
