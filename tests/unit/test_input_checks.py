"""Issue 20: every entry point held to the same checks. JPEGs that end early or only claim
to be large, live frames in every form a browser or a program can send, videos that grow
or lose frames midway, and numbers sent as anything. Media is made here, in memory."""

from __future__ import annotations

import base64

import av
import numpy as np
import pytest

import pose.media.video_reader
from pose.media.images import (
    MAX_FRAME_BYTES,
    InputError,
    data_url_bytes,
    load_frame,
    load_image,
    number_input,
)
from pose.media.video_reader import ReadStats, iter_frames, open_video
from tests.helpers.hostile import claiming, jpeg, mjpeg_clip, png

# ----------------------------------------------------------------------- JPEG truncation


def test_a_jpeg_that_only_claims_to_be_large_is_refused_as_truncated(tmp_path):
    """Issue 20, item 4: a 2 KB file whose header says 7000x7000 was decoded to 49 MP of
    grey. Refused as truncated, as bytes and as a file."""
    claim = claiming(jpeg(), 7000, 7000)
    assert len(claim) < 20_000
    with pytest.raises(InputError, match=r"truncated: its header says 7000x7000"):
        load_image(claim)
    path = tmp_path / "claim.jpg"
    path.write_bytes(claim)
    with pytest.raises(InputError, match=r"claim\.jpg is truncated"):
        load_image(path)


@pytest.mark.parametrize("progressive", [False, True])
def test_a_jpeg_cut_short_and_closed_with_an_end_marker_is_refused(progressive):
    """libjpeg only warns ("premature end of data segment") and fills the rest with grey;
    Pillow hides the warning. Without the end marker Pillow already refused it."""
    data = jpeg(400, 600, progressive=progressive)
    with pytest.raises(InputError, match="truncated"):
        load_image(data[: len(data) * 2 // 3] + b"\xff\xd9")
    with pytest.raises(InputError, match="truncated"):
        load_image(data[: len(data) * 2 // 3])


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"progressive": True, "optimize": True},
        {"mode": "L"},
        {"mode": "CMYK"},
        {"subsampling": 0, "quality": 95},
    ],
    ids=["baseline", "progressive", "grey", "cmyk", "444"],
)
def test_complete_jpegs_of_every_kind_still_load(options):
    data = jpeg(120, 90, **options)
    assert load_image(data).shape == (120, 90, 3)
    # Two images in one file (MPO, as some cameras write) and bytes after the end marker.
    assert load_image(data + data).shape == (120, 90, 3)
    assert load_image(data + b"trailing" * 8).shape == (120, 90, 3)


# ----------------------------------------------------------------------- live frames


def test_a_huge_live_frame_is_refused_from_its_header():
    """Issue 20, item 1: a 12000x12000 JPEG frame was decoded and processed for 47 s."""
    frame = claiming(jpeg(), 12000, 12000)
    with pytest.raises(InputError, match=r"12000x12000 pixels \(144 MP\); the limit is 50 MP"):
        load_frame(frame)


@pytest.mark.parametrize(
    "frame",
    [
        np.full((48, 64), 200, np.uint8),  # grey
        np.full((48, 64, 1), 200, np.uint8),  # grey with a channel axis
        np.full((48, 64, 4), 200, np.uint8),  # RGBA
        np.full((48, 64, 3), 0.8, np.float32),  # float in 0-1
        np.full((48, 64, 3), 51200, np.uint16),  # 16-bit
        np.ones((48, 64), bool),
    ],
    ids=["grey", "grey1", "rgba", "float", "uint16", "bool"],
)
def test_live_frames_in_any_array_form_become_rgb(frame):
    """Issue 20, item 1: a grey frame gave an IndexError in pose.video.live."""
    rgb = load_frame(frame)
    assert rgb.shape == (48, 64, 3) and rgb.dtype == np.uint8
    assert rgb.flags.c_contiguous


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (np.zeros((48, 64, 2), np.uint8), r"Expected an RGB image, got an array of shape"),
        (np.zeros((8, 64, 3), np.uint8), "at least 16 pixels a side"),
        (np.zeros((48, 64, 3), dtype="<U1"), "Expected an image array of numbers"),
        (np.zeros((2, 48, 64, 3), np.uint8), "Expected an RGB image"),
    ],
    ids=["two-channels", "tiny", "strings", "4d"],
)
def test_unusable_live_arrays_get_the_image_tabs_messages(frame, message):
    with pytest.raises(InputError, match=message):
        load_frame(frame)


def test_encoded_live_frames_grey_and_rgba_pngs():
    grey = png(np.full((48, 64), 90, np.uint8))
    rgba = png(np.zeros((48, 64, 4), np.uint8))  # transparent: composited on white
    assert load_frame(grey).shape == (48, 64, 3)
    assert load_frame(rgba)[0, 0].tolist() == [255, 255, 255]


def test_an_oversized_encoded_frame_is_refused_before_decoding(tmp_path):
    blob = b"\xff\xd8" + bytes(MAX_FRAME_BYTES)
    with pytest.raises(InputError, match="a live frame may be at most"):
        load_frame(blob)
    path = tmp_path / "frame.jpg"
    path.write_bytes(blob)
    with pytest.raises(InputError, match="a live frame may be at most"):
        load_frame(path)


def test_data_urls_decode_and_bad_ones_never_quote_the_data():
    data = png(np.full((20, 20, 3), 7, np.uint8))
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    assert data_url_bytes(url) == data
    assert load_frame(url).shape == (20, 20, 3)
    secret = "QUJDREVGR0hJSktMTU5PUA"
    for bad in (f"data:image/png;base64,{secret}!!", f"http://x/{secret}", secret):
        with pytest.raises(InputError) as caught:
            data_url_bytes(bad)
        assert secret not in str(caught.value)


# ----------------------------------------------------------------------- numbers


@pytest.mark.parametrize(("value", "expected"), [(0.3, 0.3), ("0.25", 0.25), (1, 1.0), (0, 0.0)])
def test_numbers_in_range_pass(value, expected):
    assert number_input(value, "The threshold", 0, 1) == expected


@pytest.mark.parametrize("value", ["abc", None, [0.5], {"a": 1}, float("nan"), 1.5, -0.1, True])
def test_anything_else_is_a_specific_error(value):
    with pytest.raises(InputError, match=r"The threshold must be a number from 0 to 1; got "):
        number_input(value, "The threshold", 0, 1)


def test_whole_numbers_and_long_inputs_are_cut_in_the_message():
    with pytest.raises(InputError, match=r"a whole number from 1 to 100; got 2\.5"):
        number_input(2.5, "Every", 1, 100, whole=True)
    with pytest.raises(InputError) as caught:
        number_input("x" * 500, "Every", 1, 100, whole=True)
    assert len(str(caught.value)) < 100


# ----------------------------------------------------------------------- videos


def test_a_frame_beyond_the_side_limit_midway_is_refused(tmp_path, monkeypatch):
    """Issue 20, item 3: the limit was checked on the first frame only. (Limits lowered so
    the clip stays small; the code path is the same.)"""
    monkeypatch.setattr(pose.media.video_reader, "MAX_SIDE", 100)
    path = mjpeg_clip(tmp_path / "grows.avi", [(64, 48)] * 5 + [(160, 40)] * 2)
    container, info = open_video(path)
    with container, pytest.raises(InputError, match=r"frame 6 is 160x40 pixels; the limit is 100"):
        list(iter_frames(container, info))


def test_a_frame_beyond_the_pixel_limit_is_refused_by_the_decoder(tmp_path, monkeypatch):
    """Frames over MAX_FRAME_PIXELS never reach memory: FFmpeg refuses them (max_pixels)."""
    monkeypatch.setattr(pose.media.video_reader, "MAX_FRAME_PIXELS", 64 * 48)
    path = mjpeg_clip(tmp_path / "grows.avi", [(64, 48)] * 5 + [(96, 96)] * 2)
    container, info = open_video(path)
    seen = []
    with container, pytest.raises(InputError, match=r"after frame 5 is over .* every frame"):
        for index, _, _ in iter_frames(container, info):
            seen.append(index)
    assert seen == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(("codec", "suffix"), [("mjpeg", ".avi"), ("libx264", ".mp4")])
def test_lost_frames_are_counted(tmp_path, codec, suffix):
    """Issue 20, item 7: a clip with its middle 20 % overwritten annotated 237 of 300 frames
    and did not say so."""
    path = tmp_path / f"clip{suffix}"
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=10)
        stream.width, stream.height = 64, 48
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        for index in range(100):
            image = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    data = bytearray(path.read_bytes())
    start, end = len(data) * 4 // 10, len(data) * 6 // 10
    data[start:end] = rng.integers(0, 256, end - start, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    container, info = open_video(path)
    stats = ReadStats()
    with container:
        kept = list(iter_frames(container, info, stats=stats))
    assert 50 < len(kept) < 95
    assert stats.lost == 100 - len(kept)
    # A clean clip loses nothing.
    clean = mjpeg_clip(tmp_path / "clean.avi", [(64, 48)] * 6)
    container, info = open_video(clean)
    stats = ReadStats()
    with container:
        assert len(list(iter_frames(container, info, stats=stats))) == 6
    assert stats.lost == 0
