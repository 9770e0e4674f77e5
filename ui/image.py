"""The Image tab: every person's skeleton and keypoints in one photo."""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import numpy as np

from pose.draw import draw_poses
from pose.estimate import DEFAULT_THRESHOLD, estimate
from pose.export import TABLE_HEADERS, table_rows, to_csv, to_json
from pose.media import load_image
from pose.network import DEFAULT_PRESET
from pose.plot3d import figure_from_json
from pose.pose3d import Person3D, Pose3DError, lift
from pose.types import Estimate
from ui.components import (
    cached_image_output,
    example_images,
    image_path_input,
    size_input,
    threshold_input,
    user_error,
    write_download,
)


def image_summary(result: Estimate, bodies: list[Person3D | None] | None = None) -> str:
    """One line for the user: how many people, and the model's time (and 3D's, if asked)."""
    count = len(result.people)
    if not count:
        return "No person found. Try a lower threshold or a larger input size."
    line = (
        f"Found {count} {'person' if count == 1 else 'people'} "
        f"in {result.timings_ms['model_ms']:.0f} ms (model)."
    )
    if bodies is not None:
        lifted = sum(body is not None for body in bodies)
        line += f" 3D for {lifted} of {count} in {result.timings_ms.get('pose3d_ms', 0):.0f} ms" + (
            "." if lifted == count else " (the others show too few joints for a crop)."
        )
    return line


def estimate_image(
    image: str | None,
    size: str = DEFAULT_PRESET,
    threshold: float = DEFAULT_THRESHOLD,
    largest_only: bool = False,
    lift3d: bool = False,
) -> tuple[np.ndarray, list[list], str, str, str]:
    """Find every person in an image, best first.

    Args:
        image: the photo (JPEG, PNG, WebP, BMP or TIFF).
        size: model input size preset: "fast", "balanced" or "accurate".
        threshold: minimum joint confidence, 0 to 1.
        largest_only: keep only the largest person (the one matching would use).
        lift3d: also each person's 3D landmarks (BlazePose GHUM, metres): the JSON file
            then gives every person "landmarks3d", 33 x [x, y, z, visibility].

    Returns:
        the annotated image, the keypoint table (person, joint, x, y, confidence),
        a JSON file, a CSV file, and a one-line summary.
    """
    if not image:
        raise gr.Error("Please upload an image first.", print_exception=False)
    try:
        pixels = load_image(image)
        result = estimate(pixels, size=size, threshold=threshold, largest_only=largest_only)
        bodies = lift(pixels, result.people, timings=result.timings_ms) if lift3d else None
    except (ValueError, Pose3DError) as exc:  # InputError included; 3D model missing
        raise user_error(exc) from None
    return (
        draw_poses(pixels, result.people),
        table_rows(result),
        write_download(to_json(result, bodies or ()), ".json"),
        write_download(to_csv(result), ".csv"),
        image_summary(result, bodies),
    )


def show_view(json_file: str | None, lift3d: bool) -> dict:
    """The 3D view, drawn from the JSON download the estimate just wrote (so the endpoint's
    outputs stay as they were); hidden when 3D was not asked for or no one was lifted."""
    view = None
    if lift3d and json_file:
        view = figure_from_json(json.loads(Path(json_file).read_text()))
    return gr.update(value=view, visible=view is not None)


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
                    info="Show one skeleton: the biggest person, as matching uses.",
                )
                lift3d = gr.Checkbox(
                    value=False,
                    label="3D",
                    info="Also each person in 3D (metres), shown in a view you can turn; "
                    "about 15-40 ms a person. See docs/pose3d.md.",
                    elem_id="image-3d",
                )
                run = gr.Button("Estimate", variant="primary")
            with gr.Column():
                image_out = cached_image_output(label="Skeletons", elem_id="image-output")
                # The label names this output "summary" for API clients (it is not shown).
                summary = gr.Markdown(label="Summary", elem_id="image-summary")
        view = gr.Plot(label="3D view (drag to turn)", visible=False, elem_id="image-3d-view")
        table = gr.Dataframe(
            headers=TABLE_HEADERS, label="Keypoints (pixels)", wrap=True, elem_id="image-table"
        )
        with gr.Row():
            json_file = gr.File(label="Keypoints JSON", elem_id="image-json")
            csv_file = gr.File(label="Keypoints CSV", elem_id="image-csv")
        outputs = [image_out, table, json_file, csv_file, summary]
        run.click(
            estimate_image,
            [image_in, size, threshold, largest_only, lift3d],
            outputs,
            api_name="estimate_image",
            concurrency_limit=2,
        ).then(show_view, [json_file, lift3d], view, api_visibility="private")
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
