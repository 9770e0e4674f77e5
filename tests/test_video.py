"""The video path: a clip made at test time from the eval frames goes through pose.video,
the CLI and the app API; the output must be browser-playable H.264 with the right frames."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from conftest import COCO_DIR, ROOT, VIDEO_PATH
from PIL import Image

from pose.media import InputError
from pose.video import (
    VideoWriter,
    check_frame_budget,
    even_size,
    iter_frames,
    letterbox,
    open_video,
    probe_video,
    process_video,
    to_yuv420,
    upright,
)


def make_clip(
    path: Path,
    frames: int = 6,
    size: tuple[int, int] = (320, 240),
    fps: int = 10,
    codec: str = "libx264",
    audio: bool = False,
    rotation: int = 0,
) -> Path:
    """Write a clip cycling through the COCO eval photos, resized to ``size`` (w, h)."""
    photos = sorted(COCO_DIR.glob("*.jpg"))
    images = [np.asarray(Image.open(p).convert("RGB").resize(size)) for p in photos]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        sound = container.add_stream("aac", rate=8000) if audio else None
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(images[index % len(images)], format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        if sound is not None:
            samples = np.zeros((1, 8000), dtype=np.float32)
            chunk = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            chunk.sample_rate = 8000
            chunk.pts = 0
            container.mux(sound.encode(chunk))
            container.mux(sound.encode(None))
    return path


def make_resizing_clip(path: Path, sizes: list[tuple[int, int]], fps: int = 10) -> Path:
    """An MJPEG AVI whose frame ``i`` is the first COCO photo at ``sizes[i]`` (w, h).

    Encoders scale every frame to the stream's size, so the JPEGs are made here and muxed
    as packets: each carries its own size, as in a spliced clip or a camera that switched.
    """
    photo = Image.open(sorted(COCO_DIR.glob("*.jpg"))[0]).convert("RGB")
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mjpeg", rate=fps)
        stream.width, stream.height = sizes[0]
        stream.pix_fmt = "yuvj420p"
        for index, size in enumerate(sizes):
            ok, data = cv2.imencode(".jpg", np.asarray(photo.resize(size))[:, :, ::-1])
            assert ok
            packet = av.Packet(bytes(data))
            packet.stream, packet.time_base = stream, Fraction(1, fps)
            packet.pts = packet.dts = index
            container.mux(packet)
    return path


def probe(path: Path) -> tuple[str, str, int, int, int, Fraction]:
    """(codec, pixel format, frames decoded, width, height, average rate) of a file."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        count = sum(1 for _ in container.decode(stream))
        context = stream.codec_context
        return (
            context.name,
            context.pix_fmt,
            count,
            context.width,
            context.height,
            stream.average_rate,
        )


def timeline(path: Path) -> tuple[float, list[float]]:
    """(duration in s, presentation time of each decoded frame in s) of a file's video."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = [float(frame.time) for frame in container.decode(stream)]
        if stream.duration:
            return float(stream.duration * stream.time_base), times
        return container.duration / av.time_base, times


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "people.mp4")


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


# ----------------------------------------------------------------------- real model


@pytest.mark.model
def test_process_video_frames_size_rate_and_keypoints(tmp_path, clip):
    seen = []
    result = process_video(clip, tmp_path / "out.mp4", progress=lambda d, t: seen.append((d, t)))
    codec, pix_fmt, count, width, height, rate = probe(result.output)
    assert (codec, pix_fmt, count, width, height, rate) == ("h264", "yuv420p", 6, 320, 240, 10)
    assert seen[-1] == (6, 6) and len(seen) == 6
    payload = json.loads(result.to_json())
    assert [entry["frame"] for entry in payload["frames"]] == list(range(6))
    assert payload["frames"][1]["time"] == pytest.approx(0.1)
    # Frame 0 is the first COCO photo (a skier): one person with most joints.
    assert payload["frames"][0]["people"], "nobody found in a photo of a person"
    assert len(payload["frames"][0]["people"][0]["keypoints"]) == 18
    csv_lines = result.to_csv().splitlines()
    assert csv_lines[0] == "frame,time,person,joint,x,y,confidence"
    assert {line.split(",")[0] for line in csv_lines[1:]} <= {str(i) for i in range(6)}
    assert not result.audio_dropped


@pytest.mark.model
def test_frames_come_back_in_order_from_the_model_workers(tmp_path, clip):
    # The model stage deals frames in turn to one worker per core; each frame's people must
    # still be that frame's. The clip's frames are different photos, so a swap shows.
    from pose.estimate import estimate
    from pose.model import get_model

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


@pytest.mark.model
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


@pytest.mark.model
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


def test_a_size_change_midway_is_read_frame_by_frame(tmp_path):
    path = make_resizing_clip(tmp_path / "spliced.avi", [(320, 240)] * 2 + [(240, 320)] * 2)
    container, info = open_video(path)
    with container:
        shapes = [image.shape for _, _, image in iter_frames(container, info)]
    assert shapes == [(240, 320, 3)] * 2 + [(320, 240, 3)] * 2


@pytest.mark.model
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


@pytest.mark.model
def test_street_clip_finds_several_people(tmp_path):
    result = process_video(VIDEO_PATH, tmp_path / "street.mp4")
    assert (result.width, result.height, len(result.frames)) == (960, 540, 5)
    assert all(len(frame.people) >= 2 for frame in result.frames)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pose", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.mark.model
def test_cli_video_writes_h264_and_json(tmp_path, clip):
    out, keypoints = tmp_path / "annotated.mp4", tmp_path / "keypoints.json"
    result = run_cli("video", str(clip), str(out), "--json", str(keypoints), "--every", "2")
    assert result.returncode == 0, result.stderr
    assert "3 frames" in result.stdout and "at 10 fps" in result.stdout
    codec, _, count, width, height, _ = probe(out)
    # Frames 0, 2, 4 and the last one held to the source's end (frame 5): 0.6 s like the source.
    assert (codec, count, width, height) == ("h264", 4, 320, 240)
    assert timeline(out)[0] == pytest.approx(0.6, abs=0.01)
    payload = json.loads(keypoints.read_text())
    assert len(payload["frames"]) == 3 and payload["output"]["every"] == 2


def test_cli_video_bad_input_is_one_line(tmp_path):
    empty = tmp_path / "empty.mov"
    empty.write_bytes(b"")
    result = run_cli("video", str(empty), str(tmp_path / "out.mp4"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "empty" in lines[0], result.stderr


# ----------------------------------------------------------------------- app API


@pytest.mark.app
def test_estimate_video_endpoint(client, clip):
    from gradio_client import handle_file

    video, json_path, csv_path, summary = client.predict(
        handle_file(str(clip)),
        "fast",
        0.1,
        1,
        True,
        api_name="/estimate_video",
    )
    path = Path(video["video"] if isinstance(video, dict) else video)
    codec, pix_fmt, count, width, height, rate = probe(path)
    assert (codec, pix_fmt, count, width, height, rate) == ("h264", "yuv420p", 6, 320, 240, 10)
    assert len(json.loads(Path(json_path).read_text())["frames"]) == 6
    assert Path(csv_path).read_text().startswith("frame,time,person,joint")
    assert "Annotated 6 frames" in summary
    assert " on the int8 model." in summary  # the video default, built by make setup


@pytest.mark.app
def test_estimate_video_endpoint_bad_file(client, tmp_path):
    from gradio_client import handle_file

    bogus = tmp_path / "clip.mp4"
    bogus.write_bytes(b"not a video at all" * 10)
    with pytest.raises(Exception, match="not a video we can read"):
        client.predict(handle_file(str(bogus)), "fast", 0.1, 1, False, api_name="/estimate_video")


@pytest.mark.browser
@pytest.mark.model
def test_output_plays_in_chromium_where_mp4v_does_not(tmp_path, clip):
    """The point of H.264: a browser decodes it. OpenCV's mp4v, the control, it cannot."""
    import cv2
    from browser import launch_chromium
    from playwright.sync_api import sync_playwright

    process_video(clip, tmp_path / "ours.mp4")
    writer = cv2.VideoWriter(
        str(tmp_path / "mp4v.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10, (320, 240)
    )
    for _ in range(6):
        writer.write(np.full((240, 320, 3), 128, dtype=np.uint8))
    writer.release()
    page_file = tmp_path / "play.html"
    page_file.write_text('<video src="ours.mp4" muted></video><video src="mp4v.mp4" muted></video>')
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            script = """() => [...document.querySelectorAll('video')].every(
                v => v.error || v.readyState >= 2)"""
            page.wait_for_function(script, timeout=20_000)
            ours, theirs = page.evaluate(
                "[...document.querySelectorAll('video')].map("
                "v => [v.readyState, v.videoWidth, v.videoHeight, v.error && v.error.code])"
            )
        finally:
            browser.close()
    assert ours[0] >= 2 and ours[1:] == [320, 240, None], ours
    assert theirs[3] is not None or theirs[1] == 0, theirs
