"""The video path's pure parts: sizes, padding, reading and writing clips, clear errors."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from pose.media.images import InputError
from pose.media.video_reader import (
    check_frame_budget,
    iter_frames,
    letterbox,
    open_video,
    probe_video,
    upright,
)
from pose.media.video_writer import VideoWriter, even_size, to_yuv420
from pose.video.process import process_video
from tests.helpers.clips import make_clip, make_resizing_clip, probe, timeline
from tests.helpers.paths import COCO_DIR

# ----------------------------------------------------------------------- pure helpers


def test_even_size_pads_odd_sides_only():
    assert even_size(320, 240) == (320, 240)
    assert even_size(321, 241) == (322, 242)


def test_to_yuv420_pads_odd_image_with_edge_pixels():
    image = np.zeros((5, 7, 3), dtype=np.uint8)
    image[:, -1] = 255  # white right column: the padding must copy it, not add black
    planes = to_yuv420(image)
    assert planes.shape == (6 * 3 // 2, 8)
    luma = planes[:6]
    assert luma[:, -1].min() > 200 and luma[:, 0].max() < 30


def test_letterbox_fits_keeps_aspect_and_centres():
    wide = np.full((2, 4, 3), 255, dtype=np.uint8)
    assert letterbox(wide, 4, 2) is wide
    boxed = letterbox(wide, 4, 4)  # same scale: one black row above and below
    assert boxed.shape == (4, 4, 3)
    assert boxed[1:3].min() == 255 and boxed[[0, 3]].max() == 0
    tall = np.full((4, 2, 3), 255, dtype=np.uint8)
    fitted = letterbox(tall, 4, 2)  # half size: 1 x 2, in the middle of 4 x 2
    assert fitted[:, 1].min() == 255 and fitted[:, [0, 2, 3]].max() == 0


def test_upright_rotates_counter_clockwise():
    image = np.zeros((2, 4, 1), dtype=np.uint8)
    image[:, 0] = 1  # left column
    assert upright(image, 0) is image
    clockwise = upright(image, -90)
    assert clockwise.shape == (4, 2, 1) and clockwise[0].min() == 1  # left went to the top
    assert upright(image, 90)[-1].min() == 1  # counter-clockwise: left went to the bottom


def test_frame_budget_suggests_every_nth(clip):
    info = probe_video(clip)
    assert check_frame_budget(info, 1, max_frames=10) == 6
    with pytest.raises(InputError, match="'every Nth frame' to 3 or more"):
        check_frame_budget(info, 1, max_frames=2)
    assert check_frame_budget(info, 3, max_frames=2) == 2
    with pytest.raises(InputError, match="whole number from 1 to"):
        check_frame_budget(info, 0)


def test_writer_makes_browser_playable_h264_from_odd_size(tmp_path):
    out = tmp_path / "odd.mp4"
    with VideoWriter(out, 65, 47, Fraction(30000, 1001)) as writer:
        for value in range(0, 250, 50):
            writer.write(np.full((47, 65, 3), value, dtype=np.uint8))
    codec, pix_fmt, count, width, height, rate = probe(out)
    assert (codec, pix_fmt, count, width, height) == ("h264", "yuv420p", 5, 66, 48)
    assert rate == Fraction(30000, 1001)
    # faststart: the index (moov) comes before the media data so browsers start at once.
    data = out.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")


@pytest.mark.parametrize("name", ["held.mp4", "held.webm"])
def test_writer_holds_frames_until_the_next_and_the_end(tmp_path, name):
    """Frames numbered 0, 3, 6 of 8 at 10 fps: each shows for 0.3 s, the last until 0.8 s."""
    out = tmp_path / name
    with VideoWriter(out, 64, 48, Fraction(10)) as writer:
        for number in (0, 3, 6):
            writer.write(np.full((48, 64, 3), 20 * number, dtype=np.uint8), number)
        with pytest.raises(ValueError, match="comes after"):
            writer.write(np.zeros((48, 64, 3), dtype=np.uint8), 6)
        writer.hold_until(8)
        writer.hold_until(8)  # already there: nothing more
    duration, times = timeline(out)
    assert duration == pytest.approx(0.8, abs=0.01)
    assert times == pytest.approx([0.0, 0.3, 0.6, 0.7], abs=0.01)


@pytest.mark.parametrize(
    ("name", "codec"),
    [("clip.mov", "libx264"), ("clip.webm", "libvpx-vp9"), ("clip.avi", "mpeg4")],
)
def test_reads_the_upload_formats(tmp_path, name, codec):
    """MOV, WebM and AVI as phones, browsers and old cameras write them."""
    path = make_clip(tmp_path / name, frames=4, codec=codec)
    container, info = open_video(path)
    with container:
        frames = list(iter_frames(container, info))
    assert (info.width, info.height, info.fps) == (320, 240, 10)
    assert [index for index, _, _ in frames] == [0, 1, 2, 3]
    assert frames[0][2].shape == (240, 320, 3) and frames[0][2].dtype == np.uint8
    assert frames[2][1] == pytest.approx(0.2)


# ----------------------------------------------------------------------- bad input


def test_empty_file_is_a_clear_error(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty \(0 bytes\)"):
        open_video(empty)


def test_corrupt_file_is_a_clear_error(tmp_path, clip):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    with pytest.raises(InputError, match="not a video we can read"):
        open_video(broken)


def test_cut_short_file_keeps_frames_before_the_cut(tmp_path, clip):
    """Our own output has the index first (faststart), so cutting it leaves a valid head."""
    whole = tmp_path / "whole.mp4"
    noise = np.random.default_rng(0).integers(0, 256, (10, 48, 64, 3), dtype=np.uint8)
    with VideoWriter(whole, 64, 48, Fraction(10)) as writer:
        for image in noise:  # noise: large frames, so the media data dwarfs the index
            writer.write(image)
    data = whole.read_bytes()
    header_only = tmp_path / "header_only.mp4"
    header_only.write_bytes(data[: data.find(b"mdat") + 16])
    container, info = open_video(header_only)
    with container, pytest.raises(InputError, match="no video frames that can be decoded"):
        list(iter_frames(container, info))
    half = tmp_path / "half.mp4"
    half.write_bytes(data[: len(data) // 2])
    container, info = open_video(half)
    with container:
        kept = [index for index, _, _ in iter_frames(container, info)]
    assert 0 < len(kept) < 10 and kept == list(range(len(kept)))


def test_damaged_upload_is_a_clear_error(tmp_path, clip):
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(clip.read_bytes()[:600])  # moov at the end: nothing usable
    with pytest.raises(InputError, match=r"truncated\.mp4 is not a video we can read"):
        process_video(truncated, tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()


def test_still_image_is_refused(tmp_path):
    with pytest.raises(InputError, match="still image"):
        open_video(COCO_DIR / "000000000785.jpg")


def test_audio_only_is_refused(tmp_path):
    path = tmp_path / "sound.m4a"
    with av.open(str(path), "w") as container:
        sound = container.add_stream("aac", rate=8000)
        chunk = av.AudioFrame.from_ndarray(
            np.zeros((1, 4096), np.float32), format="fltp", layout="mono"
        )
        chunk.sample_rate, chunk.pts = 8000, 0
        container.mux(sound.encode(chunk))
        container.mux(sound.encode(None))
    with pytest.raises(InputError, match="no video track"):
        open_video(path)


def test_unknown_output_suffix_is_refused_before_work(tmp_path, clip):
    with pytest.raises(InputError, match="must end in"):
        process_video(clip, tmp_path / "out.avi")


def test_a_size_change_midway_is_read_frame_by_frame(tmp_path):
    path = make_resizing_clip(tmp_path / "spliced.avi", [(320, 240)] * 2 + [(240, 320)] * 2)
    container, info = open_video(path)
    with container:
        shapes = [image.shape for _, _, image in iter_frames(container, info)]
    assert shapes == [(240, 320, 3)] * 2 + [(320, 240, 3)] * 2
