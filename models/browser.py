"""The network for the Webcam tab's in-browser mode: the int8 model with a small fixed input.

LiteRT.js compiles a model for the input shape stored in the file (it has no call to resize
an input as the Python interpreter does), and the converted models store 432x368. This
writes a copy of ``graph_opt.int8.tflite`` whose tensors all have the shapes they take at
:data:`LIVE_INPUT`: the weights and the operators are the same bytes, only the shapes
change. The shapes are the ones the Python interpreter computes after resizing the input,
so the copy runs exactly the graph the server runs at that size.

Why 192x144 and int8: in this machine's headless Chromium (WASM, 2 threads) the int8 graph
took about 50 ms a frame at 192x144 against 160 ms at 432x368 (float32: 70-110 ms and
190 ms); the page crops the frame around the people it found (the region idea), so a small
input still sees a person large. ``python -m models.browser`` (``make setup``) writes it.

A person seen whole, standing, is as tall as the frame, and a 4:3 crop around them is the
whole frame. Copies at :data:`LIVE_CROP_INPUTS` (the same 144 rows, fewer columns) let the
page cut the frame's full height only as wide as they need and run it at the whole frame's
pixel scale on fewer cells: the network's time is nearly proportional to its cells (int8 in
WASM here: about 45 ms at 192x144, 22 ms at 96x144), as the server's region path runs windows
rather than whole frames (pose/video/region/).

Above 192x144 the page climbs a ladder of inputs (:data:`LIVE_LADDER`, up to the server's own
432x320) while its measured time keeps up with the camera, and on WebGPU it runs the float
model: those copies are made in memory when first asked for (:func:`live_model_bytes`).
"""

from __future__ import annotations

import argparse
import functools
import logging
from pathlib import Path

import numpy as np

from pose.network.spec import DEFAULT_PRESET, PRESETS, network_size, tflite_path

log = logging.getLogger(__name__)

LIVE_INPUT = (192, 144)  # (width, height), multiples of 8, the camera's 4:3
# The inputs of crops as tall as the frame, narrowest first (aspects 2:3, 5:6, 1:1): the
# page takes the narrowest that holds its people (web/live/region.js), else LIVE_INPUT.
LIVE_CROP_INPUTS = ((96, 144), (120, 144), (144, 144))
LIVE_INPUTS = (*LIVE_CROP_INPUTS, LIVE_INPUT)
# The camera size the page asks for (web/live/live.js).
LIVE_CAMERA = (640, 480)
# The page's ladder of whole-frame inputs (web/live/ladder.js), smallest first: it climbs
# while its measured time says the next one still keeps up with the camera. The top is the
# server's own input for the camera's frame (432x320 for 640x480 at the default preset), so
# a device that affords it draws the server's answers.
LIVE_LADDER = (
    LIVE_INPUT,
    (256, 192),
    (320, 240),
    network_size(*LIVE_CAMERA, PRESETS[DEFAULT_PRESET]),
)


def live_model_path(size: tuple[int, int] = LIVE_INPUT) -> Path:
    """Where the browser's model is written: beside the int8 model, its size in the name."""
    source = tflite_path(int8=True)
    return source.with_name(f"{source.stem}.{size[0]}x{size[1]}.tflite")


def with_input_size(content: bytes, width: int, height: int) -> bytes:
    """A TFLite flatbuffer ``content`` with input (1, height, width, 3) and every tensor of
    its main graph reshaped to match; weights and operators unchanged."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    from pose.network.runners import interpreter_class

    _, interpreter_type = interpreter_class()
    interpreter = interpreter_type(model_content=content)
    (source_input,) = interpreter.get_input_details()
    interpreter.resize_tensor_input(source_input["index"], [1, height, width, 3])
    interpreter.allocate_tensors()
    shapes = {
        detail["index"]: np.asarray(detail["shape"], np.int32)
        for detail in interpreter.get_tensor_details()
    }
    model = schema.ModelT.InitFromPackedBuf(bytearray(content), 0)
    for index, tensor in enumerate(model.subgraphs[0].tensors):
        shape = shapes.get(index)
        # Weights keep their shapes (they do not change with the input); only activations,
        # whose rank matches, take the shape the interpreter computed.
        if shape is None or tensor.shape is None or len(tensor.shape) != len(shape):
            continue
        tensor.shape = shape
        if tensor.shapeSignature is not None:
            tensor.shapeSignature = shape
    builder = flatbuffers.Builder(len(content) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


@functools.lru_cache(maxsize=8)
def live_model_bytes(size: tuple[int, int], int8: bool = True) -> bytes:
    """The model (int8, or the float one WebGPU runs) reshaped to input ``size`` (w, h), made
    in memory when the page first asks for it: the ladder's upper rungs and the float copies.

    Made on demand rather than by ``make setup``: it takes about 0.1 s of the server's CPU
    once per size (a flatbuffer edit), needs no build step nor a Space's first-start step,
    leaves no file to go stale, and most viewers (WASM, on the bottom rungs) never ask for
    these sizes. At most 8 copies are kept in memory (4 MB int8, 8 MB float)."""
    return with_input_size(tflite_path(int8=int8).read_bytes(), *size)


def live_models_ready() -> bool:
    """Whether the page's model exists at every size of :data:`LIVE_INPUTS`."""
    return all(live_model_path(size).is_file() for size in LIVE_INPUTS)


def build_live_model(size: tuple[int, int] = LIVE_INPUT, rebuild: bool = False) -> Path:
    """Write :func:`live_model_path` from the int8 model unless it is newer than that."""
    source, target = tflite_path(int8=True), live_model_path(size)
    if not source.is_file():
        raise FileNotFoundError(f"{source} is missing: run `make setup` (models.convert --int8)")
    if not rebuild and target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    content = with_input_size(source.read_bytes(), *size)
    temporary = target.with_suffix(".partial")
    temporary.write_bytes(content)
    temporary.replace(target)
    log.info("wrote %s (%d bytes, input %dx%d)", target, len(content), *size)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for size in LIVE_INPUTS:
        build_live_model(size, rebuild=args.force)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
