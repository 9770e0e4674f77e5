"""Load test: N concurrent API users against the real app on loopback.

    .venv/bin/python -m benchmarks.load [--users 8] [--duration 30] [--rounds 3]
                                        [--max-requests 1000] [--size balanced] [--large 0]

Launches ``python app.py`` on a free loopback port with its own Gradio cache folder. Each
of ``--users`` threads has one ``gradio_client.Client`` (one Gradio session) for the whole
run and warms up with one request per photo (model load, first allocations). Then
``--rounds`` rounds: the users send the real photos in ../shared/eval/coco to
``/estimate_image`` back to back until ``--duration`` seconds have passed or
``--max-requests`` requests have been sent in the round, whichever comes first. With
``--large N``, N photos of 40 MP go first, and their memory must come back.

Per round it prints requests served, errors (must be 0), throughput, p50/p95 latency (which
includes the wait in Gradio's queue: ``estimate_image`` runs 2 at a time), the server's peak
RSS (the app process and its children, sampled every 0.1 s), its RSS at rest 2 s after the
round, and the size of its Gradio cache. Memory must not grow from round to round: the last
line compares the resting RSS after the last round with that after the first. Exit status 1
if any request failed or memory grew by more than ``--max-growth-mb``. Sessions stay the
same on purpose: Gradio's per-session state is bounded separately (state_session_capacity).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from benchmarks.common import EVAL_DIR, ROOT

PHOTOS = sorted((EVAL_DIR / "coco").glob("*.jpg"))


def large_jpeg(width: int = 7680, height: int = 5200, quality: int = 85) -> bytes:
    """A 40 MP JPEG (smooth noise, like a large photo) made in memory."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (height // 32, width // 32, 3), dtype=np.uint8)
    image = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file():
                total += path.stat().st_size
        except FileNotFoundError:  # deleted by the app while we walk
            continue
    return total


class Server:
    """``python app.py`` on loopback with a private Gradio cache; stopped on exit."""

    def __init__(self, scratch: Path, root: Path = ROOT) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.cache = scratch / "gradio-cache"
        self.log = scratch / "app.log"
        env = dict(
            os.environ,
            POSE_HOST="127.0.0.1",
            POSE_PORT=str(self.port),
            GRADIO_TEMP_DIR=str(self.cache),
            GRADIO_ANALYTICS_ENABLED="False",
        )
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "app.py"], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self.handle = psutil.Process(self.process.pid)

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app exited with {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"app did not answer within {timeout:.0f} s")

    def rss(self) -> int:
        """Resident memory of the app and its children, in bytes."""
        total = 0
        for process in [self.handle, *self.handle.children(recursive=True)]:
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class PeakSampler:
    """Samples the server's RSS in a thread; ``peak`` is the maximum since ``reset``."""

    def __init__(self, server: Server, every: float = 0.1) -> None:
        self.server, self.every = server, every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.server.rss())
            except psutil.NoSuchProcess:
                return
            self._stop.wait(self.every)

    def reset(self) -> None:
        self.peak = self.server.rss()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Round:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sent: int = 0
    peak: int = 0  # the server's peak RSS during the round, bytes
    settled: int = 0  # its RSS at rest after the round, bytes
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_ticket(self, limit: int) -> bool:
        with self.lock:
            if self.sent >= limit:
                return False
            self.sent += 1
            return True


def user(client, number: int, size: str, state: Round, limit: int, deadline: float) -> None:
    from gradio_client import handle_file

    index = number
    while time.monotonic() < deadline and state.take_ticket(limit):
        photo = PHOTOS[index % len(PHOTOS)]
        index += 1
        started = time.perf_counter()
        try:
            *_, summary = client.predict(
                handle_file(str(photo)), size, 0.1, api_name="/estimate_image"
            )
            if not summary.startswith("Found"):
                raise RuntimeError(f"unexpected summary: {summary[:80]}")
        except Exception as exc:  # count every failure, keep the user going
            with state.lock:
                state.errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")
            continue
        with state.lock:
            state.latencies.append(time.perf_counter() - started)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run_users(clients: list, size: str, state: Round, limit: int, deadline: float) -> None:
    """Every client as one user thread until ``limit`` requests or ``deadline``; wait for all."""
    threads = [
        threading.Thread(target=user, args=(client, i, size, state, limit, deadline))
        for i, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def large_inputs(server: Server, client, scratch: Path, count: int, size: str) -> None:
    """Send ``count`` 40 MP photos first and print the RSS before and at rest after: the
    rounds' resting RSS then shows whether their memory came back (issue 20: it stepped up
    and stayed)."""
    from gradio_client import handle_file

    big = scratch / "large.jpg"
    big.write_bytes(large_jpeg())
    before_large = server.rss()
    for _ in range(count):
        client.predict(handle_file(str(big)), size, 0.1, api_name="/estimate_image")
    time.sleep(7.0)  # past one malloc trim period (ui.lifecycle)
    print(
        f"{count} photos of 40 MP: RSS {before_large / 2**20:.0f} MB before, "
        f"{server.rss() / 2**20:.0f} MB at rest after"
    )


def one_round(number: int, server: Server, clients: list, sampler: PeakSampler, args) -> Round:
    """Run round ``number`` (every user until the duration or request cap), print its row,
    and return its record; ``state.settled`` is the resting RSS after it."""
    state = Round()
    sampler.reset()
    started = time.monotonic()
    run_users(clients, args.size, state, args.max_requests, started + args.duration)
    elapsed = time.monotonic() - started
    time.sleep(2.0)  # let the last responses finish, then read the resting size
    state.settled = server.rss()
    state.peak = sampler.peak
    served = len(state.latencies)
    print(
        f"{number:5d}  {served:6d}  {len(state.errors):6d}  {served / elapsed:5.2f}  "
        f"{percentile(state.latencies, 0.5) * 1000:7.0f}  "
        f"{percentile(state.latencies, 0.95) * 1000:6.0f}  "
        f"{sampler.peak / 2**20:11.0f}  {state.settled / 2**20:10.0f}  "
        f"{folder_bytes(server.cache) / 2**20:8.1f}",
        flush=True,
    )
    for error in sorted(set(state.errors))[:5]:
        print(f"       error: {error}")
    return state


def run(args: argparse.Namespace) -> int:
    if not PHOTOS:
        print(f"no photos in {EVAL_DIR / 'coco'}", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="pose-load-"))
    server = Server(scratch)
    sampler = None
    try:
        server.wait_ready()
        from gradio_client import Client

        # One client (one Gradio session) per user for the whole run, so that memory
        # growth across rounds means a leak, not Gradio's per-session state (capped by
        # launch(state_session_capacity=...)). Each warms up with one request per photo.
        downloads = scratch / "downloads"
        clients = [
            Client(server.url, verbose=False, download_files=str(downloads / f"user{i}"))
            for i in range(args.users)
        ]
        warm = Round()
        run_users(clients, args.size, warm, len(PHOTOS) * args.users, time.monotonic() + 300)
        if warm.errors:
            print(f"warm-up failed: {warm.errors[0]}", file=sys.stderr)
            return 1
        if args.large:
            large_inputs(server, clients[0], scratch, args.large, args.size)
        print(
            f"app on {server.url} (pid {server.process.pid}), {len(PHOTOS)} photos, "
            f"{args.users} users (one session each), size {args.size}, "
            f"rounds of {args.duration:.0f} s or {args.max_requests} requests; "
            f"RSS after warm-up {server.rss() / 2**20:.0f} MB"
        )
        print("round  served  errors  req/s   p50 ms  p95 ms  peak RSS MB  end RSS MB  cache MB")
        sampler = PeakSampler(server)
        rounds = []
        for number in range(1, args.rounds + 1):
            rounds.append(one_round(number, server, clients, sampler, args))
            shutil.rmtree(downloads, ignore_errors=True)  # the clients' copies of results
        for client in clients:
            client.close()
        return summary(rounds, args)
    finally:
        if sampler:
            sampler.close()
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def summary(rounds: list[Round], args) -> int:
    """Print the run's totals; 0 when nothing failed and the resting RSS grew within bounds."""
    peaks = [state.peak for state in rounds]
    errors = sum(len(state.errors) for state in rounds)
    growth = (rounds[-1].settled - rounds[0].settled) / 2**20
    print(
        f"errors: {errors}; requests served: {sum(len(s.latencies) for s in rounds)}; "
        f"peak RSS {min(peaks) / 2**20:.0f}-{max(peaks) / 2**20:.0f} MB over the rounds; "
        f"RSS at rest after round 1 {rounds[0].settled / 2**20:.0f} MB, after round "
        f"{args.rounds} {rounds[-1].settled / 2**20:.0f} MB: growth {growth:+.0f} MB "
        f"(allowed {args.max_growth_mb:.0f} MB)"
    )
    return 0 if errors == 0 and growth <= args.max_growth_mb else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument(
        "--max-requests", type=int, default=1000, help="at most this many requests per round"
    )
    parser.add_argument("--size", default="balanced", help="model input preset")
    parser.add_argument(
        "--large", type=int, default=0, help="40 MP photos sent before the rounds (default 0)"
    )
    parser.add_argument(
        "--max-growth-mb", type=float, default=50.0, help="allowed peak RSS growth, MB"
    )
    args = parser.parse_args()
    if args.users < 1 or args.duration <= 0 or args.rounds < 2 or args.max_requests < 1:
        parser.error("need users >= 1, duration > 0, rounds >= 2, max-requests >= 1")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
