"""The Match default is stable and does not flatter, with the real models on eval photos:
a photo against its own 70 % copy scores at least 95 % in both photo modes (the
second opinion's blended joints do not flip from one model's reading to the other's), and
two different photos score lower than either copy."""

import numpy as np
import pytest
from PIL import Image

from pose.match import choose_pair
from pose.media.images import load_image
from pose.pose3d.people import estimate_people
from tests.helpers.paths import COCO_DIR, EVAL_DIR

# One person, two people and three: three sets, groups as well as single people.
PHOTOS = (
    COCO_DIR / "000000000785.jpg",
    EVAL_DIR / "wild" / "crowdpose" / "103319.jpg",
    EVAL_DIR / "photos" / "COCO_val2014_000000000241.jpg",
)
MODES = ("accurate", "fast")


def scaled(pixels: np.ndarray, factor: float) -> np.ndarray:
    """The photo resized to ``factor`` of its sides: (H', W', 3) uint8."""
    height, width = pixels.shape[:2]
    size = (round(width * factor), round(height * factor))
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR))


@pytest.fixture(scope="module")
def found(model) -> dict:
    """(photo name, mode) -> (people, copy's people, (size, copy's size))."""
    out = {}
    for photo in PHOTOS:
        pixels = load_image(photo)
        copy = scaled(pixels, 0.7)
        sizes = tuple((image.shape[1], image.shape[0]) for image in (pixels, copy))
        for mode in MODES:
            people = estimate_people(pixels, mode, model=model).people
            others = estimate_people(copy, mode, model=model).people
            out[photo.name, mode] = (people, others, sizes)
    return out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("photo", PHOTOS, ids=lambda path: path.name)
def test_a_photo_matches_its_70_percent_copy_by_default(found, photo, mode):
    people, others, sizes = found[photo.name, mode]
    pairing = choose_pair(people, others, sizes=sizes)
    assert pairing.person1 == 1
    assert pairing.result.similarity >= 95.0


@pytest.mark.parametrize("mode", MODES)
def test_different_photos_score_lower_than_a_copy(found, mode):
    copies, different = [], []
    for one in PHOTOS:
        people, others, sizes = found[one.name, mode]
        copies.append(choose_pair(people, others, sizes=sizes).result.similarity)
        for two in PHOTOS:
            if two != one:
                second, _, second_sizes = found[two.name, mode]
                pair = (sizes[0], second_sizes[0])
                different.append(choose_pair(people, second, sizes=pair).result.similarity)
    assert max(different) < min(copies)
    assert max(different) < 90.0  # "Similar pose" at most, never "Same pose"
