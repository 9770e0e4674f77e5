"""The in-browser mode's files on a host that did not run ``make setup`` (a Space).

On its first start such a host has neither LiteRT.js (``web/vendor/``) nor the page's model
(``models/browser.py``). :func:`start_preparing` builds both in a background thread, the
same pinned bundle ``make setup`` installs (:mod:`models.web_runtime`: the npm registry's
tarballs, checked against ``web/package-lock.json``'s sha512) and the same model (from the
int8 model, itself built first when missing: about 80 s once). Until they are ready, or if
that fails (no internet), :func:`live_status` says why; the page reads it from
``/live/spec.json`` and falls back to the server path with that reason on screen.
"""

from __future__ import annotations

import logging
import os
import threading

from models.browser import LIVE_INPUTS, build_live_model, live_model_path, live_models_ready
from models.web_runtime import RuntimeFetchError, install, installed
from pose.network.registry import ensure_tflite

log = logging.getLogger(__name__)

FETCH_ENV = "POSE_LIVE_FETCH"  # "0": never download the runtime (the page says so)

_lock = threading.Lock()
_problem = {"reason": ""}  # why the last preparation failed ("" while none failed)
_thread: threading.Thread | None = None


def live_status() -> tuple[bool, str]:
    """(ready, reason): whether the page can run in this browser, and if not, why, in words
    for the page (shown under the Webcam tab's mode radio)."""
    if installed() and live_model_path().is_file():
        return True, ""
    if _problem["reason"]:
        return False, _problem["reason"]
    if _thread is not None and _thread.is_alive():
        return False, (
            "The in-browser mode is being prepared on the server (its first start: the "
            "runtime and the model, a minute or two); frames go to the server meanwhile."
        )
    return False, "The in-browser mode is not built on this server (`make setup`)."


def prepare() -> None:
    """Build what is missing (runtime, then the page's model); record a failure's reason."""
    try:
        if not installed():
            if os.environ.get(FETCH_ENV, "1") == "0":
                raise RuntimeFetchError(f"downloading it is turned off ({FETCH_ENV}=0)")
            log.info("fetching LiteRT.js for the in-browser mode (web/package-lock.json)")
            install()
        if not live_models_ready():
            ensure_tflite(int8=True)  # a child process; the live models are derived from it
            for size in LIVE_INPUTS:
                build_live_model(size)
        log.info("the in-browser mode is ready")
    except (RuntimeFetchError, OSError, RuntimeError) as exc:
        log.warning("in-browser mode unavailable: %s", exc)
        _problem["reason"] = (
            f"The in-browser mode could not be prepared on this server ({exc}); "
            "frames go to the server."
        )


def start_preparing() -> threading.Thread | None:
    """Start :func:`prepare` in the background unless everything is there or it runs."""
    global _thread
    with _lock:
        everything = live_status()[0] and live_models_ready()
        if everything or (_thread is not None and _thread.is_alive()):
            return None
        _problem["reason"] = ""
        _thread = threading.Thread(target=prepare, name="live-prepare", daemon=True)
        _thread.start()
        return _thread
