"""The real graph on the real COCO photos in ../shared/eval."""

import numpy as np
import pytest

from pose.body.skeleton import OPENPOSE_FOR_COCO
from pose.media.images import load_image
from pose.network.spec import network_size, preprocess
from pose.photo.estimate import estimate, infer_scales
from tests.helpers.paths import COCO_DIR


def joints_within_tolerance(pose, annotation, tolerance: float = 0.1) -> tuple[int, int]:
    """(hits, labelled): labelled COCO joints whose detection lies within ``tolerance``
    times the person's size (sqrt of the annotated area)."""
    scale = np.sqrt(annotation["area"])
    detected = pose.keypoints[OPENPOSE_FOR_COCO]
    labelled = annotation["keypoints"][:, 2] > 0
    found = detected[:, 2] > 0
    distance = np.linalg.norm(detected[:, :2] - annotation["keypoints"][:, :2], axis=1)
    hits = labelled & found & (distance < tolerance * scale)
    return int(hits.sum()), int(labelled.sum())


def test_network_size_keeps_aspect_and_stride():
    assert network_size(640, 480, (432, 368)) == (432, 320)
    width, height = network_size(480, 640, (432, 368))
    assert height == 368 and width % 8 == 0 and abs(width / height - 0.75) < 0.03


def test_output_shapes(model):
    image = load_image(COCO_DIR / "000000000785.jpg")
    output = model.infer(image, (432, 368))
    assert output.heatmaps.shape[2] == 19 and output.pafs.shape[2] == 38
    assert output.heatmaps.shape[:2] == output.pafs.shape[:2]
    assert output.heatmaps[:, :, :18].max() > 0.5


def test_skier_joints_match_ground_truth(coco, model):
    image = load_image(COCO_DIR / "000000000785.jpg")
    result = estimate(image, model=model)
    assert (result.width, result.height) == (640, 425)
    [annotation] = coco["000000000785.jpg"]
    best = max(joints_within_tolerance(person, annotation)[0] for person in result.people)
    hits, labelled = joints_within_tolerance(
        max(result.people, key=lambda p: joints_within_tolerance(p, annotation)[0]), annotation
    )
    assert best == hits
    assert hits / labelled >= 0.8, f"{hits}/{labelled} joints within 10% of the person's size"


@pytest.mark.parametrize("name", ["000000040083.jpg", "000000196141.jpg", "000000197388.jpg"])
def test_someone_is_found_where_people_are_labelled(coco, model, name):
    result = estimate(load_image(COCO_DIR / name), model=model)
    assert result.people, name
    best = max(
        joints_within_tolerance(person, annotation)[0]
        for person in result.people
        for annotation in coco[name]
        if annotation["num_keypoints"] > 0
    )
    assert best >= 8, f"{name}: best person has only {best} joints within tolerance"


def test_blank_image_has_nobody(model):
    blank = np.full((240, 320, 3), 127, np.uint8)
    assert estimate(blank, model=model).people == ()


@pytest.mark.parametrize("name", ["000000040083.jpg", "000000196141.jpg", "000000197388.jpg"])
def test_multi_person_photos_give_the_labelled_number_of_people(coco, model, name):
    """Between the people labelled with at least 10 joints and all with any joint labelled;
    and every person found lies on a different labelled person (loose tolerance: small,
    distant people are a few dozen pixels tall)."""
    result = estimate(load_image(COCO_DIR / name), model=model)
    labelled = [annotation for annotation in coco[name] if annotation["num_keypoints"] > 0]
    well_labelled = [annotation for annotation in labelled if annotation["num_keypoints"] >= 10]
    assert len(well_labelled) <= len(result.people) <= len(labelled), name
    areas = [person.area for person in result.people]
    assert areas == sorted(areas, reverse=True)  # numbered largest first
    matched = set()
    for person in result.people:
        hits = [joints_within_tolerance(person, label, 0.25)[0] for label in labelled]
        best = int(np.argmax(hits))
        assert hits[best] >= 5, f"{name}: a detected person matches no labelled person"
        assert best not in matched, f"{name}: two detections on one labelled person"
        matched.add(best)


def test_largest_only_keeps_one_person(model):
    image = load_image(COCO_DIR / "000000197388.jpg")
    everyone = estimate(image, model=model).people
    [largest] = estimate(image, largest_only=True, model=model).people
    assert len(everyone) > 1
    assert largest.area == max(person.area for person in everyone)


def test_multi_scale_inference_averages_onto_the_largest_grid(model):
    image = load_image(COCO_DIR / "000000040083.jpg")
    single = infer_scales(model, image, (432, 368), (1.0,))
    both = infer_scales(model, image, (432, 368), (0.75, 1.0))
    assert both.heatmaps.shape == single.heatmaps.shape and both.scale == single.scale
    assert not np.allclose(both.heatmaps, single.heatmaps)
    assert len(estimate(image, model=model, scales=(1.0, 0.75)).people) == 2


def test_flip_averaging_keeps_left_and_right(coco, model):
    image = load_image(COCO_DIR / "000000000785.jpg")
    plain = infer_scales(model, image, (432, 368))
    flipped = infer_scales(model, image, (432, 368), flip=True)
    assert flipped.heatmaps.shape == plain.heatmaps.shape
    assert not np.allclose(flipped.heatmaps, plain.heatmaps)
    [annotation] = coco["000000000785.jpg"]
    [person] = estimate(image, model=model, flip=True).people
    # Left/right swapped back correctly: joints still land on the labelled sides.
    hits, labelled = joints_within_tolerance(person, annotation)
    assert hits / labelled >= 0.8


def test_preprocess_feeds_bgr_at_the_network_size():
    red = np.zeros((50, 80, 3), np.uint8)
    red[:, :, 0] = 200
    batch = preprocess(red, 40, 24)
    assert batch.shape == (24, 40, 3) and batch.dtype == np.float32
    assert np.allclose(batch[:, :, 2], 200) and np.allclose(batch[:, :, :2], 0)
