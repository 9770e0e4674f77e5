"""Hosting: the share link that cannot be made offline, and starting as a Space does."""

from __future__ import annotations

import time
from pathlib import Path

from tests.helpers.server import free_port, running_app, wait_for


def read_until(log_path: Path, text: str, seconds: float = 30) -> str:
    """The log once it contains ``text`` (or after ``seconds``)."""
    deadline = time.monotonic() + seconds
    output = log_path.read_text()
    while text not in output and time.monotonic() < deadline:
        time.sleep(0.25)
        output = log_path.read_text()
    return output


def test_share_without_a_tunnel_keeps_serving_locally(tmp_path):
    """Offline, --share cannot make a public link: the app says so and serves locally.

    Hermetic: a stand-in tunnel binary (Gradio's cache is moved to tmp_path via HF_HOME) that
    answers like frpc when its server refuses, and a share server on a closed local port, so
    nothing leaves the machine even where the internet is reachable.
    """
    frpc_dir = tmp_path / "hf" / "gradio" / "frpc"
    frpc_dir.mkdir(parents=True)
    from gradio.tunneling import BINARY_FILENAME

    fake = frpc_dir / BINARY_FILENAME
    fake.write_text("#!/bin/sh\necho 'login to server failed: connection refused'\n")
    fake.chmod(0o755)
    port = free_port()
    env = {
        "POSE_SHARE": "1",
        "POSE_PORT": str(port),
        "HF_HOME": str(tmp_path / "hf"),
        "GRADIO_SHARE_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
    }
    log_path = tmp_path / "app.log"
    with running_app(env, port, log_path) as process:
        output = read_until(log_path, "no public link")
        assert "Could not create share link" in output
        assert f"serving locally at http://127.0.0.1:{port}/ only" in output
        assert process.poll() is None, "the app must keep serving"
        wait_for(f"http://127.0.0.1:{port}/", process, timeout=10)


def test_starts_as_a_space_would_run_it(tmp_path):
    """A Gradio Space runs `python app.py` with SYSTEM=spaces and Gradio's server variables
    (on 0.0.0.0 there; loopback here). The app must listen where they say without any POSE_
    variable, and must not compute examples before serving (Spaces cache them eagerly by
    default)."""
    port = free_port()
    env = {
        "SYSTEM": "spaces",
        "SPACE_ID": "tests/pose-estimation",
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
    }
    log_path = tmp_path / "app.log"
    clean = {name: "" for name in ("POSE_HOST", "POSE_PORT", "POSE_SHARE")}  # unset: ours
    with running_app({**clean, **env}, port, log_path):
        output = read_until(log_path, "Running on local URL")
        assert f"http://127.0.0.1:{port}" in output
        assert "at first use" in output  # Gradio's words for lazy example caching
        assert "Caching examples" not in output  # eager caching would say this
        assert "pose.network.registry" not in output, "a model ran before anyone asked"
