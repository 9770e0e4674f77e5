"""The int8 backend: the rescaled graph computes the same function, and the int8 model built
from it stays close to float32 on the real photos (../shared/eval)."""

from __future__ import annotations

import numpy as np
import pytest

import models.convert
import pose.network.registry
from models.convert import EXAMPLES, augment, build_tflite, calibration_images
from pose.media.images import load_image
from pose.network.registry import PoseModel, ensure_tflite
from pose.network.spec import (
    INT8_RECIPE_SOURCES,
    MODELS_DIR,
    int8_recipe,
    model_path,
    preprocess,
    recipe_stamp,
)
from pose.photo.estimate import estimate
from tests.helpers.paths import COCO_DIR
from tests.model.test_model import joints_within_tolerance

SKIER = "000000000785.jpg"
SIZE = (432, 368)
DEPTHWISE_4 = "Openpose/MConv_Stage1_L1_4_depthwise/depthwise"  # the worst-balanced tensor
STAGE_INPUT = "Openpose/MConv_Stage2_concat"  # stage 1's maps (+-1) beside features (0-35)


def run_graph(graph_def, image: np.ndarray, tensors: list[str]) -> list[np.ndarray]:
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as session:
        return session.run([f"{name}:0" for name in tensors], {"image:0": image[None]})


def spread(values: np.ndarray) -> float:
    """Largest over median per-channel peak of a (1, h, w, C) tensor."""
    peaks = np.abs(values).reshape(-1, values.shape[-1]).max(axis=0)
    return float(peaks.max() / np.median(peaks))


def maps_to_features(stage_input: np.ndarray) -> float:
    """Peak of the previous stage's 57 maps over the peak of the backbone features in a
    stage's (1, h, w, 57 + F) input."""
    return float(np.abs(stage_input[..., :57]).max() / np.abs(stage_input[..., 57:]).max())


@pytest.fixture(scope="module")
def int8_model() -> PoseModel:
    model = PoseModel(backend="int8")
    model.load()  # builds models/graph_opt.int8.tflite once (about 35 s) when missing
    return model


@pytest.fixture(scope="module")
def float_model() -> PoseModel:
    return PoseModel(backend="tflite")


def test_calibration_uses_only_the_example_media():
    images = calibration_images()
    photos = sorted(EXAMPLES.glob("*.jpg"))
    assert len(images) > len(photos) >= 1  # the photos plus frames of the example clip
    frames = augment(images[:2], SIZE, copies=3, mosaics=1)
    assert len(frames) == 3 * 3 and frames[0].shape == (368, 432, 3)
    again = augment(images[:2], SIZE, copies=3, mosaics=1)
    assert all(np.array_equal(a, b) for a, b in zip(frames, again, strict=True))


def test_equalized_graph_computes_the_same_maps_with_balanced_channels():
    import tensorflow as tf

    from models.quantize import OUTPUT_NAME, equalize

    graph_def = tf.compat.v1.GraphDef.FromString(model_path().read_bytes())
    calibration = augment(calibration_images()[:3], SIZE, copies=2, mosaics=1)
    equalized = equalize(graph_def, calibration)
    image = preprocess(load_image(COCO_DIR / SKIER), *SIZE)
    tensors = [OUTPUT_NAME, DEPTHWISE_4, STAGE_INPUT]
    before, *inside_before = run_graph(graph_def, image, tensors)
    after, *inside_after = run_graph(equalized, image, tensors)
    assert np.abs(after - before).max() < 1e-4  # measured: 4e-6
    # The point of it: inside, the channels' ranges are far closer to each other.
    (depthwise_before, stage_before), (depthwise_after, stage_after) = inside_before, inside_after
    assert spread(depthwise_after) < spread(depthwise_before) / 10  # measured: 378 -> 12
    assert maps_to_features(stage_before) < 0.1  # heatmaps and PAFs next to features to 35
    assert 0.1 < maps_to_features(stage_after) < 10  # measured: 0.03 -> 5.7


def test_int8_model_keeps_the_sensitive_layers_in_float(int8_model):
    from ai_edge_litert.interpreter import Interpreter

    details = Interpreter(model_path=str(int8_model.tflite.path)).get_tensor_details()
    types: dict[str, set] = {}
    for detail in details:
        types.setdefault(detail["name"].split(";")[0], set()).add(detail["dtype"])
    assert np.int8 in types["MobilenetV1/Conv2d_9_pointwise/Relu"]
    assert np.int8 in types["Openpose/MConv_Stage3_L1_2_pointwise/Relu"]
    assert np.int8 not in types["MobilenetV1/Conv2d_5_pointwise/Relu"]
    assert np.int8 not in types["Openpose/MConv_Stage1_L1_2_pointwise/Relu"]
    assert np.int8 not in types["Openpose/MConv_Stage6_L2_5_pointwise/BatchNorm/FusedBatchNorm"]


def test_int8_maps_stay_close_to_float(int8_model, float_model):
    image = load_image(COCO_DIR / SKIER)
    expected = float_model.infer(image)
    actual = int8_model.infer(image)
    difference = np.abs(actual.heatmaps - expected.heatmaps)
    assert difference.max() > 1e-3  # really quantised
    assert difference.mean() < 0.02  # measured 0.011; plain int8 gave 0.085 and AP 0.000


def test_int8_finds_the_skier_and_the_group(coco, int8_model, float_model):
    image = load_image(COCO_DIR / SKIER)
    [annotation] = coco[SKIER]
    people = estimate(image, model=int8_model).people
    hits, labelled = max(joints_within_tolerance(person, annotation) for person in people)
    assert hits / labelled >= 0.7, f"{hits}/{labelled}"  # float32: >= 0.8 (test_model.py)
    group = load_image(COCO_DIR / "000000196141.jpg")
    found = len(estimate(group, model=int8_model).people)
    assert found == len(estimate(group, model=float_model).people)


def test_int8_model_records_the_code_that_built_it(int8_model):
    assert recipe_stamp(int8_model.tflite.path).read_text() == int8_recipe()


@pytest.mark.parametrize("side", ["runtime", "build"])
@pytest.mark.parametrize(("stamp", "rebuilt"), [(None, True), ("other", True), ("current", False)])
def test_int8_model_from_other_quantisation_code_is_rebuilt(
    tmp_path, monkeypatch, side, stamp, rebuilt
):
    """The runtime has the build side rebuild a stale int8 model (in a child process); the
    build side rebuilds it and stamps it with today's recipe."""
    target = tmp_path / "graph_opt.int8.tflite"
    target.write_bytes(b"an int8 model")
    if stamp:
        recipe_stamp(target).write_text(int8_recipe() if stamp == "current" else stamp)
    builds = []
    monkeypatch.setenv("POSE_INT8_PATH", str(target))
    # Stand-ins for the child process, or the conversion itself (about 80 s); both succeed.
    if side == "runtime":
        monkeypatch.setattr(
            pose.network.registry,
            "_convert_in_subprocess",
            lambda *args: builds.append(args) or target,
        )
        assert ensure_tflite(model_path(), int8=True) == target
    else:
        monkeypatch.setattr(
            models.convert, "convert_to_tflite", lambda *args: builds.append(args) or args[1]
        )
        assert build_tflite(model_path(), int8=True) == target
        assert recipe_stamp(target).read_text() == int8_recipe()
    assert bool(builds) == rebuilt


def test_the_recipe_follows_the_build_code(tmp_path):
    for name in INT8_RECIPE_SOURCES:
        (tmp_path / name).write_bytes((MODELS_DIR / name).read_bytes())
    assert int8_recipe(tmp_path) == int8_recipe()
    (tmp_path / "quantize.py").write_text("# another recipe\n", encoding="utf-8")
    assert int8_recipe(tmp_path) != int8_recipe()
