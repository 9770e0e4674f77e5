"""Every way into a handler goes through Gradio's queue and ui.admission, or is closed.

Gradio 6.31 serves a handler four ways: the queue (``/gradio_api/queue/join``,
``/gradio_api/call/...``, what the page and gradio_client use), the direct routes
``/gradio_api/run/{name}`` and ``/gradio_api/api/{name}`` (with any ``fn_index``: they call
the function at once, outside the queue and its limits: 30 concurrent video calls ran at
once and took the server to 14 GB, issue 28), the streaming route
``/gradio_api/stream/{event_id}`` (new data for a running stream, past the queue's door) and
the MCP server (ui.mcp_bridge). Here:

- every event is queued (:func:`queue_every_event`), so the page never needs the direct
  routes (Gradio's Examples and a ``queue=False`` click used them);
- :class:`SideDoors` closes the direct routes, the component-function route and the screen
  recording route (this app uses neither) with HTTP 404 and a message, and holds the
  streaming route's data to :func:`ui.admission.file_refusal` before Gradio reads it (it
  refused paths too, but logged 25 lines of traceback with the client's string);
- :func:`sweep_safely` keeps Gradio's cache sweep running whatever its file sets hold (one
  folder in them stopped it for the life of the process, and the clean-up at shutdown).

The installed Gradio source is the reference; tests/app/test_side_doors_app.py lists the
routes from the running app and tries each.
"""

from __future__ import annotations

import json
import logging
import re

import gradio as gr
from gradio import route_utils

from pose.media.images import not_a_file
from ui.admission import file_refusal

log = logging.getLogger("app")

# Paths (after /gradio_api) that run code outside the queue; POST to them is refused.
CLOSED = re.compile(r"^/gradio_api/(run|api|component_server|process_recording)(/|$)")
STREAM = re.compile(r"^/gradio_api/stream/[^/]+/?$")  # not .../close, which only ends one
# A webcam frame is at most 8 MB (POSE_MAX_FRAME_BYTES), about 11 MB as base64 in JSON.
MAX_STREAM_BODY = 16 * 1024 * 1024

CLOSED_MESSAGE = (
    "This route is closed: every call goes through the queue. Use gradio_client, or "
    "POST /gradio_api/call/<api_name> and read the result from its event stream."
)


def queue_every_event(demo: gr.Blocks) -> None:
    """Mark every event of ``demo`` as queued (Gradio's Examples add ``queue=False`` ones
    that the page would call through the direct route). Call before launching."""
    for block_fn in demo.fns.values():
        block_fn.queue = True


UNREADABLE_INPUT = (
    "An input of this request could not be read: send the values the endpoint's API page describes."
)


def _label(block_fn) -> str:
    """An event's handler, as the log names it (never a value sent to it)."""
    return block_fn.name


def _kind(exc: BaseException) -> str:
    """An exception's type only: its message may quote what a client sent."""
    return type(exc).__name__


def quiet_input_errors(demo: gr.Blocks) -> None:
    """Answer an input Gradio's components cannot read with a message instead of a logged
    traceback: any event can be called by number (``fn_index``) with any data, and the
    traceback quoted the value sent (issue 28; the public endpoints' own checks give
    specific messages before this)."""
    original = demo.preprocess_data

    async def preprocess_data(block_fn, *args, **kwargs):
        try:
            return await original(block_fn, *args, **kwargs)
        except gr.Error as exc:
            # A component's own check (a Radio's choices, say) quotes the value sent: the
            # client reads it, the log gets no traceback with it.
            exc.print_exception = False
            raise
        except Exception as exc:  # too few values, a failed FileData model, a bad index...
            # Type only: the message quotes the value sent.
            log.info("event %s: an input could not be read (%s)", _label(block_fn), _kind(exc))
            raise gr.Error(UNREADABLE_INPUT, print_exception=False) from None

    demo.preprocess_data = preprocess_data


def callable_names(demo: gr.Blocks) -> set[str]:
    """The API names ``/gradio_api/call/<name>`` may run: every event that is not private
    (Gradio would raise, and log a traceback with the name, for any other name)."""
    return {
        block_fn.api_name
        for block_fn in demo.fns.values()
        if block_fn.api_name and block_fn.api_visibility != "private"
    }


async def _answer(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive, limit: int) -> bytes | None:
    """The request's body, or None when it is longer than ``limit`` bytes."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def stream_refusal(body: bytes) -> str | None:
    """Why a streaming route's body is refused (a file argument that is not an upload),
    or None; a body that is not JSON is left for Gradio's own validation (HTTP 422)."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    data = payload.get("data") if isinstance(payload, dict) else None
    return file_refusal(data) if data is not None else None


CALL = re.compile(r"^/gradio_api/call/(?:v2/)?([^/]+)/?$")


class SideDoors:
    """ASGI middleware: the direct routes closed, ``/call/<name>`` only for the app's
    callable names (:func:`callable_names`), the streaming route's files checked.

    Add it with ``launch(app_kwargs={"middleware": [Middleware(SideDoors, names=...)]})``.
    """

    def __init__(self, app, names: set[str] | frozenset[str] = frozenset()) -> None:
        self.app = app
        self.names = frozenset(names)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        root = scope.get("root_path", "") or ""
        path = re.sub("/+", "/", scope.get("path", ""))
        if root and path.startswith(root):
            path = path[len(root) :]
        if CLOSED.match(path):
            log.debug("refused a call on a closed route")  # a flood must not fill the log
            await _answer(send, 404, CLOSED_MESSAGE)
            return
        called = CALL.match(path)
        if called and called.group(1) not in self.names:
            await _answer(send, 404, "No endpoint of that name: see /gradio_api/info.")
            return
        if not STREAM.match(path):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive, MAX_STREAM_BODY)
        if body is None:
            await _answer(send, 413, "The streamed data is too large.")
            return
        refusal = stream_refusal(body)
        if refusal is not None:
            log.info("stream data refused: a file argument is not an uploaded file")
            await _answer(send, 422, refusal)
            return
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


_original_delete = route_utils.delete_files_created_by_app


def sweep_safely(blocks: gr.Blocks, age: int | None) -> None:
    """Gradio's cache sweep (``delete_cache``), kept alive: entries in its file sets that
    are not regular files are dropped from them (never deleted), and a failure is logged
    in one line instead of ending the sweep for good."""
    for files in blocks.temp_file_sets:
        odd = {file for file in list(files) if not_a_file(file) not in (None, "missing")}
        if odd:
            log.warning("cache sweep: %d entries that are not files left out", len(odd))
            files -= odd
    try:
        _original_delete(blocks, age)
    except OSError as exc:
        log.warning("cache sweep: %s (%s); it runs again next time", _kind(exc), exc.strerror)


def keep_the_sweep_alive() -> None:
    """Route Gradio's scheduled sweep and its shutdown clean-up through :func:`sweep_safely`
    (both look the function up in ``gradio.route_utils`` when they run)."""
    route_utils.delete_files_created_by_app = sweep_safely
