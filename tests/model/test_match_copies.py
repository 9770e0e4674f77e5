"""The Match default is stable and does not flatter, with the real models on eval photos:
a photo against its own 70 % copy scores at least 95 % in both photo modes (the landmark
model's reading is the mean of four crops around the planned one, so it moves about half
as far between a photo and its copy), and two different photos score lower than either
copy."""

import numpy as np
import pytest
from PIL import Image

from pose.match import choose_pair
from pose.media.images import load_image
from pose.pose3d.blazepose import Crop, get_landmark_model, lift_crop
from pose.pose3d.people import detect, estimate_people
from pose.pose3d.second_opinion import plan_crops
from pose.pose3d.topdown import VIEW_PAIR, VIEWS, read_views
from tests.helpers.paths import COCO_DIR, EVAL_DIR

# One person, two, three and five: three sets, groups as well as single people. The group
# of five scored 88 % against its copy with one landmark reading per person, 96.5 % with
# the mean of four (docs/matching.md).
PHOTOS = (
    COCO_DIR / "000000000785.jpg",
    COCO_DIR / "000000197388.jpg",
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


def test_the_landmark_reading_is_the_mean_of_four_crops_around_the_planned_one(model):
    pixels = load_image(COCO_DIR / "000000197388.jpg")
    people = estimate_people(pixels, "fast", model=model).people
    crop = plan_crops(people, detect(pixels))[0].crop
    landmarks = get_landmark_model()
    once = read_views(pixels, crop, landmarks, views=1)
    plain = lift_crop(pixels, crop, landmarks)[0]
    assert np.array_equal(once.image_landmarks, plain.image_landmarks)
    (x, y), side = crop.centre, crop.side

    def mean_reading(views) -> np.ndarray:
        """The mean of the landmark model's readings of each of ``views``' crops, by hand."""
        readings = [
            lift_crop(pixels, Crop((x + dx * side, y + dy * side), side * f, crop.angle), landmarks)
            for f, dx, dy in views
        ]
        return np.mean([reading[0].image_landmarks for reading in readings], axis=0)

    four = read_views(pixels, crop, landmarks, views=4)
    assert np.allclose(four.image_landmarks, mean_reading(VIEWS), atol=1e-3)
    assert four.crop == crop
    # The four crops differ, so the mean is not any one of them.
    assert not np.allclose(four.image_landmarks[:, :2], once.image_landmarks[:, :2], atol=0.01)
    # Two views: the pair of crops 5 % smaller and larger, shifted opposite ways.
    assert np.allclose(np.mean([(f, dx, dy) for f, dx, dy in VIEW_PAIR], axis=0), (1, 0, 0))
    two = read_views(pixels, crop, landmarks, views=2)
    assert np.allclose(two.image_landmarks, mean_reading(VIEW_PAIR), atol=1e-3)
    assert not np.allclose(two.image_landmarks[:, :2], four.image_landmarks[:, :2], atol=0.01)
