"""LiteRT.js from an npm registry without npm (models/web_runtime.py), against a registry
served on a loopback port with tarballs built here: verified by the lockfile's sha512,
unpacked in the page's layout, nothing written outside it, and a tampered tarball or an
unreachable registry refused with a reason while the old bundle stays."""

from __future__ import annotations

import pytest

from models.web_runtime import (
    RuntimeFetchError,
    install,
    installed,
    pinned,
    tarball_url,
)
from tests.helpers.npm_registry import WASM, runtime_tarballs, serving, write_lockfile
from tests.helpers.server import free_port


def test_the_pinned_versions_and_addresses():
    pins = pinned()
    assert set(pins) == {"@litertjs/core", "@litertjs/wasm-utils"}
    version, integrity = pins["@litertjs/core"]
    assert integrity.startswith("sha512-") and version
    assert (
        tarball_url("@litertjs/core", "2.5.3", "https://registry.npmjs.org")
        == "https://registry.npmjs.org/@litertjs/core/-/core-2.5.3.tgz"
    )


def test_install_verifies_and_unpacks_only_the_pages_files(tmp_path):
    tarballs = runtime_tarballs(hostile=True)
    lockfile = write_lockfile(tmp_path / "package-lock.json", tarballs)
    vendor = tmp_path / "web" / "vendor"
    with serving(tarballs) as registry:
        install(vendor, lockfile, registry)
    assert installed(vendor)
    core = vendor / "litertjs" / "core"
    assert (core / "wasm" / "litert_wasm_threaded_internal.wasm").read_bytes() == WASM
    # The runtime's import of its helper is rewritten to a path a browser can load.
    assert b'from "../../wasm-utils/dist/index.js"' in (core / "dist" / "index.js").read_bytes()
    # Neither the ../ member nor the link was written anywhere.
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert not any("escaped" in p or "link.js" in p for p in written), written
    assert not list(tmp_path.glob("web/.vendor-*")), "the staging folder was left behind"


def test_a_tampered_tarball_is_refused_and_the_old_bundle_kept(tmp_path):
    tarballs = runtime_tarballs()
    lockfile = write_lockfile(tmp_path / "package-lock.json", tarballs)
    vendor = tmp_path / "vendor"
    with serving(tarballs) as registry:
        install(vendor, lockfile, registry)
        before = (vendor / "litertjs" / "core" / "dist" / "index.js").read_bytes()
        served = {**tarballs, "@litertjs/core": tarballs["@litertjs/core"][:-8] + b"tampered"}
    with serving(served) as registry, pytest.raises(RuntimeFetchError, match="integrity"):
        install(vendor, lockfile, registry)
    assert installed(vendor)
    assert (vendor / "litertjs" / "core" / "dist" / "index.js").read_bytes() == before


def test_an_unreachable_registry_says_why(tmp_path):
    lockfile = write_lockfile(tmp_path / "package-lock.json", runtime_tarballs())
    with pytest.raises(RuntimeFetchError, match="could not download"):
        install(tmp_path / "vendor", lockfile, f"http://127.0.0.1:{free_port()}")
    assert not installed(tmp_path / "vendor")


def test_offline_the_page_is_told_why(tmp_path, monkeypatch):
    from ui import live_prepare

    monkeypatch.setenv("POSE_LIVE_VENDOR", str(tmp_path / "vendor"))
    monkeypatch.setenv("POSE_NPM_REGISTRY", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setitem(live_prepare._problem, "reason", "")
    thread = live_prepare.start_preparing()
    assert thread is not None
    thread.join(timeout=60)
    ready, reason = live_prepare.live_status()
    assert not ready
    assert "could not be prepared" in reason and "could not download" in reason, reason
    assert "frames go to the server" in reason
