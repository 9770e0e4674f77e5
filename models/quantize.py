"""An int8 variant of the verified graph for XNNPACK: faster, not exact (README "Performance").

Plain post-training int8 quantisation of this graph gives AP 0.000: its activations are
quantised per tensor, and two places mix channels of very different ranges into one tensor:

- each separable convolution's 1x1 or 3x3 depthwise output, where some channels peak at
  1e-3 of others (their pointwise weights make up for it, up to 80);
- each refinement stage's input, which concatenates heatmaps and PAFs (about +-1) with
  backbone features (up to 35), so the heatmaps got a quantisation step of 0.14.

Both are fixed by rescaling weights so that the float graph computes the same function
(to 4e-6) while its tensors suit int8: depthwise outputs are balanced against the next
pointwise weights (``s = sqrt(activation max / weight max)`` per channel, as in
SmoothQuant), and stage outputs are scaled up to the feature range, undone in the depthwise
weights that read them. The layers that stay most sensitive (stage 1, each branch's last
two layers, the output) are kept in float32. Calibration uses the project's example media
only, never the evaluation photos.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

INPUT_NAME = "image"
OUTPUT_NAME = "Openpose/concat_stage7"
STAGES = 6
# TFLite tensor names (their first ';'-separated part) matching one of these stay float32.
FLOAT_LAYERS = tuple(
    re.compile(pattern)
    for pattern in (
        r"^Openpose/MConv_Stage1_",  # errors here propagate through all five refinements
        r"^Openpose/MConv_Stage\d_L\d_4_",  # 64 -> 256 channels, the widest-ranging input
        r"^Openpose/MConv_Stage\d_L\d_5_",  # each branch's heatmap / PAF output
        # The backbone's stride-8 entry. Measured (benchmarks/accuracy.py --sweep, mean AP;
        # float32 0.510): stage patterns alone 0.447; with these 0.463 (+4 % time); with the
        # whole first half of the backbone 0.470 (+11 %).
        r"^MobilenetV1/Conv2d_[45]_",
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


def equalize(graph_def, frames: list[np.ndarray]):
    """A copy of ``graph_def`` with rescaled weights: the same function, int8-friendly ranges.

    ``frames``: calibration inputs, float32 (h, w, 3) BGR 0-255. Relies on this graph's shape:
    every depthwise convolution feeds exactly one pointwise Conv2D, and stage k's two
    ``_5_pointwise`` outputs are the first channels of stage k+1's concat.
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
    depthwise = [node.name for node in graph_def.node if node.op == "DepthwiseConv2dNative"]
    stage_outputs = [
        f"Openpose/MConv_Stage{stage}_L{branch}_5_pointwise"
        for stage in range(1, STAGES)
        for branch in (1, 2)
    ]
    names = depthwise + [f"{name}/BatchNorm/FusedBatchNorm" for name in stage_outputs]
    *peaks, feature_peaks = _channel_maxima(graph_def, [*names, "feat_concat"], frames)
    maxima = dict(zip(names, peaks, strict=True))
    feature_range = float(feature_peaks.max())

    # Stage outputs up to the feature range; the next stage's depthwise weights undo it.
    for stage in range(1, STAGES):
        offset = 0
        for branch in (1, 2):
            name = f"Openpose/MConv_Stage{stage}_L{branch}_5_pointwise"
            peak = maxima[f"{name}/BatchNorm/FusedBatchNorm"]
            gain = (feature_range / np.maximum(peak, 1e-6)).astype(np.float32)
            consts[f"{name}/weights"] *= gain
            consts[f"{name}/Conv2D_bn_offset"] *= gain
            for reader in (1, 2):
                reader_name = f"Openpose/MConv_Stage{stage + 1}_L{reader}_1_depthwise"
                consts[f"{reader_name}/depthwise_weights"][:, :, offset : offset + gain.size] /= (
                    gain[:, None]
                )
            offset += gain.size

    # Depthwise outputs balanced against the pointwise rows that read them.
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
