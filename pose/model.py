"""The OpenPose MobileNet-thin frozen graph in a TensorFlow session.

This is the only module that imports TensorFlow. The session is created lazily, once
per process, behind a lock, so importing :mod:`pose` stays cheap and concurrent requests
share one graph.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from models.fetch import model_path, verify

log = logging.getLogger(__name__)

# TensorFlow's C++ start-up chatter is noise for our users; errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

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
# on ../shared/eval/coco, RGB input drops AP from 0.59 to 0.33 (README, Accuracy). Only
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
    return resized[:, :, ::-1].astype(np.float32)


class PoseModel:
    """Owns one TensorFlow session over the frozen graph."""

    def __init__(self, path: Path | None = None, threads: int | None = None) -> None:
        self.path = Path(path) if path else model_path()
        self.threads = threads or int(os.environ.get("POSE_THREADS", os.cpu_count() or 2))
        self._session = None
        self._lock = threading.Lock()

    def _load(self):
        verify(self.path)
        import tensorflow as tf  # heavy: imported on first use only

        graph_def = tf.compat.v1.GraphDef()
        graph_def.ParseFromString(self.path.read_bytes())
        graph = tf.Graph()
        with graph.as_default():
            tf.import_graph_def(graph_def, name="")
        config = tf.compat.v1.ConfigProto(
            intra_op_parallelism_threads=self.threads, inter_op_parallelism_threads=1
        )
        session = tf.compat.v1.Session(graph=graph, config=config)
        self._input = graph.get_tensor_by_name(INPUT_TENSOR)
        self._output = graph.get_tensor_by_name(OUTPUT_TENSOR)
        log.info("model loaded from %s", self.path)
        return session

    @property
    def session(self):
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = self._load()
        return self._session

    def run(self, batch: np.ndarray) -> np.ndarray:
        """float32 (N, h, w, 3) BGR -> float32 (N, h/8, w/8, 57)."""
        session = self.session
        return session.run(self._output, feed_dict={self._input: batch})

    def infer(self, image: np.ndarray, box: tuple[int, int] = PRESETS[DEFAULT_PRESET]) -> NetOutput:
        """Run one RGB uint8 image (H, W, 3) fitted in ``box``; return heatmaps and PAFs."""
        return self.infer_batch([image], box)[0]

    def infer_batch(
        self, images: list[np.ndarray], box: tuple[int, int] = PRESETS[DEFAULT_PRESET]
    ) -> list[NetOutput]:
        """Run same-sized RGB uint8 images in one session call."""
        height, width = images[0].shape[:2]
        net_w, net_h = network_size(width, height, box)
        batch = np.stack([preprocess(image, net_w, net_h) for image in images])
        output = self.run(batch)
        out_h, out_w = output.shape[1:3]
        scale = (width / out_w, height / out_h)
        return [
            NetOutput(
                heatmaps=item[:, :, :NUM_HEATMAPS], pafs=item[:, :, NUM_HEATMAPS:], scale=scale
            )
            for item in output
        ]


_default_model: PoseModel | None = None
_default_lock = threading.Lock()


def get_model() -> PoseModel:
    """The process-wide model, created on first call."""
    global _default_model
    if _default_model is None:
        with _default_lock:
            if _default_model is None:
                _default_model = PoseModel()
    return _default_model
