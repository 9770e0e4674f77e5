"""An int8 variant of the verified graph for XNNPACK: 1.75x faster (docs/performance.md).

Plain post-training int8 quantisation of this graph gives AP 0.000: its activations are
quantised per tensor, and its tensors mix channels of very different ranges: depthwise
outputs with channels at 1e-3 of others (the pointwise weights after them, up to 80, make up
for it), and stage inputs that concatenate heatmaps and PAFs (about +-1) with backbone
features (up to 35), which gave the heatmaps a quantisation step of 0.14.

:func:`equalize` rescales weights so that the float graph computes the same function (to
1e-5) while every channel of such a tensor spans a similar range; :func:`convert_int8` then
quantises it with TFLite's converter, keeping the most sensitive layers in float32
(:data:`FLOAT_LAYERS`). Calibration uses the project's example media only, never the
evaluation photos.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from pose.network.spec import INPUT_TENSOR, OUTPUT_TENSOR

INPUT_NAME = INPUT_TENSOR.split(":")[0]
OUTPUT_NAME = OUTPUT_TENSOR.split(":")[0]
# TFLite tensor names (their first ';'-separated part) matching one of these stay float32.
# Chosen one part at a time with benchmarks/accuracy.py --sweep (mean AP of nine sizes;
# float32 0.510): all of these float 0.506 (model 1.7x float32's speed); the backbone's
# layers 6-7 int8 too 0.494 (1.9x); all of it 0.485; stage 2 float as well 0.499; only
# the backbone float 0.523, 1.3x; the 64->256 layers int8 too 0.451.
FLOAT_LAYERS = tuple(
    re.compile(pattern)
    for pattern in (
        r"^MobilenetV1/Conv2d_[0-7][_/]",  # the backbone up to its stride-8 middle
        r"^Conv2d_3_pool$",
        r"^Openpose/MConv_Stage1_",  # errors here propagate through all five refinements
        r"^Openpose/MConv_Stage\d_L\d_4_",  # 64 -> 256 channels
        r"^Openpose/MConv_Stage\d_L\d_5_",  # each branch's heatmap / PAF output
        f"^{OUTPUT_NAME}$",
    )
)


def _constants(graph_def) -> dict[str, np.ndarray]:
    from tensorflow.python.framework import tensor_util

    return {
        node.name: tensor_util.MakeNdarray(node.attr["value"].tensor).copy()
        for node in graph_def.node
        if node.op == "Const"
    }


def _channel_maxima(graph_def, tensor_names: list[str], frames: list[np.ndarray]) -> list:
    """Per-channel max |value| of each named tensor over ``frames`` (float32 (h, w, 3))."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="")
    fetches = [graph.get_tensor_by_name(f"{name}:0") for name in tensor_names]
    maxima = [None] * len(fetches)
    with tf.compat.v1.Session(graph=graph) as session:
        for frame in frames:
            values = session.run(fetches, {f"{INPUT_NAME}:0": frame[None]})
            for index, value in enumerate(values):
                peak = np.abs(value).reshape(-1, value.shape[-1]).max(axis=0)
                previous = maxima[index]
                maxima[index] = peak if previous is None else np.maximum(previous, peak)
    return maxima


def _channels(nodes: dict, consts: dict, name: str) -> int:
    """Channels of the tensor that node ``name`` outputs."""
    node = nodes[name]
    if node.op in ("Relu", "MaxPool", "BiasAdd"):
        return _channels(nodes, consts, node.input[0])
    if node.op == "Conv2D":
        return consts[node.input[1]].shape[3]
    if node.op == "DepthwiseConv2dNative":
        return consts[node.input[1]].shape[2]
    if node.op == "ConcatV2":
        return sum(_channels(nodes, consts, source) for source in node.input[:-1])
    raise ValueError(f"unexpected op {node.op} at {name}")


def _depthwise_readers(nodes, consts, consumers, name: str, offset: int = 0):
    """[(depthwise node, channel offset)] that read tensor ``name``, through max-pooling and
    concatenation (which keep channels apart); None if anything else reads it."""
    found = []
    for reader in consumers.get(name, []):
        node = nodes[reader]
        if node.op == "DepthwiseConv2dNative":
            found.append((reader, offset))
            continue
        if node.op == "MaxPool":
            further = _depthwise_readers(nodes, consts, consumers, reader, offset)
        elif node.op == "ConcatV2":
            sources = list(node.input[:-1])
            before = sum(_channels(nodes, consts, s) for s in sources[: sources.index(name)])
            further = _depthwise_readers(nodes, consts, consumers, reader, offset + before)
        else:
            return None
        if further is None:
            return None
        found += further
    return found or None


def equalize(graph_def, frames: list[np.ndarray]):
    """A copy of ``graph_def`` with rescaled weights: the same function, int8-friendly ranges.

    ``frames``: calibration inputs, float32 (h, w, 3) BGR 0-255. Two rescalings, both exact
    in real arithmetic (ReLU and max-pooling commute with a positive per-channel scale):

    1. every convolution whose output only depthwise convolutions read (directly, or through
       max-pooling and concatenation, as the stages' inputs are) gets each output channel
       scaled to a peak of 1, undone in those depthwise weights: one int8 scale then fits all
       the tensor's channels, at no cost, as weights are quantised per channel;
    2. each depthwise output is balanced against the pointwise weights that read it,
       ``s = sqrt(activation peak / weight peak)`` per channel (as in SmoothQuant).
    """
    import tensorflow as tf
    from tensorflow.python.framework import tensor_util

    graph_def = tf.compat.v1.GraphDef.FromString(graph_def.SerializeToString())
    nodes = {node.name: node for node in graph_def.node}
    consts = _constants(graph_def)
    consumers: dict[str, list[str]] = {}
    for node in graph_def.node:
        for source in node.input:
            consumers.setdefault(source.split(":")[0], []).append(node.name)

    producers = []  # (Conv2D, BiasAdd, output tensor, its depthwise readers)
    for node in graph_def.node:
        if node.op != "BiasAdd":
            continue
        after = consumers[node.name]
        output = after[0] if len(after) == 1 and nodes[after[0]].op == "Relu" else node.name
        readers = _depthwise_readers(nodes, consts, consumers, output)
        if readers:
            producers.append((node.input[0], node.name, output, readers))
    depthwise = [node.name for node in graph_def.node if node.op == "DepthwiseConv2dNative"]
    names = [output for _, _, output, _ in producers] + depthwise
    # Depthwise outputs are the same before and after step 1, so one pass measures both.
    maxima = dict(zip(names, _channel_maxima(graph_def, names, frames), strict=True))

    for conv, bias, output, readers in producers:
        # Channels silent on every calibration frame are left near their own size.
        gain = (1.0 / np.maximum(maxima[output], 1e-3)).astype(np.float32)
        consts[nodes[conv].input[1]] *= gain
        consts[nodes[bias].input[1]] *= gain
        for reader, offset in readers:
            consts[nodes[reader].input[1]][:, :, offset : offset + gain.size, 0] /= gain

    for name in depthwise:
        (pointwise,) = consumers[name]
        depth_weights = consts[nodes[name].input[1]]  # (k, k, C, 1)
        point_weights = consts[nodes[pointwise].input[1]]  # (1, 1, C, C_out)
        activation = np.maximum(maxima[name], 1e-6)
        row_peak = np.maximum(np.abs(point_weights[0, 0]).max(axis=1), 1e-6)
        scale = np.sqrt(activation / row_peak).astype(np.float32)
        depth_weights[:, :, :, 0] /= scale
        point_weights[0, 0] *= scale[:, None]

    for node in graph_def.node:
        if node.op == "Const":
            node.attr["value"].tensor.CopyFrom(tensor_util.make_tensor_proto(consts[node.name]))
    return graph_def


def _float_tensor_names(converter_for) -> list[str]:
    """Tensor names of the float TFLite model (the quantiser's denylist uses them)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=converter_for().convert())
    return [detail["name"] for detail in interpreter.get_tensor_details()]


def convert_int8(
    graph_path: Path, frames: Iterable[np.ndarray], input_shape: tuple[int, ...]
) -> bytes:
    """The int8 TFLite model (bytes) of the frozen graph at ``graph_path``.

    ``frames``: calibration inputs, float32 (h, w, 3) BGR 0-255 at ``input_shape[1:3]``.
    """
    import tensorflow as tf

    frames = list(frames)
    graph_def = tf.compat.v1.GraphDef.FromString(Path(graph_path).read_bytes())
    equalized = equalize(graph_def, frames)
    with tempfile.TemporaryDirectory() as folder:
        pb_path = Path(folder, "equalized.pb")
        pb_path.write_bytes(equalized.SerializeToString())

        def converter_for():
            return tf.compat.v1.lite.TFLiteConverter.from_frozen_graph(
                str(pb_path),
                input_arrays=[INPUT_NAME],
                output_arrays=[OUTPUT_NAME],
                input_shapes={INPUT_NAME: list(input_shape)},
            )

        keep_float = [
            name
            for name in _float_tensor_names(converter_for)
            if any(pattern.search(name.split(";")[0]) for pattern in FLOAT_LAYERS)
        ]
        converter = converter_for()
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([frame[None]] for frame in frames)
        # The debugger is TFLite's public way to leave chosen layers in float.
        options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=keep_float)
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter,
            debug_dataset=lambda: ([frame[None]] for frame in frames[:1]),
            debug_options=options,
        )
        return debugger.get_nondebug_quantized_model()
