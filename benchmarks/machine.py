"""The machine's limit: the model's floating-point operations per frame, the peak GFLOP/s of
a large float32 matmul on the same cores, and how close the model comes to it.

Part of :mod:`benchmarks.speed` (its "machine's limit" section); ``--region-only`` uses the
peak alone, to set issue 17's video goal by.
"""

from __future__ import annotations

import logging

import numpy as np

from benchmarks.speed_common import FRAME_SIZE, cpu_seconds, row, timed
from pose.network.spec import PRESETS, model_path, network_size, verify


def model_flops(net_w: int, net_h: int) -> tuple[float, float | None]:
    """(our count, TensorFlow profiler's count) of floating-point operations for one frame.

    Ours: 2 x multiply-accumulates of every Conv2D and depthwise conv (output pixels x kernel
    volume) plus one operation per output element of BiasAdd, Relu and MaxPool (x kernel).
    """
    import tensorflow as tf

    path = model_path()
    verify(path)
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(path.read_bytes())
    graph = tf.Graph()
    with graph.as_default():
        fixed = tf.compat.v1.placeholder(tf.float32, [1, net_h, net_w, 3], name="fixed_image")
        tf.import_graph_def(graph_def, input_map={"image:0": fixed}, name="")
    total = 0
    for op in graph.get_operations():
        if op.type not in ("Conv2D", "DepthwiseConv2dNative", "BiasAdd", "Relu", "MaxPool"):
            continue
        out = op.outputs[0].shape.as_list()
        pixels = out[1] * out[2]
        if op.type == "Conv2D":
            kh, kw, cin, cout = op.inputs[1].shape.as_list()
            total += 2 * pixels * kh * kw * cin * cout
        elif op.type == "DepthwiseConv2dNative":
            kh, kw, cin, multiplier = op.inputs[1].shape.as_list()
            total += 2 * pixels * kh * kw * cin * multiplier
        elif op.type == "MaxPool":
            _, kh, kw, _ = op.get_attr("ksize")
            total += pixels * out[3] * kh * kw
        else:
            total += pixels * out[3]
    profiled = None
    try:
        options = (
            tf.compat.v1.profiler.ProfileOptionBuilder(
                tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
            )
            .with_empty_output()
            .build()
        )
        profiled = float(tf.compat.v1.profiler.profile(graph, options=options).total_float_ops)
    except Exception as exc:  # the profiler is optional; our own count stands alone
        logging.warning("TensorFlow profiler failed: %s", exc)
    return float(total), profiled


def matmul_gflops(threads: int, n: int = 4096, repeats: int = 5) -> dict[str, float]:
    """Best GFLOP/s of an n x n float32 matmul on ``threads`` threads, two ways.

    TensorFlow's (oneDNN) in a session with the model's thread settings, and NumPy's BLAS
    (its OpenBLAS wheel picks older AVX2 kernels on this CPU, so it reads lower). The larger
    is the peak the model is compared with.
    """
    import tensorflow as tf

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    flop = 2.0 * n**3
    a @ b  # warm-up: thread pool, page faults
    numpy_best = min(timed(lambda: a @ b) for _ in range(repeats))
    graph = tf.Graph()
    with graph.as_default():
        product = tf.linalg.matmul(tf.constant(a), tf.constant(b))
    config = tf.compat.v1.ConfigProto(
        intra_op_parallelism_threads=threads, inter_op_parallelism_threads=1
    )
    with tf.compat.v1.Session(graph=graph, config=config) as session:
        session.run(product.op)  # .op: compute without copying the result out
        spent = cpu_seconds()
        tf_best = min(timed(lambda: session.run(product.op)) for _ in range(repeats))
        tf_cpu = (cpu_seconds() - spent) / repeats
    return {
        "tensorflow": flop / tf_best / 1e9,
        "numpy": flop / numpy_best / 1e9,
        "tensorflow_per_cpu_second": flop / tf_cpu / 1e9,
    }


def peak_gflops(matmul: dict[str, float]) -> float:
    """The float32 peak of :func:`matmul_gflops`'s figures: the faster of its two ways."""
    return max(matmul["tensorflow"], matmul["numpy"])


def limit_section(figures: dict, backends: list[str], threads: int) -> float:
    """Print the machine's limit: the matmul peak, then each preset and backend's achieved
    GF/s (from ``figures["model_best_ms"]`` and ``["model_cpu_ms"]``, keyed as the model-only
    section keys them) against it. Adds ``matmul_gflops`` and ``limits`` to ``figures``;
    returns the peak in GF/s."""
    model_best, model_cpu = figures["model_best_ms"], figures["model_cpu_ms"]
    print("\nthe machine's limit: operations per frame, achieved / peak (best times: less noise)")
    matmul = matmul_gflops(threads)
    peak = peak_gflops(matmul)
    peak_cpu = matmul["tensorflow_per_cpu_second"]
    figures["matmul_gflops"] = matmul
    row("peak: 4096^2 float32 matmul, TensorFlow", f"{matmul['tensorflow']:8.1f} GF/s")
    row("     the same in NumPy (OpenBLAS)", f"{matmul['numpy']:8.1f} GF/s")
    row("     TensorFlow's, per CPU-second", f"{peak_cpu:8.1f} GF/s", None, "(one core's worth)")
    limits = {}
    for preset, box in PRESETS.items():
        net_w, net_h = network_size(FRAME_SIZE[0], FRAME_SIZE[1], box)
        ours, profiled = model_flops(net_w, net_h)
        for name in backends:
            key = f"{preset} {net_w}x{net_h}, {name}"
            achieved = ours / (model_best[key] / 1000) / 1e9
            per_cpu = ours / (model_cpu[key] / 1000) / 1e9
            limits[key] = {"gflop": ours / 1e9, "gflops": achieved, "per_cpu_second": per_cpu}
            prof = f", profiler {profiled / 1e9:.2f}" if profiled else ""
            row(
                key,
                f"{achieved:8.1f} GF/s",
                None,
                f"{achieved / peak:5.1%} of peak; per CPU-second {per_cpu:5.1f} GF/s = "
                f"{per_cpu / peak_cpu:5.1%}; {ours / 1e9:.2f} GFLOP{prof}",
            )
    figures["limits"] = limits
    return peak
