"""The video's stream of people (pose.video.stream) on the real model: it is what the
annotated video, comparison and batch consume, it stops when left early, and it writes no file."""

from __future__ import annotations

import tempfile
import threading

import numpy as np
import pytest

from pose.media.images import InputError
from pose.sequence.compare import clip_poses
from pose.video.identity import rejoined
from pose.video.process import process_video
from pose.video.stream import PeopleStream, StreamOptions, people_stream


def stream_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("video-")]


def test_the_annotated_video_holds_the_streams_people(tmp_path, clip):
    options = StreamOptions(smooth=True)
    with PeopleStream(clip, options) as stream:
        frames = list(stream)
    assert [frame.keypoints.index for frame in frames] == list(range(6))
    assert all(frame.image.shape == (240, 320, 3) and frame.rendered is None for frame in frames)
    assert stream.source_frames == 6 and stream.lost_frames == 0
    assert {"read", "infer0", "draw"} <= set(stream.stage_cpu_seconds)
    assert len(stream.windows) == 6 and 0 < stream.network_share <= 1
    result = process_video(clip, tmp_path / "out.mp4", smooth=True)
    assert len(result.frames) == len(frames)
    # the video goes by the IDs re-joined over the whole clip, pieces of a body merged
    expected = rejoined([frame.keypoints for frame in frames])
    for mine, theirs in zip(expected, result.frames, strict=True):
        assert mine.ids == theirs.ids
        assert len(set(theirs.ids)) == len(theirs.ids)
        assert len(mine.people) == len(theirs.people)
        for a, b in zip(mine.people, theirs.people, strict=True):
            assert np.array_equal(a.keypoints, b.keypoints)


def test_comparison_reads_the_stream_and_writes_nothing(tmp_path, clip, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where a thrown-away video went
    seen = []
    poses = clip_poses(clip, progress=lambda done, total: seen.append((done, total)))
    assert list(tmp_path.iterdir()) == []
    assert poses.frames == tuple(range(6)) and len(poses.people) == len(poses.ids) == 6
    assert seen[-1] == (6, 6)
    short = [frame.people for frame in people_stream(clip, StreamOptions(smooth=True))]
    assert [len(people) for people in short] == [len(people) for people in poses.people]


def test_leaving_the_stream_early_stops_its_threads(clip):
    with PeopleStream(clip, StreamOptions(regions=None)) as stream:
        first = next(iter(stream))
        assert stream_threads(), "the stages run in threads"
    assert first.keypoints.index == 0
    assert not stream_threads()


def test_a_stream_is_read_once_and_refuses_bad_input(tmp_path, clip):
    with PeopleStream(clip) as stream:
        assert len(list(stream)) == 6
        with pytest.raises(RuntimeError):
            list(stream)
    bad = tmp_path / "not-a-video.mp4"
    bad.write_bytes(b"hello")
    with pytest.raises(InputError):
        PeopleStream(bad)
    with pytest.raises(InputError):
        PeopleStream(clip, StreamOptions(max_frames=2))
