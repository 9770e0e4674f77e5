"""compare-videos and count-reps on real clips built from street.avi (the real model)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pose.media.video_reader import probe_video
from tests.helpers.cli import run_cli
from tests.helpers.movement import REP_SPANS, SIDE, WARP, movement_clips


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    return movement_clips(tmp_path_factory.mktemp("clips"))


def test_compare_videos_aligns_a_warped_copy_and_writes_the_side_by_side(clips, tmp_path):
    out = tmp_path / "side.mp4"
    result = run_cli(
        "compare-videos",
        str(clips["reference"]),
        str(clips["attempt"]),
        "--json",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["similarity"] > 75
    pairs = np.array(payload["alignment"])
    assert pairs[0].tolist() == [0, 0] and pairs[-1].tolist() == [59, len(WARP) - 1]
    assert np.abs(pairs[:, 0] - WARP[pairs[:, 1]]).mean() < 4.0
    assert 1 <= len(payload["worst"]) <= 3
    assert all(len(moment["frames"]) == 2 and "joints" in moment for moment in payload["worst"])
    info = probe_video(out)
    assert info.codec == "h264" and info.frames == len(pairs)
    assert info.height == SIDE + 40 and info.width == 2 * SIDE


def test_count_reps_counts_three(clips):
    result = run_cli("count-reps", str(clips["stride"]), str(clips["reps"]), "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["count"] == 3
    spans = [(rep["start"], rep["end"]) for rep in payload["reps"]]
    assert all(
        abs(a - c) <= 5 and abs(b - d) <= 5 for (a, b), (c, d) in zip(spans, REP_SPANS, strict=True)
    ), spans
    assert sum(rep["weakest"] for rep in payload["reps"]) == 1
    assert all(0 < rep["score"] <= 100 for rep in payload["reps"])


def test_count_reps_with_a_segment_of_the_reference(clips):
    # --start/--end: the stride is frames 10-39 of the reference clip, at 50 fps.
    result = run_cli(
        "count-reps", str(clips["reference"]), str(clips["reps"]), "--start", "0.2", "--end", "0.78"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("3 repetitions found")


def test_nobody_in_a_clip_exits_with_one_line(clips):
    result = run_cli("compare-videos", str(clips["stride"]), str(clips["empty"]))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        "error: No person found in any of the 10 frames of the attempt (empty.mp4)"
    )


def test_not_a_video_exits_with_one_line(clips, tmp_path):
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("not a video")
    result = run_cli("count-reps", str(bogus), str(clips["stride"]))
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: notes.mp4 is not a video we can read")
    assert len(result.stderr.strip().splitlines()) == 1


def test_worst_moments_as_pictures_of_both_frames(clips):
    from pose.sequence.compare import compare_videos, moment_images

    result = compare_videos(clips["stride"], clips["stride"])
    assert result.comparison.similarity > 99  # the clip against itself
    images = moment_images(clips["stride"], clips["stride"], result.comparison)
    assert len(images) == len(result.comparison.worst) >= 1
    for image in images:
        assert image.dtype == np.uint8 and image.shape == (SIDE, 2 * SIDE, 3)
        assert image[:, :SIDE].std() > 10 and image[:, SIDE:].std() > 10  # both frames shown
