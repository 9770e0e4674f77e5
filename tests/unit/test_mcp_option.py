"""The app's MCP switch: off by default, on with --mcp, POSE_MCP=1 or Gradio's own variable."""

import pytest

from ui.server import parse_args


@pytest.mark.parametrize(
    ("env", "argv", "expected"),
    [
        ({}, [], False),
        ({}, ["--mcp"], True),
        ({"POSE_MCP": "1"}, [], True),
        ({"POSE_MCP": "0"}, [], False),
        ({"GRADIO_MCP_SERVER": "true"}, [], True),
    ],
)
def test_mcp_is_off_unless_asked_for(monkeypatch, env, argv, expected):
    for name in ("POSE_MCP", "GRADIO_MCP_SERVER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert parse_args(argv).mcp is expected
