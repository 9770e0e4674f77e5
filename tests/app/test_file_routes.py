"""The app serves no file beyond Gradio's cache: no traversal through the file routes, and no
API call can make it read a server path of the caller's choosing."""

from __future__ import annotations

import http.client
import json
import os
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest

from tests.helpers.bad_inputs import encoded, photo_array
from tests.helpers.hostile import read_call
from tests.helpers.paths import COCO_DIR, ROOT
from tests.helpers.server import launched_app

PASSWD = "/etc/passwd"
SECRET_MARKERS = (b"root:", b"PATH=", b"import gradio", b"Openpose")


def raw_get(app_url: str, target: str) -> tuple[int, bytes]:
    """GET ``target`` exactly as written: http.client neither normalises ``..`` nor re-encodes."""
    parts = urlsplit(app_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def upload(app_url: str, name: str, data: bytes) -> str:
    response = httpx.post(app_url + "gradio_api/upload", files={"files": (name, data)}, timeout=30)
    response.raise_for_status()
    return response.json()[0]


TRAVERSALS = [
    f"/gradio_api/file={PASSWD}",
    f"/file={PASSWD}",
    f"/gradio_api/file=/..{PASSWD}",
    "/gradio_api/file=../../../../../../etc/passwd",
    "/gradio_api/file=..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/gradio_api/file=%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/gradio_api/file=%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    f"/gradio_api/file={quote(PASSWD, safe='')}",
    f"/gradio_api/file={quote(quote(PASSWD, safe=''), safe='')}",
    f"/gradio_api/file=/{PASSWD}",
    f"/gradio_api/file=file://{PASSWD}",
    "/gradio_api/file=/proc/self/environ",
    "/gradio_api/file=/proc/self/cmdline",
    "/static/../../../../../../etc/passwd",
    "/assets/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/gradio_api/static/../../../../../../etc/passwd",
    "/../../../../../../etc/passwd",
    # the app's own files: source, model, eval data
    "/gradio_api/file=app.py",
    f"/gradio_api/file={ROOT / 'app.py'}",
    f"/gradio_api/file={ROOT / 'models' / 'graph_opt.pb'}",
    f"/gradio_api/file={COCO_DIR / '000000000785.jpg'}",
    f"/gradio_api/file={ROOT / '.git' / 'config'}",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_arbitrary_paths_cannot_be_fetched(app_url, target):
    status, body = raw_get(app_url, target)
    assert status in (400, 403, 404), (status, body[:200])
    assert not any(marker in body for marker in SECRET_MARKERS)


def test_an_upload_can_be_fetched_but_not_escaped_from(app_url):
    """Positive control (the route works), then ``..`` out of the cache folder."""
    data = encoded(photo_array(), "PNG")
    cached = upload(app_url, "mine.png", data)
    status, body = raw_get(app_url, "/gradio_api/file=" + cached)
    assert status == 200 and body == data
    escape = cached + "/../" * 12 + "etc/passwd"
    status, body = raw_get(app_url, "/gradio_api/file=" + escape)
    assert status in (403, 404) and b"root:" not in body
    status, body = raw_get(app_url, "/gradio_api/file=" + quote(escape, safe=""))
    assert status in (403, 404) and b"root:" not in body


def test_scratch_downloads_are_not_served_directly(app_url):
    """JSON/CSV results are served only from Gradio's cache copies, not the scratch folder."""
    scratch = Path(tempfile.gettempdir()) / "pose-downloads"
    scratch.mkdir(parents=True, exist_ok=True)
    probe = scratch / f"keypoints-{uuid.uuid4().hex}.json"
    probe.write_text('{"secret": "root:"}')
    try:
        status, body = raw_get(app_url, f"/gradio_api/file={probe}")
        assert status == 403 and b"secret" not in body
    finally:
        probe.unlink()


def image_call(app_url: str, file_data: dict) -> list:
    """Arguments for /estimate_image: ``file_data`` then every other parameter's default."""
    info = httpx.get(app_url + "gradio_api/info", timeout=30).json()
    parameters = info["named_endpoints"]["/estimate_image"]["parameters"]
    return [file_data, *(parameter.get("parameter_default") for parameter in parameters[1:])]


def call_raw(app_url: str, api_name: str, data: list) -> tuple[str, str]:
    """Call an endpoint over the plain HTTP API; return (last SSE event, its data), or
    ("refused", the reason) when the queue does not admit the job (HTTP 422)."""
    start = httpx.post(f"{app_url}gradio_api/call/{api_name}", json={"data": data}, timeout=30)
    if start.status_code == 422:
        return "refused", start.text
    start.raise_for_status()
    event_id = start.json()["event_id"]
    return read_call(f"{app_url}gradio_api/call/{api_name}/{event_id}")


@pytest.mark.parametrize(
    "path",
    [PASSWD, str(COCO_DIR / "000000000785.jpg"), str(ROOT / "app.py"), "../../../etc/passwd"],
)
def test_api_cannot_name_a_server_path_as_input(app_url, path):
    file_data = {"path": path, "meta": {"_type": "gradio.FileData"}}
    event, payload = call_raw(app_url, "estimate_image", image_call(app_url, file_data))
    # Refused at the queue's door with what to do instead (issue 20; Gradio's own check,
    # later, answered with its generic error).
    assert event == "refused", (event, payload[:200])
    assert "Files must be uploaded, not named by a path on the server" in payload
    assert "Found" not in payload and "root:" not in payload


def test_api_input_from_an_upload_works(app_url):
    """Positive control for the test above: the same call with an uploaded file succeeds."""
    cached = upload(app_url, "photo.jpg", (COCO_DIR / "000000040083.jpg").read_bytes())
    file_data = {"path": cached, "meta": {"_type": "gradio.FileData"}}
    event, payload = call_raw(app_url, "estimate_image", image_call(app_url, file_data))
    assert event == "complete", (event, payload[:300])
    assert "Found" in json.loads(payload)[-1]


def test_api_input_url_is_not_fetched_from_inside(app_url):
    """A FileData ``url`` pointing at the server itself (SSRF) must not be fetched."""
    file_data = {
        "path": "x.jpg",
        "url": f"{app_url}gradio_api/file={COCO_DIR / '000000040083.jpg'}",
        "meta": {"_type": "gradio.FileData"},
    }
    event, payload = call_raw(app_url, "estimate_image", image_call(app_url, file_data))
    assert event in ("error", "refused"), (event, payload[:200])
    assert "Found" not in payload


def test_no_temp_files_outside_the_gradio_cache_hold_uploads():
    """The scratch folder holds only results (keypoints-*, annotated-*, as files or as
    folders holding one file named after the upload), never uploads."""
    scratch = Path(tempfile.gettempdir()) / "pose-downloads"
    if not scratch.is_dir():
        pytest.skip("no results written yet")
    names = os.listdir(scratch)
    assert all(name.startswith(("keypoints-", "annotated-", "side-by-side-")) for name in names), (
        names
    )


def test_uploads_and_results_are_deleted_from_the_cache(tmp_path):
    """delete_cache really empties Gradio's cache: a second app, sweeping every second, with
    its own cache folder; an upload and its results are gone a few seconds later."""
    import time

    from gradio_client import Client, handle_file

    cache = tmp_path / "cache"
    with launched_app(
        tmp_path / "app.log",
        POSE_DELETE_CACHE="1,5",  # sweep every second, files older than 5 s
        GRADIO_TEMP_DIR=str(cache),
    ) as (url, _):
        photo = tmp_path / "private-upload.jpg"
        photo.write_bytes((COCO_DIR / "000000040083.jpg").read_bytes())
        client = Client(url, verbose=False, download_files=str(tmp_path / "downloads"))
        warm = handle_file(str(COCO_DIR / "000000000785.jpg"))  # loads the model
        client.predict(warm, "fast", 0.1, api_name="/estimate_image")
        *_, summary = client.predict(
            handle_file(str(photo)), "fast", 0.1, api_name="/estimate_image"
        )
        assert summary.startswith("Found")
        # The examples are Gradio's to keep (served to everyone); everything else must go.
        examples = {path.name for path in (ROOT / "examples").iterdir()}

        def ours() -> list[str]:
            names = [path.name for path in cache.rglob("*") if path.is_file()]
            return [name for name in names if name not in examples]

        assert "private-upload.jpg" in ours()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and ours():
            time.sleep(0.5)
        assert ours() == []
        client.close()
