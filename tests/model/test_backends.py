"""Every execution backend gives the session's answer on real photos (../shared/eval)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import cv2
import numpy as np
import pytest

from models.convert import build_tflite, convert_to_tflite
from pose.media.images import load_image
from pose.network.registry import (
    BACKENDS,
    DEFAULT_BACKEND,
    PoseModel,
    ensure_tflite,
    resolve_backend,
)
from pose.network.runners import TFLITE_RUNTIMES, TFLiteRunner, cpu_has_bf16
from pose.network.spec import PRESETS, model_path, network_size, preprocess
from pose.photo.estimate import estimate
from tests.helpers.paths import COCO_DIR

PHOTOS = ["000000000785.jpg", "000000196141.jpg"]  # one skier; a portrait-shaped group
# Measured: the largest difference is about 5e-6; heatmaps and PAFs lie within [-1.1, 1.1].
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def session_model() -> PoseModel:
    return PoseModel(backend="session")


@pytest.fixture(scope="module")
def tflite_model() -> PoseModel:
    return PoseModel(backend="tflite")


def test_default_backend_is_tflite_and_env_overrides(monkeypatch):
    monkeypatch.delenv("POSE_BACKEND", raising=False)
    assert DEFAULT_BACKEND == "tflite" and resolve_backend() == "tflite"
    monkeypatch.setenv("POSE_BACKEND", "session")
    assert resolve_backend() == "session"
    assert PoseModel().backend == "session"
    assert resolve_backend("TFLite") == "tflite"  # an explicit choice wins over the env


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match=r"backend 'onnx'.*tflite, session, bf16, int8"):
        PoseModel(backend="onnx")


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("name", PHOTOS)
def test_tflite_output_equals_session(session_model, tflite_model, name, preset):
    image = load_image(COCO_DIR / name)
    net_w, net_h = network_size(image.shape[1], image.shape[0], PRESETS[preset])
    batch = preprocess(image, net_w, net_h)[None]
    expected = session_model.run(batch)
    actual = tflite_model.run(batch)
    assert actual.shape == expected.shape == (1, net_h // 8, net_w // 8, 57)
    assert np.abs(actual - expected).max() < TOLERANCE
    assert expected[..., :18].max() > 0.5  # a real person is in view: not two blank maps


@pytest.mark.parametrize("runtime", TFLITE_RUNTIMES)
def test_both_tflite_runtimes_equal_session(session_model, tflite_model, runtime):
    image = load_image(COCO_DIR / PHOTOS[1])
    net_w, net_h = network_size(image.shape[1], image.shape[0], PRESETS["balanced"])
    batch = preprocess(image, net_w, net_h)[None]
    runner = TFLiteRunner(tflite_model.tflite.path, threads=2, runtime=runtime)
    assert runner.runtime == runtime
    assert np.abs(runner.run(batch) - session_model.run(batch)).max() < TOLERANCE


def test_tflite_backend_runs_without_importing_tensorflow(tflite_model):
    """LiteRT keeps TensorFlow (seconds to import, ~650 MB) out of the serving process."""
    ensure_tflite()
    code = (
        "import sys, numpy as np\n"
        "from pose.network.registry import PoseModel\n"
        "out = PoseModel(backend='tflite').run(np.full((1, 64, 64, 3), 127.0, np.float32))\n"
        "print(out.shape, 'tensorflow' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "(1, 8, 8, 57) False"


def test_unknown_runtime_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown TFLite runtime 'tvm'"):
        TFLiteRunner(ensure_tflite(), threads=1, runtime="tvm")


def test_batch_equals_single_frames(tflite_model):
    images = [load_image(COCO_DIR / name) for name in PHOTOS]
    same_size = [images[0], np.ascontiguousarray(images[0][:, ::-1])]  # the photo and its mirror
    batched = tflite_model.infer_batch(same_size, PRESETS["fast"])
    for image, output in zip(same_size, batched, strict=True):
        single = tflite_model.infer(image, PRESETS["fast"])
        assert np.abs(output.heatmaps - single.heatmaps).max() < TOLERANCE
        assert np.abs(output.pafs - single.pafs).max() < TOLERANCE


@pytest.mark.parametrize("name", PHOTOS)
def test_same_people_from_both_backends(session_model, tflite_model, name):
    image = load_image(COCO_DIR / name)
    expected = estimate(image, model=session_model).people
    actual = estimate(image, model=tflite_model).people
    assert len(actual) == len(expected) > 0
    for mine, theirs in zip(actual, expected, strict=True):
        assert np.array_equal(mine.visible, theirs.visible)
        assert np.abs(mine.keypoints - theirs.keypoints).max() < 0.05  # pixels / confidence


def test_interpreters_are_cached_per_shape_and_bounded(tflite_model):
    runner = TFLiteRunner(tflite_model.tflite.path, threads=1, max_shapes=2)
    shapes = [(1, 64, 64, 3), (1, 64, 96, 3), (2, 64, 64, 3)]
    for shape in shapes:
        out = runner.run(np.full(shape, 127.0, np.float32))
        assert out.shape == (shape[0], shape[1] // 8, shape[2] // 8, 57)
    assert runner.cached_shapes == shapes[1:]  # the least recently used one was dropped


def test_concurrent_calls_give_the_sequential_answers(tflite_model):
    image = load_image(COCO_DIR / PHOTOS[0])
    inputs = [preprocess(image, w, h)[None] for w, h in [(320, 216), (432, 288), (320, 216)]]
    expected = [tflite_model.run(batch) for batch in inputs]
    results: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            for _ in range(3):
                results[index] = tflite_model.run(inputs[index % len(inputs)])
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    for index, output in results.items():
        assert np.array_equal(output, expected[index % len(inputs)])


def test_workers_run_single_threaded_and_are_reused(tflite_model, session_model):
    image = load_image(COCO_DIR / PHOTOS[0])
    batch = preprocess(image, 320, 216)[None]
    expected = tflite_model.run(batch)
    with tflite_model.workers(2) as runs:
        first = [run.__self__ for run in runs]
        assert [runner.threads for runner in first] == [1, 1]
        assert [runner.max_shapes for runner in first] == [6, 6]  # memory stays bounded
        for run in runs:
            assert np.abs(run(batch) - expected).max() < TOLERANCE
    with tflite_model.workers(2) as runs:
        assert {id(run.__self__) for run in runs} == {id(runner) for runner in first}
    with session_model.workers(2) as runs:  # the session already uses every core
        assert runs == [session_model.run]


def test_opencv_runs_on_one_thread_beside_the_network_with_the_same_pixels(tflite_model):
    """OpenCV's pool would wait for the cores the network's threads hold (issue 24's speed
    on a Xeon); its resizes and colour conversions give the same pixels on one thread."""
    image = load_image(COCO_DIR / PHOTOS[1])
    cv2.setNumThreads(-1)  # OpenCV's default: one thread per core
    several = preprocess(image, 432, 320)
    TFLiteRunner(tflite_model.tflite.path, 1)
    assert cv2.getNumThreads() == 1
    assert np.array_equal(preprocess(image, 432, 320), several)


def test_an_idle_model_lets_go_of_its_spare_interpreters(tflite_model):
    """Issue 28, item 5: interpreters kept for large inputs held memory at rest."""
    image = load_image(COCO_DIR / PHOTOS[0])
    for width, height in [(320, 216), (432, 288)]:
        tflite_model.run(preprocess(image, width, height)[None])
    with tflite_model.workers(2) as runs:
        runs[0](preprocess(image, 320, 216)[None])
    assert len(tflite_model.tflite.cached_shapes) >= 2 and tflite_model._spare_runners
    assert tflite_model.release_memory() >= 2
    assert len(tflite_model.tflite.cached_shapes) == 1 and not tflite_model._spare_runners
    again = tflite_model.run(preprocess(image, 320, 216)[None])  # rebuilt on demand
    assert again.shape[-1] == 57


def test_missing_or_corrupt_converted_model_is_rebuilt(tmp_path, monkeypatch):
    target = tmp_path / "graph.tflite"
    monkeypatch.setenv("POSE_TFLITE_PATH", str(target))
    assert build_tflite() == target and target.stat().st_size > 1_000_000  # in this process
    target.write_bytes(b"not a flatbuffer")
    model = PoseModel(backend="tflite")
    out = model.run(np.full((1, 64, 64, 3), 127.0, np.float32))
    assert out.shape == (1, 8, 8, 57)
    assert target.stat().st_size > 1_000_000


def test_missing_converted_model_is_built_without_tensorflow_in_process(tmp_path):
    """On a host that skipped `make setup`, the first request converts in a child process."""
    target = tmp_path / "fresh.tflite"
    code = (
        "import sys, numpy as np\n"
        "from pose.network.registry import PoseModel\n"
        "out = PoseModel(backend='tflite').run(np.full((1, 64, 64, 3), 127.0, np.float32))\n"
        "print(out.shape, 'tensorflow' in sys.modules)\n"
    )
    env = dict(os.environ, POSE_TFLITE_PATH=str(target))
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "(1, 8, 8, 57) False"
    assert target.stat().st_size > 1_000_000


def test_every_backend_is_listed():
    assert set(BACKENDS) == {"tflite", "session", "bf16", "int8"}


@pytest.mark.skipif(not cpu_has_bf16(), reason="no native bfloat16 on this CPU")
def test_bf16_is_close_to_session_but_not_equal(session_model):
    """bfloat16 keeps 8 mantissa bits: the maps move a little, the people stay."""
    image = load_image(COCO_DIR / PHOTOS[1])
    bf16 = PoseModel(backend="bf16")
    expected = session_model.infer(image)
    actual = bf16.infer(image)
    difference = np.abs(actual.heatmaps - expected.heatmaps)
    assert 1e-4 < difference.max() < 0.3  # really reduced precision, and still the same maps
    assert difference.mean() < 0.01
    found = estimate(image, model=bf16).people
    assert len(found) == len(estimate(image, model=session_model).people)


def test_quantised_variants_are_checked(tmp_path):
    with pytest.raises(ValueError, match="Unknown quantization 'int4'"):
        convert_to_tflite(model_path(), tmp_path / "q.tflite", "int4")
    path = convert_to_tflite(model_path(), tmp_path / "f16.tflite", "float16")
    # float16 weights halve the file; the runner still returns float32 maps of the right shape.
    assert path.stat().st_size < 0.6 * ensure_tflite().stat().st_size
    out = TFLiteRunner(path, threads=1).run(np.full((1, 64, 64, 3), 127.0, np.float32))
    assert out.shape == (1, 8, 8, 57) and out.dtype == np.float32
