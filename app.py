"""Pose Estimation & Matching: the Gradio web app. Layout and wiring only; work is in ``pose``."""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
from pathlib import Path

import gradio as gr
import numpy as np

from examples.make_examples import IMAGE_EXAMPLES, MATCH_PAIRS, VIDEO_EXAMPLES, ensure_examples
from models.fetch import ensure_model
from pose.draw import draw_poses
from pose.estimate import DEFAULT_THRESHOLD, estimate
from pose.export import TABLE_HEADERS, table_rows, to_csv, to_json
from pose.media import InputError, load_image, prune_old_files
from pose.model import DEFAULT_PRESET, PRESETS

log = logging.getLogger("app")

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
# Downloads (JSON/CSV derived from results) are written here; Gradio copies them to its cache.
DOWNLOADS = Path(tempfile.gettempdir()) / "pose-downloads"

# Limits and privacy (README "Limits and privacy"). Gradio copies each returned file into
# its cache at once, so scratch files may go after a few minutes.
DOWNLOADS_MAX_AGE_S = 600
# Uploads and results in Gradio's cache: every 10 min, delete those older than 1 h (and all
# of them when the server stops).
DELETE_CACHE = (600, 3600)
MAX_FILE_SIZE = "50mb"  # larger uploads get HTTP 413 before any handler runs
QUEUE_SIZE = 32  # events waiting across all users; beyond this Gradio says the queue is full

INTRO = """
# Pose Estimation & Matching
Find people's body keypoints in a photo, see each skeleton, and download the keypoints.
**How to:** upload a photo (or click an example), then press **Estimate**. Lower the
*confidence threshold* to show uncertain joints; pick a larger *input size* for small people.
"""

SIZE_CHOICES = [(f"{name} ({w}x{h})", name) for name, (w, h) in PRESETS.items()]


def image_path_input(**kwargs) -> gr.Image:
    """An image input whose handler receives the uploaded file's path undecoded.

    gr.Image decodes uploads itself and answers a bad file with a generic error; we
    validate in ``pose.media`` instead, so the user reads what is wrong. (Overriding the
    instance's preprocess avoids a component subclass, which Gradio would register.)
    """
    component = gr.Image(type="filepath", **kwargs)
    component.preprocess = lambda payload: None if payload is None else payload.path
    return component


def _user_error(exc: Exception) -> gr.Error:
    return gr.Error(str(exc), print_exception=False)


def _write_download(text: str, suffix: str) -> str:
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    prune_old_files(DOWNLOADS, DOWNLOADS_MAX_AGE_S)
    with tempfile.NamedTemporaryFile(
        "w", suffix=suffix, prefix="keypoints-", dir=DOWNLOADS, delete=False
    ) as handle:
        handle.write(text)
    return handle.name


def estimate_image(
    image: str | None, size: str = DEFAULT_PRESET, threshold: float = DEFAULT_THRESHOLD
) -> tuple[np.ndarray, list[list], str, str, str]:
    """Find every person in an image.

    Args:
        image: the photo (JPEG, PNG, WebP, BMP or TIFF).
        size: model input size preset: "fast", "balanced" or "accurate".
        threshold: minimum joint confidence, 0 to 1.

    Returns:
        the annotated image, the keypoint table (person, joint, x, y, confidence),
        a JSON file, a CSV file, and a one-line summary.
    """
    if not image:
        raise gr.Error("Please upload an image first.", print_exception=False)
    try:
        pixels = load_image(image)
        result = estimate(pixels, size=size, threshold=threshold)
    except InputError as exc:
        raise _user_error(exc) from None
    except ValueError as exc:
        raise _user_error(exc) from None
    annotated = draw_poses(pixels, result.people)
    count = len(result.people)
    summary = (
        f"Found {count} {'person' if count == 1 else 'people'} "
        f"in {result.timings_ms['model_ms']:.0f} ms (model)."
        if count
        else "No person found. Try a lower threshold or a larger input size."
    )
    return (
        annotated,
        table_rows(result),
        _write_download(to_json(result), ".json"),
        _write_download(to_csv(result), ".csv"),
        summary,
    )


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


def build_image_tab() -> None:
    with gr.Tab("Image"):
        with gr.Row():
            with gr.Column():
                image_in = image_path_input(
                    label="Photo", sources=["upload", "clipboard"], elem_id="image-input"
                )
                size = gr.Radio(
                    SIZE_CHOICES,
                    value=DEFAULT_PRESET,
                    label="Input size",
                    info="Larger is slower but finds smaller people.",
                )
                threshold = gr.Slider(
                    0.0,
                    1.0,
                    value=DEFAULT_THRESHOLD,
                    step=0.05,
                    label="Confidence threshold",
                    info="Joints below this confidence are hidden.",
                )
                run = gr.Button("Estimate", variant="primary")
            with gr.Column():
                image_out = gr.Image(
                    label="Skeletons", type="numpy", format="png", elem_id="image-output"
                )
                summary = gr.Markdown(elem_id="image-summary")
        table = gr.Dataframe(
            headers=TABLE_HEADERS, label="Keypoints (pixels)", wrap=True, elem_id="image-table"
        )
        with gr.Row():
            json_file = gr.File(label="Keypoints JSON", elem_id="image-json")
            csv_file = gr.File(label="Keypoints CSV", elem_id="image-csv")
        outputs = [image_out, table, json_file, csv_file, summary]
        run.click(
            estimate_image,
            [image_in, size, threshold],
            outputs,
            api_name="estimate_image",
            concurrency_limit=2,
        )
        examples = example_images()
        if examples:
            # Lazy caching: nothing runs at start-up (a Space caches eagerly by default);
            # the first click on an example computes and stores it for everyone.
            gr.Examples(
                [[path, DEFAULT_PRESET, DEFAULT_THRESHOLD] for path in examples],
                inputs=[image_in, size, threshold],
                outputs=outputs,
                fn=estimate_image,
                cache_examples=True,
                cache_mode="lazy",
                label="Examples (click one)",
                visible_columns=[0],  # the photo; size and threshold reset to defaults
                elem_id="image-examples",
            )


# One builder per tab, each owning its layout and events.
# Video, Webcam and Match tabs: build_video_tab(), build_webcam_tab(), build_match_tab().


def build_demo() -> gr.Blocks:
    ensure_examples()  # a fresh clone without the committed files: make them if we can
    with gr.Blocks(
        title="Pose Estimation & Matching", delete_cache=DELETE_CACHE, analytics_enabled=False
    ) as demo:
        gr.Markdown(INTRO)
        build_image_tab()
    return demo


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the Pose Estimation & Matching app.")
    parser.add_argument("--host", default=os.environ.get("POSE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("POSE_PORT", 7860)))
    parser.add_argument(
        "--share",
        action="store_true",
        default=os.environ.get("POSE_SHARE", "") in ("1", "true", "yes"),
        help="also serve through a public Gradio share link",
    )
    return parser.parse_args()


demo = build_demo()

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args()
    ensure_model()  # first start on a fresh clone or a Space: fetch and verify the graph
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1).launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        max_file_size=MAX_FILE_SIZE,
        theme=gr.themes.Soft(),
    )
