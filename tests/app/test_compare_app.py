"""The Compare videos tab through gradio_client: /compare_videos and /count_reps."""

from __future__ import annotations

import numpy as np
import pytest
from gradio_client import handle_file

from pose.media.video_reader import probe_video
from tests.helpers.movement import REP_SPANS, WARP, movement_clips


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return movement_clips(tmp_path_factory.mktemp("movement"))


def test_compare_videos_endpoint(client, clips):
    summary, video, timeline, gallery, payload, json_file = client.predict(
        handle_file(str(clips["reference"])),
        handle_file(str(clips["attempt"])),
        1,
        1,
        "balanced",
        0.1,
        api_name="/compare_videos",
    )
    assert summary.startswith("# ") and " %" in summary.splitlines()[0]
    assert payload["similarity"] > 75
    pairs = np.array(payload["alignment"])
    assert np.abs(pairs[:, 0] - WARP[pairs[:, 1]]).mean() < 4.0
    info = probe_video(video)
    assert info.codec == "h264" and info.frames == len(pairs)
    assert timeline["columns"] == ["reference time (s)", "score (%)", "series"]
    series = {row[2] for row in timeline["data"]}
    assert "similarity" in series and len(series) == 4  # and the three joints that differ most
    assert 1 <= len(gallery) == len(payload["worst"]) <= 3
    assert all(" % · reference " in item["caption"] for item in gallery)
    assert json_file.endswith(".json")


def test_count_reps_endpoint(client, clips):
    summary, table, payload = client.predict(
        handle_file(str(clips["stride"])),
        handle_file(str(clips["reps"])),
        None,
        None,
        1,
        1,
        "balanced",
        0.1,
        api_name="/count_reps",
    )
    assert summary.startswith("# 3 repetitions")
    assert payload["count"] == 3 and len(table["data"]) == 3
    for rep, (start, end) in zip(payload["reps"], REP_SPANS, strict=True):
        assert abs(rep["start"] - start) <= 5 and abs(rep["end"] - end) <= 5
    assert [row[5] for row in table["data"]].count("weakest") == 1


@pytest.mark.parametrize(
    ("attempt", "message"),
    [
        ("empty", "No person found in any of the 10 frames of the attempt (empty.mp4)"),
        (None, "Please upload both a reference and an attempt clip."),
    ],
)
def test_bad_input_gets_a_clear_message(client, clips, attempt, message):
    from gradio_client.exceptions import AppError

    second = handle_file(str(clips[attempt])) if attempt else None
    with pytest.raises(AppError, match=message.replace("(", r"\(").replace(")", r"\)")):
        client.predict(
            handle_file(str(clips["stride"])), second, 1, 1, "balanced", 0.1,
            api_name="/compare_videos",
        )  # fmt: skip


def test_reference_longer_than_the_attempt_cannot_hold_a_repetition(client, clips):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="too short to hold a repetition"):
        client.predict(
            handle_file(str(clips["reps"])), handle_file(str(clips["stride"])), None, None, 1, 1,
            "balanced", 0.1, api_name="/count_reps",
        )  # fmt: skip
