"""The model registry: which runner serves which backend, one model per backend per process,
and the motion model that videos and webcam frames use.

Backends run the same verified graph (:mod:`pose.network.spec`) with a runner of
:mod:`pose.network.runners`: "tflite" (default), the graph converted by TensorFlow's TFLite
converter and run by the XNNPACK delegate, exact and the fastest in float32; "session", a
plain TensorFlow session; "bf16", the session in bfloat16 (faster, not exact); "int8", the
quantised variant of models/quantize.py, which videos and webcam frames use
(:func:`motion_model`). Each is created lazily, once per process, behind a lock, so
importing :mod:`pose` stays cheap and concurrent requests share one model. Choose with
``PoseModel(backend=...)`` or ``$POSE_BACKEND``; docs/backends.md and docs/performance.md
have the measurements.

A missing artefact is built by the build side, ``models/``, in a child process
(``python -m models.fetch``, ``python -m models.convert``): this package never imports it,
and converting needs TensorFlow, which would stay loaded (about 650 MB) in the serving
process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from pose.network.runners import SessionRunner, TFLiteRunner
from pose.network.spec import (
    DEFAULT_PRESET,
    INT8_ENV,
    MODEL_ENV,
    NUM_HEATMAPS,
    PRESETS,
    TFLITE_ENV,
    ModelFetchError,
    NetOutput,
    built_by_this_recipe,
    int8_is_built,
    model_path,
    network_size,
    preprocess,
    tflite_path,
    verify,
)

log = logging.getLogger(__name__)

# Execution backends. All run the same verified graph; "session" is the plain
# TensorFlow session, "tflite" the graph converted by TensorFlow's own converter
# (float32, no quantisation) and run by TFLite's XNNPACK delegate, which is faster on this
# CPU with outputs equal to the session's within 1e-5 (tests/test_backends.py). "bf16" is
# the session with oneDNN's bfloat16 auto-mixed-precision rewrite: about twice as fast on
# CPUs with AVX512_BF16/AMX, but not exact (AP changes by up to 0.016 on the eval photos,
# docs/performance.md), so it is a setting, not the default. "int8" runs the int8 variant
# of models/quantize.py by XNNPACK: 1.75x faster, within 0.01 of float32's mean AP at the
# default size (docs/performance.md).
BACKENDS = ("tflite", "session", "bf16", "int8")
DEFAULT_BACKEND = "tflite"
TFLITE_BACKENDS = ("tflite", "int8")
BACKEND_ENV = "POSE_BACKEND"
# The build side runs from the folder that holds both packages (a checkout, or an
# editable install of one).
_ROOT = Path(__file__).resolve().parents[2]
_BUILD_TIMEOUT = 600  # seconds; the int8 build takes about 80 on two cores


def resolve_backend(name: str | None = None) -> str:
    """``name``, else ``$POSE_BACKEND``, else :data:`DEFAULT_BACKEND`; checked."""
    chosen = (name or os.environ.get(BACKEND_ENV) or DEFAULT_BACKEND).strip().lower()
    if chosen not in BACKENDS:
        raise ValueError(f"Unknown model backend {chosen!r}: use one of {', '.join(BACKENDS)}.")
    return chosen


def _build(module: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess | None:
    """Run ``python -m <module> <args>`` of the build side with ``env`` added; None when it
    could not start or timed out (logged)."""
    command = [sys.executable, "-m", module, *args]
    try:
        return subprocess.run(
            command,
            cwd=_ROOT,
            env=dict(os.environ, **env),
            capture_output=True,
            text=True,
            timeout=_BUILD_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("%s failed: %s", " ".join(command[1:]), exc)
        return None


def _last_line(result: subprocess.CompletedProcess | None) -> str:
    if result is None:
        return "the build could not run"
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit status {result.returncode}"


def ensure_model() -> Path:
    """Return the path of a verified graph, fetching it first (``python -m models.fetch``)
    when it is missing. An explicit ``$POSE_MODEL_PATH`` that does not exist is an error,
    not a download."""
    path = model_path()
    if not path.is_file() and not os.environ.get(MODEL_ENV):
        result = _build("models.fetch", str(path), env={})
        if result is None or result.returncode != 0:
            raise ModelFetchError(_last_line(result).removeprefix("error: "))
    verify(path)
    return path


def _convert_in_subprocess(graph_path: Path, target: Path, int8: bool = False) -> Path | None:
    """Run ``python -m models.convert`` for ``graph_path`` -> ``target``; the path it wrote
    (``target``, or a temporary-folder copy when that folder is read-only), else None."""
    env = {MODEL_ENV: str(graph_path), (INT8_ENV if int8 else TFLITE_ENV): str(target)}
    result = _build("models.convert", "--force", *(["--int8"] if int8 else []), env=env)
    if result is None or result.returncode != 0:
        log.warning("conversion failed: %s", _last_line(result))
        return None
    written = [line for line in result.stdout.splitlines() if line.startswith("tflite ok: ")]
    path = Path(written[-1].removeprefix("tflite ok: ")) if written else target
    return path if path.is_file() else None


def ensure_tflite(
    graph_path: Path | None = None, rebuild: bool = False, int8: bool = False
) -> Path:
    """Path of the converted (``int8``: int8) model, converting the graph first (in a child
    process) when it is missing, ``rebuild`` is set, or an int8 model is stale."""
    graph_path = Path(graph_path) if graph_path else model_path()
    target = tflite_path(graph_path, int8)
    missing = rebuild or not target.is_file() or target.stat().st_size == 0
    # An int8 model built by other quantisation code is stale: build it again.
    if int8 and not missing and not built_by_this_recipe(target):
        log.info("rebuilding %s: the quantisation code changed", target)
        missing = True
    if not missing:
        return target
    written = _convert_in_subprocess(graph_path, target, int8)
    if written is None:
        raise RuntimeError(
            f"could not build {target.name}: run `python -m models.convert"
            f"{' --int8' if int8 else ''}` to see why"
        )
    return written


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
        self._session: SessionRunner | None = None
        self._tflite: TFLiteRunner | None = None
        self._lock = threading.Lock()
        self._spare_runners: list[TFLiteRunner] = []  # single-threaded, for workers()

    def _load(self) -> SessionRunner:
        runner = SessionRunner(self.path, self.threads, bf16=self.backend == "bf16")
        log.info("model loaded from %s (%s)", self.path, self.backend)
        return runner

    @property
    def session(self) -> SessionRunner:
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
        path = ensure_tflite(self.path, int8=int8)
        try:
            runner = TFLiteRunner(path, self.threads)
            runner.run(np.zeros((1, 16, 16, 3), np.float32))  # a corrupt file fails here
        except (ValueError, RuntimeError) as exc:
            log.warning("rebuilding %s: %s", path, exc)
            path = ensure_tflite(self.path, rebuild=True, int8=int8)
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
        return self.session.run(batch)

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
        # Each keeps interpreters for six shapes (a video has its full frame's and a few
        # windows', pose.video.region): memory stays bounded when clips of many sizes pass
        # through a long-running app.
        runners += [TFLiteRunner(path, 1, max_shapes=6) for _ in range(count - len(runners))]
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
# (docs/performance.md). Photos stay on the exact float32 default. An explicit
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
