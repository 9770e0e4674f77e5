"""The Compare videos tab: a movement against a reference, aligned in time; repetitions."""

from __future__ import annotations

import json

import gradio as gr
import numpy as np
import pandas as pd

from pose.network.spec import DEFAULT_PRESET
from pose.photo.estimate import DEFAULT_THRESHOLD
from pose.sequence import Repetitions, SequenceComparison
from pose.sequence.compare import compare_videos, count_reps, moment_images
from pose.sequence.follow import parse_track_ids
from ui.components import (
    busy_button,
    checked_preview,
    clear_on_failure,
    clear_then_check,
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

COMPARE_HELP = """
Compare a movement with a reference: upload the **reference** clip (the coach's squat) and
the **attempt** (yours) and press **Compare movements**. The two are aligned in time, so a
slower, faster or paused attempt still lines up, and each aligned pair of frames is scored
like two photos in the Match tab. You get the overall similarity, a timeline of it and of
the joints that differ most, the worst moments as both frames side by side, and both clips
played side by side along the alignment. **Count repetitions** finds each repetition of the
reference (one repetition, or the part between *start* and *end*) in the attempt and scores
each; the weakest is flagged. The person followed in each clip is the one present longest
and largest (2, 3, ... pick others), or the one whose tracking ID you enter under *Follow
tracking IDs* (the IDs the Video tab draws). Each clip: at most 900 frames.
"""

PERSON_INFO = "1 = the most prominent person in the clip."
TRACK_INFO = (
    "Empty: the person present longest and largest. One ID for both clips, or two "
    "(reference, attempt), as the Video tab shows them, e.g. 3 or 3, 5."
)
REPS_HEADERS = ["repetition", "start (s)", "end (s)", "frames", "score %", "weakest"]
TIMELINE_JOINTS = 3
DIFFER_BELOW = 85.0  # a joint's mean score below this is named in the summary


def _options(person1, person2, size, threshold, track_ids: str | None = "") -> dict:
    for name, value in (("Person in the reference", person1), ("Person in the attempt", person2)):
        if value is None or float(value) != int(value) or int(value) < 1:
            raise fail(f"{name} must be a whole number from 1.")
    try:
        track1, track2 = parse_track_ids(track_ids)
    except ValueError as exc:
        raise fail(str(exc)) from None
    return {
        "person1": int(person1),
        "person2": int(person2),
        "track1": track1,
        "track2": track2,
        "size": size,
        "threshold": float(threshold),
    }


def _progress_callback(progress: gr.Progress):
    """A ``report(stage, done, total)`` callback: each stage's bar, frames done and time
    left (:func:`ui.components.progress_reporter`), restarted when the stage changes."""
    labels = {
        "reference": "Finding poses in the reference",
        "attempt": "Finding poses in the attempt",
        "video": "Drawing the side-by-side video",
    }
    current: dict[str, object] = {}

    def report(stage: str, done: int, total: int | None) -> None:
        if current.get("stage") != stage:
            current.update(stage=stage, show=progress_reporter(progress, labels.get(stage, stage)))
        current["show"](done, total)

    return report


def check_clip(video: str | None) -> None:
    """Refuse an unusable clip as soon as it is uploaded (an empty file, a photo, ...), with
    the message the comparison would give, in the summary; a clip a browser cannot show is
    swapped for an H.264 copy so the preview plays (as on the Video tab)."""
    return checked_preview(video, "clip")


def comparison_summary(comparison: SequenceComparison) -> str:
    """The similarity, its verdict, the worst moments and any notes, as Markdown."""
    ref, att = comparison.reference, comparison.attempt
    lines = [
        f"# {comparison.similarity:.1f} %",
        f"**{comparison.verdict}** · {len(comparison.alignment)} aligned pairs · reference "
        f"{len(ref)} frames at {ref.fps:.3g} fps · attempt {len(att)} frames at {att.fps:.3g} fps",
    ]
    differ = [
        f"{joint.label} {score:.0f} %"
        for joint, score in comparison.joint_summary()[:3]
        if score < DIFFER_BELOW
    ]
    lines.append(
        "Joints that differ most (mean score): " + ", ".join(differ)
        if differ
        else f"Every joint scores {DIFFER_BELOW:.0f} % or more on average."
    )
    lines.append(followed(ref, att))
    lines += [f"*{note}*" for note in comparison.notes]
    return "\n\n".join(lines)


def followed(reference, attempt) -> str:
    """Which person was followed in each clip (their tracking ID), as a Markdown line."""

    def who(sequence) -> str:
        return "the largest in each frame" if sequence.track is None else f"ID {sequence.track}"

    return (
        f"Followed: {who(reference)} in the reference, {who(attempt)} in the attempt "
        "(another person: *Follow tracking IDs*)."
    )


def timeline_frame(comparison: SequenceComparison) -> pd.DataFrame:
    """The timeline plot's data: reference time, percent, series."""
    rows = comparison.timeline(TIMELINE_JOINTS)
    return pd.DataFrame(rows, columns=["reference time (s)", "score (%)", "series"])


def _caption(moment) -> str:
    joints = ", ".join(joint.label for joint in moment.joints) or "no joint below 50 %"
    return (
        f"{moment.similarity:.0f} % · reference {moment.reference_time:.2f} s, attempt "
        f"{moment.attempt_time:.2f} s · {joints}"
    )


def compare_movements(
    reference: str | None,
    attempt: str | None,
    person1: float = 1,
    person2: float = 1,
    size: str = DEFAULT_PRESET,
    threshold: float = DEFAULT_THRESHOLD,
    track_ids: str | None = "",
    progress: gr.Progress = gr.Progress(),
) -> tuple[str, str, pd.DataFrame, list[tuple[np.ndarray, str]], dict, str]:
    """Compare the movement in an attempt clip with a reference clip, aligned in time.

    Args:
        reference: the reference clip (MP4, MOV, WebM or AVI).
        attempt: the clip compared with it.
        person1: which person in the reference, 1 = the most prominent.
        person2: which person in the attempt, 1 = the most prominent.
        size: model input size preset: "fast", "balanced" or "accurate".
        threshold: minimum joint confidence, 0 to 1.
        track_ids: tracking IDs to follow: "" (the person present longest and largest),
            one ID for both clips, or "REF_ID, ATTEMPT_ID"; they override person1/person2.

    Returns:
        a summary (Markdown), the side-by-side H.264 video along the alignment, the
        timeline (reference time, percent, series: "similarity" and the joints that differ
        most), the worst moments as (image, caption) pairs, the result as a dict (keys
        "similarity", "alignment" [[reference_frame, attempt_frame], ...], "worst"
        [{"frames", "times", "similarity", "joints"}], "timeline", ...), and the same as a
        JSON file.
    """
    if not reference or not attempt:
        raise fail("Please upload both a reference and an attempt clip.")
    options = _options(person1, person2, size, threshold, track_ids)
    output = new_download(".mp4", prefix="side-by-side-")
    try:
        result = compare_videos(
            reference, attempt, out=output, progress=_progress_callback(progress), **options
        )
        pictures = moment_images(reference, attempt, result.comparison)
    except ValueError as exc:  # InputError and SequenceError included
        raise user_error(exc) from None
    comparison = result.comparison
    payload = comparison.to_dict()
    gallery = [
        (picture, _caption(moment))
        for picture, moment in zip(pictures, comparison.worst, strict=True)
    ]
    return (
        comparison_summary(comparison),
        output,
        timeline_frame(comparison),
        gallery,
        payload,
        write_download(json.dumps(payload), ".json"),
    )


def reps_summary(result: Repetitions) -> str:
    if not result.count:
        return (
            "# 0 repetitions\nNo stretch of the attempt moves like the reference. Check that "
            "the reference holds one repetition (or set start and end) and the same person."
        )
    scores = [rep.score for rep in result.reps]
    weakest = next((n for n, rep in enumerate(result.reps, start=1) if rep.weakest), None)
    lines = [
        f"# {result.count} repetition{'' if result.count == 1 else 's'}",
        f"Scores {min(scores):.0f}-{max(scores):.0f} %, mean {np.mean(scores):.0f} %"
        + (
            f" · weakest: repetition {weakest}"
            if weakest
            else (" · none stands out beyond the measurement's noise" if result.count > 1 else "")
        ),
        followed(result.reference, result.attempt),
    ]
    return "\n\n".join(lines)


def count_repetitions(
    reference: str | None,
    attempt: str | None,
    start: float | None = None,
    end: float | None = None,
    person1: float = 1,
    person2: float = 1,
    size: str = DEFAULT_PRESET,
    threshold: float = DEFAULT_THRESHOLD,
    track_ids: str | None = "",
    progress: gr.Progress = gr.Progress(),
) -> tuple[str, list[list], dict]:
    """Count and score the repetitions of a reference movement in an attempt clip.

    Args:
        reference: a clip of one repetition (or of more: set start and end).
        attempt: the clip with the repetitions.
        start: the repetition starts here in the reference, seconds (empty or 0: its start).
        end: the repetition ends here in the reference, seconds (empty or 0: its end).
        person1: which person in the reference, 1 = the most prominent.
        person2: which person in the attempt, 1 = the most prominent.
        size: model input size preset: "fast", "balanced" or "accurate".
        threshold: minimum joint confidence, 0 to 1.
        track_ids: tracking IDs to follow: "" (the person present longest and largest),
            one ID for both clips, or "REF_ID, ATTEMPT_ID"; they override person1/person2.

    Returns:
        a summary (Markdown), one table row per repetition (number, start s, end s,
        frames, score %, weakest), and the result as a dict ("count", "reps" with "start",
        "end" frames and "score" percent, "weakest").
    """
    if not reference or not attempt:
        raise fail("Please upload both a reference and an attempt clip.")
    options = _options(person1, person2, size, threshold, track_ids)
    try:
        result = count_reps(
            reference,
            attempt,
            # An empty number box arrives as 0: 0 means "not set" for both.
            start=float(start) if start else None,
            end=float(end) if end else None,
            progress=_progress_callback(progress),
            **options,
        )
    except ValueError as exc:
        raise user_error(exc) from None
    return reps_summary(result), reps_rows(result), result.to_dict()


def reps_rows(result: Repetitions) -> list[list]:
    """The repetitions table: per repetition its number, start and end (seconds), its frames
    ("first-last"), its score (percent) and "weakest" or ""."""
    return [
        [
            number,
            round(rep.start / rep.fps, 2),
            round(rep.end / rep.fps, 2),
            f"{rep.start}-{rep.end}",
            round(rep.score, 1),
            "weakest" if rep.weakest else "",
        ]
        for number, rep in enumerate(result.reps, start=1)
    ]


def _clip_column(label: str, elem: str, person_label: str, number: int):
    """One clip and the person followed in it: (clip, person)."""
    clip = video_path_input(label=label, elem_id=elem)
    person = gr.Number(
        1,
        label=person_label,
        precision=0,
        minimum=1,
        info=PERSON_INFO,
        elem_id=f"compare-person-{number}",
    )
    return clip, person


def _comparison_outputs() -> list:
    """[summary, side by side, timeline, worst moments, JSON, JSON download]."""
    # One place for progress, the result and any error; tall enough for the bar.
    summary = gr.Markdown(label="Summary", elem_id="compare-summary", min_height=72)
    with gr.Row():
        with gr.Column():
            side_by_side = gr.Video(label="Side by side, aligned", elem_id="compare-video")
        with gr.Column():
            timeline = gr.LinePlot(
                x="reference time (s)",
                y="score (%)",
                color="series",
                y_lim=[0, 100],
                label="Similarity and the joints that differ most, over the reference",
                elem_id="compare-timeline",
            )
    worst = gr.Gallery(
        label="Worst moments: reference | attempt (rings: joints that differ)",
        columns=3,
        object_fit="contain",
        height="auto",
        elem_id="compare-worst",
    )
    with gr.Accordion("Result as JSON", open=False):
        result_json = gr.JSON(label="Result")
        result_file = output_file(label="Download (JSON)")
    return [summary, side_by_side, timeline, worst, result_json, result_file]


def _wire_run(run, handler, inputs: list, outputs: list, api_name: str) -> None:
    """``run`` calls ``handler`` (one job at a time: two clips through the model keep both
    cores on it); progress and a failure's message go to the first output."""
    event = busy_button(
        run,
        lambda trigger: trigger.then(
            handler,
            inputs,
            outputs,
            api_name=api_name,
            concurrency_limit=1,
            show_progress_on=[outputs[0]],
        ),
    )
    clear_on_failure(event, outputs, outputs[0])


def _repetitions_section() -> tuple[list, gr.Button, list]:
    """The repetitions' controls and results: ([start, end], button, [summary, table,
    JSON])."""
    gr.Markdown("### Repetitions")
    with gr.Row():
        start = gr.Number(
            None,
            label="Repetition starts at (s)",
            minimum=0,
            info="In the reference; 0: its start.",
        )
        end = gr.Number(
            None, label="Repetition ends at (s)", minimum=0, info="In the reference; 0: its end."
        )
        reps_run = gr.Button("Count repetitions", elem_id="reps-run")
    reps_summary_out = gr.Markdown(
        label="Repetitions summary", elem_id="reps-summary", min_height=72
    )
    reps_table = gr.Dataframe(
        headers=REPS_HEADERS,
        label="Repetitions in the attempt",
        elem_id="reps-table",
        wrap=True,
        # On a phone the last columns (the score and the weakest) were out of view: the
        # compact style (ui/server.py) and shares of the width fit all six.
        elem_classes=["compact-table"],
        column_widths=["21%", "19%", "15%", "14%", "16%", "15%"],
    )
    reps_json = gr.JSON(label="Repetitions as JSON", visible=False)
    return [start, end], reps_run, [reps_summary_out, reps_table, reps_json]


def build_compare_tab() -> None:
    with gr.Tab("Compare videos"):
        gr.Markdown(COMPARE_HELP)
        with gr.Row():
            with gr.Column():
                reference, person1 = _clip_column(
                    "Reference clip", "compare-reference", "Person in the reference", 1
                )
            with gr.Column():
                attempt, person2 = _clip_column(
                    "Attempt clip", "compare-attempt", "Person in the attempt", 2
                )
        track_ids = gr.Textbox(
            "",
            label="Follow tracking IDs",
            placeholder="the person present longest and largest",
            info=TRACK_INFO,
            elem_id="compare-track-ids",
        )
        with gr.Accordion("Options", open=False), gr.Row():
            size = size_input()
            threshold = threshold_input()
        with gr.Row():
            run = gr.Button("Compare movements", variant="primary", elem_id="compare-run")
        outputs = _comparison_outputs()
        people = [person1, person2, size, threshold, track_ids]
        _wire_run(run, compare_movements, [reference, attempt, *people], outputs, "compare_videos")
        span, reps_run, reps_outputs = _repetitions_section()
        _wire_run(
            reps_run, count_repetitions, [reference, attempt, *span, *people], reps_outputs,
            "count_reps",
        )  # fmt: skip
        # A clip that cannot be used is refused on upload, in the summary, and the results
        # of the clips before it go.
        summary = outputs[0]
        for clip in (reference, attempt):
            clear_then_check(
                clip,
                [*outputs, *reps_outputs],
                lambda: [None] * (len(outputs) + len(reps_outputs)),
                check_clip,
                [clip],
                summary,
                on_failure=[clip, *outputs, *reps_outputs[:2]],
                concurrency_limit=1,
            )
