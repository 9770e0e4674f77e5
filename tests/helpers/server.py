"""Launching and stopping the real app in a subprocess."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.helpers.paths import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app exited early with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"app did not answer at {url} within {timeout:.0f} s")


def stop_process(process: subprocess.Popen) -> None:
    """Terminate a launched app, killing it if it does not exit within 20 s."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@contextlib.contextmanager
def running_app(env: dict[str, str], port: int, log_path: Path) -> Iterator[subprocess.Popen]:
    """``python app.py`` with ``env`` added, its output in ``log_path``, serving on ``port``
    (which ``env`` names, in the app's or Gradio's variables); yields the process once it
    answers and stops it after, unless it has exited already."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=ROOT,
            env=dict(os.environ, **env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(f"http://127.0.0.1:{port}/", process)
        yield process
    finally:
        if process.poll() is None:
            stop_process(process)


@contextlib.contextmanager
def launched_app(log_path: Path, **env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """:func:`running_app` on a free loopback port with ``env`` added; yields (its URL, the
    process)."""
    port = free_port()
    env = {"POSE_PORT": str(port), "POSE_HOST": "127.0.0.1", **env}
    with running_app(env, port, log_path) as process:
        yield f"http://127.0.0.1:{port}/", process
