"""The runners that execute the network: LiteRT (TFLite) interpreters and a TensorFlow session.

This is the only module that imports TensorFlow or LiteRT, and only when a runner is made.
Both take a float32 (N, h, w, 3) BGR batch (:func:`pose.network.spec.preprocess`) and return the
float32 (N, h/8, w/8, 57) maps. Which runner serves which backend, and building the files
they read, is :mod:`pose.network.registry`'s business.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pose.network.spec import INPUT_TENSOR, OUTPUT_TENSOR, verify

log = logging.getLogger(__name__)

# TensorFlow's C++ start-up chatter is noise for our users; errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

TFLITE_RUNTIMES = ("litert", "tensorflow")
RUNTIME_ENV = "POSE_TFLITE_RUNTIME"
# TFLite needs a fixed input shape per interpreter; images of different aspect ratios (and
# the region path's windows) give different shapes, so keep the most recently used few. Each
# holds its own packed weights and activations: about 80 MB at the accurate size (measured),
# hence only four. Creating an interpreter costs 25-60 ms (XNNPACK packs the weights);
# resizing one to another shape costs 1-2.5 ms and gives bit-identical outputs (measured,
# int8 and float32), so past the limit the least recently used one is resized.
MAX_CACHED_SHAPES = 4


def opencv_on_one_thread() -> None:
    """Run OpenCV's own work (resizes, colour conversions) on the calling thread.

    The network's threads already hold every core (XNNPACK's pool, or the video path's
    one-thread workers, one per core); OpenCV's pool would add a thread per core that waits
    for them, and spins on a core after each of its jobs while the network wants it. On 2
    cores that cost the webcam's region path about 9 % of its CPU a frame (measured,
    docs/performance.md). The pixels are the same: OpenCV splits rows across its threads.
    """
    import cv2  # OpenCV is already loaded by every caller of the network (preprocessing)

    cv2.setNumThreads(1)


def cpu_has_bf16() -> bool:
    """True when the CPU computes bfloat16 natively (AVX512_BF16 or AMX-BF16; Linux only)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def load_interpreter(path: Path, threads: int):
    """A LiteRT interpreter for the ``.tflite`` file at ``path`` on ``threads`` threads, its
    tensors allocated. Raises ``ValueError`` or ``RuntimeError`` (as the runtime does) for a
    file that does not load; callers turn those into their own error."""
    _, interpreter_type = interpreter_class()
    # tf.lite.Interpreter warns that LiteRT replaces it; see _create below.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*tf\.lite\.Interpreter is deprec")
        interpreter = interpreter_type(model_path=str(path), num_threads=threads)
    interpreter.allocate_tensors()
    return interpreter


def interpreter_class(runtime: str | None = None) -> tuple[str, type]:
    """(name, class) of the TFLite interpreter: ``runtime``, else ``$POSE_TFLITE_RUNTIME``.

    "litert" is LiteRT's ``ai_edge_litert`` (the TFLite runtime, split out of TensorFlow: it
    imports in about 0.2 s and 40 MB where TensorFlow takes seconds and about 650 MB, which is
    most of the app's cold start and memory); "tensorflow" is ``tf.lite.Interpreter``. Both
    run the same file with the same XNNPACK kernels. Unset: LiteRT when installed.
    """
    wanted = (runtime or os.environ.get(RUNTIME_ENV) or "").strip().lower()
    if wanted not in ("", *TFLITE_RUNTIMES):
        raise ValueError(
            f"Unknown TFLite runtime {wanted!r}: use one of {', '.join(TFLITE_RUNTIMES)}."
        )
    if wanted in ("", "litert"):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            if wanted == "litert":
                raise
        else:
            return "litert", Interpreter
    import tensorflow as tf

    return "tensorflow", tf.lite.Interpreter


@dataclass
class _Interpreter:
    """One TFLite interpreter and the input shape it is sized for; not thread-safe, hence
    the lock, under which the shape may change (:meth:`TFLiteRunner.run`)."""

    interpreter: object
    input_index: int
    output_index: int
    lock: threading.Lock
    shape: tuple[int, ...]

    def resize(self, shape: tuple[int, ...]) -> None:
        """Size the interpreter for ``shape`` (call with :attr:`lock` held)."""
        self.interpreter.resize_tensor_input(self.input_index, list(shape), strict=False)
        self.interpreter.allocate_tensors()
        self.shape = shape


class TFLiteRunner:
    """Runs a TFLite model with XNNPACK on ``threads`` threads, one interpreter per shape.

    Thread-safe: interpreters are created under a lock, kept in an LRU of
    :data:`MAX_CACHED_SHAPES` (a new shape past it takes over the least recently used one),
    and each is used by one thread at a time.
    """

    def __init__(
        self,
        path: Path,
        threads: int,
        max_shapes: int = MAX_CACHED_SHAPES,
        runtime: str | None = None,
    ) -> None:
        self.runtime, self._interpreter_class = interpreter_class(runtime)
        opencv_on_one_thread()
        self.path = Path(path)
        self._content = self.path.read_bytes()
        self.threads = threads
        self.max_shapes = max_shapes
        self._cache: OrderedDict[tuple[int, ...], _Interpreter] = OrderedDict()
        self._lock = threading.Lock()
        # Interpreters that each use every core run one at a time: two at once (two requests
        # of different shapes) took 37 % longer per frame than in turn (measured, 2 cores),
        # as their thread pools preempt each other. With fewer threads than cores they may
        # overlap.
        cores = os.cpu_count() or 1
        self._invoke_lock = threading.Lock() if threads >= cores else contextlib.nullcontext()

    def _create(self, shape: tuple[int, ...]) -> _Interpreter:
        # The default op resolver applies the XNNPACK delegate with num_threads threads.
        # tf.lite.Interpreter warns that LiteRT (ai_edge_litert) replaces it; it is still
        # TensorFlow's own interpreter in the pinned 2.21, so it may be used quietly.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*tf\.lite\.Interpreter is deprecated")
            interpreter = self._interpreter_class(
                model_content=self._content, num_threads=self.threads
            )
        input_index = interpreter.get_input_details()[0]["index"]
        output_index = interpreter.get_output_details()[0]["index"]
        entry = _Interpreter(interpreter, input_index, output_index, threading.Lock(), ())
        entry.resize(shape)
        return entry

    def _get(self, shape: tuple[int, ...]) -> _Interpreter:
        """The interpreter for ``shape``; it is resized to it in :meth:`run` when taken
        over from another shape (under its own lock, as a thread may still be using it)."""
        with self._lock:
            entry = self._cache.get(shape)
            if entry is not None:
                self._cache.move_to_end(shape)
            elif len(self._cache) >= self.max_shapes:
                _, entry = self._cache.popitem(last=False)
                self._cache[shape] = entry
            else:
                entry = self._cache[shape] = self._create(shape)
            return entry

    def release(self, keep: int = 1) -> int:
        """Let go of all but the ``keep`` most recently used interpreters (their tensors
        are most of a runner's memory: tens of MB each at large inputs); returns how many
        went. One still running finishes first: the thread holding it keeps it alive."""
        with self._lock:
            dropped = 0
            while len(self._cache) > keep:
                self._cache.popitem(last=False)
                dropped += 1
            return dropped

    @property
    def cached_shapes(self) -> list[tuple[int, ...]]:
        with self._lock:
            return list(self._cache)

    def run(self, batch: np.ndarray) -> np.ndarray:
        """float32 (N, h, w, 3) BGR -> float32 (N, h/8, w/8, 57)."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        shape = tuple(batch.shape)
        entry = self._get(shape)
        with entry.lock, self._invoke_lock:
            if entry.shape != shape:
                entry.resize(shape)
            entry.interpreter.set_tensor(entry.input_index, batch)
            entry.interpreter.invoke()
            return entry.interpreter.get_tensor(entry.output_index)  # a copy


class SessionRunner:
    """Runs the verified frozen graph at ``path`` in a TensorFlow session on ``threads``
    threads; ``bf16``: with oneDNN's bfloat16 auto-mixed-precision rewrite.

    Loads the graph (and imports TensorFlow, seconds and about 650 MB) when created.
    Thread-safe: TensorFlow sessions accept concurrent ``run`` calls.
    """

    def __init__(self, path: Path, threads: int, bf16: bool = False) -> None:
        verify(path)
        import tensorflow as tf  # heavy: imported when a session backend is used only

        graph_def = tf.compat.v1.GraphDef()
        graph_def.ParseFromString(Path(path).read_bytes())
        graph = tf.Graph()
        with graph.as_default():
            tf.import_graph_def(graph_def, name="")
        config = tf.compat.v1.ConfigProto(
            intra_op_parallelism_threads=threads, inter_op_parallelism_threads=1
        )
        if bf16:
            if not cpu_has_bf16():
                # oneDNN would emulate bfloat16 in software: slower than float32.
                log.warning("this CPU has no native bfloat16; bf16 backend runs float32")
            else:
                from tensorflow.core.protobuf import rewriter_config_pb2

                config.graph_options.rewrite_options.auto_mixed_precision_onednn_bfloat16 = (
                    rewriter_config_pb2.RewriterConfig.ON
                )
        self.session = tf.compat.v1.Session(graph=graph, config=config)
        self._input = graph.get_tensor_by_name(INPUT_TENSOR)
        self._output = graph.get_tensor_by_name(OUTPUT_TENSOR)

    def run(self, batch: np.ndarray) -> np.ndarray:
        """float32 (N, h, w, 3) BGR -> float32 (N, h/8, w/8, 57)."""
        return self.session.run(self._output, feed_dict={self._input: batch})
