"""Issue 28 through the launched app: every route into a handler, listed from the running
app (FastAPI's route table and Gradio's config), goes through the queue and its shares or
is closed, and no probe leaves a traceback or its own text in the server's log."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.helpers.clips import make_clip

MARK = "probe-side-door-7f3a"  # client text that must never reach the log

# Every POST route of Gradio 6.31, by what it does with a handler. A route Gradio adds in a
# later version fails test_every_post_route_is_accounted_for until it is placed here.
CLOSED = {
    "/gradio_api/run/{api_name}",
    "/gradio_api/api/{api_name}",
    "/gradio_api/component_server",
    "/gradio_api/process_recording",
}
QUEUED = {"/gradio_api/queue/join", "/gradio_api/call/{api_name}", "/gradio_api/call/v2/{api_name}"}
STREAM = {"/gradio_api/stream/{event_id}"}  # data for a running stream event
NO_HANDLER = {
    "/login",
    "/gradio_api/upload",  # budgeted per address (tests/app/test_hostile_app.py)
    "/gradio_api/reset",
    "/gradio_api/cancel",
    "/gradio_api/stream/{event_id}/close",
    "/gradio_api/run-history/connect",
    "/gradio_api/vibe-edit",
    "/gradio_api/undo-vibe-edit",
    "/gradio_api/vibe-code",
    "/gradio_api/vibe-starter-queries",
    "/gradio_api/profiling/clear",
}


@pytest.fixture(scope="module")
def log_start(app_log) -> int:
    return len(app_log.read_text())


@pytest.fixture(scope="module")
def post_routes(app_url, log_start) -> set[str]:
    """The running app's POST routes, from FastAPI's own route table (/openapi.json)."""
    paths = httpx.get(f"{app_url}openapi.json", timeout=30).json()["paths"]
    return {path.rstrip("/") or "/" for path, ops in paths.items() if "post" in ops}


@pytest.fixture(scope="module")
def events(app_url) -> list[dict]:
    """Every event the page knows (Gradio's config): id (fn_index), api_name, queue."""
    return httpx.get(f"{app_url}config", timeout=30).json()["dependencies"]


def test_every_post_route_is_accounted_for(post_routes):
    unknown = post_routes - (CLOSED | QUEUED | STREAM | NO_HANDLER)
    assert not unknown, f"new routes to place: {unknown}"
    assert post_routes >= CLOSED | QUEUED | STREAM  # and this list is not stale


def test_every_event_is_queued(events):
    assert events and all(event["queue"] for event in events)


def test_the_direct_routes_refuse_every_event_by_name_and_number(app_url, post_routes, events):
    """Issue 28, item 1: POST /gradio_api/run/predict with an fn_index ran the handler
    at once, outside the queue: 30 video calls ran together, 14 GB."""
    with httpx.Client(base_url=app_url.rstrip("/"), timeout=30) as http:
        for route in sorted(CLOSED & post_routes):
            for event in events:
                path = route.replace("{api_name}", event.get("api_name") or "predict")
                for suffix in ("", "/"):
                    body = {"fn_index": event["id"], "data": [MARK], "session_hash": MARK}
                    response = http.post(path + suffix, json=body)
                    assert response.status_code == 404, (path, response.text)
                    assert "every call goes through the queue" in response.text


def test_unknown_names_and_numbers_are_refused_without_a_traceback(app_url):
    base = f"{app_url}gradio_api"
    assert httpx.post(f"{base}/call/{MARK}", json={"data": []}).status_code == 404
    assert httpx.post(f"{base}/call/v2/{MARK}", json={}).status_code == 404
    joined = httpx.post(
        f"{base}/queue/join", json={"fn_index": 99999, "data": [MARK], "session_hash": MARK}
    )
    assert joined.status_code == 400 and "no event with that number" in joined.text


def test_an_event_called_by_number_with_junk_gets_a_message(app_url, events):
    """Any event can be joined by number with any data; Gradio's preprocessing failed
    with a traceback quoting the data."""
    base = f"{app_url}gradio_api"
    for event in events:
        if event["inputs"]:
            session = uuid.uuid4().hex
            body = {"fn_index": event["id"], "data": [MARK] * 2, "session_hash": session}
            joined = httpx.post(f"{base}/queue/join", json=body, timeout=30)
            assert joined.status_code in (200, 422), joined.text


def _upload(base: str, path: Path) -> dict:
    with path.open("rb") as handle:
        response = httpx.post(f"{base}/upload", files={"files": (path.name, handle)}, timeout=60)
    response.raise_for_status()
    return {"path": response.json()[0], "meta": {"_type": "gradio.FileData"}}


def test_every_queued_route_counts_toward_one_sessions_share(app_url, tmp_path):
    """Jobs joined through /call and /queue/join count together: the fourth is refused,
    whichever route it takes; the other user's share is untouched."""
    base = f"{app_url}gradio_api"
    video = _upload(base, make_clip(tmp_path / "clip.mp4", frames=60, size=(160, 120)))
    arguments = [video, "fast", 0.1, 1, False, False, False]
    session = uuid.uuid4().hex
    outcomes = []
    for route in ("call", "call", "join", "call", "join"):
        if route == "call":
            body = {"data": arguments, "session_hash": session}
            response = httpx.post(f"{base}/call/estimate_video", json=body, timeout=30)
        else:
            event = _event_id(app_url, "estimate_video")
            body = {"fn_index": event, "data": arguments, "session_hash": session}
            response = httpx.post(f"{base}/queue/join", json=body, timeout=30)
        outcomes.append(response.status_code)
        if response.status_code != 200:
            assert "You already have 3 jobs waiting or running" in response.text
    assert outcomes == [200, 200, 200, 422, 422]


def _event_id(app_url: str, api_name: str) -> int:
    events = httpx.get(f"{app_url}config", timeout=30).json()["dependencies"]
    return next(event["id"] for event in events if event["api_name"] == api_name)


def test_the_upload_folder_or_a_device_as_input_is_refused_on_every_route(app_url, tmp_path):
    """Issue 28, item 2: the upload folder as a file argument was admitted, and Gradio's
    cache sweep then failed on it for the life of the process."""
    base = f"{app_url}gradio_api"
    upload = _upload(base, make_clip(tmp_path / "c.mp4", frames=2, size=(64, 64)))
    folder = str(Path(upload["path"]).parent.parent)  # Gradio's upload folder
    for path, message in ((folder, "is a folder, not an uploaded file"), ("/dev/zero", "uploaded")):
        data = [{"path": path, "meta": {"_type": "gradio.FileData"}}, "fast", 0.1, False]
        call = httpx.post(f"{base}/call/estimate_image", json={"data": data}, timeout=30)
        assert call.status_code == 422 and message in call.text, call.text
        stream = httpx.post(f"{base}/stream/{MARK}", json={"data": data}, timeout=30)
        assert stream.status_code == 422 and message in stream.text, stream.text
    # Data for no running stream: Gradio's own 404, as before.
    assert httpx.post(f"{base}/stream/{MARK}", json={"data": [MARK]}).status_code == 404


def test_no_probe_left_a_traceback_or_its_text_in_the_log(app_log, log_start):
    """Runs last in this module: everything above, as the server logged it."""
    time.sleep(2.0)  # jobs refused or failed above finish logging
    logged = app_log.read_text()[log_start:]
    assert "Traceback" not in logged
    assert MARK not in logged
