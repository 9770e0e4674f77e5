"""The Match tab: how alike the poses in two photos are, in percent."""

from __future__ import annotations

import gradio as gr
import numpy as np

from pose.match import DEFAULT_METHOD as DEFAULT_MATCH_METHOD
from pose.match import WORST_BELOW, Match, match, pick_person, rank_by_size
from pose.media import load_image
from pose.overlay import draw_numbered, draw_overlay
from pose.photo import DEFAULT_MODE, estimate_photo
from ui.components import (
    cached_image_output,
    example_pairs,
    image_path_input,
    photo_mode_input,
    user_error,
)

MATCH_HELP = """
Compare the poses in two photos (upload, example, or a webcam snapshot) and press
**Compare**. The score is 100 % for the same pose wherever the people stand and whatever
the photo sizes. The largest person in each photo is used; the numbers drawn on the
photos let you pick another. The overlay shows the second skeleton (orange) aligned on
the first (blue); red rings mark the joints that differ most.
"""

MATCH_METHOD_CHOICES = [
    ("Normalized: position, size and tilt removed", "normalized"),
    ("OKS: COCO keypoint similarity", "oks"),
    ("Joint angles: elbows, shoulders, hips, knees", "angles"),
    ("Classic: pixel distance (original formula)", "classic"),
]
MATCH_TABLE_HEADERS = ["joint", "difference", "unit", "score %"]
PERSON_INFO = "1 = the largest; the numbers are drawn on the photos after Compare."


def match_summary(result: Match) -> str:
    """The similarity, its verdict and how it was reached, as Markdown."""
    count = len(result.joints)
    what = "angles" if result.method == "angles" else "joints"
    details = [result.method, f"{count} {what} compared"]
    if result.mirrored:
        details.append("left/right mirrored fits better")
    if abs(result.rotation) >= 1.0:
        details.append(f"turned {result.rotation:+.0f}°")
    return f"# {result.similarity:.1f} %\n**{result.verdict}** · {' · '.join(details)}"


def match_images(
    image1: str | None,
    image2: str | None,
    method: str = DEFAULT_MATCH_METHOD,
    mirror: bool = False,
    person1: float = 1,
    person2: float = 1,
    mode: str = DEFAULT_MODE,
) -> tuple[np.ndarray, np.ndarray, str, list[list], np.ndarray, dict]:
    """Say how alike the poses in two images are, in percent.

    Args:
        image1: the reference photo.
        image2: the photo compared with it.
        method: "normalized" (default), "oks", "angles" or "classic".
        mirror: also try the left/right-swapped second pose.
        person1: which person in image 1, 1 = the largest.
        person2: which person in image 2, 1 = the largest.
        mode: "accurate" (default: three passes fused per photo) or "fast" (one pass).

    Returns:
        image 1 and image 2 with numbered skeletons, the similarity with a verdict
        (Markdown), the per-joint table (worst first), the two skeletons aligned on one
        canvas, and the result as JSON (similarity, method, joints, breakdown, ...).
    """
    if not image1 or not image2:
        raise gr.Error("Please provide both images.", print_exception=False)
    try:
        numbers = (int(person1 or 1), int(person2 or 1))
        photos, ranked, chosen = [], [], []
        for path, number, label in zip(
            (image1, image2), numbers, ("image 1", "image 2"), strict=True
        ):
            pixels = load_image(path)
            people = rank_by_size(estimate_photo(pixels, mode or DEFAULT_MODE).people)
            chosen.append(pick_person(people, number, label))
            photos.append(pixels)
            ranked.append(people)
        result = match(chosen[0], chosen[1], method=method, mirror=bool(mirror))
    except ValueError as exc:  # InputError and MatchError included
        raise user_error(exc) from None
    worst = result.worst(3, below=WORST_BELOW)
    worst_second = result.worst_in_second(3, below=WORST_BELOW)
    annotated1 = draw_numbered(photos[0], ranked[0], numbers[0], highlight=worst)
    annotated2 = draw_numbered(photos[1], ranked[1], numbers[1], highlight=worst_second)
    aligned = result.aligned if result.aligned is not None else chosen[1]
    overlay = draw_overlay(chosen[0], aligned, worst, mirrored=result.mirrored)
    rows = [
        [item.joint.label, round(item.difference, 3), result.unit, round(item.score, 1)]
        for item in result.breakdown
    ]
    payload = result.to_dict()
    payload.update(person1=numbers[0], person2=numbers[1])
    payload.update(people1=len(ranked[0]), people2=len(ranked[1]))
    return annotated1, annotated2, match_summary(result), rows, overlay, payload


def build_match_tab() -> None:
    with gr.Tab("Match"):
        gr.Markdown(MATCH_HELP)
        snapshot = {"sources": ["upload", "webcam", "clipboard"]}
        # Unmirrored snapshots: a mirrored one would swap the person's left and right.
        webcam = gr.WebcamOptions(mirror=False)
        with gr.Row():
            with gr.Column():
                image1 = image_path_input(
                    label="Image 1 (reference)", webcam_options=webcam, elem_id="match-image-1",
                    **snapshot,
                )  # fmt: skip
                person1 = gr.Number(
                    1, label="Person in image 1", precision=0, minimum=1, info=PERSON_INFO
                )
            with gr.Column():
                image2 = image_path_input(
                    label="Image 2", webcam_options=webcam, elem_id="match-image-2", **snapshot
                )
                person2 = gr.Number(
                    1, label="Person in image 2", precision=0, minimum=1, info=PERSON_INFO
                )
        with gr.Row():
            method = gr.Dropdown(
                MATCH_METHOD_CHOICES,
                value=DEFAULT_MATCH_METHOD,
                label="Method",
                info=(
                    "What counts as the same pose. Normalized compares body shapes wherever"
                    " people stand; OKS is strict on the face; joint angles compare bends;"
                    " classic is the original pixel distance."
                ),
            )
            mirror = gr.Checkbox(
                False, label="Mirror", info="Also try the left/right-swapped second pose."
            )
            mode = photo_mode_input(elem_id="match-mode")
            run = gr.Button("Compare", variant="primary")
        with gr.Row():
            with gr.Column(scale=1):
                score = gr.Markdown(elem_id="match-score")
                table = gr.Dataframe(
                    headers=MATCH_TABLE_HEADERS, label="Per joint, worst first", wrap=True
                )
            with gr.Column(scale=1):
                overlay = cached_image_output(label="Aligned skeletons")
        with gr.Row():
            annotated1 = cached_image_output(label="Image 1")
            annotated2 = cached_image_output(label="Image 2")
        with gr.Accordion("Result as JSON", open=False):
            result_json = gr.JSON(label="Result")
        run.click(
            match_images,
            [image1, image2, method, mirror, person1, person2, mode],
            [annotated1, annotated2, score, table, overlay, result_json],
            api_name="match_images",
            concurrency_limit=2,
        )
        pairs = example_pairs()
        if pairs:
            gr.Examples(pairs, inputs=[image1, image2], label="Example pairs")
