"""The in-browser live view's files and headers, from the launched app (ui/live_assets.py)."""

from __future__ import annotations

import time

import httpx

from models.browser import LIVE_CROP_INPUTS, LIVE_LADDER
from pose.body.skeleton import LIMBS
from pose.photo.paf import DEFAULT_PARAMS
from tests.helpers.npm_registry import WASM, runtime_tarballs, serving, write_lockfile
from tests.helpers.server import launched_app


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
    # The narrower crops' inputs (web/live/region.js), each a model file of its own.
    assert [(c["width"], c["height"]) for c in spec["cropInputs"]] == list(LIVE_CROP_INPUTS)
    for crop in spec["cropInputs"]:
        model = httpx.get(app_url + "live/" + crop["file"], timeout=30)
        assert model.status_code == 200 and model.content[4:8] == b"TFL3", crop
    for other in ("live/app.py", "live/../app.py", "live/app/../../app.py", "live/litertjs/"):
        assert httpx.get(app_url + other, timeout=30).status_code == 404, other


def test_the_ladders_models_are_made_at_their_sizes(app_url):
    """The ladder's rungs (web/live/ladder.js) up to the server's own input, and every input's
    float copy (WebGPU), made in memory on a first request: models whose input is the size
    the spec names, int8 or float as named; no other size is made."""
    from pose.network.runners import interpreter_class

    spec = httpx.get(app_url + "live/spec.json", timeout=30).json()
    assert [(r["width"], r["height"]) for r in spec["ladder"]] == list(LIVE_LADDER)
    assert spec["ladder"][0]["file"] == "model.tflite" and LIVE_LADDER[-1] == (432, 320)
    _, interpreter_type = interpreter_class()
    for rung, key in ((spec["ladder"][1], "file"), (spec["ladder"][-1], "floatFile")):
        model = httpx.get(app_url + "live/" + rung[key], timeout=60)
        assert model.status_code == 200, rung
        (details,) = interpreter_type(model_content=model.content).get_input_details()
        assert list(details["shape"]) == [1, rung["height"], rung["width"], 3]
        # Float weights or int8 ones: the float copy is about twice the int8 one's size.
        assert (len(model.content) > 6_000_000) == (key == "floatFile"), len(model.content)
    crop = httpx.get(app_url + "live/" + spec["cropInputs"][0]["floatFile"], timeout=60)
    assert crop.status_code == 200 and crop.content[4:8] == b"TFL3"
    for other in ("live/model.float.500x500.tflite", "live/model.96x96.tflite"):
        assert httpx.get(app_url + other, timeout=30).status_code == 404, other


def test_a_first_start_fetches_the_runtime_and_serves_it(tmp_path):
    """A host that did not run `make setup` (a Space): the app downloads the pinned bundle
    from the registry (here one on a loopback port serving tarballs built in the test),
    checks it, and serves it; the page learns it is ready from spec.json."""
    tarballs = runtime_tarballs()
    lockfile = write_lockfile(tmp_path / "package-lock.json", tarballs)
    vendor = tmp_path / "vendor"
    with (
        serving(tarballs) as registry,
        launched_app(
            tmp_path / "app.log",
            POSE_LIVE_VENDOR=str(vendor),
            POSE_NPM_REGISTRY=registry,
            POSE_NPM_LOCKFILE=str(lockfile),
        ) as (url, _),
    ):
        deadline = time.monotonic() + 120
        spec = httpx.get(url + "live/spec.json", timeout=30).json()
        while not spec["ready"] and time.monotonic() < deadline:
            assert "prepared" in spec["reason"], spec["reason"]
            time.sleep(0.5)
            spec = httpx.get(url + "live/spec.json", timeout=30).json()
        assert spec["ready"], spec["reason"]
        wasm = httpx.get(url + "live/litertjs/core/wasm/litert_wasm_internal.wasm", timeout=30)
        assert wasm.status_code == 200 and wasm.content == WASM
        index = httpx.get(url + "live/litertjs/core/dist/index.js", timeout=30).text
        assert "../../wasm-utils/dist/index.js" in index
