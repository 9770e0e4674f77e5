import json
from fractions import Fraction
from types import SimpleNamespace

import pytest

import pose.video.process
from pose.cli import main
from tests.helpers.cli import run_cli
from tests.helpers.paths import COCO_DIR


def test_estimate_json_and_annotated_output(tmp_path):
    out = tmp_path / "annotated.jpg"
    photo = str(COCO_DIR / "000000000785.jpg")
    result = run_cli("estimate", photo, "--json", "--out", str(out), "--mode", "fast")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert (payload["width"], payload["height"]) == (640, 425)
    person = payload["people"][0]
    assert len(person["keypoints"]) == 18
    assert all(len(row) == 3 for row in person["keypoints"])
    assert 0 < person["score"] <= 1
    assert out.stat().st_size > 1000


def test_backend_option_picks_the_model(tmp_path):
    photo = str(COCO_DIR / "000000000785.jpg")
    env = {"POSE_LOG": "INFO"}
    exact = run_cli("estimate", photo, "--json", "--mode", "fast", env=env)
    fast = run_cli("estimate", photo, "--json", "--mode", "fast", "--backend", "int8", env=env)
    assert exact.returncode == 0 and fast.returncode == 0, fast.stderr[-2000:]
    assert "graph_opt.int8.tflite" in fast.stderr and "int8" not in exact.stderr
    people = [json.loads(result.stdout)["people"] for result in (exact, fast)]
    assert len(people[0]) == len(people[1]) >= 1  # the same skier, found by either model
    assert people[0][0]["keypoints"] != people[1][0]["keypoints"]  # by different arithmetic


def test_unreadable_file_exits_non_zero_with_one_line(tmp_path):
    bogus = tmp_path / "broken.jpg"
    bogus.write_bytes(b"\xff\xd8\xff garbage")
    result = run_cli("estimate", str(bogus))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr


def box_area(person: dict) -> float:
    """Bounding-box area of a JSON person's found joints."""
    found = [(x, y) for x, y, score in person["keypoints"] if score > 0]
    xs, ys = [x for x, _ in found], [y for _, y in found]
    return (max(xs) - min(xs)) * (max(ys) - min(ys))


def test_estimate_returns_everyone_largest_first_or_only_the_largest():
    photo = str(COCO_DIR / "000000197388.jpg")  # five labelled people
    everyone = json.loads(run_cli("estimate", photo, "--json", "--mode", "fast").stdout)["people"]
    areas = [box_area(person) for person in everyone]
    assert len(everyone) >= 4 and areas == sorted(areas, reverse=True)
    largest = json.loads(
        run_cli("estimate", photo, "--json", "--largest", "--mode", "fast").stdout
    )["people"]
    assert len(largest) == 1 and largest[0] == everyone[0]


def test_multi_scale_and_flip_options():
    photo = str(COCO_DIR / "000000040083.jpg")  # two labelled people
    result = run_cli("estimate", photo, "--json", "--scales", "1,0.75", "--flip")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["people"]) == 2
    bad = run_cli("estimate", photo, "--scales", "1,huge")
    assert bad.returncode == 2 and bad.stderr.startswith("error: Scales must be numbers")
    mixed = run_cli("estimate", photo, "--mode", "accurate", "--flip")
    assert mixed.returncode == 2 and mixed.stderr.startswith("error: --scales and --flip apply")


def test_photos_default_to_the_accurate_mode():
    photo = str(COCO_DIR / "000000196141.jpg")
    default = json.loads(run_cli("estimate", photo, "--json").stdout)["people"]
    accurate = json.loads(run_cli("estimate", photo, "--json", "--mode", "accurate").stdout)
    fast = json.loads(run_cli("estimate", photo, "--json", "--mode", "fast").stdout)["people"]
    assert default == accurate["people"]
    assert default != fast  # a different path: more passes, fused


def test_error_after_the_model_ran_is_still_one_line(tmp_path):
    # The first image is estimated (the TFLite runtime announces its delegate on fd 2)
    # before the second turns out not to be an image.
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a photo")
    result = run_cli("match", str(COCO_DIR / "000000000785.jpg"), str(bogus))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: notes.txt is not an image we can read. "
        "Use a JPEG, PNG, WebP, BMP, GIF or TIFF file."
    ], result.stderr


@pytest.mark.parametrize(
    ("flags", "smooth"), [((), True), (("--smooth",), True), (("--no-smooth",), False)]
)
def test_video_smooths_by_default_like_the_app(monkeypatch, capsys, flags, smooth):
    """The Video tab smooths by default; so does the CLI, and --no-smooth turns it off."""
    calls = []

    def fake_process_video(source, output, **options):
        calls.append(options)
        return SimpleNamespace(
            frames=(),
            width=320,
            height=240,
            fps=Fraction(10),
            seconds=1.0,
            processing_fps=0.0,
            audio_dropped=False,
            person_ids=list,
        )

    monkeypatch.setattr(pose.video.process, "process_video", fake_process_video)
    assert main(["video", "in.mp4", "out.mp4", *flags]) == 0
    assert [options["smooth"] for options in calls] == [smooth]
    assert "wrote out.mp4" in capsys.readouterr().out
