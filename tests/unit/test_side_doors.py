"""Issue 28 without the server: whose X-Forwarded-For is believed, which file arguments are
refused, which routes are closed, a cache sweep that survives a folder, paths that are not
files named for what they are, and CLI lines a file name cannot forge."""

from __future__ import annotations

import ipaddress
import json
import os
import time

import gradio as gr
import pytest

from pose.cli.common import one_line
from pose.media.images import InputError, check_regular_file, load_image, not_a_file
from pose.media.video_reader import iter_frames, open_video
from tests.helpers.hostile import claiming, jpeg, mux_jpegs
from ui.admission import (
    FOREIGN_PATH,
    MCP_ADDRESS_HEADER,
    MCP_CLIENT_HEADER,
    MCP_KEY,
    MCP_KEY_HEADER,
    client_address,
    file_refusal,
    mcp_caller,
)
from ui.doors import CLOSED, STREAM, stream_refusal, sweep_safely

PROXY = (ipaddress.ip_network("10.0.0.0/8"),)


def test_forwarded_for_is_ignored_unless_the_peer_is_a_named_proxy():
    # A private or loopback peer is no proxy unless named (it was believed before).
    assert client_address("10.1.2.3", "198.51.100.7", trusted=()) == "10.1.2.3"
    assert client_address("127.0.0.1", "127.0.0.1", trusted=()) == "127.0.0.1"
    assert client_address("203.0.113.9", "127.0.0.1", trusted=PROXY) == "203.0.113.9"
    # From a named proxy: the entry it added, whatever the client put in front.
    assert client_address("10.1.2.3", "127.0.0.1, 198.51.100.7", trusted=PROXY) == "198.51.100.7"
    # Two proxies of ours in a row: skip both, take the client's.
    assert client_address("10.1.2.3", "198.51.100.7, 10.9.9.9", trusted=PROXY) == "198.51.100.7"
    assert client_address("10.1.2.3", None, trusted=PROXY) == "10.1.2.3"


def test_mcp_identity_needs_this_process_key():
    headers = {MCP_KEY_HEADER: MCP_KEY, MCP_CLIENT_HEADER: "session:abc", MCP_ADDRESS_HEADER: "::1"}
    assert mcp_caller(headers) == ("session:abc", "::1")
    assert mcp_caller({**headers, MCP_KEY_HEADER: "guess"}) is None
    assert mcp_caller({MCP_CLIENT_HEADER: "session:abc"}) is None


def test_file_arguments_must_be_regular_files_in_the_upload_folder(tmp_path):
    uploads = tmp_path / "uploads"
    (uploads / "abc").mkdir(parents=True)
    (uploads / "abc" / "photo.jpg").write_bytes(b"x")
    os.mkfifo(uploads / "abc" / "pipe.jpg")

    def data(path):
        return [{"path": str(path), "meta": {"_type": "gradio.FileData"}}, "fast", 0.1]

    assert file_refusal(data(uploads / "abc" / "photo.jpg"), str(uploads)) is None
    assert file_refusal(data("/etc/passwd"), str(uploads)) == FOREIGN_PATH
    assert file_refusal(data(uploads / "abc" / ".." / ".." / "x"), str(uploads)) == FOREIGN_PATH
    assert "uploads is a folder" in file_refusal(data(uploads), str(uploads))
    assert "abc is a folder" in file_refusal(data(uploads / "abc"), str(uploads))
    assert "pipe.jpg is a named pipe (FIFO)" in file_refusal(
        data(uploads / "abc" / "pipe.jpg"), str(uploads)
    )
    body = json.dumps({"data": data("/dev/zero"), "event_id": "e"}).encode()
    assert stream_refusal(body) == FOREIGN_PATH
    assert stream_refusal(b"not json") is None  # Gradio's own validation answers it


@pytest.mark.parametrize(
    ("path", "closed"),
    [
        ("/gradio_api/run/predict", True),
        ("/gradio_api/run/estimate_image/", True),
        ("/gradio_api/api/predict", True),
        ("/gradio_api/component_server", True),
        ("/gradio_api/process_recording", True),
        ("/gradio_api/call/estimate_image", False),
        ("/gradio_api/queue/join", False),
        ("/gradio_api/runs", False),
    ],
)
def test_the_direct_routes_are_the_closed_ones(path, closed):
    assert bool(CLOSED.match(path)) is closed


def test_the_stream_route_is_checked_but_not_its_close():
    assert STREAM.match("/gradio_api/stream/0f3c")
    assert not STREAM.match("/gradio_api/stream/0f3c/close")


def test_a_folder_in_the_cache_sets_does_not_stop_the_sweep(tmp_path):
    """Issue 28, item 2: Gradio's sweep raised IsADirectoryError and never ran again."""
    with gr.Blocks() as blocks:
        gr.Image()
    old = tmp_path / "old.png"
    old.write_bytes(b"x")
    folder = tmp_path / "uploads"
    folder.mkdir()
    blocks.temp_file_sets[0].update({str(folder), str(old)})
    sweep_safely(blocks, age=1)  # Gradio ages files by ctime: not old yet
    time.sleep(1.1)
    sweep_safely(blocks, age=1)
    assert not old.exists() and folder.is_dir()
    assert str(folder) not in blocks.temp_file_sets[0]


def test_paths_that_are_not_files_say_what_they_are(tmp_path):
    os.mkfifo(tmp_path / "pipe.jpg")
    (tmp_path / "loop.mp4").symlink_to(tmp_path / "loop.mp4")
    assert not_a_file("/dev/zero") == "a device"
    assert not_a_file(tmp_path / "pipe.jpg") == "a named pipe (FIFO)"
    assert not_a_file(tmp_path / "nothing") == "missing"
    with pytest.raises(InputError, match=r"^zero is a device, not an image file\.$"):
        load_image("/dev/zero")
    with pytest.raises(InputError, match=r"pipe\.jpg is a named pipe \(FIFO\), not an image"):
        load_image(tmp_path / "pipe.jpg")  # returns at once: the FIFO is never opened
    with pytest.raises(InputError, match=r"loop\.mp4 is a symbolic link that loops"):
        open_video(tmp_path / "loop.mp4")
    with pytest.raises(InputError, match=r"^File not found: nothing\.$"):
        check_regular_file(tmp_path / "nothing")


def test_one_line_escapes_what_would_start_a_new_line():
    forged = one_line("failed: a\nfailed: b.png: not an image\r\x1b[2K\u2028é")
    assert "\n" not in forged and "\r" not in forged and "\x1b" not in forged
    assert forged == "failed: a\\nfailed: b.png: not an image\\r\\x1b[2K\\u2028é"


def _read_all(path):
    container, info = open_video(path)
    with container:
        return list(iter_frames(container, info))


def test_a_video_header_claiming_16000_pixels_a_side_is_refused(tmp_path):
    """Issue 28, item 6: annotated anyway, with 3 "damaged" frames."""
    small = [jpeg(64, 64)] * 5
    header = mux_jpegs(tmp_path / "header.avi", small, (16000, 16000))
    with pytest.raises(InputError, match=r"its header says 16000x16000 pixels; the limit is 4096"):
        open_video(header)
    claims = [jpeg(64, 64)] * 2 + [claiming(jpeg(64, 64), 16000, 16000)] * 3
    frames = mux_jpegs(tmp_path / "frames.avi", claims, (64, 64))
    with pytest.raises(InputError, match=r"frame 3 says it is 16000x16000 pixels; the limit"):
        _read_all(frames)
    assert len(_read_all(mux_jpegs(tmp_path / "fine.avi", small, (64, 64)))) == 5


def test_a_video_over_the_pixel_budget_is_refused_with_the_limit(tmp_path, monkeypatch):
    """Issue 28, item 5: a 4096x4096 clip of 900 frames held the only video worker for
    149 s. Here the budget is shrunk to 1 MP so that a small clip shows the rule."""
    import pose.media.video_reader as video_read

    clip = mux_jpegs(tmp_path / "clip.avi", [jpeg(240, 320)] * 20, (320, 240))
    monkeypatch.setattr(video_read, "MAX_MEGAPIXELS", 1.0)
    with pytest.raises(InputError) as refused:
        open_video(clip)
    assert str(refused.value) == (
        "clip.avi is 20 frames of 320x240 pixels, 2 megapixels to decode; the limit is 1 "
        "megapixels a video (about 13 frames at this size). Please trim it or re-encode it "
        "at a smaller size."
    )
    monkeypatch.setattr(video_read, "MAX_MEGAPIXELS", 0)  # off
    assert len(_read_all(clip)) == 20
