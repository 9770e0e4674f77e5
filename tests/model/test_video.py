"""The video path on the real model: frames, order, rates, rotation, the CLI, the street clip."""

from __future__ import annotations

import json
import os

import av
import numpy as np
import pytest

from pose.media.video_reader import iter_frames, open_video
from pose.video.process import process_video
from tests.helpers.cli import run_cli
from tests.helpers.clips import make_clip, make_resizing_clip, probe, timeline
from tests.helpers.paths import VIDEO_PATH

# ----------------------------------------------------------------------- real model


def test_process_video_frames_size_rate_and_keypoints(tmp_path, clip):
    seen, drawn = [], []
    result = process_video(
        clip,
        tmp_path / "out.mp4",
        progress=lambda d, t: seen.append((d, t)),
        drawing_progress=lambda d, t: drawn.append((d, t)),
    )
    codec, pix_fmt, count, width, height, rate = probe(result.output)
    assert (codec, pix_fmt, count, width, height, rate) == ("h264", "yuv420p", 6, 320, 240, 10)
    assert seen[-1] == (6, 6) and len(seen) == 6
    # The drawing stage reports too (it comes after every frame's people are found).
    assert drawn == [(done, 6) for done in range(1, 7)]
    payload = json.loads(result.to_json())
    assert [entry["frame"] for entry in payload["frames"]] == list(range(6))
    assert payload["frames"][1]["time"] == pytest.approx(0.1)
    # Frame 0 is the first COCO photo (a skier): one person with most joints.
    assert payload["frames"][0]["people"], "nobody found in a photo of a person"
    assert len(payload["frames"][0]["people"][0]["keypoints"]) == 18
    csv_lines = result.to_csv().splitlines()
    assert csv_lines[0] == "frame,time,person,joint,x,y,confidence,id,angle"
    assert {line.split(",")[0] for line in csv_lines[1:]} <= {str(i) for i in range(6)}
    assert not result.audio_dropped


def test_frames_come_back_in_order_from_the_model_workers(tmp_path, clip):
    # The model stage deals frames in turn to one worker per core; each frame's people must
    # still be that frame's. The clip's frames are different photos, so a swap shows.
    from pose.network.registry import get_model
    from pose.photo.estimate import estimate

    model = get_model()
    with model.workers() as runs:
        assert len(runs) == 2 or (os.cpu_count() or 1) < 2
    result = process_video(clip, tmp_path / "out.mp4", model=model)
    container, info = open_video(clip)
    with container:
        images = [image for _, _, image in iter_frames(container, info)]
    assert len(images) == len(result.frames) == 6
    stages = result.stage_cpu_seconds  # where the time went, per thread
    assert {"read", "infer0", "draw", "encode"} <= set(stages)
    assert all(seconds > 0 for seconds in stages.values())
    for image, frame in zip(images, result.frames, strict=True):
        expected = estimate(image, model=model).people
        assert len(frame.people) == len(expected)
        for mine, theirs in zip(frame.people, expected, strict=True):
            assert np.abs(mine.keypoints - theirs.keypoints).max() < 0.05


def test_every_nth_rotation_audio_and_webm(tmp_path):
    source = make_clip(tmp_path / "phone.mp4", frames=5, audio=True, rotation=-90)
    result = process_video(source, tmp_path / "out.webm", every=2, smooth=True)
    codec, _, count, width, height, rate = probe(result.output)
    # Every 2nd of 5 frames: 0, 2, 4, each held for two frames at 10 fps; portrait because
    # the phone said so.
    assert (codec, count, width, height, rate) == ("vp9", 3, 240, 320, 10)
    assert [frame.index for frame in result.frames] == [0, 2, 4]
    assert timeline(result.output)[0] == pytest.approx(0.5, abs=0.01)
    assert result.audio_dropped


@pytest.mark.parametrize("every", [3, 4])
def test_every_nth_keeps_the_source_duration_and_speed(tmp_path, every):
    """8 frames at 10 fps (0.8 s): every 3rd is 0, 3, 6 and every 4th is 0, 4; each is shown
    at its source time and held until the next, the last until 0.8 s."""
    source = make_clip(tmp_path / "source.mp4", frames=8, fps=10)
    result = process_video(source, tmp_path / "out.mp4", every=every)
    processed = list(range(0, 8, every))
    source_duration, source_times = timeline(source)
    duration, times = timeline(result.output)
    assert source_duration == pytest.approx(0.8, abs=0.01) and len(source_times) == 8
    assert abs(duration - source_duration) <= 0.1  # within one source frame
    # The processed frames, then the last one repeated at the source's last frame (7).
    assert times == pytest.approx([index / 10 for index in [*processed, 7]], abs=0.01)
    assert result.fps == 10
    payload = json.loads(result.to_json())
    assert [entry["frame"] for entry in payload["frames"]] == processed
    assert [entry["time"] for entry in payload["frames"]] == pytest.approx(
        [index / 10 for index in processed]
    )
    assert (payload["output"]["fps"], payload["output"]["frames"]) == (10, len(processed))
    rows = result.to_csv().splitlines()[1:]
    assert rows and {int(row.split(",")[0]) for row in rows} <= set(processed)


def test_frame_size_change_midway_is_letterboxed(tmp_path):
    """Landscape 320x240 for three frames, then portrait 240x320: the output stays 320x240,
    the portrait frames fitted inside it (180x240, 70 px black each side) rather than
    stretched, and their keypoints are in the output's pixels."""
    sizes = [(320, 240)] * 3 + [(240, 320)] * 3
    source = make_resizing_clip(tmp_path / "spliced.avi", sizes)
    result = process_video(source, tmp_path / "out.mp4", smooth=False)
    assert (result.width, result.height) == (320, 240)
    assert [frame.index for frame in result.frames] == list(range(6))
    with av.open(str(result.output)) as container:
        images = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    assert [image.shape for image in images] == [(240, 320, 3)] * 6
    for image in images[:3]:
        assert image[:, :60].mean() > 40  # the photo reaches the edges
    for image in images[3:]:
        assert image[:, :60].max() < 40 and image[:, -60:].max() < 40  # black bars
        assert image[:, 100:220].mean() > 40
    portrait = [person for frame in result.frames[3:] for person in frame.people]
    assert portrait, "nobody found in the letterboxed frames"
    for person in portrait:
        found = person.keypoints[person.keypoints[:, 2] > 0]
        assert found[:, 0].min() >= 70 - 2 and found[:, 0].max() <= 250 + 2


def test_street_clip_finds_several_people(tmp_path):
    result = process_video(VIDEO_PATH, tmp_path / "street.mp4")
    assert (result.width, result.height, len(result.frames)) == (960, 540, 5)
    assert all(len(frame.people) >= 2 for frame in result.frames)


def test_cli_video_writes_h264_and_json(tmp_path, clip):
    out, keypoints = tmp_path / "annotated.mp4", tmp_path / "keypoints.json"
    result = run_cli("video", str(clip), str(out), "--json", str(keypoints), "--every", "2")
    assert result.returncode == 0, result.stderr
    assert "3 frames" in result.stdout and "at 10 fps" in result.stdout
    assert "tracked (IDs drawn" in result.stdout
    codec, _, count, width, height, _ = probe(out)
    # Frames 0, 2, 4 and the last one held to the source's end (frame 5): 0.6 s like the source.
    assert (codec, count, width, height) == ("h264", 4, 320, 240)
    assert timeline(out)[0] == pytest.approx(0.6, abs=0.01)
    payload = json.loads(keypoints.read_text())
    assert len(payload["frames"]) == 3 and payload["output"]["every"] == 2
    people = [person for frame in payload["frames"] for person in frame["people"]]
    assert all(person["id"] >= 1 and "angles" in person for person in people)
