"""What the server admits: fair shares of the queue and of upload space per client, files
only from uploads, and a check that a job's client is still there.

Gradio's queue has one size for everyone (``queue(max_size=...)``): 40 calls from one
client filled it and every other user read "Queue is full". Here each Gradio session (a
page load, or one ``gradio_client.Client``) may have :data:`JOBS_PER_SESSION` jobs waiting
or running, and each network address :data:`JOBS_PER_ADDRESS` (people behind one router
share an address, so this one is generous; an address comes from X-Forwarded-For only
when the peer is a proxy named in POSE_TRUSTED_PROXIES, and an MCP client's session and
address come from ui.mcp_bridge). Uploads are budgeted per address too. The machine's own
loopback address has no per-address limits: it is the local user. A job
whose client has disconnected is stopped by its handler (:func:`client_gone`). A job whose
file arguments name paths on the server's disk, or anything in the upload folder that is not
a regular file, is refused with a message saying how to upload (:func:`file_refusal`).

These hook into Gradio 6.31 internals (``Queue.push``, ``Event.alive``); the installed
source is the reference, and tests in tests/app cover each hook.
"""

from __future__ import annotations

import inspect
import ipaddress
import json
import logging
import os
import secrets
import threading
import time
import typing
from collections import Counter, defaultdict, deque
from collections.abc import Iterator

import gradio as gr
from gradio import utils as gradio_utils
from gradio.context import LocalContext

from pose.media.images import not_a_file
from ui.lifecycle import STOPPING

log = logging.getLogger("app")

JOBS_PER_SESSION = int(os.environ.get("POSE_JOBS_PER_SESSION", 3))
JOBS_PER_ADDRESS = int(os.environ.get("POSE_JOBS_PER_ADDRESS", 16))
# Per address, within UPLOAD_WINDOW_S: at most this many bytes and files. A phone photo is
# 2-5 MB and a clip up to 50 MB (the per-file limit), so a person is far below; ten 49 MB
# uploads in 3 s (the probe) are not.
UPLOAD_WINDOW_S = float(os.environ.get("POSE_UPLOAD_WINDOW_S", 600))
UPLOAD_BYTES = int(os.environ.get("POSE_UPLOAD_MB", 200)) * 1_000_000
UPLOAD_FILES = int(os.environ.get("POSE_UPLOAD_FILES", 60))

UPLOAD_PATH = "/gradio_api/upload"


def _networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for item in text.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            log.warning("POSE_TRUSTED_PROXIES: %r is not an address or network; ignored", item)
    return tuple(networks)


# The proxies whose X-Forwarded-For is believed: addresses or networks, comma-separated.
# None by default: a peer's X-Forwarded-For is ignored, whatever its address (issue 28: a
# private-address peer's forged entries got one client 33 jobs against the cap of 16).
# On a Hugging Face Space the container is reached only through Hugging Face's proxy, from
# its private network: 10.0.0.0/8 is trusted there unless POSE_TRUSTED_PROXIES says else
# (docs/reliability.md, docs/hosting.md).
SPACE_PROXIES = "10.0.0.0/8"
TRUSTED_PROXIES = _networks(
    os.environ.get("POSE_TRUSTED_PROXIES", SPACE_PROXIES if os.environ.get("SPACE_ID") else "")
)


def is_local(address: str) -> bool:
    """A loopback address: the machine's own user (``python app.py`` on a laptop, tests,
    benchmarks), held to the per-session share only, not to the per-address ones."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _trusted(address: str, trusted) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(host: str | None, forwarded_for: str | None, trusted=None) -> str:
    """The address to hold to a share: the peer's, unless the peer is one of the
    ``trusted`` proxies (default :data:`TRUSTED_PROXIES`, from POSE_TRUSTED_PROXIES). Then
    ``X-Forwarded-For`` is read from the right, past the trusted proxies' own entries, and
    the first other address is the client (entries further left are the client's to
    forge). A private peer is no proxy unless named: anyone on the network could send
    X-Forwarded-For to dodge the caps or pass for the loopback user."""
    trusted = TRUSTED_PROXIES if trusted is None else trusted
    host = host or "unknown"
    if not forwarded_for or not _trusted(host, trusted):
        return host
    entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
    for entry in reversed(entries):
        if not _trusted(entry, trusted):
            return entry
    return entries[0] if entries else host


# --------------------------------------------------------------------------- queued jobs


def session_refusal(waiting: int) -> str:
    return (
        f"You already have {waiting} jobs waiting or running: wait for them to finish, "
        "then send more. (Each person gets a fair share of this server.)"
    )


def address_refusal(waiting: int) -> str:
    return (
        f"Your network address already has {waiting} jobs waiting or running: wait for "
        "some to finish, then try again."
    )


def _validation_error(message: str) -> list[dict]:
    """The shape Gradio gives a failed input validator: gradio_client raises it as a
    ValidationError with this text, and the browser shows it on the event's first input
    (a plain queue-full reply would read only "Queue is full! Please try again.")."""
    return [
        {"__type__": "validate", "is_valid": False, "parameter_name": "queue", "message": message}
    ]


FOREIGN_PATH = (
    "Files must be uploaded, not named by a path on the server: send the file itself "
    "(gradio_client: handle_file('photo.jpg'); HTTP: POST /gradio_api/upload first)."
)


def not_a_file_refusal(name: str, kind: str) -> str:
    return f"{name} is {kind}, not an uploaded file: send the file itself."


def _file_paths(data: object) -> Iterator[str]:
    """Every ``path`` string in a job's ``data`` (FileData dicts, at any depth)."""
    if isinstance(data, dict):
        path = data.get("path")
        if isinstance(path, str):
            yield path
        for value in data.values():
            yield from _file_paths(value)
    elif isinstance(data, (list, tuple)):
        for value in data:
            yield from _file_paths(value)


def foreign_paths(data: object, upload_folder: str | None = None) -> int:
    """How many file arguments in a job's ``data`` name a path outside the upload folder
    (Gradio's preprocessing would refuse each with a generic error)."""
    folder = upload_folder or gradio_utils.get_upload_folder()
    return sum(
        not gradio_utils.is_in_or_equal(gradio_utils.abspath(path), folder)
        for path in _file_paths(data)
    )


def file_refusal(data: object, upload_folder: str | None = None) -> str | None:
    """Why a job's file arguments are refused, or None: a path outside the upload folder
    (:data:`FOREIGN_PATH`), or inside it something other than a regular file. The upload
    folder itself or one of its sub-folders, admitted before, was added to Gradio's cache
    sweep, which then failed on it and never ran again (issue 28); a FIFO or a device is
    refused for the same reason and because reading it blocks or never ends."""
    folder = upload_folder or gradio_utils.get_upload_folder()
    for path in _file_paths(data):
        if not gradio_utils.is_in_or_equal(gradio_utils.abspath(path), folder):
            return FOREIGN_PATH
        kind = not_a_file(path)
        if kind not in (None, "missing"):  # a missing upload gets Gradio's own answer
            return not_a_file_refusal(os.path.basename(path.rstrip("/")) or "It", kind)
    return None


# --------------------------------------------------------------------------- MCP callers

# Gradio's MCP server calls the app through one gradio_client on loopback, so every MCP
# client shared one session and the loopback address. ui.mcp_bridge sends each call with
# the caller's identity in these headers, signed with a key only this process knows.
MCP_KEY = secrets.token_hex(16)
MCP_KEY_HEADER = "x-pose-mcp-key"
MCP_CLIENT_HEADER = "x-pose-mcp-client"
MCP_ADDRESS_HEADER = "x-pose-mcp-address"


def mcp_caller(headers) -> tuple[str, str] | None:
    """(client key, address) of an MCP tool call made by ui.mcp_bridge, else None."""
    if not headers or not secrets.compare_digest(headers.get(MCP_KEY_HEADER, "") or "", MCP_KEY):
        return None
    return headers.get(MCP_CLIENT_HEADER, "") or "", headers.get(MCP_ADDRESS_HEADER, "") or ""


def is_light(block_fn) -> bool:
    """An event left at Gradio's default concurrency: loading an example, clearing outputs,
    picking a person (every event that runs the model sets a concurrency limit of its
    own). These were called outside the queue before issue 28 and cost no share."""
    return getattr(block_fn, "concurrency_limit", None) == "default"


EVENT_DATA_MISSING = "This event needs the data of a click or selection (event_data)."


def event_data_keys(fn) -> set[str] | None:
    """The ``event_data`` keys a handler's EventData parameter reads (Gradio builds it from
    the request before the handler runs, and a missing key failed there with a logged
    traceback); None when the handler takes no event data."""
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # a handler without resolvable hints takes no EventData we know of
        return None
    for hint in hints.values():
        if inspect.isclass(hint) and issubclass(hint, gr.EventData):
            return {"index", "value"} if issubclass(hint, gr.SelectData) else set()
    return None


def event_data_refusal(fn, event_data: object) -> str | None:
    """:data:`EVENT_DATA_MISSING` when ``fn`` needs event data that ``event_data`` lacks."""
    keys = event_data_keys(fn) if fn is not None else None
    if keys is None:
        return None
    if not isinstance(event_data, dict) or not keys <= event_data.keys():
        return EVENT_DATA_MISSING
    return None


def admit_jobs(
    demo: gr.Blocks, per_session: int = JOBS_PER_SESSION, per_address: int = JOBS_PER_ADDRESS
) -> None:
    """Hold every job joining ``demo``'s queue to :func:`foreign_paths` and to the shares:
    refuse a new job from a session or address that already has its share in the queue.

    Call after ``demo.queue(...)``. Jobs count from the moment they join until they end;
    joins still being admitted count too, so a burst cannot slip past the check.
    """
    queue = demo._queue
    admitting: Counter[str] = Counter()
    original_push = queue.push

    async def push(body, request, username):
        refusal = _input_refusal(demo, body)
        if refusal is not None:
            return refusal
        # Light events (the page's own bookkeeping) wait in the queue but take no share of
        # the session: an example click, or a person picked, must not cost a job.
        light = body.fn_index is not None and is_light(demo.fns[body.fn_index])
        session = None if light else _session_of(body.session_hash, request)
        address = _address_of(request)
        refusal = _share_refusal(
            _queued_jobs(queue), admitting, session, address, per_session, per_address
        )
        if refusal is not None:
            return refusal
        keys = [f"s:{session}", f"a:{address}"]
        admitting.update(keys)
        try:
            return await original_push(body=body, request=request, username=username)
        finally:
            admitting.subtract(keys)
            for key in keys:
                if admitting[key] <= 0:
                    del admitting[key]

    queue.push = push


def _queued_jobs(queue) -> list:
    """Every event waiting in ``queue`` or running in one of its active jobs."""
    waiting = [e for q in queue.event_queue_per_concurrency_id.values() for e in q.queue]
    return waiting + [e for job in queue.active_jobs if job for e in job]


def _address_of(request) -> str:
    """The address a job counts against: the MCP caller's, else the client's."""
    headers = getattr(request, "headers", {}) or {}
    caller = mcp_caller(headers)
    if caller is not None:
        return caller[1]
    client = getattr(request, "client", None)
    return client_address(client.host if client else None, headers.get("x-forwarded-for"))


def _session_of(session_hash: str | None, request) -> str | None:
    """The session a job counts against: one per MCP caller, else the page's session."""
    caller = mcp_caller(getattr(request, "headers", {}) or {})
    return f"mcp:{caller[0]}" if caller is not None else session_hash


def _input_refusal(demo: gr.Blocks, body) -> tuple[bool, str, str] | None:
    """The queue's refusal of a job whose event or file arguments are not ours, else None."""
    if body.fn_index is not None and body.fn_index not in demo.fns:
        # Gradio would fail with a KeyError and log a traceback quoting the number.
        return False, "There is no event with that number.", "error"
    refusal = file_refusal(body.data)
    if refusal is None and body.fn_index is not None:
        refusal = event_data_refusal(demo.fns[body.fn_index].fn, body.event_data)
    if refusal is None:
        return None
    log.info("job refused: a file argument is not an uploaded file")
    return False, _validation_error(refusal), "validator_error"


def _share_refusal(
    current: list,
    admitting: Counter[str],
    session: str | None,
    address: str,
    per_session: int,
    per_address: int,
) -> tuple[bool, str, str] | None:
    """The queue's refusal of a job whose session or address already has its share in
    ``current`` (queued and running events) plus ``admitting`` (joins under way), else None."""
    by_session = admitting[f"s:{session}"] + sum(
        1
        for e in current
        if session is not None
        and not is_light(e.fn)
        and _session_of(e.session_hash, e.request) == session
    )
    by_address = admitting[f"a:{address}"] + sum(
        1 for e in current if _address_of(e.request) == address
    )
    if session is not None and by_session >= per_session:
        log.info("job refused: a session has %d jobs queued", by_session)
        return False, _validation_error(session_refusal(by_session)), "validator_error"
    if by_address >= per_address and not is_local(address):
        log.info("job refused: an address has %d jobs queued", by_address)
        return False, _validation_error(address_refusal(by_address)), "validator_error"
    return None


# --------------------------------------------------------------------------- gone clients


class JobStopped(Exception):
    """A running job stops early: its client has gone, or the server is stopping."""


def client_gone() -> bool:
    """True inside an event handler whose client has gone: its page closed, or its API
    client disconnected or cancelled the job. Gradio marks the event dead (``alive``) when
    the client's event stream closes, and forgets it when the job is cancelled, but lets a
    running function run on. Outside an event, False."""
    blocks = LocalContext.blocks.get(None)
    event_id = LocalContext.event_id.get(None)
    queue = getattr(blocks, "_queue", None)
    if queue is None or event_id is None:
        return False
    event = queue.event_ids_to_events.get(event_id)
    return event is None or not event.alive


def stop_if_unwanted() -> None:
    """Raise :class:`JobStopped` if the client has gone (:func:`client_gone`) or the server
    is stopping (:data:`ui.lifecycle.STOPPING`); long jobs call it between steps."""
    if STOPPING.is_set():
        raise JobStopped("The server is stopping; please try again in a minute.")
    if client_gone():
        raise JobStopped("The job's client has gone.")


# --------------------------------------------------------------------------- uploads


class UploadBudget:
    """ASGI middleware: per address, at most ``max_bytes`` and ``max_files`` uploaded
    within ``window_s``; beyond that, HTTP 429 with a message, before the body is read.

    Bytes are counted from Content-Length (Gradio's own limit refuses larger files, and a
    request without it counts as ``max_bytes``). Add it with
    ``launch(app_kwargs={"middleware": [Middleware(UploadBudget)]})``.
    """

    def __init__(
        self,
        app,
        max_bytes: int = UPLOAD_BYTES,
        max_files: int = UPLOAD_FILES,
        window_s: float = UPLOAD_WINDOW_S,
    ) -> None:
        self.app = app
        self.max_bytes, self.max_files, self.window_s = max_bytes, max_files, window_s
        self._seen: defaultdict[str, deque[tuple[float, int]]] = defaultdict(deque)
        self._lock = threading.Lock()

    def admit(self, address: str, size: int, now: float | None = None) -> str | None:
        """Record an upload of ``size`` bytes from ``address``; the refusal, if over."""
        now = time.monotonic() if now is None else now
        with self._lock:
            history = self._seen[address]
            while history and history[0][0] <= now - self.window_s:
                history.popleft()
            used = sum(size for _, size in history)
            minutes = f"{self.window_s / 60:.0f} minutes"
            if len(history) >= self.max_files or used + size > self.max_bytes:
                return (
                    f"Too many uploads from your address: at most {self.max_files} files and "
                    f"{self.max_bytes / 1e6:.0f} MB in {minutes}. Please wait a few "
                    "minutes, then try again."
                )
            history.append((now, size))
            # Forget addresses quiet for a whole window, so the table stays small.
            for key in [
                key for key, seen in self._seen.items() if seen[-1][0] <= now - self.window_s
            ]:
                del self._seen[key]
            return None

    async def __call__(self, scope, receive, send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or not scope.get("path", "").rstrip("/").endswith(UPLOAD_PATH)
        ):
            await self.app(scope, receive, send)
            return
        headers = {
            key.decode("latin-1").lower(): value.decode("latin-1")
            for key, value in scope["headers"]
        }
        try:
            size = int(headers.get("content-length", ""))
        except ValueError:
            size = self.max_bytes
        client = scope.get("client")
        address = client_address(client[0] if client else None, headers.get("x-forwarded-for"))
        refusal = None if is_local(address) else self.admit(address, size)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        log.info("upload refused: an address is over its upload budget")
        body = json.dumps({"detail": refusal}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(int(self.window_s // 10)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
