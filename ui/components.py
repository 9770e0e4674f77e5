"""Controls shared by the tabs, Gradio component overrides, downloads and examples."""

from __future__ import annotations

import tempfile
from pathlib import Path

import gradio as gr
import numpy as np
from gradio.data_classes import ImageData

from examples.make_examples import IMAGE_EXAMPLES, MATCH_PAIRS, VIDEO_EXAMPLES
from pose.estimate import DEFAULT_THRESHOLD
from pose.media import prune_old_files, write_png_atomically
from pose.network import DEFAULT_PRESET, PRESETS
from pose.photo import DEFAULT_MODE as DEFAULT_PHOTO_MODE
from pose.stream import jpeg_data_url
from ui.server import DOWNLOADS, DOWNLOADS_MAX_AGE_S

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"

SIZE_CHOICES = [(f"{name} ({w}x{h})", name) for name, (w, h) in PRESETS.items()]
PHOTO_MODE_CHOICES = [
    ("Accurate: three passes fused", "accurate"),
    ("Fast: one pass", "fast"),
]


# ------------------------------------------------------------------ component overrides


def image_path_input(**kwargs) -> gr.Image:
    """An image input whose handler receives the uploaded file's path undecoded.

    gr.Image decodes uploads itself and answers a bad file with a generic error; we
    validate in ``pose.media`` instead, so the user reads what is wrong. (Overriding the
    instance's preprocess avoids a component subclass, which Gradio would register.)
    """
    component = gr.Image(type="filepath", **kwargs)
    component.preprocess = lambda payload: None if payload is None else payload.path
    return component


def video_path_input(**kwargs) -> gr.Video:
    """A video upload whose handler receives the file's path as uploaded.

    gr.Video would try to convert formats with ffmpeg; we read any format with PyAV in
    ``pose.video`` and give the real error for a bad file (see image_path_input).
    """
    component = gr.Video(sources=["upload"], **kwargs)
    component.preprocess = lambda payload: None if payload is None else payload.path
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


def photo_mode_input(**kwargs) -> gr.Radio:
    """The photo mode control of the Image and Match tabs (docs/accuracy.md)."""
    return gr.Radio(
        PHOTO_MODE_CHOICES,
        value=DEFAULT_PHOTO_MODE,
        label="Photo mode",
        info="Accurate finds more people, small, large or in the dark (about 4x the time).",
        **kwargs,
    )


def threshold_input() -> gr.Slider:
    """The joint-confidence threshold control shared by the Image, Video and Webcam tabs."""
    return gr.Slider(
        0.0,
        1.0,
        value=DEFAULT_THRESHOLD,
        step=0.05,
        label="Confidence threshold",
        info="Joints below this confidence are hidden.",
    )


# ------------------------------------------------------------------ errors and downloads


def user_error(exc: Exception) -> gr.Error:
    """The user's mistake (an ``InputError`` or ``ValueError`` from ``pose``) as a message,
    without a stack trace in the server log."""
    return gr.Error(str(exc), print_exception=False)


def new_download(suffix: str, prefix: str = "keypoints-") -> str:
    """The path of a new empty file in the downloads folder (old ones pruned first)."""
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    prune_old_files(DOWNLOADS, DOWNLOADS_MAX_AGE_S)
    with tempfile.NamedTemporaryFile(
        suffix=suffix, prefix=prefix, dir=DOWNLOADS, delete=False
    ) as handle:
        return handle.name


def write_download(text: str, suffix: str) -> str:
    """Write ``text`` to a new file in the downloads folder; returns its path."""
    path = new_download(suffix)
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
