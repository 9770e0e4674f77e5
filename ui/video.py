"""The Video tab: a clip annotated frame by frame, with per-frame keypoints, tracking IDs and
a chosen person's joint angles over time."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import gradio as gr
import pandas as pd

from pose.body.angles import ANGLE_NAMES
from pose.media.images import InputError, number_input
from pose.media.video_reader import MAX_EVERY, MAX_MEGAPIXELS
from pose.media.video_reader import MAX_FRAMES as MAX_VIDEO_FRAMES
from pose.media.video_reader import MAX_SECONDS as MAX_VIDEO_SECONDS
from pose.network.spec import DEFAULT_PRESET
from pose.photo.estimate import DEFAULT_THRESHOLD
from pose.pose3d.blazepose import Pose3DError
from pose.video.process import process_video
from pose.video.result import VideoResult, angle_series, tracked_people
from ui.admission import JobStopped, stop_if_unwanted
from ui.components import (
    busy_button,
    checked_by_handler,
    checked_preview,
    checked_threshold,
    clear_on_failure,
    clear_then_check,
    download_stem,
    example_videos,
    fail,
    new_download,
    output_file,
    progress_reporter,
    size_input,
    threshold_input,
    user_error,
    video_path_input,
    write_download,
)

VIDEO_HELP = f"""
Upload a clip (MP4, MOV, WebM or AVI; clips a browser cannot show are converted for the
preview) and press **Annotate video**. You get the video back
with every skeleton drawn (H.264 MP4, plays in any browser) and the keypoints of each frame
as JSON and CSV. Each person keeps an **ID** from frame to frame (drawn above their head, and
in the JSON and CSV); below the video, pick an ID to plot that person's **joint angles** over
time. **Limits:** at most {MAX_VIDEO_FRAMES} processed frames and
{MAX_VIDEO_SECONDS / 60:.0f} minutes per clip, {MAX_MEGAPIXELS:,.0f} megapixels of frames in all
(a minute of 1080p); for longer clips process *every Nth frame*
(each annotated frame is then held until the next). The output keeps the input's size,
frame rate and duration; **the audio track is dropped**.
"""


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st, ..."""
    if number % 100 in (11, 12, 13):
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


log = logging.getLogger("app")


def video_summary(result: VideoResult, seconds: float | None = None) -> str:
    """What was annotated and how long the user waited (``seconds``, the whole run), as
    Markdown."""
    found = sum(1 for frame in result.frames if frame.people)
    step = f", every {ordinal(result.every)} frame" if result.every > 1 else ""
    waited = result.seconds if seconds is None else seconds
    lines = [
        f"Annotated {len(result.frames)} frames{step}: {result.width}x{result.height} at "
        f"{float(result.fps):.3g} fps, people found in {found}. "
        f"Took {waited:.1f} s ({len(result.frames) / max(waited, 1e-6):.1f} frames/s)."
    ]
    windowed = sum(plan is not None for plan in result.windows)
    if windowed:
        lines.append(
            f"The network looked only around the people on {windowed} of "
            f"{len(result.frames)} frames (the others whole): "
            f"{result.network_share:.0%} of the picture on average."
        )
    if result.lost_frames:
        lines.append(
            f"{result.lost_frames} frames of the source could not be decoded (damaged data) "
            "and are missing: the annotated video holds the frame before each gap."
        )
    if result.audio_dropped:
        lines.append("The audio track was dropped: the annotated video is silent.")
    return "\n\n".join(lines)


def _stage(progress: gr.Progress, desc: str):
    """A ``step(done, total)`` callback for one stage of a video: it shows ``desc``, the
    frames done and the time left (counted from the stage's first step), and stops the job
    as soon as nobody is waiting for it (page closed, client gone) or the server is
    stopping: a video holds the only video worker for up to a minute."""
    show = None

    def step(done: int, total: int | None) -> None:
        nonlocal show
        stop_if_unwanted()
        if show is None:
            show = progress_reporter(progress, desc)
        show(done, total)

    return step


def estimate_video(
    video: str | None,
    size: str = DEFAULT_PRESET,
    threshold: float = DEFAULT_THRESHOLD,
    every: float = 1,
    smooth: bool = True,
    lift3d: bool = False,
    second_opinion: bool = False,
    progress: gr.Progress = gr.Progress(),
) -> tuple[str, str, str, str]:
    """Draw every person's skeleton on each frame of a video.

    Args:
        video: the clip (MP4, MOV, WebM or AVI), within the Video tab's frame and length limits.
        size: model input size preset: "fast", "balanced" or "accurate".
        threshold: minimum joint confidence, 0 to 1.
        every: process every Nth frame (1 = all); the output keeps the source's duration.
        smooth: smooth keypoints across frames (One Euro filter) to stop jitter.
        lift3d: also every person's 3D landmarks in each frame ("landmarks3d" in the JSON);
            off by default: it adds about 30 ms per person per frame on two cores.
        second_opinion: BlazePose's landmark model also reads each tracked person from a
            crop followed from frame to frame (turned people read upright), fused per
            joint with OpenPose's; off by default: about 25-50 ms per person (up to four)
            per frame on two cores (docs/video-and-webcam.md).

    Returns:
        the annotated H.264 MP4 (no audio), per-frame keypoints as a JSON file and as a
        CSV file, and a summary.
    """
    started = time.perf_counter()
    if not video:
        raise fail("Please upload a video first.")
    threshold = checked_threshold(threshold)
    every = checked_every(every)
    stem = download_stem(video, "video")
    result = annotate(
        video,
        stem,
        progress,
        size=size,
        threshold=threshold,
        every=every,
        smooth=bool(smooth),
        lift3d=bool(lift3d),
        second_opinion=bool(second_opinion),
    )
    return (
        str(result.output),
        write_download(result.to_json(), ".json", name=f"{stem}-keypoints.json"),
        write_download(result.to_csv(), ".csv", name=f"{stem}-keypoints.csv"),
        video_summary(result, time.perf_counter() - started),
    )


def checked_every(every: float) -> int:
    """The 'Every Nth frame' input as a whole number from 1 to ``MAX_EVERY``; anything else
    is the user's error (a message, no stack trace)."""
    try:
        return int(number_input(every, "'Every Nth frame'", 1, MAX_EVERY, whole=True))
    except InputError as exc:
        raise user_error(exc) from None


def annotate(video: str, stem: str, progress: gr.Progress, **options) -> VideoResult:
    """:func:`process_video` of ``video`` into a new download ``{stem}-annotated.mp4`` with
    ``options`` (its keyword arguments), its two stages shown on ``progress``; bad input, a
    missing 3D model and a job stopped early (nobody waiting) become messages for the user."""
    try:
        return process_video(
            video,
            new_download(".mp4", prefix="annotated-", name=f"{stem}-annotated.mp4"),
            progress=_stage(progress, "Finding people (1 of 2)"),
            drawing_progress=_stage(progress, "Drawing the video (2 of 2)"),
            **options,
        )
    except (ValueError, Pose3DError) as exc:  # InputError included; 3D model missing
        raise user_error(exc) from None
    except JobStopped as exc:
        log.info("video stopped early: %s", exc)
        raise fail(f"The video was not finished: {exc}") from None


def prepare_video(video: str | None) -> str:
    """Check an uploaded clip at once (the message Annotate would give) and, when a browser
    cannot play it (mp4v, AVI, MOV, ...), swap in an H.264 copy so the preview plays."""
    return checked_preview(video, "video")


# --------------------------------------------------------------- angles over time

# Plotted at first: the joints most movements are judged by; the others are a click away.
DEFAULT_PLOTTED = ["r_knee", "l_knee", "r_hip", "l_hip", "r_elbow", "l_elbow"]
ANGLE_COLUMNS = ["time", "degrees", "angle"]


def read_keypoints(path: str | None) -> dict:
    """A video's keypoints JSON (as written by :func:`estimate_video`); ``{}`` if unreadable."""
    if not path:
        return {}
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}


def person_choices(payload: dict) -> list[tuple[str, int]]:
    """Dropdown choices (label, ID) for the people of a video's keypoints, most seen first."""
    return [
        (f"ID {person_id} · in {frames} frame{'' if frames == 1 else 's'}", person_id)
        for person_id, frames in tracked_people(payload)
    ]


def angles_table(payload: dict, person_id: int | None, names: list[str]) -> pd.DataFrame:
    """Long table (``time`` s, ``degrees``, ``angle`` name) of one person's chosen angles,
    for the plot; frames where an angle could not be measured are left out."""
    rows = []
    if person_id is not None:
        for _, seconds, angles in angle_series(payload, int(person_id)):
            for name in names:
                value = angles.get(name)
                if value is not None:
                    rows.append((float(seconds), float(value), name))
    return pd.DataFrame(rows, columns=ANGLE_COLUMNS)


def angles_note(payload: dict, person_id: int | None, names: list[str], table: pd.DataFrame) -> str:
    """A line under the plot saying why it is empty, if it is."""
    if not tracked_people(payload):
        return "Nobody was found in the video, so there are no angles to plot."
    if person_id is None:
        return "Choose a person."
    if not names:
        return "Choose the angles to plot."
    if table.empty:
        return (
            f"None of these angles of ID {person_id} could be measured: the joints they need "
            "were not found (for example hips and knees out of the picture). Try others."
        )
    missing = [name for name in names if name not in set(table["angle"])]
    if missing:
        # An angle with no value in any frame has no line and no legend entry: say why.
        return (
            f"Not measured in any frame of ID {person_id}: {', '.join(missing)} (a joint "
            "not found, or a limb pointing at the camera, which makes its angle unreliable)."
        )
    return ""


def angles_plot(table: pd.DataFrame) -> gr.LinePlot:
    """The plot's update for ``table``. The browser sets the plot's colours and legend from
    the first data it gets and keeps them when only the data changes, so a new set of angles
    would show an old legend; naming the angles in the legend makes it redraw them."""
    present = [name for name in ANGLE_NAMES if name in set(table["angle"])]
    return gr.LinePlot(value=table, colors_in_legend=present or None)


def show_people(json_path: str | None) -> tuple[gr.Dropdown, gr.LinePlot, str]:
    """After a video: the people to choose from (the most seen chosen), their angles and a
    note when there is nothing to plot."""
    payload = read_keypoints(json_path)
    choices = person_choices(payload)
    chosen = choices[0][1] if choices else None
    table = angles_table(payload, chosen, DEFAULT_PLOTTED)
    return (
        gr.Dropdown(choices=choices, value=chosen, interactive=bool(choices)),
        angles_plot(table),
        angles_note(payload, chosen, DEFAULT_PLOTTED, table),
    )


def no_people() -> tuple[gr.Dropdown, None, str]:
    """The person choices, angle plot and its note emptied: a new clip, or a failed run."""
    return gr.Dropdown(choices=[], value=None, interactive=False), None, ""


def plot_angles(
    json_path: str | None, person_id: int | None, names: list[str] | None
) -> tuple[gr.LinePlot, str]:
    """The chosen person's chosen angles over time, and a note when there is nothing to plot."""
    payload = read_keypoints(json_path)
    names = list(names or [])
    table = angles_table(payload, person_id, names)
    return angles_plot(table), angles_note(payload, person_id, names, table)


def _clip_controls() -> tuple[gr.Video, list, gr.Button]:
    """The clip and the options for it: (clip, [size, threshold, every, smooth, lift3d,
    second opinion], the Annotate button)."""
    video_in = video_path_input(label="Video", elem_id="video-input")
    size = size_input()
    threshold = threshold_input()
    every = checked_by_handler(
        gr.Number(
            value=1,
            minimum=1,
            maximum=MAX_EVERY,
            precision=0,
            label="Process every Nth frame",
            info="1 = every frame. Use 2, 3, ... for long clips or to go faster.",
        )
    )
    smooth = gr.Checkbox(value=True, label="Smooth keypoints", info="One Euro filter across frames")
    lift3d = gr.Checkbox(
        value=False,
        label="3D per frame",
        info="3D landmarks of every person in the JSON; adds about 30 ms per "
        "person per frame (docs/pose3d.md).",
        elem_id="video-3d",
    )
    second = gr.Checkbox(
        value=False,
        label="Second opinion",
        info="BlazePose also reads each tracked person (turned, bent-over and partly hidden "
        "people get their limbs); adds about 25-50 ms per person (up to four) per frame "
        "(docs/video-and-webcam.md).",
        elem_id="video-second-opinion",
    )
    run = gr.Button("Annotate video", variant="primary")
    return video_in, [size, threshold, every, smooth, lift3d, second], run


def _angle_controls() -> tuple[gr.Dropdown, gr.CheckboxGroup, gr.LinePlot, gr.Markdown]:
    """A person's joint angles over time: (person, angles to plot, plot, note)."""
    with gr.Row():
        person = gr.Dropdown(
            choices=[],
            label="Person (the ID drawn in the video)",
            interactive=False,
            elem_id="video-person",
        )
        plotted = gr.CheckboxGroup(
            list(ANGLE_NAMES),
            value=DEFAULT_PLOTTED,
            label="Angles to plot",
            elem_id="video-angle-names",
        )
    angle_plot = gr.LinePlot(
        None,
        x="time",
        y="degrees",
        color="angle",
        x_title="time (s)",
        y_title="degrees",
        color_title="angle",
        y_lim=[0, 180],
        label="Joint angles over time",
        elem_id="video-angles",
    )
    angle_note = gr.Markdown(elem_id="video-angles-note")
    return person, plotted, angle_plot, angle_note


def _video_outputs() -> list:
    """The annotated clip, its summary and downloads: [video, JSON, CSV, summary]."""
    video_out = gr.Video(label="Annotated video", elem_id="video-output")
    # Tall enough for the progress bar, its frame count and the time left.
    summary = gr.Markdown(label="Summary", elem_id="video-summary", min_height=72)
    with gr.Row():
        json_file = output_file(label="Keypoints per frame (JSON)", elem_id="video-json")
        csv_file = output_file(label="Keypoints per frame (CSV)", elem_id="video-csv")
    return [video_out, json_file, csv_file, summary]


def _wire_video_events(video_in, controls: list, run, outputs: list, angles: tuple) -> None:
    """Annotate (then the people and their angles), the check of a new clip, the plot."""
    json_file, summary = outputs[1], outputs[3]
    person, plotted, angle_plot, angle_note = angles
    run_event = busy_button(
        run,
        lambda trigger: trigger.then(
            estimate_video,
            [video_in, *controls],
            outputs,
            api_name="estimate_video",
            concurrency_limit=1,  # one clip at a time keeps both cores on it
            show_progress_on=[summary],
        ),
    )
    clear_on_failure(run_event, outputs, summary)
    people_outputs = [person, angle_plot, angle_note]
    run_event.failure(no_people, None, people_outputs, api_visibility="private")
    # A new clip: the last clip's results and people no longer apply; a clip that cannot
    # be used is refused, one a browser cannot play swapped for a playable copy.
    upload_event = clear_then_check(
        video_in,
        [*outputs, *people_outputs],
        lambda: [None] * len(outputs) + list(no_people()),
        prepare_video,
        [video_in],
        summary,
        on_failure=[video_in, *outputs],
        concurrency_limit=1,
    )
    upload_event.failure(no_people, None, people_outputs, api_visibility="private")
    # The plot reads the JSON the video wrote, so /estimate_video keeps its outputs;
    # programs get the same angles from that JSON.
    run_event.success(show_people, [json_file], people_outputs, api_visibility="private")
    for control in (person, plotted):
        control.input(
            plot_angles,
            [json_file, person, plotted],
            [angle_plot, angle_note],
            api_visibility="private",
            # Quick clicks while the plot is redrawn: the last one must win, not be dropped.
            trigger_mode="always_last",
        )


def build_video_tab() -> None:
    with gr.Tab("Video"):
        gr.Markdown(VIDEO_HELP)
        with gr.Row():
            with gr.Column():
                video_in, controls, run = _clip_controls()
            with gr.Column():
                outputs = _video_outputs()
                angles = _angle_controls()
        _wire_video_events(video_in, controls, run, outputs, angles)
        examples = example_videos()
        if examples:
            gr.Examples(examples, inputs=[video_in], label="Example clip")
