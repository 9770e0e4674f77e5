"""The Video tab: a clip annotated frame by frame, with per-frame keypoints."""

from __future__ import annotations

import logging

import gradio as gr

from pose.estimate import DEFAULT_THRESHOLD
from pose.media import InputError, number_input
from pose.network import DEFAULT_PRESET
from pose.video import MAX_EVERY, VideoResult, process_video
from pose.video import MAX_FRAMES as MAX_VIDEO_FRAMES
from pose.video import MAX_SECONDS as MAX_VIDEO_SECONDS
from ui.admission import JobStopped, stop_if_unwanted
from ui.components import (
    checked_by_handler,
    checked_threshold,
    example_videos,
    new_download,
    size_input,
    threshold_input,
    user_error,
    video_path_input,
    write_download,
)

VIDEO_HELP = f"""
Upload a clip (MP4, MOV, WebM or AVI) and press **Annotate video**. You get the video back
with every skeleton drawn (H.264 MP4, plays in any browser) and the keypoints of each frame
as JSON and CSV. **Limits:** at most {MAX_VIDEO_FRAMES} processed frames and
{MAX_VIDEO_SECONDS / 60:.0f} minutes per clip; for longer clips process *every Nth frame*
(each annotated frame is then held until the next). The output keeps the input's size,
frame rate and duration; **the audio track is dropped**.
"""

log = logging.getLogger("app")

BACKEND_NAMES = {"tflite": "float32", "session": "float32 (TF session)", "bf16": "bfloat16"}


def video_summary(result: VideoResult) -> str:
    """What was annotated, how fast and on which model, as Markdown."""
    found = sum(1 for frame in result.frames if frame.people)
    step = f", every {result.every}th frame" if result.every > 1 else ""
    lines = [
        f"Annotated {len(result.frames)} frames{step}: {result.width}x{result.height} at "
        f"{float(result.fps):.3g} fps, people found in {found}. "
        f"Took {result.seconds:.1f} s ({result.processing_fps:.1f} frames/s) on the "
        f"{BACKEND_NAMES.get(result.backend, result.backend)} model."
    ]
    if result.lost_frames:
        lines.append(
            f"{result.lost_frames} frames of the source could not be decoded (damaged data) "
            "and are missing: the annotated video holds the frame before each gap."
        )
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
    threshold = checked_threshold(threshold)
    try:
        every = int(number_input(every, "'Every Nth frame'", 1, MAX_EVERY, whole=True))
    except InputError as exc:
        raise user_error(exc) from None

    def report(done: int, total: int | None) -> None:
        # A video holds the only video worker for up to a minute: stop as soon as nobody
        # is waiting for it (page closed, client gone) or the server is stopping.
        stop_if_unwanted()
        progress((done, total), desc="Annotating frames", unit="frames")

    try:
        result = process_video(
            video,
            new_download(".mp4", prefix="annotated-"),
            size=size,
            threshold=threshold,
            every=every,
            smooth=bool(smooth),
            progress=report,
        )
    except ValueError as exc:  # InputError included
        raise user_error(exc) from None
    except JobStopped as exc:
        log.info("video stopped early: %s", exc)
        raise gr.Error(f"The video was not finished: {exc}", print_exception=False) from None
    return (
        str(result.output),
        write_download(result.to_json(), ".json"),
        write_download(result.to_csv(), ".csv"),
        video_summary(result),
    )


def build_video_tab() -> None:
    with gr.Tab("Video"):
        gr.Markdown(VIDEO_HELP)
        with gr.Row():
            with gr.Column():
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
