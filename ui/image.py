"""The Image tab: every person's skeleton and keypoints in one photo."""

from __future__ import annotations

import json
import time
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder

from pose.body.types import Estimate
from pose.media.images import load_image, write_png_atomically
from pose.network.spec import DEFAULT_PRESET
from pose.output.draw import draw_numbered_poses
from pose.output.export import TABLE_HEADERS, table_rows, to_csv, to_json
from pose.photo.estimate import DEFAULT_THRESHOLD
from pose.pose3d.blazepose import Person3D, Pose3DError, complete_bodies
from pose.pose3d.people import DEFAULT_MODE, estimate_people
from pose.pose3d.plot import figure_from_json
from ui.components import (
    busy_button,
    cached_image_output,
    checked_threshold,
    clear_on_failure,
    clear_then_check,
    download_stem,
    example_images,
    fail,
    image_path_input,
    output_file,
    photo_mode_input,
    progress_reporter,
    size_input,
    threshold_input,
    user_error,
    write_download,
)


def image_summary(
    result: Estimate, seconds: float, bodies: list[Person3D | None] | None = None
) -> str:
    """One line for the user: how many people, how long the whole run took, and how many
    were lifted to 3D (if asked)."""
    count = len(result.people)
    if not count:
        return "No person found. Try a lower threshold or a larger input size."
    numbers = " Numbered largest first, as in the table." if count > 1 else ""
    passes = int(result.timings_ms.get("passes", 1))
    how = f" ({passes} passes)" if passes > 1 else ""
    line = f"Found {count} {'person' if count == 1 else 'people'} in {seconds:.1f} s{how}.{numbers}"
    line += second_opinion_note(result)
    if bodies is not None:
        lifted = sum(body is not None for body in bodies)
        line += f" 3D for {lifted} of {count}" + (
            "." if lifted == count else " (the others show too few joints for a crop)."
        )
    return line


def second_opinion_note(result: Estimate) -> str:
    """What the accurate mode's second opinion covered: BlazePose reads the largest people
    only (a crowd would cost one landmark run per person), and turned people are read
    upright."""
    if "people_read" not in result.timings_ms:
        return ""
    read = int(result.timings_ms["people_read"])
    note = f" BlazePose read the {read} largest" if read < len(result.people) else ""
    note = f"{note} of {len(result.people)} for a second opinion." if note else ""
    if result.timings_ms.get("turns"):
        note += " Turned people were read upright."
    return note


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
    lift3d: bool = False,
    mode: str = DEFAULT_MODE,
    progress: gr.Progress = gr.Progress(),
) -> tuple[str, list[list], str, str, str]:
    """Find every person in an image; people are numbered largest first everywhere.

    Args:
        image: the photo (JPEG, PNG, WebP, BMP, GIF or TIFF).
        size: model input size preset: "fast", "balanced" or "accurate".
        threshold: minimum joint confidence, 0 to 1; weaker joints are left out.
        largest_only: keep only person 1, the largest (people are numbered by the area of
            the box around their found joints, largest first).
        lift3d: also each person's 3D landmarks (BlazePose GHUM, metres): the JSON file
            then gives every person "landmarks3d", 33 x [x, y, z, visibility].
        mode: the photo mode, "accurate" (default: the multi-pass mode, three passes
            fused with BlazePose's second opinion on the 4 largest people, better on
            small, large, turned and dark people, about 5x the time) or "fast" (one pass).

    Returns:
        the image with each skeleton and its person number drawn; the keypoint table
        (person, joint, x, y, confidence); a JSON file (people, width, height, and the
        joint names of the 18 [x, y, score] keypoints); a CSV file; a one-line summary.
    """
    started = time.perf_counter()
    if not image:
        raise fail("Please upload an image first.")
    threshold = checked_threshold(threshold)
    try:
        pixels = load_image(image)
        result = estimate_people(
            pixels, mode or DEFAULT_MODE, size, threshold, largest_only=largest_only,
            progress=progress_reporter(progress, "Finding people, pass by pass", "passes"),
        )  # fmt: skip
        # The accurate mode read the largest people with the landmark model already: their
        # 3D comes from that run; only the others are lifted here.
        bodies = complete_bodies(pixels, result, timings=result.timings_ms) if lift3d else None
    except (ValueError, Pose3DError) as exc:  # InputError included; 3D model missing
        raise user_error(exc) from None
    stem = download_stem(image, "photo")
    # Encoded here rather than by Gradio after we return, so the time said is all of it.
    drawn = draw_numbered_poses(pixels, result.people)
    annotated = write_png_atomically(drawn, get_upload_folder())
    return (
        str(annotated),
        table_rows(result),
        write_download(to_json(result, bodies or ()), ".json", name=f"{stem}-keypoints.json"),
        write_download(to_csv(result), ".csv", name=f"{stem}-keypoints.csv"),
        image_summary(result, time.perf_counter() - started, bodies),
    )


def show_view(json_file: str | None, lift3d: bool) -> dict:
    """The 3D view, drawn from the JSON download the estimate just wrote (so the endpoint's
    outputs stay as they were); hidden when 3D was not asked for or no one was lifted."""
    view = None
    if lift3d and json_file:
        view = figure_from_json(json.loads(Path(json_file).read_text()))
    return gr.update(value=view, visible=view is not None)


def _photo_controls() -> tuple[gr.Image, list, gr.Button]:
    """The photo and the options for it: (photo, [size, threshold, largest_only, lift3d,
    mode], the Estimate button)."""
    image_in = image_path_input(
        label="Photo", sources=["upload", "clipboard"], elem_id="image-input"
    )
    size = size_input()
    threshold = threshold_input()
    mode = photo_mode_input(elem_id="image-mode")
    largest_only = gr.Checkbox(
        value=False,
        label="Largest person only",
        info="Show one skeleton: person 1, the largest.",
    )
    lift3d = gr.Checkbox(
        value=False,
        label="3D",
        info="Also each person in 3D (metres), shown in a view you can turn; "
        "about 15-40 ms a person. See docs/pose3d.md.",
        elem_id="image-3d",
    )
    run = gr.Button("Estimate", variant="primary")
    return image_in, [size, threshold, largest_only, lift3d, mode], run


def _keypoint_outputs() -> tuple[gr.Plot, gr.Dataframe, gr.File, gr.File]:
    """Below the photo: the 3D view (hidden until asked for), the table and the downloads."""
    view = gr.Plot(label="3D view (drag to turn)", visible=False, elem_id="image-3d-view")
    table = gr.Dataframe(
        headers=TABLE_HEADERS,
        label="Keypoints (pixels)",
        wrap=True,
        elem_id="image-table",
        elem_classes=["compact-table"],
        # Shares of the width rather than measured text, so all six fit a phone whole:
        # "person", "r_shoulder", "1690.9" and "confidence" each on one line.
        column_widths=["14%", "23%", "13%", "13%", "22%", "15%"],
    )
    with gr.Row():
        json_file = output_file(label="Keypoints JSON", elem_id="image-json")
        csv_file = output_file(label="Keypoints CSV", elem_id="image-csv")
    return view, table, json_file, csv_file


def _wire_image_events(image_in, controls: list, run, outputs: list, view) -> None:
    """Estimate (with the 3D view after it) and the check of a new photo."""
    size, threshold, largest_only, lift3d, mode = controls
    json_file, summary = outputs[2], outputs[4]
    run_event = busy_button(
        run,
        lambda trigger: trigger.then(
            estimate_image,
            [image_in, size, threshold, largest_only, lift3d, mode],
            outputs,
            api_name="estimate_image",
            concurrency_limit=2,
            show_progress_on=[summary],  # one place for progress and errors, not five
        ),
    )
    run_event.then(show_view, [json_file, lift3d], view, api_visibility="private")
    clear_on_failure(run_event, [*outputs, view], summary)
    # A new photo: the last photo's skeletons, table, downloads and 3D view go; a file
    # that is no image is refused, with the message Estimate gives.
    clear_then_check(
        image_in,
        [*outputs, view],
        lambda: [None] * len(outputs) + [gr.update(value=None, visible=False)],
        check_image,
        None,
        summary,
        on_failure=[image_in, *outputs],
        concurrency_limit=4,
    )


def _image_examples(image_in, controls: list, outputs: list) -> None:
    examples = example_images()
    if not examples:
        return
    size, threshold = controls[:2]
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


def build_image_tab() -> None:
    with gr.Tab("Image"):
        with gr.Row():
            with gr.Column():
                image_in, controls, run = _photo_controls()
            with gr.Column():
                image_out = cached_image_output(label="Skeletons", elem_id="image-output")
                # The label names this output "summary" for API clients (it is not shown).
                # Tall enough for the progress bar, its pass count and the time left.
                summary = gr.Markdown(label="Summary", elem_id="image-summary", min_height=72)
        view, table, json_file, csv_file = _keypoint_outputs()
        outputs = [image_out, table, json_file, csv_file, summary]
        _wire_image_events(image_in, controls, run, outputs, view)
        _image_examples(image_in, controls, outputs)
