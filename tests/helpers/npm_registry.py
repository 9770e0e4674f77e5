"""A small npm registry on a loopback port, for tests of models/web_runtime.py.

:func:`npm_tarball` builds a package tarball as npm packs one (members under ``package/``);
:func:`serving` serves tarballs at the registry's addresses and writes a lockfile pinning
them with their sha512 integrity, as ``web/package-lock.json`` does.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from models.web_runtime import FILES, tarball_url

VERSION = "9.9.9"
WASM = b"\0asm\1\0\0\0" + bytes(range(256))  # a WASM header and some bytes


def npm_tarball(files: dict[str, bytes], hostile: bool = False) -> bytes:
    """A gzipped tarball of ``files`` (path inside the package -> bytes) under ``package/``;
    ``hostile`` adds members an unpacker must not write (a ``../`` path and a link)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        members = {f"package/{name}": content for name, content in files.items()}
        if hostile:
            members["package/../../escaped.txt"] = b"outside"
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        if hostile:
            link = tarfile.TarInfo("package/dist/link.js")
            link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(link)
    return buffer.getvalue()


def runtime_tarballs(hostile: bool = False) -> dict[str, bytes]:
    """Package name -> a tarball holding every file models/web_runtime.py unpacks."""
    core = {name: WASM for name in FILES["@litertjs/core"] if name.endswith(".wasm")}
    core.update(
        {
            n: b"// glue\n"
            for n in FILES["@litertjs/core"]
            if n.startswith("wasm/") and n.endswith(".js")
        }
    )
    core["dist/index.js"] = b'import { createWasmLib } from "@litertjs/wasm-utils";\n'
    core["LICENSE"] = b"Apache-2.0\n"
    utils = {"dist/index.js": b"export const createWasmLib = () => null;\n"}
    return {
        "@litertjs/core": npm_tarball(core, hostile),
        "@litertjs/wasm-utils": npm_tarball(utils),
    }


def integrity(content: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(content).digest()).decode()


def write_lockfile(path: Path, tarballs: dict[str, bytes]) -> Path:
    packages = {
        f"node_modules/{name}": {"version": VERSION, "integrity": integrity(content)}
        for name, content in tarballs.items()
    }
    path.write_text(json.dumps({"lockfileVersion": 3, "packages": packages}))
    return path


@contextmanager
def serving(tarballs: dict[str, bytes]) -> Iterator[str]:
    """Serve ``tarballs`` at their registry paths; yields the registry's URL."""
    files = {tarball_url(name, VERSION, ""): content for name, content in tarballs.items()}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            content = files.get(self.path)
            self.send_response(200 if content is not None else 404)
            self.end_headers()
            self.wfile.write(content or b"")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
