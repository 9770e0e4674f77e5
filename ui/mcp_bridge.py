"""The MCP server (``--mcp``) held to the web's limits: one session per MCP client, its
caller's address for the per-address share, URLs refused, files brought in deleted.

Gradio 6.31's MCP server runs each tool call through one ``gradio_client`` on loopback, so
every MCP client shared one session (five assistants calling ``estimate_video`` at once got
two refusals) and the loopback address (no per-address share). :class:`PoseMCPServer`
runs the streamable-HTTP transport with sessions (an ``mcp-session-id`` per client) and
sends each call with its caller's identity (ui.admission's signed ``x-pose-mcp-*``
headers): that session, or the SSE transport's; ui.admission then counts jobs per MCP
client and per its address.

URL inputs are refused with a message saying to send a ``data:`` URI: a fetch the client
names is a way into the server's network (Gradio's own check refused every URL here
anyway, since the file then names no upload). A ``data:`` URI is written to Gradio's cache
before the call: those files join the cache's sweep and the clean-up at shutdown, readable
by this user only.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import anyio
import gradio.mcp

from ui.admission import (
    MCP_ADDRESS_HEADER,
    MCP_CLIENT_HEADER,
    MCP_KEY,
    MCP_KEY_HEADER,
    client_address,
)

log = logging.getLogger("app")

URL_REFUSAL = (
    "URLs are not fetched by this server: send the file itself as a data: URI "
    "(data:image/jpeg;base64,... or data:video/mp4;base64,...)."
)

_GradioMCPServer = gradio.mcp.GradioMCPServer


def _at(value: Any, position: list[str | int]) -> Any:
    for step in position:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _file_paths(value: Any) -> list[str]:
    """The ``path`` of every FileData dict in ``value`` (nested lists and dicts)."""
    if isinstance(value, dict):
        own = [value["path"]] if isinstance(value.get("path"), str) else []
        return own + [path for item in value.values() for path in _file_paths(item)]
    if isinstance(value, (list, tuple)):
        return [path for item in value for path in _file_paths(item)]
    return []


def caller_key(request) -> str:
    """Which MCP client a tool call comes from: the SSE transport's session id, else the
    streamable-HTTP session id (stateful servers), else the connection's address and port
    (Gradio's streamable HTTP is stateless: one client, one connection)."""
    session = request.query_params.get("session_id") or request.headers.get("mcp-session-id")
    if session:
        return f"session:{session}"
    client = request.client
    return f"conn:{client.host}:{client.port}" if client else "conn:unknown"


# Stateful streamable-HTTP sessions (an id per MCP client, sent with each request), closed
# after this many idle seconds, at most this many open at once (the mcp package's limits).
SESSION_IDLE_S = 600
MAX_SESSIONS = 256


class PoseMCPServer(_GradioMCPServer):
    """Gradio's MCP server with the caller's identity on every call, URLs refused and the
    ``data:`` files it writes kept in the app's cache sets (see the module's docstring)."""

    def __init__(self, blocks) -> None:
        super().__init__(blocks)
        # Gradio runs the streamable-HTTP transport stateless: no request says which
        # client it comes from. Stateful, each client gets an mcp-session-id at
        # initialize and sends it with every call (the manager reads these at request time).
        self.manager.stateless = False
        self.manager.session_idle_timeout = SESSION_IDLE_S
        self.manager.max_sessions = MAX_SESSIONS

    def convert_strings_to_filedata(self, value: Any, filedata_positions: list) -> Any:
        for position in filedata_positions:
            text = _at(value, position)
            if isinstance(text, str) and text.lower().startswith(("http://", "https://")):
                raise ValueError(URL_REFUSAL)
        converted = super().convert_strings_to_filedata(value, filedata_positions)
        brought_in = self.blocks.temp_file_sets[0] if self.blocks.temp_file_sets else None
        for path in _file_paths(converted):
            try:
                os.chmod(path, 0o600)
            except OSError:
                continue
            if brought_in is not None:
                brought_in.add(path)  # swept by age, and deleted when the server stops
        return converted

    def _prepare_tool_call_args(self, name: str, arguments: dict[str, Any]):
        endpoint, args, headers, block_fn = super()._prepare_tool_call_args(name, arguments)
        request = self.mcp_server.request_context.request
        client = request.client
        headers = {key: value for key, value in headers.items() if not key.startswith("x-pose-")}
        headers[MCP_KEY_HEADER] = MCP_KEY
        headers[MCP_CLIENT_HEADER] = caller_key(request)
        headers[MCP_ADDRESS_HEADER] = client_address(
            client.host if client else None, request.headers.get("x-forwarded-for")
        )
        return endpoint, args, headers, block_fn


class _ClosedStreams(logging.Filter):
    """Drop the mcp package's traceback for a stream its client closed: with sessions, the
    end of every session logged "Error in standalone SSE writer" and 8 lines of
    anyio.ClosedResourceError, though nothing went wrong."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, (anyio.ClosedResourceError, anyio.BrokenResourceError))


def use_pose_mcp_server() -> None:
    """Make the next launch create :class:`PoseMCPServer` (Gradio looks the class up in
    ``gradio.mcp`` when it builds the app). Call before ``launch(mcp_server=True)``."""
    gradio.mcp.GradioMCPServer = PoseMCPServer
    logging.getLogger("mcp.server.streamable_http").addFilter(_ClosedStreams())
