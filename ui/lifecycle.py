"""The server process's life: a clean stop on SIGTERM or SIGINT that deletes what the app
kept on disk, and freed memory handed back to the system.

Docker, Kubernetes and Hugging Face Spaces stop a container with SIGTERM. Python's default
for it ends the process at once, so Gradio's own clean-up (``delete_cache`` at shutdown)
never ran and every upload, annotated image, JSON and CSV stayed on disk. Here both
signals close the server, let running jobs stop, and delete the app's files: uploads and
results in Gradio's cache (the files Gradio tracks for this app) and the downloads this
process wrote to the scratch folder (other processes' files there are left alone).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import gradio as gr

from pose.media.images import not_a_file

log = logging.getLogger("app")

# Set once a stop has begun: running jobs check it (ui.fairness.should_stop) and end early.
STOPPING = threading.Event()
# Seconds a stop waits for running jobs to notice and end before deleting files.
STOP_GRACE_S = 5.0

_written: set[Path] = set()
_written_lock = threading.Lock()


def track(path: str | os.PathLike) -> str:
    """Remember a scratch file this process wrote, to delete it when the server stops."""
    with _written_lock:
        _written.add(Path(path))
    return str(path)


def _remove(path: Path, keep_dirs: set[Path]) -> bool:
    if not_a_file(path) not in (None, "missing"):  # a folder a request named: never deleted
        return False
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("could not delete a cached file: %s", exc.strerror)
        return False
    # Gradio keeps each file in a folder named by its hash: remove the emptied folder.
    if path.parent not in keep_dirs:
        with contextlib.suppress(OSError):
            path.parent.rmdir()
    return True


def delete_app_files(demo: gr.Blocks, scratch: Path | None = None) -> int:
    """Delete the app's uploads and results in Gradio's cache and this process's tracked
    downloads (in ``scratch``); returns how many files went. The copies of the example
    files go too (Gradio keeps them while serving; the next start copies them again);
    the folders ``scratch`` and Gradio's cache themselves stay."""
    files = {Path(file) for files in demo.temp_file_sets for file in list(files)}
    for block in demo.blocks.values():
        files.update(Path(file) for file in getattr(block, "keep_in_cache", ()))
    with _written_lock:
        files |= _written
        _written.clear()
    keep_dirs = {Path(gr.utils.get_upload_folder()), Path(demo.GRADIO_CACHE)}
    if scratch is not None:
        keep_dirs.add(Path(scratch))
    return sum(_remove(file, keep_dirs) for file in sorted(files))


def _wait_for_jobs(demo: gr.Blocks, timeout: float) -> None:
    queue = getattr(demo, "_queue", None)
    deadline = time.monotonic() + timeout
    while queue is not None and time.monotonic() < deadline:
        if not any(queue.active_jobs):
            return
        time.sleep(0.1)


def serve_until_stopped(demo: gr.Blocks, scratch: Path | None = None) -> None:
    """Block until SIGTERM or SIGINT (Ctrl-C), then stop cleanly: refuse new work, let
    running jobs end (they check :data:`STOPPING`), close the server, delete the app's
    files, and return. A second signal during the stop ends the process at once."""
    stop = threading.Event()

    def on_signal(number: int, _frame) -> None:
        if stop.is_set():
            os._exit(128 + number)
        label = signal.Signals(number).name
        log.info("%s: stopping; deleting uploads and results", label)
        stop.set()

    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, on_signal)
    while demo.is_running and not stop.wait(0.2):
        pass
    STOPPING.set()
    _wait_for_jobs(demo, STOP_GRACE_S)
    demo.close(verbose=False)
    deleted = delete_app_files(demo, scratch)
    log.info("stopped; deleted %d files", deleted)
    sys.stdout.flush()


# --------------------------------------------------------------------------- memory


def trim_malloc() -> bool:
    """Hand freed heap memory back to the system (glibc ``malloc_trim``); False elsewhere.

    glibc keeps freed memory for reuse, so the server's resident size stayed at its peak
    after a large photo or video (issue 20: 315 MB to about 1 GB over a hostile run).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return False


TRIM_EVERY_S = float(os.environ.get("POSE_TRIM_EVERY_S", 5))


# An app with no job waiting or running for this long lets go of the model interpreters
# kept for large inputs (pose.network.registry.release_idle_memory) before trimming.
IDLE_RELEASE_S = float(os.environ.get("POSE_IDLE_RELEASE_S", 20))


def _busy(demo: gr.Blocks | None) -> bool:
    queue = getattr(demo, "_queue", None)
    if queue is None:
        return False
    waiting = any(q.queue for q in queue.event_queue_per_concurrency_id.values())
    return waiting or any(queue.active_jobs)


def trim_malloc_forever(every_s: float = TRIM_EVERY_S, demo: gr.Blocks | None = None) -> None:
    """Trim every ``every_s`` seconds (about a millisecond each time at this app's sizes).

    With ``demo``: once it has been idle for :data:`IDLE_RELEASE_S` after some work, the
    models' spare interpreters go and Python's garbage is collected first, so memory at
    rest comes back near where it started instead of staying at the large inputs' level.
    """
    from pose.network.registry import release_idle_memory

    last_busy = time.monotonic()
    released = True
    while not STOPPING.wait(every_s):
        if _busy(demo):
            last_busy, released = time.monotonic(), False
        elif not released and time.monotonic() - last_busy >= IDLE_RELEASE_S:
            dropped = release_idle_memory()
            gc.collect()
            released = True
            log.info("idle: released %d model interpreters", dropped)
        trim_malloc()
