"""The command line as a subprocess: every bad input gives status 2 and one error line."""

import os
import subprocess
import sys

from tests.helpers.bad_inputs import BAD_IMAGES
from tests.helpers.cli import run_cli
from tests.helpers.paths import COCO_DIR, ROOT


def test_cli_gives_one_line_and_a_non_zero_exit_for_every_bad_image(tmp_path):
    """The same table through ``python -m pose estimate``: status 2, one ``error:`` line."""
    paths = [bad.write(tmp_path) for bad in BAD_IMAGES]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "pose", "estimate", str(path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in paths
    ]
    for bad, process in zip(BAD_IMAGES, processes, strict=True):
        stdout, stderr = process.communicate(timeout=120)
        lines = stderr.strip().splitlines()
        assert process.returncode == 2, (bad.name, stderr)
        assert len(lines) == 1 and lines[0].startswith("error: "), (bad.name, stderr)
        assert bad.message in lines[0] and stdout == ""


def test_cli_video_and_match_bad_input_give_one_line(tmp_path):
    """The video and match commands share the contract: status 2, one ``error:`` line."""
    from tests.helpers.bad_inputs import bad_videos

    videos = bad_videos(COCO_DIR.parent / "video" / "demo.mp4")
    notes = str(BAD_IMAGES[0].write(tmp_path))
    photo = str(COCO_DIR / "000000000785.jpg")
    runs = [
        (bad.message, ["video", str(bad.write(tmp_path)), str(tmp_path / f"out-{bad.name}.mp4")])
        for bad in videos
    ]
    # The bad image comes first: once the model has run, TFLite prints its own INFO line.
    runs.append(("not an image we can read", ["match", notes, photo]))
    runs.append(("File not found: gone.jpg", ["match", str(tmp_path / "gone.jpg"), photo]))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "pose", *arguments],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _, arguments in runs
    ]
    for (message, arguments), process in zip(runs, processes, strict=True):
        _, stderr = process.communicate(timeout=180)
        lines = stderr.strip().splitlines()
        assert process.returncode == 2, (arguments, stderr)
        assert len(lines) == 1 and lines[0].startswith("error: "), (arguments, stderr)
        assert message in lines[0], (arguments, stderr)


def test_cli_video_bad_input_is_one_line(tmp_path):
    empty = tmp_path / "empty.mov"
    empty.write_bytes(b"")
    result = run_cli("video", str(empty), str(tmp_path / "out.mp4"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "empty" in lines[0], result.stderr
