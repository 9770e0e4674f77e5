"""The annotated video, its JSON and CSV are what the plain serial recipe gives: find every
frame's people (the stream), re-join their IDs over the clip, then read each frame again,
draw the skeletons and IDs on it and encode it. process_video overlaps and shortcuts these
steps for speed (pose.video.process); this checks, on a street.avi clip with a dozen people,
that it changes nothing in what comes out, decoded frame by decoded frame."""

from __future__ import annotations

import json
from dataclasses import replace

import av
import cv2
import numpy as np
import pytest

from pose.media.video_reader import iter_frames, open_video, read_video
from pose.media.video_writer import VideoWriter, to_yuv420
from pose.output.draw import draw_ids, draw_poses
from pose.video.identity import rejoined
from pose.video.process import process_video
from pose.video.stream import PeopleStream, StreamOptions
from tests.helpers.movement import STREET

FRAMES = 24


@pytest.fixture(scope="module")
def street_clip(tmp_path_factory):
    """The first FRAMES frames of street.avi at 640x360, as H.264 at 25 fps."""
    path = tmp_path_factory.mktemp("street") / "street.mp4"
    container, info = open_video(STREET)
    with container, VideoWriter(path, 640, 360, 25) as writer:
        for index, _, image in iter_frames(container, info):
            writer.write(cv2.resize(image, (640, 360), interpolation=cv2.INTER_AREA))
            if index + 1 >= FRAMES:
                break
    return path


def decoded(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="yuv420p") for frame in container.decode(video=0)]


def serial_recipe(clip, output, options: StreamOptions):
    """The people re-joined, then each frame read again, drawn and encoded in turn."""
    with PeopleStream(clip, options) as stream:
        frames = rejoined([frame.keypoints for frame in stream])
        fps = stream.info.fps
    reader = read_video(clip, options.every, options.max_frames)
    by_index = {frame.index: frame for frame in frames}
    with VideoWriter(output, 640, 360, fps) as writer:
        while True:
            try:
                index, _, image = next(reader)
            except StopIteration as end:
                writer.hold_until(end.value)
                break
            if index in by_index:
                keypoints = by_index[index]
                drawn = draw_poses(image, keypoints.people)
                writer.write_yuv(to_yuv420(draw_ids(drawn, keypoints.people, keypoints.ids)), index)
    return frames


@pytest.mark.parametrize("smooth", [False, True])
def test_video_json_and_csv_are_the_serial_recipes(tmp_path, street_clip, smooth):
    result = process_video(street_clip, tmp_path / "fast.mp4", smooth=smooth)
    expected = serial_recipe(street_clip, tmp_path / "serial.mp4", StreamOptions(smooth=smooth))
    assert sum(len(frame.people) for frame in expected) > 3 * FRAMES  # a crowd was found
    assert any(len(set(frame.ids)) > 3 for frame in expected)
    ours, theirs = decoded(result.output), decoded(tmp_path / "serial.mp4")
    assert len(ours) == len(theirs) == FRAMES
    for index, (mine, reference) in enumerate(zip(ours, theirs, strict=True)):
        assert np.array_equal(mine, reference), f"frame {index} differs"
    payload = json.loads(result.to_json())
    assert payload["frames"] == [frame.to_dict() for frame in expected]
    assert result.to_csv() == replace(result, frames=tuple(expected)).to_csv()
    assert result.to_csv().count("\n") > 100
