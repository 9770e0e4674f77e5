"""Pose Estimation & Matching: the Gradio web app. Layout and wiring only; work is in ``pose``."""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import gradio as gr
import numpy as np
from gradio.data_classes import ImageData

from examples.make_examples import IMAGE_EXAMPLES, MATCH_PAIRS, VIDEO_EXAMPLES, ensure_examples
from pose.draw import draw_poses
from pose.estimate import DEFAULT_THRESHOLD, estimate
from pose.export import TABLE_HEADERS, table_rows, to_csv, to_json
from pose.match import DEFAULT_METHOD as DEFAULT_MATCH_METHOD
from pose.match import MIRROR, Match, MatchError, match, pick_person, rank_by_size
from pose.media import InputError, load_image, prune_old_files, write_png_atomically
from pose.model import ensure_model
from pose.network import DEFAULT_PRESET, PRESETS, ModelFetchError
from pose.overlay import draw_numbered, draw_overlay
from pose.stream import DEFAULT_LIVE_SIZE, LiveFrame, WebcamSession, jpeg_data_url
from pose.types import Pose
from pose.video import MAX_EVERY, VideoResult, process_video
from pose.video import MAX_FRAMES as MAX_VIDEO_FRAMES
from pose.video import MAX_SECONDS as MAX_VIDEO_SECONDS

log = logging.getLogger("app")

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
# Downloads (JSON/CSV derived from results) are written here; Gradio copies them to its cache.
DOWNLOADS = Path(tempfile.gettempdir()) / "pose-downloads"

# Limits and privacy (README "Limits and privacy"). Gradio copies each returned file into
# its cache at once, so scratch files may go after a few minutes.
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

INTRO = """
# Pose Estimation & Matching
Find people's body keypoints, see each skeleton, download the keypoints, and compare poses.
**Image:** upload a photo (or click an example) and press **Estimate**. **Video:** annotate a
clip frame by frame. **Webcam:** live skeletons from your camera. **Match:** how alike two
poses are, in percent. Lower the *confidence threshold* to show uncertain joints; a larger
*input size* finds smaller people. Programs can call all of it: see *Use via API* below.
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
    image: str | None,
    size: str = DEFAULT_PRESET,
    threshold: float = DEFAULT_THRESHOLD,
    largest_only: bool = False,
) -> tuple[np.ndarray, list[list], str, str, str]:
    """Find every person in an image, best first.

    Args:
        image: the photo (JPEG, PNG, WebP, BMP or TIFF).
        size: model input size preset: "fast", "balanced" or "accurate".
        threshold: minimum joint confidence, 0 to 1.
        largest_only: keep only the largest person (the one matching would use).

    Returns:
        the annotated image, the keypoint table (person, joint, x, y, confidence),
        a JSON file, a CSV file, and a one-line summary.
    """
    if not image:
        raise gr.Error("Please upload an image first.", print_exception=False)
    try:
        pixels = load_image(image)
        result = estimate(pixels, size=size, threshold=threshold, largest_only=largest_only)
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


def size_input(
    default: str = DEFAULT_PRESET, info: str = "Larger is slower but finds smaller people."
) -> gr.Radio:
    """The model input-size preset control shared by the Image, Video and Webcam tabs."""
    return gr.Radio(SIZE_CHOICES, value=default, label="Input size", info=info)


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
            [image_in, size, threshold, largest_only],
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


# One builder per tab, each owning its layout and events.
# Video, Webcam and Match tabs: build_video_tab(), build_webcam_tab(), build_match_tab().


# --------------------------------------------------------------------------- Video tab

VIDEO_HELP = f"""
Upload a clip (MP4, MOV, WebM or AVI) and press **Annotate video**. You get the video back
with every skeleton drawn (H.264 MP4, plays in any browser) and the keypoints of each frame
as JSON and CSV. **Limits:** at most {MAX_VIDEO_FRAMES} processed frames and
{MAX_VIDEO_SECONDS / 60:.0f} minutes per clip; for longer clips process *every Nth frame*
(each annotated frame is then held until the next). The output keeps the input's size,
frame rate and duration; **the audio track is dropped**.
"""


def video_path_input(**kwargs) -> gr.Video:
    """A video upload whose handler receives the file's path as uploaded.

    gr.Video would try to convert formats with ffmpeg; we read any format with PyAV in
    ``pose.video`` and give the real error for a bad file (see image_path_input).
    """
    component = gr.Video(sources=["upload"], **kwargs)
    component.preprocess = lambda payload: None if payload is None else payload.path
    return component


BACKEND_NAMES = {"tflite": "float32", "session": "float32 (TF session)", "bf16": "bfloat16"}


def _video_summary(result: VideoResult) -> str:
    found = sum(1 for frame in result.frames if frame.people)
    step = f", every {result.every}th frame" if result.every > 1 else ""
    lines = [
        f"Annotated {len(result.frames)} frames{step}: {result.width}x{result.height} at "
        f"{float(result.fps):.3g} fps, people found in {found}. "
        f"Took {result.seconds:.1f} s ({result.processing_fps:.1f} frames/s) on the "
        f"{BACKEND_NAMES.get(result.backend, result.backend)} model."
    ]
    if result.audio_dropped:
        lines.append("The audio track was dropped: the annotated video is silent.")
    return "\n\n".join(lines)


def estimate_video(
    video: str | None,
    size: str = DEFAULT_PRESET,
    threshold: float = DEFAULT_THRESHOLD,
    every: float = 1,
    smooth: bool = True,
    progress: gr.Progress = gr.Progress(),
) -> tuple[str, str, str, str]:
    """Draw every person's skeleton on each frame of a video.

    Args:
        video: the clip (MP4, MOV, WebM or AVI); at most MAX_VIDEO_FRAMES processed frames.
        size: model input size preset: "fast", "balanced" or "accurate".
        threshold: minimum joint confidence, 0 to 1.
        every: process every Nth frame (1 = all); the output keeps the source's duration.
        smooth: smooth keypoints across frames (One Euro filter) to stop jitter.

    Returns:
        the annotated H.264 MP4 (no audio), per-frame keypoints as a JSON file and as a
        CSV file, and a summary.
    """
    if not video:
        raise gr.Error("Please upload a video first.", print_exception=False)
    if every is None or float(every) != int(every):
        raise gr.Error("'Every Nth frame' must be a whole number.", print_exception=False)

    def report(done: int, total: int | None) -> None:
        progress((done, total), desc="Annotating frames", unit="frames")

    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    prune_old_files(DOWNLOADS, DOWNLOADS_MAX_AGE_S)
    with tempfile.NamedTemporaryFile(
        suffix=".mp4", prefix="annotated-", dir=DOWNLOADS, delete=False
    ) as handle:
        output = handle.name
    try:
        result = process_video(
            video,
            output,
            size=size,
            threshold=threshold,
            every=int(every),
            smooth=bool(smooth),
            progress=report,
        )
    except ValueError as exc:  # InputError included
        raise _user_error(exc) from None
    return (
        str(result.output),
        _write_download(result.to_json(), ".json"),
        _write_download(result.to_csv(), ".csv"),
        _video_summary(result),
    )


def build_video_tab() -> None:
    with gr.Tab("Video"):
        gr.Markdown(VIDEO_HELP)
        with gr.Row():
            with gr.Column():
                video_in = video_path_input(label="Video", elem_id="video-input")
                size = size_input()
                threshold = threshold_input()
                every = gr.Number(
                    value=1,
                    minimum=1,
                    maximum=MAX_EVERY,
                    precision=0,
                    label="Process every Nth frame",
                    info="1 = every frame. Use 2, 3, ... for long clips or to go faster.",
                )
                smooth = gr.Checkbox(
                    value=True, label="Smooth keypoints", info="One Euro filter across frames"
                )
                run = gr.Button("Annotate video", variant="primary")
            with gr.Column():
                video_out = gr.Video(label="Annotated video", elem_id="video-output")
                summary = gr.Markdown(elem_id="video-summary")
                with gr.Row():
                    json_file = gr.File(label="Keypoints per frame (JSON)", elem_id="video-json")
                    csv_file = gr.File(label="Keypoints per frame (CSV)", elem_id="video-csv")
        run.click(
            estimate_video,
            [video_in, size, threshold, every, smooth],
            [video_out, json_file, csv_file, summary],
            api_name="estimate_video",
            concurrency_limit=1,  # one clip at a time keeps both cores on it
        )
        examples = example_videos()
        if examples:
            gr.Examples(examples, inputs=[video_in], label="Example clip")


# --------------------------------------------------------------------------- Webcam tab

# The preview is mirrored like a selfie camera; the handler un-mirrors (see pose.stream).
WEBCAM_MIRROR = True
WEBCAM_TIME_LIMIT = 120  # seconds per stream: a stream holds a worker while it runs
WEBCAM_STREAMS = 2  # simultaneous streams; two cores cannot serve more at a useful rate

WEBCAM_HELP = f"""
Press the camera button to stream your webcam: each frame comes back with the skeletons
drawn, with the live frame rate and the time per frame. **Smoothing** (One Euro filter)
steadies jittery joints. Frames are processed in memory and never stored. Browsers give
the camera only to HTTPS or localhost pages. A stream runs for at most
{WEBCAM_TIME_LIMIT} s at a time and then rejoins the queue, so others waiting get a turn.
"""


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


def stream_webcam(
    frame: np.ndarray | None,
    session: WebcamSession | None,
    smooth: bool = True,
    size: str = DEFAULT_LIVE_SIZE,
    threshold: float = DEFAULT_THRESHOLD,
    reference: Pose | None = None,
    either_side: bool = True,
) -> tuple[np.ndarray | None, str, WebcamSession | None, str]:
    """One live webcam frame in; the frame with skeletons, a status line and the state out,
    and with a ``reference`` pose the live similarity to it (see live_match)."""
    if frame is None:
        return None, "Waiting for the camera…", session, ""
    session = session or WebcamSession()
    try:
        live = session.process(
            frame, mirrored=WEBCAM_MIRROR, smooth=bool(smooth), size=size, threshold=threshold
        )
    except ValueError as exc:  # InputError included
        raise _user_error(exc) from None
    display, similarity = live_match(live, reference, bool(either_side))
    return display, live.status, session, similarity


def estimate_frame(
    image: str | None, size: str = DEFAULT_PRESET, threshold: float = DEFAULT_THRESHOLD
) -> tuple[np.ndarray, dict]:
    """Find every person in one frame: the API twin of the webcam stream.

    gradio_client cannot call a streaming event, so programs send frames here one by one.

    Args:
        image: the frame (JPEG, PNG or WebP), not mirrored.
        size: model input size preset: "fast", "balanced" or "accurate".
        threshold: minimum joint confidence, 0 to 1.

    Returns:
        the annotated frame and the keypoints as JSON
        ({"people": [{"score", "keypoints": [[x, y, score] x 18]}], "width", "height"}).
    """
    if not image:
        raise gr.Error("Please send an image.", print_exception=False)
    try:
        pixels = load_image(image)
        result = estimate(pixels, size=size, threshold=threshold)
    except ValueError as exc:  # InputError included
        raise _user_error(exc) from None
    return draw_poses(pixels, result.people), result.to_dict()


def build_webcam_tab() -> None:
    with gr.Tab("Webcam"):
        gr.Markdown(WEBCAM_HELP)
        with gr.Row():
            with gr.Column():
                camera = gr.Image(
                    sources=["webcam"],
                    streaming=True,
                    type="numpy",
                    label="Webcam",
                    webcam_options=gr.WebcamOptions(
                        mirror=WEBCAM_MIRROR,
                        constraints={"video": {"width": 640, "height": 480}},
                    ),
                    elem_id="webcam-input",
                )
                smooth = gr.Checkbox(
                    value=True,
                    label="Smooth keypoints",
                    info="One Euro filter: steadier joints, little lag",
                )
                size = size_input(
                    DEFAULT_LIVE_SIZE, "'balanced' keeps up on two cores; 'fast' on fewer."
                )
                threshold = threshold_input()
                either_side, reference_pose = build_live_match_inputs()
            with gr.Column():
                live = live_image_output(label="Live skeleton", elem_id="webcam-output")
                status = gr.Textbox(
                    label="Status", interactive=False, max_lines=1, elem_id="webcam-status"
                )
                live_score = gr.Markdown(elem_id="webcam-match")
        session = gr.State(None)  # one WebcamSession per browser session
        camera.stream(
            stream_webcam,
            [camera, session, smooth, size, threshold, reference_pose, either_side],
            [live, status, session, live_score],
            api_name="stream_webcam",
            stream_every=0.1,
            time_limit=WEBCAM_TIME_LIMIT,
            concurrency_limit=WEBCAM_STREAMS,
            show_progress="hidden",
        )
        # The per-frame endpoint for programs; no visible controls of its own.
        with gr.Group(visible=False):
            frame_in = image_path_input(label="Frame")
            frame_out = cached_image_output(label="Annotated frame")
            frame_json = gr.JSON(label="Keypoints")
            frame_run = gr.Button("Estimate frame")
        frame_run.click(
            estimate_frame,
            [frame_in, size, threshold],
            [frame_out, frame_json],
            api_name="estimate_frame",
            concurrency_limit=2,
        )


# --------------------------------------------------------------------------- Match tab

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
# Joints scoring below this are ringed as the worst (at most three).
WORST_BELOW = 70.0


def _match_summary(result: Match) -> str:
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
) -> tuple[np.ndarray, np.ndarray, str, list[list], np.ndarray, dict]:
    """Say how alike the poses in two images are, in percent.

    Args:
        image1: the reference photo.
        image2: the photo compared with it.
        method: "normalized" (default), "oks", "angles" or "classic".
        mirror: also try the left/right-swapped second pose.
        person1: which person in image 1, 1 = the largest.
        person2: which person in image 2, 1 = the largest.

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
            people = rank_by_size(estimate(pixels).people)
            chosen.append(pick_person(people, number, label))
            photos.append(pixels)
            ranked.append(people)
        result = match(chosen[0], chosen[1], method=method, mirror=bool(mirror))
    except InputError as exc:
        raise _user_error(exc) from None
    except ValueError as exc:
        raise _user_error(exc) from None
    worst = result.worst(3, below=WORST_BELOW)
    # Breakdown names are the first pose's; a mirrored second pose has them swapped.
    worst_second = [MIRROR[joint] for joint in worst] if result.mirrored else list(worst)
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
    return annotated1, annotated2, _match_summary(result), rows, overlay, payload


# Live matching in the Webcam tab: a reference photo's pose compared with every frame.

LIVE_MATCH_HELP = (
    "Add a reference photo to see, on every frame, how alike your pose is to the one in it "
    "(the largest person each side), with the joints that differ most ringed in white."
)


def set_webcam_reference(image: str | None) -> tuple[Pose | None, str]:
    """Find the pose to match live webcam frames against: the largest person in ``image``.

    Returns the pose (kept per browser session) and a line for the user. A photo with no
    usable person clears the reference and says why, rather than keeping an old one.
    """
    if not image:
        return None, ""
    try:
        people = rank_by_size(estimate(load_image(image)).people)
        reference = pick_person(people, 1, "the reference photo")
    except ValueError as exc:  # InputError and MatchError included
        gr.Warning(str(exc))
        return None, f"No reference: {exc}"
    return reference, f"Reference pose: {reference.num_visible} of 18 joints found."


def live_match(
    live: LiveFrame, reference: Pose | None, either_side: bool = True
) -> tuple[np.ndarray, str]:
    """Compare the largest person in a live frame with ``reference`` (normalized method).

    Returns the frame to display, with the worst joints ringed (pose.draw's highlight),
    and the similarity as Markdown; without a reference, the frame unchanged and "".
    ``either_side`` also accepts the left/right-swapped pose, as people copying a photo
    while watching a mirrored preview often do.
    """
    if reference is None:
        return live.display, ""
    people = rank_by_size(live.estimate.people)
    if not people:
        return live.display, "**No person in view.**"
    person = people[0]
    try:
        result = match(reference, person, mirror=either_side)
    except MatchError as exc:
        return live.display, f"**{exc}**"
    worst = result.worst(3, below=WORST_BELOW)
    # Breakdown names are the reference's; a mirrored fit means the person's other side.
    joints = [MIRROR[joint] for joint in worst] if result.mirrored else list(worst)
    display = live.display
    if joints:
        # The display is the drawn frame flipped like the preview; ring in real pixels.
        real = live.display[:, ::-1] if WEBCAM_MIRROR else live.display
        ringed = draw_poses(real, [person], highlight=joints)
        display = np.ascontiguousarray(ringed[:, ::-1]) if WEBCAM_MIRROR else ringed
    detail = f" · differs most at {', '.join(joint.label for joint in joints)}" if joints else ""
    side = " · mirrored" if result.mirrored else ""
    return display, f"# {result.similarity:.0f} %\n**{result.verdict}**{side}{detail}"


def build_live_match_inputs() -> tuple[gr.Checkbox, gr.State]:
    """The Webcam tab's reference-photo controls; returns (either side, reference pose)."""
    with gr.Accordion("Match a reference pose", open=False):
        gr.Markdown(LIVE_MATCH_HELP)
        photo = image_path_input(
            label="Reference photo", sources=["upload", "clipboard"], elem_id="webcam-reference"
        )
        either_side = gr.Checkbox(
            True, label="Either side", info="Also accept the left/right-swapped pose."
        )
        info = gr.Markdown(elem_id="webcam-reference-info")
    pose_state = gr.State(None)  # the reference Pose, per browser session
    photo.change(
        set_webcam_reference,
        [photo],
        [pose_state, info],
        api_name="set_webcam_reference",
        # Browser plumbing (it fills per-session state); programs match with /match_images.
        api_visibility="undocumented",
        concurrency_limit=2,
    )
    return either_side, pose_state


PERSON_INFO = "1 = the largest; the numbers are drawn on the photos after Compare."


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
                info="What counts as the same pose; see README, Matching.",
            )
            mirror = gr.Checkbox(
                False, label="Mirror", info="Also try the left/right-swapped second pose."
            )
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
            [image1, image2, method, mirror, person1, person2],
            [annotated1, annotated2, score, table, overlay, result_json],
            api_name="match_images",
            concurrency_limit=2,
        )
        pairs = example_pairs()
        if pairs:
            gr.Examples(pairs, inputs=[image1, image2], label="Example pairs")


def build_demo() -> gr.Blocks:
    ensure_examples()  # a fresh clone without the committed files: make them if we can
    with gr.Blocks(
        title="Pose Estimation & Matching", delete_cache=DELETE_CACHE, analytics_enabled=False
    ) as demo:
        gr.Markdown(INTRO)
        # On a phone the four tabs wrap onto a second row instead of hiding behind a menu.
        with gr.Tabs(overflow_behavior="wrap"):
            build_image_tab()
            build_video_tab()
            build_webcam_tab()
            build_match_tab()
    return demo


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


def prune_downloads_forever() -> None:
    """Empty the scratch folder of old results even when nobody is using the app."""
    while True:
        prune_old_files(DOWNLOADS, DOWNLOADS_MAX_AGE_S)
        time.sleep(DOWNLOADS_MAX_AGE_S / 4)


demo = build_demo()

if __name__ == "__main__":
    limit_malloc_arenas()
    threading.Thread(target=prune_downloads_forever, name="prune-downloads", daemon=True).start()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args()
    try:
        ensure_model()  # first start on a fresh clone or a Space: fetch and verify the graph
    except ModelFetchError as exc:
        raise SystemExit(f"error: {exc}") from None
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1).launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        max_file_size=MAX_FILE_SIZE,
        state_session_capacity=STATE_SESSIONS,
        theme=gr.themes.Soft(),
        prevent_thread_lock=True,  # so we can check the share link before serving on
    )
    if args.share and not demo.share_url and not os.environ.get("SPACE_ID"):
        # Gradio prints its own reason above; say plainly what still works.
        log.warning(
            "--share: no public link could be made (the tunnel needs internet access); "
            "the app is serving locally at %s only",
            demo.local_url,
        )
    demo.block_thread()
