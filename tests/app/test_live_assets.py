"""The in-browser live view's files and headers, from the launched app (ui/live_assets.py)."""

from __future__ import annotations

import httpx

from pose.body.skeleton import LIMBS
from pose.photo.paf import DEFAULT_PARAMS


def test_pages_are_cross_origin_isolated(app_url):
    page = httpx.get(app_url, timeout=30)
    assert page.status_code == 200
    assert page.headers["cross-origin-opener-policy"] == "same-origin"
    assert page.headers["cross-origin-embedder-policy"] == "credentialless"
    assert "live/app/live.js" in page.text


def test_live_files_are_served_and_nothing_else(app_url):
    spec = httpx.get(app_url + "live/spec.json", timeout=30).json()
    assert spec["limbs"] == [[int(a), int(b)] for a, b in LIMBS]
    assert spec["params"]["paf_samples"] == DEFAULT_PARAMS.paf_samples
    script = httpx.get(app_url + "live/app/decode.js", timeout=30)
    assert script.status_code == 200 and "text/javascript" in script.headers["content-type"]
    runtime = httpx.get(app_url + "live/litertjs/core/wasm/litert_wasm_internal.wasm", timeout=30)
    assert runtime.headers["content-type"] == "application/wasm"
    assert runtime.content[:4] == b"\0asm"
    model = httpx.get(app_url + "live/model.tflite", timeout=30)
    assert model.content[4:8] == b"TFL3"
    for other in ("live/app.py", "live/../app.py", "live/app/../../app.py", "live/litertjs/"):
        assert httpx.get(app_url + other, timeout=30).status_code == 404, other
