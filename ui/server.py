"""Server settings: command-line options, limits, cache sweeping, malloc arenas, launching.

Limits and privacy (README "Limits and privacy") are set here; the tabs read the downloads
folder and its age limit from this module.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import gradio as gr
from starlette.middleware import Middleware

from pose.media.images import prune_old_files
from pose.network.registry import ensure_model
from pose.network.spec import ModelFetchError
from ui.admission import UploadBudget, admit_jobs
from ui.doors import (
    SideDoors,
    callable_names,
    keep_the_sweep_alive,
    queue_every_event,
    quiet_input_errors,
)
from ui.lifecycle import TRIM_EVERY_S, serve_until_stopped, trim_malloc_forever
from ui.live_assets import LIVE_HEAD, LiveAssets
from ui.live_prepare import start_preparing
from ui.mcp_bridge import use_pose_mcp_server

# The app's own logger name (not this module's): log lines read "app: ..." as before.
log = logging.getLogger("app")

# Downloads (JSON/CSV derived from results) are written here; Gradio copies them to its cache.
DOWNLOADS = Path(tempfile.gettempdir()) / "pose-downloads"
# Gradio copies each returned file into its cache at once, so scratch files may go after a
# few minutes.
DOWNLOADS_MAX_AGE_S = 600
# Uploads and results in Gradio's cache: every 10 min, delete those older than 1 h (and all
# of them when the server stops). POSE_DELETE_CACHE="every,age" in seconds overrides it.
_sweep = os.environ.get("POSE_DELETE_CACHE", "600,3600").split(",")
DELETE_CACHE = (int(_sweep[0]), int(_sweep[1]))
MAX_FILE_SIZE = "50mb"  # larger uploads get HTTP 413 before any handler runs
QUEUE_SIZE = 32  # events waiting across all users; beyond this Gradio says the queue is full
# Gradio keeps a copy of the page's component config for every session (each page load or
# API client, a few hundred KB here) until this many newer sessions push it out; its
# default of 10,000 would let a busy demo grow by gigabytes. Least recently used goes first.
STATE_SESSIONS = 256


# Phone widths (the layout is checked at 390 px, tests/browser/test_first_use_browser.py):
# tables drop the padding and the per-column menu button that pushed their last columns out
# of view, and take a smaller type so every word and number fits its cell whole (a cell
# broken mid-word read "pe rs on", "1690 .9").
CSS = """
@media (max-width: 600px) {
  .compact-table th, .compact-table td { padding: 2px 1px !important; }
  .compact-table .cell-wrap { padding: 2px !important; }
  .compact-table .cell-wrap, .compact-table .header {
    font-size: 10px !important; white-space: nowrap !important;
    overflow-wrap: normal !important; word-break: keep-all !important;
  }
  .compact-table .cell-menu-button { display: none !important; }
}
/* A checkbox in a row of form controls has no width of its own (min_width does not reach
   it): beside the Match tab's method on a phone it shrank to 26 px, its words cut. With
   one it wraps onto a line of its own instead. */
.form > .block:has(input[type=checkbox]) { min-width: min(160px, 100%) !important; }
"""

# The footer keeps its "Use via API" link on a phone (Gradio hides it below 640 px although
# the intro points to it). In <head>: Gradio scopes launch(css=) to the app's content,
# which the footer is outside of.
# The clip inputs whose every upload the server checks (ui.components.video_path_input):
# it says why a clip cannot be used, or swaps in a copy the browser can play.
CHECKED_CLIP = "checked-clip"

HEAD = (
    """<style>
@media (max-width: 640px) {
  footer .show-api, footer .show-api-divider { display: flex !important; }
}
</style>"""
    # The browser's "Video not playable" toast for an uploaded clip it cannot show (an
    # empty file, text, mp4v) came beside our message, before it, and says nothing of why:
    # the player's error event stops at the window (capture phase, before the player's own
    # listener) for the checked inputs only; an output that fails still says so.
    f"""<script>
window.addEventListener("error", (event) => {{
  const target = event.target;
  if (target instanceof HTMLVideoElement && target.closest(".{CHECKED_CLIP}")) {{
    event.stopImmediatePropagation();
  }}
}}, true);
</script>"""
)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1 to 65535)")
    return port


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; each defaults to its environment variable, then to local-only.

    Gradio's own GRADIO_SERVER_NAME/GRADIO_SERVER_PORT come next, so a Hugging Face Space
    (which sets them to listen on 0.0.0.0:7860) works without any flag.
    """
    env = os.environ
    parser = argparse.ArgumentParser(
        description="Serve the Pose Estimation & Matching app.",
        epilog="Flags win over environment variables.",
    )
    parser.add_argument(
        "--host",
        default=env.get("POSE_HOST") or env.get("GRADIO_SERVER_NAME") or "127.0.0.1",
        help="address to listen on; 0.0.0.0 for every interface "
        "(env POSE_HOST; default %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=env.get("POSE_PORT") or env.get("GRADIO_SERVER_PORT") or "7860",
        help="port to listen on (env POSE_PORT; default %(default)s)",
    )
    parser.add_argument(
        "--share",
        action="store_true",
        default=env.get("POSE_SHARE", "").strip().lower() in ("1", "true", "yes", "on"),
        help="also serve through a temporary public Gradio link (env POSE_SHARE=1); "
        "needs internet access",
    )
    parser.add_argument(
        "--mcp",
        action="store_true",
        default=(env.get("POSE_MCP") or env.get("GRADIO_MCP_SERVER") or "").strip().lower()
        in ("1", "true", "yes", "on"),
        help="also serve the operations as MCP tools at /gradio_api/mcp/ for AI assistants "
        "(env POSE_MCP=1; docs/batch-and-mcp.md)",
    )
    return parser.parse_args(argv)


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas (as MALLOC_ARENA_MAX does) before the server starts threads.

    glibc gives threads their own arenas, up to 8 per core; with Gradio's worker threads
    passing image buffers around, freed memory scattered over many arenas made the server's
    resident size creep up under load (+27 MB over 960 requests in benchmarks/load.py, still
    rising); with two arenas it levels off within a few hundred requests, at no cost in speed.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # -8 is M_ARENA_MAX in malloc.h
    except (OSError, AttributeError):  # not glibc (musl, ...): nothing to tune
        log.debug("mallopt unavailable; malloc arenas left as they are")


def prune_downloads() -> None:
    """Delete downloads older than DOWNLOADS_MAX_AGE_S: loose files, and the one-file
    folders that keep a download's own name (``photo-keypoints.json``)."""
    prune_old_files(DOWNLOADS, DOWNLOADS_MAX_AGE_S)
    cutoff = time.time() - DOWNLOADS_MAX_AGE_S
    try:
        folders = [entry for entry in os.scandir(DOWNLOADS) if entry.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return
    for folder in folders:
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder.path, ignore_errors=True)
        except FileNotFoundError:
            continue


def prune_downloads_forever() -> None:
    """Empty the scratch folder of old results even when nobody is using the app."""
    while True:
        prune_downloads()
        time.sleep(DOWNLOADS_MAX_AGE_S / 4)


def serve(demo: gr.Blocks, argv: list[str] | None = None) -> None:
    """Run ``demo`` as ``python app.py`` does: tune, parse options, fetch the model, serve.

    Exits with a one-line error when the model cannot be fetched; blocks until SIGTERM or
    SIGINT, then stops cleanly (ui.lifecycle).
    """
    limit_malloc_arenas()
    threading.Thread(target=prune_downloads_forever, name="prune-downloads", daemon=True).start()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    try:
        ensure_model()  # first start on a fresh clone or a Space: fetch and verify the graph
    except ModelFetchError as exc:
        raise SystemExit(f"error: {exc}") from None
    start_preparing()  # a Space's first start: the in-browser mode's runtime and model
    if TRIM_EVERY_S > 0:
        threading.Thread(
            target=trim_malloc_forever,
            kwargs={"demo": demo},
            name="trim-malloc",
            daemon=True,
        ).start()
    # api_open=False: Gradio itself refuses queued events on the direct /run and /api
    # routes; ui.doors closes those routes for the rest and queues every event.
    # Uploads, results and data: files brought in by MCP calls: readable by this user only.
    os.umask(0o077)
    if args.mcp:
        use_pose_mcp_server()  # one session per MCP client, URLs refused (ui.mcp_bridge)
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1, api_open=False)
    queue_every_event(demo)
    quiet_input_errors(demo)
    keep_the_sweep_alive()
    admit_jobs(demo)  # fair shares per session and address; no server paths
    _launch(demo, args)
    if args.share and not demo.share_url and not os.environ.get("SPACE_ID"):
        # Gradio prints its own reason above; say plainly what still works.
        log.warning(
            "--share: no public link could be made (the tunnel needs internet access); "
            "the app is serving locally at %s only",
            demo.local_url,
        )
    serve_until_stopped(demo, DOWNLOADS)  # SIGTERM/SIGINT: close, delete files, return


def _launch(demo: gr.Blocks, args) -> None:
    """Start ``demo``'s server without blocking: options, theme, page head and middleware."""
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        max_file_size=MAX_FILE_SIZE,
        state_session_capacity=STATE_SESSIONS,
        theme=gr.themes.Soft(),
        mcp_server=args.mcp,  # GRADIO_MCP_SERVER is read by parse_args like POSE_MCP
        css=CSS,
        head=HEAD + LIVE_HEAD,  # the Webcam tab's in-browser mode (ui/live_assets.py)
        prevent_thread_lock=True,  # so we can check the share link before serving on
        # Side doors closed (ui.doors), then upload space per address (ui.admission), then the
        # in-browser live view's files and isolation headers (ui.live_assets).
        app_kwargs={
            "middleware": [
                Middleware(SideDoors, names=callable_names(demo)),
                Middleware(UploadBudget),
                Middleware(LiveAssets),
            ]
        },
    )
