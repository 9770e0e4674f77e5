"""What the Webcam tab's in-browser mode needs from the server: its files and two headers.

:class:`LiveAssets` is ASGI middleware. It serves, under :data:`PREFIX`, a fixed list of
files: the page's own modules (``web/live/*.js``, committed), LiteRT.js as ``make setup``
copied it from the npm registry (``web/vendor/``, gitignored), the int8 model at the page's
input sizes (``models/browser.py``: the whole frame's and the narrower crops', built by
``make setup``; the ladder's upper rungs and every input's float copy for WebGPU, made in
memory on a first request, :func:`sized_model`) and
``spec.json``, the decoder's tables and settings read from :mod:`pose` so the page decodes
by the same numbers as the server, with whether the runtime and models are there
(``ready``, else a ``reason`` the page shows as it falls back to the server path; a Space
builds them on its first start, :mod:`ui.live_prepare`). Nothing else: a path not in the
list is a 404 whatever ``../`` it carries.

It also makes every page cross-origin isolated (``Cross-Origin-Opener-Policy: same-origin``
and ``Cross-Origin-Embedder-Policy: credentialless``): WASM threads need
``SharedArrayBuffer``, which browsers give only to isolated pages, and two threads run the
network 1.5-2x as fast as one here. ``credentialless`` rather than ``require-corp`` keeps
cross-origin resources without CORP headers loading (a Space's fonts), only without cookies;
a browser that does not know it is simply not isolated and the page runs one thread.
"""

from __future__ import annotations

import json
import mimetypes
import re
from dataclasses import asdict
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.browser import (
    LIVE_CROP_INPUTS,
    LIVE_INPUT,
    LIVE_INPUTS,
    LIVE_LADDER,
    live_model_bytes,
    live_model_path,
)
from models.web_runtime import vendor_dir
from pose.body.skeleton import (
    DRAWN_LIMBS,
    JOINT_COLORS,
    LIMBS,
    MIRROR,
    NUM_JOINTS,
    PAF_CHANNELS,
    Joint,
)
from pose.match import WORST_BELOW
from pose.match.constants import (
    DEFAULT_MAX_ROTATION,
    MIN_SHARED_JOINTS,
    NORMALIZED_TOLERANCE,
    ROBUST_ITERATIONS,
    ROBUST_SCALE,
)
from pose.match.result import VERDICTS
from pose.output.draw import ID_COLORS
from pose.photo.paf import DEFAULT_PARAMS
from ui.live_prepare import live_status

PREFIX = "/live/"
ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
ISOLATION_HEADERS = (
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-embedder-policy", b"credentialless"),
)
_TYPES = {
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".tflite": "application/octet-stream",
}


def live_spec() -> dict:
    """The decoder's tables and settings as the page reads them (``/live/spec.json``)."""
    return {
        "joints": [joint.label for joint in Joint],
        "numJoints": NUM_JOINTS,
        "limbs": [[int(a), int(b)] for a, b in LIMBS],
        "pafChannels": [list(pair) for pair in PAF_CHANNELS],
        "params": asdict(DEFAULT_PARAMS),
        "mirror": [int(joint) for joint in MIRROR],
        "drawnLimbs": [[int(a), int(b)] for a, b in DRAWN_LIMBS],
        "jointColors": [list(color) for color in JOINT_COLORS],
        "idColors": [list(color) for color in ID_COLORS],
        "match": {
            "tolerance": NORMALIZED_TOLERANCE,
            "robustScale": ROBUST_SCALE,
            "iterations": ROBUST_ITERATIONS,
            "maxRotation": DEFAULT_MAX_ROTATION,
            "minShared": MIN_SHARED_JOINTS,
            "worstBelow": WORST_BELOW,
            "verdicts": [[floor, words] for floor, words in VERDICTS],
        },
        "input": {**model_input(LIVE_INPUT), "order": "BGR"},
        # The narrower inputs the page runs crops at (web/live/region.js), each its own file.
        "cropInputs": [model_input(size) for size in LIVE_CROP_INPUTS],
        # The whole frame's inputs the page climbs through (web/live/ladder.js), the first
        # being "input"; the last is the server's own input for a 640x480 frame.
        "ladder": [model_input(size) for size in LIVE_LADDER],
    }


def model_input(size: tuple[int, int]) -> dict:
    """A network input as the page reads it: its size, the int8 model's address (WASM) and
    the float model's (WebGPU, web/live/runtime.js), under :data:`PREFIX`."""
    return {
        "width": size[0],
        "height": size[1],
        "file": crop_model_name(size),
        "floatFile": f"model.float.{size[0]}x{size[1]}.tflite",
    }


def crop_model_name(size: tuple[int, int]) -> str:
    """The page's address (under :data:`PREFIX`) of the int8 model at input ``size``."""
    return "model.tflite" if tuple(size) == LIVE_INPUT else f"model.{size[0]}x{size[1]}.tflite"


# The models made in memory on a first request (models.browser.live_model_bytes): the
# ladder's rungs and every input's float copy, at the sizes the spec names and no other.
_SIZED = re.compile(r"model\.(float\.)?(\d+)x(\d+)\.tflite")
_SIZES = frozenset((*LIVE_INPUTS, *LIVE_LADDER))


async def sized_model(name: str) -> bytes | None:
    """The bytes of ``name`` (``model[.float].WxH.tflite``) at one of the spec's sizes, or
    None for any other name (or when its source model is missing)."""
    found = _SIZED.fullmatch(name)
    size = (int(found[2]), int(found[3])) if found else None
    if size not in _SIZES:
        return None
    try:
        # About 0.1 s of CPU: off the event loop.
        return await run_in_threadpool(live_model_bytes, size, not found[1])
    except (OSError, RuntimeError, ValueError):
        return None


def asset_table() -> dict[str, Path]:
    """URL path under :data:`PREFIX` -> file, for every file that may be served."""
    table = {f"app/{path.name}": path for path in sorted((WEB / "live").glob("*.js"))}
    table["model.tflite"] = live_model_path()
    for size in LIVE_CROP_INPUTS:
        table[crop_model_name(size)] = live_model_path(size)
    vendor = vendor_dir() / "litertjs"
    for sub in ("core/dist", "core/wasm", "wasm-utils/dist"):
        for path in sorted((vendor / sub).glob("*")):
            if path.suffix in (".js", ".wasm"):
                table[f"litertjs/{sub}/{path.name}"] = path
    return table


class LiveAssets:
    """ASGI middleware: serves :func:`asset_table` under :data:`PREFIX` and adds
    :data:`ISOLATION_HEADERS` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.spec = live_spec()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def isolated(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *ISOLATION_HEADERS]}
            await send(message)

        path = scope.get("path", "")
        if not path.startswith(PREFIX):
            await self.app(scope, receive, isolated)
            return
        name = path[len(PREFIX) :]
        if name == "spec.json":
            # Whether the runtime and model are there is read per request: on a Space's
            # first start they appear a minute or two after the app (ui/live_prepare.py).
            ready, reason = live_status()
            # Only the crop inputs whose model is built (one built before them lacks them;
            # the page then runs every crop at the whole frame's input).
            crops = [
                crop
                for crop in self.spec["cropInputs"]
                if live_model_path((crop["width"], crop["height"])).is_file()
            ]
            spec = {**self.spec, "cropInputs": crops, "ready": ready, "reason": reason}
            body = json.dumps(spec).encode()
            response: Response = Response(
                body, media_type="application/json", headers={"Cache-Control": "no-cache"}
            )
        else:
            file = asset_table().get(name)
            made = None if file is not None and file.is_file() else await sized_model(name)
            if made is not None:
                response = Response(
                    made,
                    media_type=_TYPES[".tflite"],
                    headers={"Cache-Control": "public, max-age=3600"},
                )
            elif file is None or not file.is_file():
                response = Response("Not found", status_code=404, media_type="text/plain")
            else:
                media = _TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0]
                # The runtime and model change only with `make setup`; the page's own
                # modules are small and change with the code: revalidate those.
                cache = "no-cache" if name.startswith("app/") else "public, max-age=3600"
                response = FileResponse(file, media_type=media, headers={"Cache-Control": cache})
        await response(scope, receive, isolated)


# The page's module, loaded on every page (it waits for the Webcam tab's live view to
# appear); a relative address so the app works under a proxy's path too.
LIVE_HEAD = '<script type="module" src="live/app/live.js"></script>'
