"""Shared test vectors for the page's decoder (web/live/decode.js) and the server's.

``python -m tests.helpers.live_vectors OUT.json`` (or :func:`write_vectors`) runs the int8
network on eval photos letterboxed to a webcam's 640x480, at the page's live input size and
at the server's balanced size, and writes each raw output (float32, base64) with the Python
decoder's people (:func:`pose.photo.paf.decode_multi`) and the decoder's tables and settings
(``ui.live_assets.live_spec``, what the page reads from /live/spec.json). The JavaScript
decoder runs on the same outputs (tests/helpers/live_decode.mjs), so the test compares
decoders, not networks. Written at test time into a temporary folder (a few MB): never
committed, and always made by the current Python decoder, which the JS one must follow.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import numpy as np

from models.browser import LIVE_INPUT
from pose.body.types import number_people
from pose.media.images import load_image
from pose.network.registry import get_model
from pose.photo.estimate import DEFAULT_THRESHOLD
from pose.photo.paf import decode_multi
from tests.helpers.paths import COCO_DIR
from ui.live_assets import live_spec

CAMERA = (640, 480)
PHOTOS = ("000000000785.jpg", "000000040083.jpg", "000000196141.jpg", "000000197388.jpg")
SIZES = (LIVE_INPUT, (432, 368))


def letterboxed(photo: np.ndarray, size: tuple[int, int] = CAMERA) -> np.ndarray:
    """RGB uint8 ``photo`` fitted into a grey ``size`` (w, h) frame, as a webcam would show it."""
    import cv2

    width, height = size
    ratio = min(width / photo.shape[1], height / photo.shape[0])
    fitted = cv2.resize(photo, (round(photo.shape[1] * ratio), round(photo.shape[0] * ratio)))
    canvas = np.full((height, width, 3), 114, dtype=np.uint8)
    top, left = (height - fitted.shape[0]) // 2, (width - fitted.shape[1]) // 2
    canvas[top : top + fitted.shape[0], left : left + fitted.shape[1]] = fitted
    return canvas


def frame_vector(frame: np.ndarray, box: tuple[int, int], name: str) -> dict:
    """One network output of ``frame`` at ``box`` and the Python decoder's people."""
    output = get_model("int8").infer(frame, box)
    maps = np.concatenate([output.heatmaps, output.pafs], axis=-1).astype(np.float32)
    people = decode_multi(output.heatmaps, output.pafs, output.scale, DEFAULT_THRESHOLD)
    return {
        "name": f"{name}@{box[0]}x{box[1]}",
        "height": int(maps.shape[0]),
        "width": int(maps.shape[1]),
        "channels": int(maps.shape[2]),
        "scale": [float(output.scale[0]), float(output.scale[1])],
        "output": base64.b64encode(np.ascontiguousarray(maps).tobytes()).decode("ascii"),
        "people": [
            {"score": person.score, "keypoints": person.keypoints.tolist()} for person in people
        ],
        # The people's indices in numbering order (largest first, number_people).
        "numbered": [
            next(i for i, p in enumerate(people) if p is q) for q in number_people(people)
        ],
    }


def write_vectors(path: Path) -> Path:
    frames = [
        frame_vector(letterboxed(load_image(COCO_DIR / name)), box, name)
        for name in PHOTOS
        for box in SIZES
    ]
    vectors = {"threshold": DEFAULT_THRESHOLD, "spec": live_spec(), "frames": frames}
    Path(path).write_text(json.dumps(vectors))
    return Path(path)


if __name__ == "__main__":
    write_vectors(Path(sys.argv[1]))


def server_people_on_crop(
    crop: np.ndarray,
    origin: tuple[int, int],
    threshold: float,
    backend: str = "int8",
    size: tuple[int, int] = LIVE_INPUT,
) -> list:
    """The server's people on an RGB uint8 crop (h, w, 3) of a frame whose top-left corner
    is ``origin`` (x, y): the ``backend`` model ("int8" or float "tflite") at the network
    input ``size`` (width, height) the page ran the crop at (what the page's model file
    computes, tests/model/test_live_decoder.py), the Python decoder, keypoints (18, 3) in
    frame pixels."""
    output = get_model(backend).infer(crop, size)
    people = decode_multi(output.heatmaps, output.pafs, output.scale, threshold)
    shift = np.array([origin[0], origin[1], 0.0])
    return [np.where(p.keypoints[:, 2:] > 0, p.keypoints + shift, p.keypoints) for p in people]
