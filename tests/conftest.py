"""Shared fixtures: the eval data, the real model, and a launched app."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = Path(os.environ.get("POSE_EVAL_DIR", ROOT.parent / "shared" / "eval"))
COCO_DIR = EVAL_DIR / "coco"
VIDEO_PATH = EVAL_DIR / "video" / "demo.mp4"


def coco_ground_truth() -> dict[str, list[dict]]:
    """file name -> person annotations with ``keypoints`` as a (17, 3) array."""
    data = json.loads((COCO_DIR / "test_coco.json").read_text())
    names = {image["id"]: image["file_name"] for image in data["images"]}
    people: dict[str, list[dict]] = {name: [] for name in names.values()}
    for annotation in data["annotations"]:
        entry = dict(annotation)
        entry["keypoints"] = np.asarray(annotation["keypoints"], dtype=np.float32).reshape(17, 3)
        people[names[annotation["image_id"]]].append(entry)
    return people


@pytest.fixture(scope="session")
def coco() -> dict[str, list[dict]]:
    return coco_ground_truth()


@pytest.fixture(scope="session")
def model():
    from pose.model import get_model

    return get_model()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, timeout: float = 120.0) -> None:
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


@pytest.fixture(scope="session")
def app_url(tmp_path_factory) -> str:
    """Launch the real app (``python app.py``) on a free port; yield its URL."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("app") / "app.log"
    env = dict(os.environ, POSE_PORT=str(port), POSE_HOST="127.0.0.1")
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for(url, process)
        yield url
    finally:
        stop_process(process)


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)
