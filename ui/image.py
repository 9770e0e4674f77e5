"""The Image tab: every person's skeleton and keypoints in one photo."""

from __future__ import annotations

import time

import gradio as gr
from gradio.utils import get_upload_folder

from pose.draw import draw_numbered_poses
from pose.estimate import DEFAULT_THRESHOLD, estimate
from pose.export import TABLE_HEADERS, table_rows, to_csv, to_json
from pose.media import load_image, write_png_atomically
from pose.network import DEFAULT_PRESET
from pose.types import Estimate
from ui.components import (
    cached_image_output,
    clear_on_failure,
    download_stem,
    example_images,
    fail,
    image_path_input,
    size_input,
    threshold_input,
    user_error,
    write_download,
)


def image_summary(result: Estimate, seconds: float) -> str:
    """One line for the user: how many people, and how long the whole run took."""
    count = len(result.people)
    if not count:
        return "No person found. Try a lower threshold or a larger input size."
    numbers = " Numbered largest first, as in the table." if count > 1 else ""
    return f"Found {count} {'person' if count == 1 else 'people'} in {seconds:.1f} s.{numbers}"


def check_image(image: str | None) -> None:
    """Refuse a file that is not a usable image as soon as it is uploaded, with the message
    Estimate would give."""
    if image:
        try:
            load_image(image)
        except ValueError as exc:  # InputError included
            raise user_error(exc) from None


def estimate_image(
    image: str | None,
    size: str = DEFAULT_PRESET,
    threshold: float = DEFAULT_THRESHOLD,
    largest_only: bool = False,
) -> tuple[str, list[list], str, str, str]:
    """Find every person in an image; people are numbered largest first everywhere.

    Args:
        image: the photo (JPEG, PNG, WebP, BMP, GIF or TIFF).
        size: model input size preset: "fast", "balanced" or "accurate".
        threshold: minimum joint confidence, 0 to 1; weaker joints are left out.
        largest_only: keep only person 1, the largest.

    Returns:
        the image with each skeleton and its person number drawn; the keypoint table
        (person, joint, x, y, confidence); a JSON file (people, width, height, and the
        joint names of the 18 [x, y, score] keypoints); a CSV file; a one-line summary.
    """
    started = time.perf_counter()
    if not image:
        raise fail("Please upload an image first.")
    try:
        pixels = load_image(image)
        result = estimate(pixels, size=size, threshold=threshold, largest_only=largest_only)
    except ValueError as exc:  # InputError included
        raise user_error(exc) from None
    stem = download_stem(image, "photo")
    # Encoded here rather than by Gradio after we return, so the time said is all of it.
    drawn = draw_numbered_poses(pixels, result.people)
    annotated = write_png_atomically(drawn, get_upload_folder())
    return (
        str(annotated),
        table_rows(result),
        write_download(to_json(result), ".json", name=f"{stem}-keypoints.json"),
        write_download(to_csv(result), ".csv", name=f"{stem}-keypoints.csv"),
        image_summary(result, time.perf_counter() - started),
    )


def build_image_tab() -> None:
    with gr.Tab("Image"):
        with gr.Row():
            with gr.Column():
                image_in = image_path_input(
                    label="Photo", sources=["upload", "clipboard"], elem_id="image-input"
                )
                size = size_input()
                threshold = threshold_input()
                largest_only = gr.Checkbox(
                    value=False,
                    label="Largest person only",
                    info="Show one skeleton: person 1, the largest.",
                )
                run = gr.Button("Estimate", variant="primary")
            with gr.Column():
                image_out = cached_image_output(label="Skeletons", elem_id="image-output")
                # The label names this output "summary" for API clients (it is not shown).
                summary = gr.Markdown(label="Summary", elem_id="image-summary")
        table = gr.Dataframe(
            headers=TABLE_HEADERS,
            label="Keypoints (pixels)",
            wrap=True,
            elem_id="image-table",
            elem_classes=["compact-table"],
            # Shares of the width rather than measured text, so all five fit on a phone.
            column_widths=["14%", "25%", "19%", "19%", "23%"],
        )
        with gr.Row():
            json_file = gr.File(label="Keypoints JSON", elem_id="image-json")
            csv_file = gr.File(label="Keypoints CSV", elem_id="image-csv")
        outputs = [image_out, table, json_file, csv_file, summary]
        run_event = run.click(
            estimate_image,
            [image_in, size, threshold, largest_only],
            outputs,
            api_name="estimate_image",
            concurrency_limit=2,
            show_progress_on=[summary],  # one place for progress and errors, not five
        )
        clear_on_failure(run_event, outputs, summary)
        # A file that is no image is refused on upload, with the message Estimate gives.
        upload_event = image_in.upload(
            check_image,
            [image_in],
            None,
            api_visibility="private",
            show_progress_on=[summary],
            concurrency_limit=4,
        )
        clear_on_failure(upload_event, [image_in, *outputs], summary)
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
                api_visibility="private",  # a UI shortcut; programs call /estimate_image
                visible_columns=[0],  # the photo; size and threshold reset to defaults
                elem_id="image-examples",
            )
