"""LiteRT.js for the Webcam tab's in-browser mode, from the npm registry without npm.

``make setup`` installs the runtime with ``npm ci``; a Hugging Face Space runs only
``pip install`` and ``python app.py``, so the app builds the same bundle itself on its first
start (:mod:`ui.live_prepare`) with this module: for each package that
``web/package-lock.json`` pins, download its tarball from the registry, check it against
the lockfile's ``integrity`` (sha512), and unpack the few files the page loads into
``web/vendor/`` in the layout the Makefile writes. Nothing is fetched at page time: the app
serves the unpacked files itself (:mod:`ui.live_assets`).

``python -m models.web_runtime [--force]`` does the same from a shell.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import logging
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
LOCKFILE_ENV = "POSE_NPM_LOCKFILE"  # the pins (default web/package-lock.json)
VENDOR_ENV = "POSE_LIVE_VENDOR"  # where the bundle lives (default web/vendor)
REGISTRY_ENV = "POSE_NPM_REGISTRY"  # a mirror of the npm registry (default the public one)
REGISTRY = "https://registry.npmjs.org"
DOWNLOAD_TIMEOUT_S = 60
MAX_TARBALL_BYTES = 64 * 1024 * 1024  # @litertjs/core 2.5.3 is 11.8 MB

# Package -> (file in its tarball, without the "package/" prefix -> path under vendor/).
WASM_BUILDS = (
    "litert_wasm_threaded_internal",
    "litert_wasm_internal",
    "litert_wasm_compat_internal",
)
FILES = {
    "@litertjs/core": {
        "dist/index.js": "litertjs/core/dist/index.js",
        "LICENSE": "litertjs/LICENSE",
        **{
            f"wasm/{name}{ext}": f"litertjs/core/wasm/{name}{ext}"
            for name in WASM_BUILDS
            for ext in (".js", ".wasm")
        },
    },
    "@litertjs/wasm-utils": {"dist/index.js": "litertjs/wasm-utils/dist/index.js"},
}
OPTIONAL = {"LICENSE"}  # a package may ship it under another name
# The runtime imports its helper by package name; a browser without a bundler needs a path.
IMPORT_REWRITE = (b'from "@litertjs/wasm-utils"', b'from "../../wasm-utils/dist/index.js"')
STAMP = ".installed"  # the Makefile's target; written last, so its presence means complete


def lockfile_path() -> Path:
    """The pins: ``$POSE_NPM_LOCKFILE``, else ``web/package-lock.json``."""
    return Path(os.environ.get(LOCKFILE_ENV) or ROOT / "web" / "package-lock.json")


def vendor_dir() -> Path:
    """The bundle's folder: ``$POSE_LIVE_VENDOR``, else ``web/vendor``."""
    return Path(os.environ.get(VENDOR_ENV) or ROOT / "web" / "vendor")


def registry_url() -> str:
    """The npm registry to download from: ``$POSE_NPM_REGISTRY``, else the public one."""
    return (os.environ.get(REGISTRY_ENV) or REGISTRY).rstrip("/")


class RuntimeFetchError(RuntimeError):
    """The runtime could not be downloaded or did not verify; the message says why."""


def pinned(lockfile: Path | None = None) -> dict[str, tuple[str, str]]:
    """Package name -> (version, integrity "sha512-<base64>") for the packages in :data:`FILES`."""
    lockfile = lockfile or lockfile_path()
    packages = json.loads(lockfile.read_text())["packages"]
    found = {}
    for name in FILES:
        entry = packages.get(f"node_modules/{name}")
        if not entry or not str(entry.get("integrity", "")).startswith("sha512-"):
            raise RuntimeFetchError(f"{lockfile.name} pins no sha512 integrity for {name}")
        found[name] = (entry["version"], entry["integrity"])
    return found


def tarball_url(name: str, version: str, registry: str = REGISTRY) -> str:
    """The registry's address of a package's tarball (``@scope/pkg`` -> ``.../-/pkg-V.tgz``)."""
    return f"{registry}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"


def check_integrity(content: bytes, integrity: str) -> None:
    """Raise :class:`RuntimeFetchError` unless ``content``'s sha512 is ``integrity``'s."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise RuntimeFetchError(f"unsupported integrity {algorithm!r}")
    actual = base64.b64encode(hashlib.sha512(content).digest()).decode()
    if actual != expected:
        raise RuntimeFetchError(f"integrity mismatch: sha512-{actual[:16]}… is not the pinned one")


def download(url: str) -> bytes:
    """``url``'s bytes, at most :data:`MAX_TARBALL_BYTES`; errors as :class:`RuntimeFetchError`."""
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            content = response.read(MAX_TARBALL_BYTES + 1)
    except OSError as exc:  # URLError, timeouts and refused connections are all OSErrors
        raise RuntimeFetchError(f"could not download {url}: {exc}") from exc
    if len(content) > MAX_TARBALL_BYTES:
        raise RuntimeFetchError(f"{url} is larger than {MAX_TARBALL_BYTES} bytes")
    return content


def unpack(archive: Path, wanted: dict[str, str], into: Path) -> None:
    """Copy the ``wanted`` members of an npm tarball (``package/<file>``) to ``into/<path>``.

    Only named regular files are read, so no member's own path (``../``, links) is ever
    written; a missing required file is a :class:`RuntimeFetchError`."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = {m.name.split("/", 1)[-1]: m for m in tar.getmembers() if m.isfile()}
            for inside, target in wanted.items():
                member = members.get(inside)
                if member is None:
                    if inside in OPTIONAL:
                        continue
                    raise RuntimeFetchError(f"{archive.name} has no {inside}")
                content = tar.extractfile(member).read()
                if inside == "dist/index.js":
                    content = content.replace(*IMPORT_REWRITE)
                path = into / target
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
    except tarfile.TarError as exc:
        raise RuntimeFetchError(f"{archive.name} is not a readable tarball: {exc}") from exc


def install(
    vendor: Path | None = None, lockfile: Path | None = None, registry: str | None = None
) -> Path:
    """Download, verify and unpack every pinned package into ``vendor`` (default
    :func:`vendor_dir`; replaced whole, so a reader sees the old bundle or the new one,
    never half of one) from ``registry`` (default :func:`registry_url`)."""
    vendor = vendor or vendor_dir()
    registry = registry or registry_url()
    vendor.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".vendor-", dir=vendor.parent) as tmp:
        staged = Path(tmp) / "vendor"
        for name, (version, integrity) in pinned(lockfile).items():
            url = tarball_url(name, version, registry)
            content = download(url)
            check_integrity(content, integrity)
            archive = Path(tmp) / f"{name.replace('/', '_')}.tgz"
            archive.write_bytes(content)
            unpack(archive, FILES[name], staged)
            log.info("verified and unpacked %s@%s (%d bytes)", name, version, len(content))
        (staged / STAMP).write_text("built by models/web_runtime.py\n")
        if vendor.is_symlink() or vendor.is_file():
            vendor.unlink()
        elif vendor.exists():
            shutil.rmtree(vendor)
        staged.rename(vendor)
    return vendor


def installed(vendor: Path | None = None) -> bool:
    """True when ``vendor`` (default :func:`vendor_dir`) holds every required file of
    :data:`FILES`."""
    vendor = vendor or vendor_dir()
    return all(
        (vendor / target).is_file()
        for files in FILES.values()
        for inside, target in files.items()
        if inside not in OPTIONAL
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="download even when installed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if installed() and not args.force:
        print(f"runtime ok: {vendor_dir()}")
        return 0
    try:
        install()
    except RuntimeFetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"runtime ok: {vendor_dir()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
