"""A small pipeline of threads joined by bounded queues, as :func:`pose.video.process.process_video`
runs it: each stage is a thread that takes items from one queue and puts them on the next,
so decoding, inference, drawing and encoding overlap. The first error in any stage stops
every stage; :meth:`Pipeline.raise_first` raises it in the caller's thread.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

# Batching frames into one model call gained nothing (measured on the street clip: with
# TFLite one frame per call ran 10-14 frames/s against 7-9 for two). The model stage instead
# runs one single-threaded worker per core (PoseModel.workers), each on every other frame.
QUEUE_SIZE = 4

# Put on a stage's outbox when the stage ends (or fails): the next stage stops there.
END = object()


class Pipeline:
    """Threads joined by bounded queues; the first error stops every stage."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.cpu_seconds: dict[str, float] = {}
        self.errors: list[BaseException] = []
        self._threads: list[threading.Thread] = []

    def put(self, box: queue.Queue, item) -> bool:
        """Put ``item`` on ``box``, waiting while it is full; False if the pipeline stopped."""
        while not self.stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self, box: queue.Queue):
        """The next item of ``box``, or :data:`END` once the pipeline has stopped."""
        while True:
            try:
                return box.get(timeout=0.1)
            except queue.Empty:
                if self.stop.is_set():
                    return END

    def spawn(self, name: str, target: Callable[[], None], *outboxes: queue.Queue) -> None:
        """Run ``target`` in a thread named ``video-NAME``; when it returns or fails, put
        :data:`END` on each of ``outboxes`` and record its CPU seconds under ``name``."""

        def run() -> None:
            try:
                target()
            except BaseException as exc:
                self.errors.append(exc)
                self.stop.set()
            finally:
                self.cpu_seconds[name] = time.thread_time()
                for outbox in outboxes:
                    self.put(outbox, END)

        thread = threading.Thread(target=run, name=f"video-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def close(self) -> None:
        """Stop every stage and wait (up to 10 s each) for their threads."""
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def raise_first(self) -> None:
        """Raise the first error any stage had, in the caller's thread."""
        if self.errors:
            raise self.errors[0]
