"""Controls shared by the tabs, Gradio component overrides, downloads and examples."""

from __future__ import annotations

import re
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import gradio as gr
import numpy as np
from gradio.context import LocalContext
from gradio.data_classes import ImageData
from gradio.utils import get_upload_folder

from examples.make_examples import IMAGE_EXAMPLES, MATCH_PAIRS, VIDEO_EXAMPLES
from pose.media.images import InputError, number_input, write_png_atomically
from pose.media.playable import playable_copy
from pose.network.spec import DEFAULT_PRESET, PRESETS
from pose.photo.estimate import DEFAULT_THRESHOLD
from pose.pose3d.people import DEFAULT_MODE as DEFAULT_PHOTO_MODE
from pose.video.live import jpeg_data_url
from ui.lifecycle import track
from ui.server import CHECKED_CLIP, DOWNLOADS, prune_downloads

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"

SIZE_CHOICES = [(f"{name} ({w}x{h})", name) for name, (w, h) in PRESETS.items()]
# Named apart from the Input size presets ("fast", "balanced", "accurate"): two controls
# both offering "accurate" read as one choice made twice. The values stay the API's.
PHOTO_MODE_CHOICES = [
    ("Multi-pass: three passes fused", "accurate"),
    ("Single pass", "fast"),
]


# ------------------------------------------------------------------ component overrides


def image_path_input(**kwargs) -> gr.Image:
    """An image input whose handler receives the uploaded file's path undecoded.

    gr.Image decodes uploads itself and answers a bad file with a generic error; we
    validate in ``pose.media.images`` instead, so the user reads what is wrong. (Overriding the
    instance's preprocess avoids a component subclass, which Gradio would register.)
    """
    component = gr.Image(type="filepath", **kwargs)
    component.preprocess = lambda payload: None if payload is None else payload.path
    return component


def video_path_input(**kwargs) -> gr.Video:
    """A video upload whose handler receives the file's path as uploaded.

    gr.Video would try to convert formats with ffmpeg; we read any format with PyAV in
    ``pose.video.process`` and give the real error for a bad file (see image_path_input).
    """
    # The server checks every upload here and says why a clip cannot be used, so the
    # browser's own toast for it is held back (ui.server.HEAD).
    component = gr.Video(sources=["upload"], elem_classes=[CHECKED_CLIP], **kwargs)
    component.preprocess = lambda payload: None if payload is None else payload.path
    return component


def live_frame_input(**kwargs) -> gr.Image:
    """A streaming webcam input whose handler receives each frame as the browser sent it:
    the ``data:`` URL (or an uploaded file's path), undecoded.

    gr.Image would decode every frame itself, before any check: a 12000x12000 JPEG frame
    was processed for 47 s, and a grey frame failed with a generic error. The handler
    checks frames with ``pose.media.images.load_frame``, as the Image tab checks uploads.
    """
    component = gr.Image(sources=["webcam"], streaming=True, type="numpy", **kwargs)

    def undecoded(payload):
        if payload is None:
            return None
        url = getattr(payload, "url", None)
        return url if url and url.startswith("data:") else payload.path

    component.preprocess = undecoded
    return component


def cached_image_output(**kwargs) -> gr.Image:
    """A PNG image output whose file in Gradio's cache is written atomically.

    Gradio 6.31 writes an array output straight to a path named by its content, so two
    users getting the same picture at once (the same photo, an example) could be sent a
    half-written file ("peer closed connection" in benchmarks/load.py). The PNG is written
    under a temporary name and renamed into place; Gradio then serves and deletes it as
    its own.
    """
    component = gr.Image(type="numpy", format="png", **kwargs)
    postprocess = component.postprocess

    def save_then_postprocess(value):
        if isinstance(value, np.ndarray):
            value = str(write_png_atomically(value, component.GRADIO_CACHE))
        return postprocess(value)

    component.postprocess = save_then_postprocess
    return component


def live_image_output(**kwargs) -> gr.Image:
    """An image output sent to the browser as an in-memory JPEG data URL.

    gr.Image would save every returned frame to its cache folder; webcam frames must
    never touch the disk (and it is faster).
    """
    component = gr.Image(type="numpy", **kwargs)
    component.postprocess = lambda value: (
        None if value is None else ImageData(url=jpeg_data_url(value))
    )
    return component


# ------------------------------------------------------------------ shared controls


def size_input(
    default: str = DEFAULT_PRESET, info: str = "Larger is slower but finds smaller people."
) -> gr.Radio:
    """The model input-size preset control shared by the Image, Video and Webcam tabs."""
    return gr.Radio(SIZE_CHOICES, value=default, label="Input size", info=info)


def checked_by_handler(component: gr.Slider | gr.Number) -> gr.Slider | gr.Number:
    """Pass a number input's value to the handler as sent, which checks it with
    ``pose.media.images.number_input`` (see checked_threshold).

    Gradio's own check of a Slider or Number fails on a value that is not a number ("abc"
    from an API client) with a generic error, and logs the value.
    """
    component.preprocess = lambda payload: payload
    return component


def photo_mode_input(**kwargs) -> gr.Radio:
    """The photo mode control of the Image and Match tabs (docs/accuracy.md)."""
    return gr.Radio(
        PHOTO_MODE_CHOICES,
        value=DEFAULT_PHOTO_MODE,
        label="Photo mode",
        info="Multi-pass finds more people, small, large, turned or in the dark, with "
        "BlazePose's second opinion on the 4 largest (about 5x the time).",
        **kwargs,
    )


def threshold_input() -> gr.Slider:
    """The joint-confidence threshold control shared by the Image, Video and Webcam tabs."""
    return checked_by_handler(
        gr.Slider(
            0.0,
            1.0,
            value=DEFAULT_THRESHOLD,
            step=0.05,
            label="Confidence threshold",
            info="Joints below this confidence are hidden.",
        )
    )


# ------------------------------------------------------------------ progress


def time_left(done: int, total: int | None, elapsed: float) -> str:
    """How long the rest will take at the pace so far, for a progress line: "about 35 s
    left"; "" before the first step is done or without a total."""
    if not total or done <= 0 or done >= total:
        return ""
    left = elapsed * (total - done) / done
    if left >= 90:
        return f"about {left / 60:.0f} min left"
    return f"about {max(left, 1):.0f} s left"


def progress_reporter(progress: gr.Progress, desc: str, unit: str = "frames"):
    """A ``report(done, total)`` callback that shows ``desc``, the bar with ``done``/``total``
    ``unit`` and the time left (:func:`time_left`) in Gradio's progress display."""
    started = time.perf_counter()

    def report(done: int, total: int | None) -> None:
        left = time_left(done, total, time.perf_counter() - started)
        progress((done, total), desc=f"{desc}, {left}" if left else desc, unit=unit)

    return report


def busy_button(button: gr.Button, event_of):
    """Disable ``button`` while the event ``event_of(trigger)`` runs, and enable it again
    after, whether it worked or failed: a second press cannot queue the same job twice, and
    the page shows that something is under way. Returns the event (for its API name and
    failure handlers)."""
    disabled = button.click(
        lambda: gr.Button(interactive=False), None, button, queue=False, api_visibility="private"
    )
    event = event_of(disabled)
    # Gradio skips a failed event's ``then``: enable again on success and on failure.
    for after in (event.success, event.failure):
        after(
            lambda: gr.Button(interactive=True),
            None,
            button,
            api_visibility="private",
            queue=False,  # at once, not behind other users' jobs in the queue
        )
    return event


def output_file(**kwargs) -> gr.File:
    """A download box: not an upload target ("Drop File Here" would invite uploads into an
    output), empty until a result fills it."""
    return gr.File(interactive=False, **kwargs)


# ------------------------------------------------------------------ errors and downloads

# The last error per browser session, kept for the event that clears the stale outputs
# (``clear_on_failure``): Gradio's failure events do not receive the exception. Bounded,
# because API clients never run that event to collect theirs.
_FAILURES: OrderedDict[str, str] = OrderedDict()
_FAILURES_KEPT = 256
_FAILURES_LOCK = threading.Lock()


def _remember_failure(message: str) -> None:
    request = LocalContext.request.get(None)
    session = getattr(request, "session_hash", None)
    if not session:
        return
    with _FAILURES_LOCK:
        _FAILURES[session] = message
        _FAILURES.move_to_end(session)
        while len(_FAILURES) > _FAILURES_KEPT:
            _FAILURES.popitem(last=False)


def fail(message: str) -> gr.Error:
    """A message for the user as a ``gr.Error`` (no stack trace in the server log), also
    kept so the page can show it in place of the results it clears."""
    _remember_failure(message)
    return gr.Error(message, print_exception=False)


def user_error(exc: Exception) -> gr.Error:
    """The user's mistake (an ``InputError`` or ``ValueError`` from ``pose``) as a message,
    without a stack trace in the server log."""
    return fail(str(exc))


def checked_threshold(value: object) -> float:
    """The confidence threshold as a number from 0 to 1, or a ``gr.Error`` that says so
    (an API client may send "abc" or a list; Gradio passes it on unchecked)."""
    try:
        return number_input(value, "The confidence threshold", 0.0, 1.0)
    except InputError as exc:
        raise user_error(exc) from None


def failure_note(request: gr.Request) -> str:
    """Markdown for the message box after a failed run: what went wrong (this session's
    last error), and that the previous results were cleared."""
    with _FAILURES_LOCK:
        message = _FAILURES.pop(getattr(request, "session_hash", None) or "", None)
    reason = message or "see the message at the top of the page"
    return f"**No result:** {reason}"


def clear_on_failure(event, outputs: Sequence[gr.components.Component], message: gr.Markdown):
    """After ``event`` fails, empty its ``outputs`` and say why in ``message`` (one box),
    so a result from an earlier run is never shown beside an error."""
    others = [component for component in outputs if component is not message]

    def cleared(request: gr.Request):
        return [None] * len(others) + [failure_note(request)]

    return event.failure(
        cleared,
        None,
        [*others, message],
        show_progress="hidden",
        api_visibility="private",
    )


def clear_then_check(
    source: gr.components.Component,
    stale: Sequence[gr.components.Component],
    blank: Callable[[], list],
    check: Callable,
    checked: Sequence[gr.components.Component] | None,
    message: gr.Markdown,
    on_failure: Sequence[gr.components.Component],
    concurrency_limit: int,
):
    """A new upload into ``source``: the ``stale`` results of the input before go first
    (set to ``blank()``), then ``check(source)`` refuses a file that cannot be used, saying
    why in ``message`` and emptying ``on_failure``. In this order because every event is
    queued (ui.doors): two events of one upload would race, the clearing wiping a refusal's
    message. Returns the check's event (for more failure handlers)."""
    event = source.upload(
        blank, None, list(stale), api_visibility="private", show_progress="hidden"
    ).then(
        check,
        [source],
        None if checked is None else list(checked),
        api_visibility="private",
        concurrency_limit=concurrency_limit,
        show_progress_on=[message],
    )
    clear_on_failure(event, on_failure, message)
    return event


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def download_stem(source: str | None, fallback: str = "keypoints") -> str:
    """A safe file-name stem from an uploaded path: ``My photo (2).JPG`` -> ``My-photo-2``."""
    stem = _UNSAFE.sub("-", Path(source).stem if source else "").strip("-._")[:60]
    return stem or fallback


def new_download(suffix: str, prefix: str = "keypoints-", name: str | None = None) -> str:
    """The path of a new empty file in the downloads folder (old ones pruned first).

    With ``name`` the file is called exactly that (in a folder of its own, so two users'
    ``photo-keypoints.json`` never collide); the browser saves it under that name. The file
    is deleted when the server stops (ui.lifecycle).
    """
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    prune_downloads()
    if name:
        return track(Path(tempfile.mkdtemp(prefix=prefix, dir=DOWNLOADS)) / name)
    with tempfile.NamedTemporaryFile(
        suffix=suffix, prefix=prefix, dir=DOWNLOADS, delete=False
    ) as handle:
        return track(handle.name)


def cache_path(name: str) -> str:
    """A path called ``name`` in a new folder of Gradio's cache, for a file derived from an
    upload (a video's preview copy): it is swept with the uploads (``delete_cache``), and
    never sits in the downloads folder, which holds results only."""
    return str(Path(tempfile.mkdtemp(dir=get_upload_folder())) / name)


def checked_preview(video: str | None, fallback_stem: str):
    """Check a clip as soon as it is uploaded (an empty file, a photo, ...: the message a run
    would give) and, when a browser cannot play it (mp4v, AVI, MOV, ...), return an H.264
    copy in Gradio's cache, named after the clip (or ``fallback_stem``), so the preview
    plays; ``gr.skip()`` when there is nothing to swap."""
    if not video:
        return gr.skip()
    try:
        copy = playable_copy(video, cache_path(f"{download_stem(video, fallback_stem)}.mp4"))
    except ValueError as exc:  # InputError included
        raise user_error(exc) from None
    return gr.skip() if copy is None else str(copy)


def write_download(text: str, suffix: str, name: str | None = None) -> str:
    """Write ``text`` to a new file in the downloads folder (called ``name`` if given);
    returns its path."""
    path = new_download(suffix, name=name)
    Path(path).write_text(text)
    return path


# ------------------------------------------------------------------ examples


def _present(names: list[str]) -> list[str]:
    return [str(EXAMPLES_DIR / name) for name in names if (EXAMPLES_DIR / name).is_file()]


def example_images() -> list[str]:
    """Paths of the Image tab's example photos that exist (see examples/README.md)."""
    return _present(IMAGE_EXAMPLES)


def example_pairs() -> list[list[str]]:
    """[first, second] photo paths for the Match tab: a same-pose pair, a different pair."""
    return [pair for pair in (_present(list(names)) for names in MATCH_PAIRS) if len(pair) == 2]


def example_videos() -> list[str]:
    """Paths of the Video tab's example clips (short H.264 mp4)."""
    return _present(VIDEO_EXAMPLES)
