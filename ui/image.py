"""The Image tab: every person's skeleton and keypoints in one photo."""

from __future__ import annotations

import gradio as gr
import numpy as np

from pose.draw import draw_poses
from pose.estimate import DEFAULT_THRESHOLD
from pose.export import TABLE_HEADERS, table_rows, to_csv, to_json
from pose.media import load_image
from pose.network import DEFAULT_PRESET
from pose.photo import DEFAULT_MODE, estimate_photo
from pose.types import Estimate
from ui.components import (
    cached_image_output,
    example_images,
    image_path_input,
    photo_mode_input,
    size_input,
    threshold_input,
    user_error,
    write_download,
)


def image_summary(result: Estimate) -> str:
    """One line for the user: how many people, and the model's time (and passes)."""
    count = len(result.people)
    if not count:
        return "No person found. Try a lower threshold or a larger input size."
    passes = int(result.timings_ms.get("passes", 1))
    how = f"model, {passes} passes" if passes > 1 else "model"
    return (
        f"Found {count} {'person' if count == 1 else 'people'} "
        f"in {result.timings_ms['model_ms']:.0f} ms ({how})."
    )


def estimate_image(
    image: str | None,
    size: str = DEFAULT_PRESET,
    threshold: float = DEFAULT_THRESHOLD,
    largest_only: bool = False,
    mode: str = DEFAULT_MODE,
) -> tuple[np.ndarray, list[list], str, str, str]:
    """Find every person in an image, best first.

    Args:
        image: the photo (JPEG, PNG, WebP, BMP or TIFF).
        size: model input size preset: "fast", "balanced" or "accurate".
        threshold: minimum joint confidence, 0 to 1.
        largest_only: keep only the largest person (the one matching would use).
        mode: "accurate" (default: three passes fused, better on small, large and
            dark people, about 4x the time) or "fast" (one pass).

    Returns:
        the annotated image, the keypoint table (person, joint, x, y, confidence),
        a JSON file, a CSV file, and a one-line summary.
    """
    if not image:
        raise gr.Error("Please upload an image first.", print_exception=False)
    try:
        pixels = load_image(image)
        result = estimate_photo(
            pixels, mode or DEFAULT_MODE, size, threshold, largest_only=largest_only
        )
    except ValueError as exc:  # InputError included
        raise user_error(exc) from None
    return (
        draw_poses(pixels, result.people),
        table_rows(result),
        write_download(to_json(result), ".json"),
        write_download(to_csv(result), ".csv"),
        image_summary(result),
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
                mode = photo_mode_input(elem_id="image-mode")
                largest_only = gr.Checkbox(
                    value=False,
                    label="Largest person only",
                    info="Show one skeleton: the biggest person, as matching uses.",
                )
                run = gr.Button("Estimate", variant="primary")
            with gr.Column():
                image_out = cached_image_output(label="Skeletons", elem_id="image-output")
                # The label names this output "summary" for API clients (it is not shown).
                summary = gr.Markdown(label="Summary", elem_id="image-summary")
        table = gr.Dataframe(
            headers=TABLE_HEADERS, label="Keypoints (pixels)", wrap=True, elem_id="image-table"
        )
        with gr.Row():
            json_file = gr.File(label="Keypoints JSON", elem_id="image-json")
            csv_file = gr.File(label="Keypoints CSV", elem_id="image-csv")
        outputs = [image_out, table, json_file, csv_file, summary]
        run.click(
            estimate_image,
            [image_in, size, threshold, largest_only, mode],
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
                api_visibility="private",  # a UI shortcut; programs call /estimate_image
                visible_columns=[0],  # the photo; size and threshold reset to defaults
                elem_id="image-examples",
            )
