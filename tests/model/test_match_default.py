"""Match's default pair (the largest person of image 1 and whoever stands at the same place
in image 2) holds when a photo is rescaled: a group photo against its own 70 % copy."""

import numpy as np
import pytest
from PIL import Image

from pose.match import choose_pair, rank_by_size
from pose.media.images import load_image
from pose.photo.modes import estimate_photo
from tests.helpers.paths import COCO_DIR, EVAL_DIR

# (photo, photo mode): a group whose largest person changes in its 70 % copy (the largest
# against the largest: 57 %; in the fast mode no pair of it reaches 95 %), three people of
# nearly one size (229, 224 and 220 px), and five people.
CASES = (
    (EVAL_DIR / "wild" / "mhp" / "10112.jpg", "accurate"),
    (EVAL_DIR / "wild" / "aic" / "054d9ce9201beffc76e5ff2169d2af2f027002ca.jpg", "accurate"),
    (EVAL_DIR / "wild" / "aic" / "054d9ce9201beffc76e5ff2169d2af2f027002ca.jpg", "fast"),
    (COCO_DIR / "000000197388.jpg", "accurate"),
    (COCO_DIR / "000000197388.jpg", "fast"),
)


def scaled(pixels: np.ndarray, factor: float) -> np.ndarray:
    """The photo resized to ``factor`` of its sides: (H', W', 3) uint8."""
    height, width = pixels.shape[:2]
    size = (round(width * factor), round(height * factor))
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR))


def sizes(*images: np.ndarray) -> tuple:
    return tuple((image.shape[1], image.shape[0]) for image in images)


@pytest.mark.parametrize(("photo", "mode"), CASES, ids=lambda item: getattr(item, "name", item))
def test_a_group_photo_matches_its_70_percent_copy_by_default(photo, mode, model):
    pixels = load_image(photo)
    copy = scaled(pixels, 0.7)
    people = estimate_photo(pixels, mode, model=model).people
    others = estimate_photo(copy, mode, model=model).people
    assert len(people) >= 2
    pairing = choose_pair(people, others, sizes=sizes(pixels, copy))
    assert (pairing.person1, pairing.rule) == (1, "same place")
    assert pairing.result.similarity >= 95.0
    # The same person: where person 1 stands, whatever number the copy gave them.
    chosen = rank_by_size(others)[pairing.person2 - 1]
    assert np.allclose(centre(chosen) / 0.7, centre(rank_by_size(people)[0]), atol=10)


def centre(person) -> np.ndarray:
    return person.keypoints[person.visible, :2].mean(axis=0)
