"""compare-videos and count-reps on real clips built from street.avi (the real model)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import EVAL_DIR, ROOT

from pose.video import VideoWriter, iter_frames, open_video, probe_video

pytestmark = pytest.mark.model

STREET = EVAL_DIR / "video" / "street.avi"
SIDE = 320  # small frames: the model works on its own input size anyway, encoding is cheaper


def street_frames(first: int, last: int) -> list[np.ndarray]:
    """Source frames first..last of street.avi cut to the people in its centre, SIDE px."""
    container, info = open_video(STREET)
    frames = []
    try:
        for index, _, image in iter_frames(container, info):
            if first <= index <= last:
                frames.append(
                    cv2.resize(image[:, 380:1100], (SIDE, SIDE), interpolation=cv2.INTER_AREA)
                )
            if index >= last:
                break
    finally:
        container.close()
    return frames


def write(path: Path, frames: list[np.ndarray], fps: int = 50) -> Path:
    with VideoWriter(path, frames[0].shape[1], frames[0].shape[0], fps) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def other_camera(image: np.ndarray) -> np.ndarray:
    """Turned 5 degrees, 85 % the size, shifted: other pixels, the same movement."""
    matrix = cv2.getRotationMatrix2D((SIDE / 2, SIDE / 2), 5.0, 0.85)
    matrix[:, 2] += (20, 10)
    return cv2.warpAffine(image, matrix, (SIDE, SIDE))


# Attempt frame t shows reference frame WARP[t]: slow start, a 0.4 s pause, fast end.
WARP = np.concatenate([np.repeat(np.arange(0, 20), 2), np.full(20, 20), np.arange(20, 60, 2)])


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    walk = street_frames(120, 179)  # one woman parts from the other and walks off
    paths = {
        "reference": write(folder / "reference.mp4", walk),
        "attempt": write(folder / "attempt.mp4", [other_camera(walk[k]) for k in WARP]),
        "empty": write(folder / "empty.mp4", [np.zeros((SIDE, SIDE, 3), np.uint8)] * 10),
    }
    # Three strides (frames 10-39; the second 1.5 times as fast) from the other camera, a
    # still frame of the hug before the parting (street frame 40) between them.
    stride = [other_camera(frame) for frame in walk[10:40]]
    hold = [other_camera(street_frames(40, 40)[0])] * 12
    faster = [stride[int(k)] for k in np.arange(0, 30, 1.5)]
    paths["stride"] = write(folder / "stride.mp4", walk[10:40])
    paths["reps"] = write(folder / "reps.mp4", hold + stride + hold + faster + hold + stride + hold)
    return paths


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pose", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ),
    )


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


def test_compare_videos_text_names_the_worst_moments(clips):
    result = run_cli("compare-videos", str(clips["reference"]), str(clips["attempt"]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("similarity ")
    assert "worst moments" in result.stdout


def test_count_reps_counts_three(clips):
    result = run_cli("count-reps", str(clips["stride"]), str(clips["reps"]), "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["count"] == 3
    spans = [(rep["start"], rep["end"]) for rep in payload["reps"]]
    expected = [(12, 41), (54, 73), (86, 115)]
    assert all(
        abs(a - c) <= 5 and abs(b - d) <= 5 for (a, b), (c, d) in zip(spans, expected, strict=True)
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
    result = run_cli("compare-videos", str(clips["reference"]), str(clips["empty"]))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        "error: No person found in any of the 10 frames of the attempt (empty.mp4)"
    )


def test_not_a_video_exits_with_one_line(clips, tmp_path):
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("not a video")
    result = run_cli("count-reps", str(clips["stride"]), str(bogus))
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: notes.mp4 is not a video we can read")
    assert len(result.stderr.strip().splitlines()) == 1


def test_worst_moments_as_pictures_of_both_frames(clips):
    from pose.compare import compare_videos, moment_images

    result = compare_videos(clips["reference"], clips["attempt"])
    images = moment_images(clips["reference"], clips["attempt"], result.comparison)
    assert len(images) == len(result.comparison.worst) >= 1
    for image in images:
        assert image.dtype == np.uint8 and image.shape == (SIDE, 2 * SIDE, 3)
        assert image[:, :SIDE].std() > 10 and image[:, SIDE:].std() > 10  # both frames shown
