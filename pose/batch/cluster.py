"""Run ``pose batch`` over a Ray cluster: one model per worker, results back in input order.

Ray is an optional extra (``pip install .[cluster]``); only this module imports it, and only
when a Ray run starts. The driver reads each input and sends its bytes, so the workers need
the package and the model files but no shared file system. Each worker is an actor holding
one single-threaded model on the one CPU Ray gives it; the driver keeps two inputs queued on
every actor so none waits for the next while the driver collects a result.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from pose.batch.folder import BatchSettings, Runner, Task, is_video, process_file

log = logging.getLogger(__name__)

IN_FLIGHT_PER_WORKER = 2


class PoseWorker:
    """A Ray actor's state: one model, loaded once, run on one thread."""

    def __init__(self, settings: dict, threads: int = 1) -> None:
        from pose.network.registry import PoseModel, ensure_model

        ensure_model()  # fetches the graph on a node that has none yet
        self.settings = BatchSettings(**settings)
        self.model = PoseModel(backend=self.settings.backend, threads=threads)
        self.folder = tempfile.mkdtemp(prefix="pose-batch-")

    def run(self, index: int, name: str, data: bytes) -> tuple[int, dict]:
        """(index, :func:`pose.batch.folder.process_file`'s record) for a file sent as bytes.

        The bytes are written under the file's own name, so that messages about a bad
        file read exactly as in a local run.
        """
        path = Path(self.folder) / name
        path.write_bytes(data)
        try:
            return index, process_file(path, self.settings, self.model)
        finally:
            path.unlink(missing_ok=True)


def ray_runner(
    settings: BatchSettings, address: str | None = None, workers: int | None = None
) -> Runner:
    """A :data:`pose.batch.folder.Runner` on Ray.

    ``address``: ``None`` uses a Ray already initialised in this process, else
    ``$RAY_ADDRESS``, else starts a local Ray on this machine's CPUs; ``"auto"`` joins the
    cluster this machine is part of; ``"ray://HEAD:10001"`` connects as a Ray client.
    ``workers``: actors to start (default: one per CPU in the cluster).
    """

    def run(tasks: Sequence[Task]) -> Iterator[tuple[int, dict]]:
        if not tasks:
            return
        try:
            import ray
        except ImportError:
            raise RuntimeError(
                "--ray needs Ray: pip install 'pose-estimation-matching[cluster]' (ray==2.60.0)."
            ) from None
        started_here = not ray.is_initialized()
        if started_here:
            check_reachable(address or os.environ.get("RAY_ADDRESS"))
            # Workers' native chatter (TFLite's "Created XNNPACK delegate") stays in Ray's
            # log files; failures still come back as exceptions from ray.get.
            try:
                ray.init(
                    address=address,
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level=logging.ERROR,
                )
            except ConnectionError as exc:  # "auto" with no cluster on this machine
                raise RuntimeError(f"Ray: {exc}") from None
        try:
            yield from _dispatch(ray, tasks, settings, workers)
        except ray.exceptions.RayError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise RuntimeError(f"Ray: {first}") from exc
        finally:
            if started_here:
                ray.shutdown()

    return run


def check_reachable(address: str | None, timeout: float = 5.0) -> None:
    """Fail at once with a clear message when a Ray address (``HOST:PORT`` or
    ``ray://HOST:PORT``) does not answer: Ray itself retries for minutes."""
    if not address or address in ("auto", "local"):
        return
    target = address.removeprefix("ray://").rstrip("/")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"Ray address {address!r}: use HOST:PORT, ray://HOST:PORT or auto.")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise RuntimeError(
            f"Ray: nothing answers at {address} ({exc.strerror or exc}); is the cluster up "
            "(ray start --head) and the address right?"
        ) from None


def _dispatch(
    ray, tasks: Sequence[Task], settings: BatchSettings, workers: int | None
) -> Iterator[tuple[int, dict]]:
    count = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    count = max(1, min(count, len(tasks)))
    actor_class = ray.remote(num_cpus=1)(PoseWorker)
    actors = [actor_class.remote(settings.to_dict()) for _ in range(count)]
    log.info("Ray: %d workers", count)
    load = dict.fromkeys(range(count), 0)  # inputs queued on each actor
    pending: dict = {}  # ObjectRef -> actor number
    queue = iter(tasks)
    exhausted = False
    try:
        while True:
            while not exhausted and min(load.values()) < IN_FLIGHT_PER_WORKER:
                task = next(queue, None)
                if task is None:
                    exhausted = True
                    break
                index, path = task
                try:
                    data = path.read_bytes()
                except OSError as exc:  # vanished or unreadable since it was listed
                    kind = "video" if is_video(path) else "image"
                    yield index, {"kind": kind, "error": f"{path.name}: {exc.strerror or exc}"}
                    continue
                actor = min(load, key=load.get)
                load[actor] += 1
                pending[actors[actor].run.remote(index, os.path.basename(path), data)] = actor
            if not pending:
                return
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                load[pending.pop(ref)] -= 1
                yield ray.get(ref)
    finally:
        for actor in actors:
            ray.kill(actor)
