"""The second opinion in videos and the webcam (pose.video.crop_follow) on the real models: a
labeled COCO photo turned on its side and made into a slowly panned clip, which OpenPose alone
does not see at all; and Match 3D comparing the bodies of the photo pass itself."""

from __future__ import annotations

import json

import pytest

from benchmarks import eval_sets
from benchmarks.turned import turn_image, turn_photo
from benchmarks.video_accuracy import panned_clip, shrunk, write_clip
from pose.media.images import load_image
from pose.video.live import WebcamSession
from pose.video.stream import PeopleStream, StreamOptions
from tests.helpers.cli import run_cli
from tests.helpers.paths import COCO_DIR, EVAL_DIR

# The skier: one labeled person, all 17 joints; turned by 90 degrees, OpenPose finds nothing.
SKIER = "000000000785.jpg"
FRAMES = 3


@pytest.fixture(scope="module")
def turned_clip(tmp_path_factory):
    """(clip path, frames, each frame's labels): the skier turned by 90 degrees, panned."""
    coco = eval_sets.SETS[0]
    photo = next(p for p in eval_sets.load_set(coco, EVAL_DIR) if p.path.name == SKIER)
    image, photo = shrunk(load_image(COCO_DIR / SKIER), photo)
    turned, matrix = turn_image(image, 90)
    frames, labels = panned_clip(turned, turn_photo(photo, matrix), FRAMES, pan=4)
    path = write_clip(frames, tmp_path_factory.mktemp("turned") / "skier-90.mp4")
    return path, frames, labels


def best_oks(label, people) -> float:
    truth = label.people[0]
    return max((eval_sets.oks(truth, eval_sets.detection_rows(p)) for p in people), default=0.0)


def test_the_second_opinion_finds_the_turned_person_openpose_alone_misses(turned_clip):
    path, _, labels = turned_clip
    with PeopleStream(path, StreamOptions(smooth=True)) as stream:
        alone = [frame.keypoints for frame in stream]
    options = StreamOptions(smooth=True, second_opinion=True, lift3d=True)
    with PeopleStream(path, options) as stream:
        fused = [frame.keypoints for frame in stream]
    assert len(alone) == len(fused) == FRAMES
    for label, frame in zip(labels, alone, strict=True):
        assert best_oks(label, frame.people) < 0.2
    for label, frame in zip(labels, fused, strict=True):
        assert best_oks(label, frame.people) > 0.6  # the skier's joints, where they are
        assert max(int((p.keypoints[:, 2] > 0).sum()) for p in frame.people) >= 14
        # 3D comes from the same landmark run, one body per person.
        assert len(frame.bodies) == len(frame.people) and all(frame.bodies)
    # One track: the followed crop keeps the person from frame to frame.
    assert len({ids for frame in fused for ids in frame.ids}) == 1


def test_the_webcam_second_opinion_follows_the_turned_person(turned_clip):
    _, frames, labels = turned_clip
    plain, second = WebcamSession(), WebcamSession()
    for frame, label in zip(frames, labels, strict=True):
        without = plain.process(frame, mirrored=False)
        with_it = second.process(frame, mirrored=False, second_opinion=True)
        assert best_oks(label, without.estimate.people) < 0.2
        assert best_oks(label, with_it.estimate.people) > 0.6
    # The detector ran on the first frame only: the later frames read the followed crop.
    assert second.crops is not None and second.crops.detections_run == 1
    assert second.crops.reads >= FRAMES
    # Turned off, the session forgets its crops (turned on again, it starts afresh).
    second.process(frames[0], mirrored=False)
    assert second.crops is None


def test_pose_video_second_opinion_on_the_command_line(turned_clip, tmp_path):
    path, _, _ = turned_clip
    keypoints = tmp_path / "keypoints.json"
    done = run_cli("video", str(path), str(tmp_path / "out.mp4"), "--second-opinion",
                   "--json", str(keypoints))  # fmt: skip
    assert done.returncode == 0, done.stderr
    frames = json.loads(keypoints.read_text())["frames"]
    assert len(frames) == FRAMES
    for frame in frames:
        found = [sum(1 for x, y, score in p["keypoints"] if score > 0) for p in frame["people"]]
        assert found and max(found) >= 14
