"""Build the TFLite models from the verified frozen graph.

``models/graph_opt.tflite``: TensorFlow's own converter
(``tf.compat.v1.lite.TFLiteConverter.from_frozen_graph``), float32, no quantisation: the same
graph, run faster by TFLite's XNNPACK delegate (the default backend of
:mod:`pose.network.registry`).
``models/graph_opt.int8.tflite`` (``--int8``): the int8 variant of :mod:`models.quantize`
for the "int8" backend, calibrated on the example media in ``examples/``, with a stamp of
:func:`pose.network.spec.int8_recipe` beside it. The app runs this module in a child process when
a file is missing or stale; ``make setup`` builds both ahead.

    .venv/bin/python -m models.convert [--force] [--int8]

The plain quantised variants that were measured and rejected (docs/performance.md) can be
rebuilt for a check, then scored:

    .venv/bin/python -m models.convert --quantize dynamic --out /tmp/dynamic.tflite
    POSE_TFLITE_PATH=/tmp/dynamic.tflite .venv/bin/python -m benchmarks.accuracy
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from pose.network.spec import (
    CONVERT_SHAPE,
    INPUT_TENSOR,
    OUTPUT_TENSOR,
    ModelFetchError,
    built_by_this_recipe,
    int8_recipe,
    model_path,
    preprocess,
    recipe_stamp,
    tflite_path,
    verify,
)

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def video_frames(path: Path) -> list[np.ndarray]:
    """Every frame of a video as RGB uint8 (H, W, 3) arrays."""
    import av

    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def calibration_images(folder: Path = EXAMPLES) -> list[np.ndarray]:
    """The example photos and about five frames of each example clip, RGB uint8 (H, W, 3).

    Only redistributable media that ships with the project: the evaluation photos stay
    unseen, so benchmarks/accuracy.py measures the int8 model fairly.
    """
    import cv2

    images = [
        cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        for path in sorted(folder.glob("*.jpg"))
    ]
    for clip in sorted(folder.glob("*.mp4")):
        frames = video_frames(clip)
        images += frames[:: max(1, len(frames) // 5)]
    if not images:
        raise FileNotFoundError(f"no calibration media (*.jpg, *.mp4) in {folder}")
    return images


def mosaic(images: list[np.ndarray], size: tuple[int, int], rng) -> np.ndarray:
    """Two or three images side by side on a black RGB uint8 canvas of ``size`` (w, h).

    The example photos hold one person each; street scenes hold several, smaller. A mosaic
    shows the calibration those.
    """
    import cv2

    width, height = size
    canvas = np.zeros((height, width, 3), np.uint8)
    columns = int(rng.integers(2, 4))
    tile_w = width // columns
    for column in range(columns):
        image = images[int(rng.integers(len(images)))]
        tile_h = min(height, round(tile_w * image.shape[0] / image.shape[1]))
        tile = cv2.resize(image, (tile_w, tile_h), interpolation=cv2.INTER_AREA)
        top = int(rng.integers(0, height - tile_h + 1))
        canvas[top : top + tile_h, column * tile_w : (column + 1) * tile_w] = tile
    return canvas


def augment(
    images: list[np.ndarray], size: tuple[int, int], copies: int = 6, mosaics: int = 12
) -> list:
    """Calibration inputs: ``mosaics`` mosaics added to ``images``, then ``copies`` crops of
    each (whole, 70 %, 50 %; mirrored; brighter or darker), as the model's float32 (h, w, 3)
    BGR input at ``size`` (w, h). Deterministic.

    Calibration sets each tensor's int8 range from the largest value it sees, so it needs
    people at several sizes and contrasts, not many frames (mosaics: mean AP 0.387 -> 0.445).
    """
    rng = np.random.default_rng(0)
    images = images + [mosaic(images, size, rng) for _ in range(mosaics)]
    out = []
    for image in images:
        height, width = image.shape[:2]
        for index in range(copies):
            fraction = (1.0, 0.7, 0.5)[index % 3]
            crop_w, crop_h = int(width * fraction), int(height * fraction)
            left = rng.integers(0, width - crop_w + 1)
            top = rng.integers(0, height - crop_h + 1)
            crop = image[top : top + crop_h, left : left + crop_w]
            if index >= copies // 2:
                crop = crop[:, ::-1]
            gain = rng.uniform(0.7, 1.3)
            crop = np.clip(crop.astype(np.float32) * gain, 0, 255).astype(np.uint8)
            out.append(preprocess(crop, *size))
    return out


QUANTIZATIONS = ("int8", "dynamic", "float16")


def convert_to_tflite(graph_path: Path, destination: Path, quantize: str | None = None) -> Path:
    """Convert the verified frozen graph to a TFLite model at ``destination``.

    Uses ``tf.compat.v1.lite.TFLiteConverter.from_frozen_graph``. By default without
    optimisations: the weights and arithmetic stay float32, which is what the app runs.
    ``quantize="int8"`` builds the int8 backend's model (:mod:`models.quantize`, calibrated
    on the example media); "dynamic" and "float16" build plain variants that were measured
    and rejected (docs/performance.md). Returns the path written, which is a
    temporary-directory copy when ``destination``'s folder is not writable.
    """
    verify(graph_path)
    import tensorflow as tf

    if quantize is not None and quantize not in QUANTIZATIONS:
        raise ValueError(f"Unknown quantization {quantize!r}: use one of {QUANTIZATIONS}.")
    if quantize == "int8":
        from models.quantize import convert_int8

        frames = augment(calibration_images(), (CONVERT_SHAPE[2], CONVERT_SHAPE[1]))
        content = convert_int8(graph_path, frames, CONVERT_SHAPE)
    else:
        converter = tf.compat.v1.lite.TFLiteConverter.from_frozen_graph(
            str(graph_path),
            input_arrays=[INPUT_TENSOR.split(":")[0]],
            output_arrays=[OUTPUT_TENSOR.split(":")[0]],
            input_shapes={INPUT_TENSOR.split(":")[0]: list(CONVERT_SHAPE)},
        )
        if quantize is not None:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if quantize == "float16":
            converter.target_spec.supported_types = [tf.float16]
        content = converter.convert()
    for target in (destination, Path(tempfile.gettempdir()) / "pose-models" / destination.name):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a concurrent reader never sees half a file.
            partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
            partial.write_bytes(content)
            os.replace(partial, target)
        except OSError as exc:
            log.warning("cannot write %s (%s)", target, exc)
            continue
        log.info("converted %s -> %s (%d bytes)", graph_path.name, target, len(content))
        return target
    raise OSError(f"could not write the converted model {destination.name} anywhere")


def build_tflite(graph_path: Path | None = None, rebuild: bool = False, int8: bool = False) -> Path:
    """Path of the converted (``int8``: int8) model, converting the graph in this process
    when the file is missing, ``rebuild`` is set, or an int8 model is stale (built by other
    code than today's, :func:`pose.network.spec.int8_recipe`)."""
    graph_path = Path(graph_path) if graph_path else model_path()
    target = tflite_path(graph_path, int8)
    current = target.is_file() and target.stat().st_size > 0
    if int8 and current and not built_by_this_recipe(target):
        log.info("rebuilding %s: the quantisation code changed", target)
        current = False
    if current and not rebuild:
        return target
    target = convert_to_tflite(graph_path, target, "int8" if int8 else None)
    if int8:
        with contextlib.suppress(OSError):  # a read-only folder: rebuilt next time
            recipe_stamp(target).write_text(int8_recipe())
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="convert even if the file exists")
    parser.add_argument("--int8", action="store_true", help="build the int8 model instead")
    parser.add_argument(
        "--quantize",
        choices=["dynamic", "float16"],
        help="build a rejected plain quantised variant (needs --out; not used by the app)",
    )
    parser.add_argument("--out", type=Path, help="where to write a --quantize variant")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.quantize:
            if args.out is None:
                parser.error("--quantize needs --out")
            path = convert_to_tflite(model_path(), args.out, args.quantize)
        else:
            path = build_tflite(rebuild=args.force, int8=args.int8)
    except (ModelFetchError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"tflite ok: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
