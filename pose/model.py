"""The OpenPose MobileNet-thin frozen graph, run by TensorFlow.

This is the only module that imports TensorFlow (or LiteRT, TFLite's runtime). Backends run
the same verified graph: "tflite" (default), the graph converted by TensorFlow's TFLite
converter and run by the XNNPACK delegate, exact and the fastest in float32; "session", a
plain TensorFlow session; "bf16", the session in bfloat16 (faster, not exact); "int8", the
quantised variant of models/quantize.py, which videos and webcam frames use
(:func:`motion_model`). Each is created lazily, once per process, behind a lock, so
importing :mod:`pose` stays cheap and concurrent requests share one model. Choose with
``PoseModel(backend=...)`` or ``$POSE_BACKEND``; README "Performance" has the measurements.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from models.fetch import ensure_model, model_path, verify

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
    # cvtColor swaps the channels 9x faster than a reversed view's copy (0.04 against 0.35
    # ms at 432x320), with the same values.
    return cv2.cvtColor(resized, cv2.COLOR_RGB2BGR).astype(np.float32)


# Execution backends. All run the same verified graph; "session" is the plain
# TensorFlow session, "tflite" the graph converted by TensorFlow's own converter
# (float32, no quantisation) and run by TFLite's XNNPACK delegate, which is faster on this
# CPU with outputs equal to the session's within 1e-5 (tests/test_backends.py). "bf16" is
# the session with oneDNN's bfloat16 auto-mixed-precision rewrite: about twice as fast on
# CPUs with AVX512_BF16/AMX, but not exact (AP changes by up to 0.016 on the eval photos,
# README "Performance"), so it is a setting, not the default. "int8" runs the int8 variant
# of models/quantize.py by XNNPACK: 1.75x faster, within 0.01 of float32's mean AP at the
# default size (README "Performance").
BACKENDS = ("tflite", "session", "bf16", "int8")
DEFAULT_BACKEND = "tflite"
TFLITE_BACKENDS = ("tflite", "int8")
BACKEND_ENV = "POSE_BACKEND"
TFLITE_ENV = "POSE_TFLITE_PATH"
TFLITE_RUNTIMES = ("litert", "tensorflow")
RUNTIME_ENV = "POSE_TFLITE_RUNTIME"
# TFLite needs a fixed input shape per interpreter; images of different aspect ratios give
# different shapes, so keep the most recently used few. Each holds its own packed weights
# and activations: about 80 MB at the accurate size (measured), hence only four. A new
# shape costs about 50-90 ms once (creating and sizing an interpreter).
MAX_CACHED_SHAPES = 4
# The shape the converter sees; interpreters are resized from it (the graph is fully
# convolutional, so every shape that is a multiple of 8 works).
_CONVERT_SHAPE = (1, 368, 432, 3)


def cpu_has_bf16() -> bool:
    """True when the CPU computes bfloat16 natively (AVX512_BF16 or AMX-BF16; Linux only)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_backend(name: str | None = None) -> str:
    """``name``, else ``$POSE_BACKEND``, else :data:`DEFAULT_BACKEND`; checked."""
    chosen = (name or os.environ.get(BACKEND_ENV) or DEFAULT_BACKEND).strip().lower()
    if chosen not in BACKENDS:
        raise ValueError(f"Unknown model backend {chosen!r}: use one of {', '.join(BACKENDS)}.")
    return chosen


def tflite_path(graph_path: Path | None = None, int8: bool = False) -> Path:
    """Where the converted model lives: ``$POSE_TFLITE_PATH`` (float) or
    ``$POSE_INT8_PATH`` (int8), else next to the graph."""
    override = os.environ.get(INT8_ENV if int8 else TFLITE_ENV)
    if override:
        return Path(override).expanduser()
    graph_path = Path(graph_path) if graph_path else model_path()
    return graph_path.with_suffix(".int8.tflite" if int8 else ".tflite")


INT8_ENV = "POSE_INT8_PATH"
QUANTIZATIONS = ("int8", "dynamic", "float16")


def convert_to_tflite(graph_path: Path, destination: Path, quantize: str | None = None) -> Path:
    """Convert the verified frozen graph to a TFLite model at ``destination``.

    Uses ``tf.compat.v1.lite.TFLiteConverter.from_frozen_graph``. By default without
    optimisations: the weights and arithmetic stay float32, which is what the app runs.
    ``quantize="int8"`` builds the int8 backend's model (:mod:`models.quantize`, calibrated
    on the example media); "dynamic" and "float16" build plain variants that were measured
    and rejected (README "Performance"). Returns the path written, which is a
    temporary-directory copy when ``destination``'s folder is not writable.
    """
    verify(graph_path)
    import tensorflow as tf

    if quantize is not None and quantize not in QUANTIZATIONS:
        raise ValueError(f"Unknown quantization {quantize!r}: use one of {QUANTIZATIONS}.")
    if quantize == "int8":
        from models.convert import augment, calibration_images
        from models.quantize import convert_int8

        frames = augment(calibration_images(), (_CONVERT_SHAPE[2], _CONVERT_SHAPE[1]))
        content = convert_int8(graph_path, frames, _CONVERT_SHAPE)
    else:
        converter = tf.compat.v1.lite.TFLiteConverter.from_frozen_graph(
            str(graph_path),
            input_arrays=[INPUT_TENSOR.split(":")[0]],
            output_arrays=[OUTPUT_TENSOR.split(":")[0]],
            input_shapes={INPUT_TENSOR.split(":")[0]: list(_CONVERT_SHAPE)},
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


def _convert_in_subprocess(graph_path: Path, target: Path, int8: bool = False) -> bool:
    """Run ``python -m models.convert`` for ``graph_path`` -> ``target``; True on success.

    Converting needs TensorFlow, which stays loaded (about 650 MB) in whichever process
    imports it; a child process keeps the serving process TensorFlow-free.
    """
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, POSE_MODEL_PATH=str(graph_path))
    env[INT8_ENV if int8 else TFLITE_ENV] = str(target)
    command = [sys.executable, "-m", "models.convert", "--force", *(["--int8"] if int8 else [])]
    try:
        result = subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("conversion subprocess failed: %s", exc)
        return False
    if result.returncode != 0:
        log.warning("conversion subprocess failed: %s", result.stderr.strip()[-500:])
    return result.returncode == 0 and target.is_file()


def int8_recipe() -> str:
    """A digest of the code that builds the int8 model (models/quantize.py, convert.py)."""
    folder = Path(__file__).resolve().parents[1] / "models"
    digest = hashlib.sha256()
    for name in ("quantize.py", "convert.py"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:16]


def recipe_stamp(model: Path) -> Path:
    """Where the int8 model at ``model`` records the :func:`int8_recipe` it was built by."""
    return model.with_name(f"{model.name}.recipe")


def _built_by_this_recipe(model: Path) -> bool:
    stamp = recipe_stamp(model)
    return stamp.is_file() and stamp.read_text() == int8_recipe()


def int8_is_built(graph_path: Path | None = None) -> bool:
    """True when the int8 model exists and is current: using it needs no build (~80 s)."""
    target = tflite_path(graph_path, int8=True)
    return target.is_file() and target.stat().st_size > 0 and _built_by_this_recipe(target)


def ensure_tflite(
    graph_path: Path | None = None,
    rebuild: bool = False,
    isolated: bool = False,
    int8: bool = False,
) -> Path:
    """Path of the converted (``int8``: int8) model, converting the graph first when needed.

    ``isolated``: convert in a child process (see :func:`_convert_in_subprocess`), falling
    back to this process if that fails.
    """
    graph_path = Path(graph_path) if graph_path else model_path()
    target = tflite_path(graph_path, int8)
    missing = rebuild or not target.is_file() or target.stat().st_size == 0
    # An int8 model built by other quantisation code is stale: build it again.
    if int8 and not missing and not _built_by_this_recipe(target):
        log.info("rebuilding %s: the quantisation code changed", target)
        missing = True
    if missing and not (isolated and _convert_in_subprocess(graph_path, target, int8)):
        target = convert_to_tflite(graph_path, target, "int8" if int8 else None)
        if int8:
            with contextlib.suppress(OSError):  # a read-only folder: rebuilt next time
                recipe_stamp(target).write_text(int8_recipe())
    return target


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
    """One TFLite interpreter sized for one input shape; not thread-safe, hence the lock."""

    interpreter: object
    input_index: int
    output_index: int
    lock: threading.Lock


class TFLiteRunner:
    """Runs a TFLite model with XNNPACK on ``threads`` threads, one interpreter per shape.

    Thread-safe: interpreters are created under a lock, kept in an LRU of
    :data:`MAX_CACHED_SHAPES`, and each is used by one thread at a time.
    """

    def __init__(
        self,
        path: Path,
        threads: int,
        max_shapes: int = MAX_CACHED_SHAPES,
        runtime: str | None = None,
    ) -> None:
        self.runtime, self._interpreter_class = interpreter_class(runtime)
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
        interpreter.resize_tensor_input(input_index, list(shape), strict=False)
        interpreter.allocate_tensors()
        output_index = interpreter.get_output_details()[0]["index"]
        return _Interpreter(interpreter, input_index, output_index, threading.Lock())

    def _get(self, shape: tuple[int, ...]) -> _Interpreter:
        with self._lock:
            entry = self._cache.get(shape)
            if entry is None:
                entry = self._create(shape)
                self._cache[shape] = entry
                while len(self._cache) > self.max_shapes:
                    self._cache.popitem(last=False)  # a thread still using it keeps a reference
            else:
                self._cache.move_to_end(shape)
            return entry

    @property
    def cached_shapes(self) -> list[tuple[int, ...]]:
        with self._lock:
            return list(self._cache)

    def run(self, batch: np.ndarray) -> np.ndarray:
        """float32 (N, h, w, 3) BGR -> float32 (N, h/8, w/8, 57)."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        entry = self._get(tuple(batch.shape))
        with entry.lock, self._invoke_lock:
            entry.interpreter.set_tensor(entry.input_index, batch)
            entry.interpreter.invoke()
            return entry.interpreter.get_tensor(entry.output_index)  # a copy


class PoseModel:
    """Owns the graph and runs it with one backend (see :data:`BACKENDS`).

    ``backend``: one of :data:`BACKENDS`, "tflite" by default; ``None`` reads ``$POSE_BACKEND``.
    ``threads``: CPU threads for the backend; ``None`` reads ``$POSE_THREADS``, else all cores.
    Nothing is loaded until the first :meth:`run`.
    """

    def __init__(
        self, path: Path | None = None, threads: int | None = None, backend: str | None = None
    ) -> None:
        self.path = Path(path) if path else model_path()
        self.threads = threads or int(os.environ.get("POSE_THREADS", os.cpu_count() or 2))
        self.backend = resolve_backend(backend)
        self._session = None
        self._tflite: TFLiteRunner | None = None
        self._lock = threading.Lock()
        self._spare_runners: list[TFLiteRunner] = []  # single-threaded, for workers()

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
        if self.backend == "bf16":
            if not cpu_has_bf16():
                # oneDNN would emulate bfloat16 in software: slower than float32.
                log.warning("this CPU has no native bfloat16; bf16 backend runs float32")
            else:
                from tensorflow.core.protobuf import rewriter_config_pb2

                config.graph_options.rewrite_options.auto_mixed_precision_onednn_bfloat16 = (
                    rewriter_config_pb2.RewriterConfig.ON
                )
        session = tf.compat.v1.Session(graph=graph, config=config)
        self._input = graph.get_tensor_by_name(INPUT_TENSOR)
        self._output = graph.get_tensor_by_name(OUTPUT_TENSOR)
        log.info("model loaded from %s (%s)", self.path, self.backend)
        return session

    @property
    def session(self):
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = self._load()
        return self._session

    @property
    def tflite(self) -> TFLiteRunner:
        if self._tflite is None:
            with self._lock:
                if self._tflite is None:
                    self._tflite = self._load_tflite()
        return self._tflite

    def _load_tflite(self) -> TFLiteRunner:
        verify(self.path)
        int8 = self.backend == "int8"
        path = ensure_tflite(self.path, isolated=True, int8=int8)
        try:
            runner = TFLiteRunner(path, self.threads)
            runner.run(np.zeros((1, 16, 16, 3), np.float32))  # a corrupt file fails here
        except (ValueError, RuntimeError) as exc:
            log.warning("rebuilding %s: %s", path, exc)
            path = ensure_tflite(self.path, rebuild=True, isolated=True, int8=int8)
            runner = TFLiteRunner(path, self.threads)
        log.info(
            "model loaded from %s (%s TFLite, %d threads)",
            runner.path,
            runner.runtime,
            self.threads,
        )
        return runner

    @property
    def ready(self) -> bool:
        """True once loaded: :meth:`run` will not wait to build or load anything."""
        return (self._tflite if self.backend in TFLITE_BACKENDS else self._session) is not None

    def load(self) -> None:
        """Load the backend now instead of on the first :meth:`run` (e.g. at app start)."""
        _ = self.tflite if self.backend in TFLITE_BACKENDS else self.session

    def run(self, batch: np.ndarray) -> np.ndarray:
        """float32 (N, h, w, 3) BGR -> float32 (N, h/8, w/8, 57)."""
        if self.backend in TFLITE_BACKENDS:
            return self.tflite.run(batch)
        session = self.session
        return session.run(self._output, feed_dict={self._input: batch})

    @contextlib.contextmanager
    def workers(self, count: int = 0) -> Iterator[list[Callable[[np.ndarray], np.ndarray]]]:
        """Independent ways to :meth:`run`, for callers that keep several frames in flight.

        With a TFLite backend: ``count`` (default: one per core) single-threaded runners,
        borrowed for the block and kept for the next caller. Running two frames at once on
        one thread each beats one frame at a time on two threads: XNNPACK's workers meet at
        a barrier after every layer, and the small layers leave them waiting (int8 at
        432x368: 16.8 against 19.0 ms a frame, 33.4 against 37.0 CPU-ms, measured). With the
        session backend: just :meth:`run`, which already uses every core.
        """
        count = count or self.threads
        if self.backend not in TFLITE_BACKENDS or count < 2:
            yield [self.run]
            return
        path = self.tflite.path  # loads (or builds) the model once, like run() would
        with self._lock:
            spare = self._spare_runners
            runners = [spare.pop() for _ in range(min(count, len(spare)))]
        # Each keeps interpreters for two shapes (a video has one): memory stays bounded
        # when clips of many sizes pass through a long-running app.
        runners += [TFLiteRunner(path, 1, max_shapes=2) for _ in range(count - len(runners))]
        try:
            yield [runner.run for runner in runners]
        finally:
            with self._lock:
                # Keep one set: a second concurrent caller's runners are let go.
                room = max(0, self.threads - len(self._spare_runners))
                self._spare_runners.extend(runners[:room])

    def infer(self, image: np.ndarray, box: tuple[int, int] = PRESETS[DEFAULT_PRESET]) -> NetOutput:
        """Run one RGB uint8 image (H, W, 3) fitted in ``box``; return heatmaps and PAFs."""
        return self.infer_batch([image], box)[0]

    def infer_batch(
        self,
        images: list[np.ndarray],
        box: tuple[int, int] = PRESETS[DEFAULT_PRESET],
        run: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> list[NetOutput]:
        """Run same-sized RGB uint8 images in one backend call (``run``: one of
        :meth:`workers`, else :meth:`run`)."""
        height, width = images[0].shape[:2]
        net_w, net_h = network_size(width, height, box)
        batch = np.stack([preprocess(image, net_w, net_h) for image in images])
        output = (run or self.run)(batch)
        out_h, out_w = output.shape[1:3]
        scale = (width / out_w, height / out_h)
        return [
            NetOutput(
                heatmaps=item[:, :, :NUM_HEATMAPS], pafs=item[:, :, NUM_HEATMAPS:], scale=scale
            )
            for item in output
        ]


_models: dict[str, PoseModel] = {}
_models_lock = threading.Lock()


def get_model(backend: str | None = None) -> PoseModel:
    """The process-wide model of ``backend`` (default: ``$POSE_BACKEND``, else tflite),
    created on first call; it loads on first use (:meth:`PoseModel.load`)."""
    name = resolve_backend(backend)
    model = _models.get(name)
    if model is None:
        with _models_lock:
            model = _models.get(name)
            if model is None:
                # Fetch on first use as well as at `python app.py` start: a host that only
                # imports `app.demo` (a Space, `gradio app.py`) still gets the graph.
                ensure_model()
                model = _models[name] = PoseModel(backend=name)
    return model


# Moving pictures (videos, webcam frames) run on the int8 model: the video path at about
# 1.7x float32's frames/s (52 against 31 on 640x480 frames), and live frames at the balanced
# size as fast as float32 at the fast size, within 0.01 of float32's nine-size mean AP
# (README "Performance"). Photos stay on the exact float32 default. An explicit
# $POSE_BACKEND wins for both.
MOTION_BACKEND = "int8"

_motion_loader: threading.Thread | None = None
_motion_lock = threading.Lock()


def motion_backend() -> str:
    """``$POSE_BACKEND`` when set, else :data:`MOTION_BACKEND`."""
    return os.environ.get(BACKEND_ENV, "").strip().lower() or MOTION_BACKEND


def prepare_motion_model() -> None:
    """Load (and if need be build) the motion model in a background thread, once per
    process: building int8 takes about 80 s, which must not hold up a request."""
    global _motion_loader
    if _motion_loader is not None:  # every webcam frame asks: no lock once started
        return
    with _motion_lock:
        if _motion_loader is not None:
            return

        def load() -> None:
            try:
                get_model(motion_backend()).load()
            except Exception as exc:  # the default model serves instead; say why once
                log.warning("%s model unavailable (%s); the default serves", MOTION_BACKEND, exc)

        _motion_loader = threading.Thread(target=load, name="motion-model", daemon=True)
        _motion_loader.start()


def motion_model() -> PoseModel:
    """The model for videos and webcam frames: the motion backend when it is loaded or
    built (loading takes well under a second); else the default float32 model, while
    the motion model is built in the background."""
    model = get_model(motion_backend())
    if model.ready or model.backend != "int8" or int8_is_built(model.path):
        return model
    prepare_motion_model()
    return get_model()
