"""pose batch and pose eval with the real model on the eval photos."""

import json
import os

import pytest

from pose.batch.folder import BatchSettings, find_inputs, journal_path, local_runner, run_batch
from tests.helpers.cli import run_cli
from tests.helpers.paths import COCO_DIR, VIDEO_PATH

ANNOTATIONS = COCO_DIR / "test_coco.json"
PHOTOS = ("000000000785.jpg", "000000040083.jpg")


def test_batch_runs_a_folder_reports_bad_files_and_eval_scores_it(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in PHOTOS:
        (folder / name).symlink_to(COCO_DIR / name)
    (folder / "clip.mp4").symlink_to(VIDEO_PATH)
    whole = (COCO_DIR / PHOTOS[0]).read_bytes()
    (folder / "cut.jpg").write_bytes(whole[: len(whole) // 3])  # truncated
    (folder / "notes.png").write_text("not an image")
    out = tmp_path / "out" / "results.json"

    result = run_cli("batch", str(folder), "--out", str(out), "--videos", "--every", "2",
                     "--size", "fast")  # fmt: skip

    assert result.returncode == 4, result.stderr
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed:")]
    assert len(failed) == 2
    assert "cut.jpg" in failed[0] and "truncated" in failed[0]
    assert "notes.png" in failed[1] and "not an image" in failed[1]
    assert "Traceback" not in result.stderr
    assert "2 images, 3 video frames" in result.stdout
    native = json.loads(out.read_text())
    files = [os.path.basename(record["file"]) for record in native["inputs"]]
    assert files == ["000000000785.jpg", "000000040083.jpg", "clip.mp4", "cut.jpg", "notes.png"]
    photo, _, clip, *_ = native["inputs"]
    assert photo["image_id"] == 1 and len(photo["people"]) >= 1  # ids count: "clip" has none
    assert [frame["frame"] for frame in clip["frames"]] == [0, 2, 4]
    coco = json.loads((tmp_path / "out" / "results.coco.json").read_text())
    assert {item["image_id"] for item in coco} == {1, 2}
    assert not journal_path(out).exists()

    scored = run_cli("eval", str(out), str(ANNOTATIONS), "--json")
    assert scored.returncode == 0, scored.stderr
    stats = json.loads(scored.stdout)
    # Two of the four annotated photos ran; the other two count as misses.
    assert 0.05 < stats["AP"] < 0.9

    # A dataset numbered 1, 2, 3, ... (not by file name): both files join by file name,
    # though batch counted its own ids 1, 2 here, which now name other annotated photos.
    truth = json.loads(ANNOTATIONS.read_text())
    new_id = {image["id"]: number for number, image in enumerate(truth["images"][::-1], 1)}
    for image in truth["images"]:
        image["id"] = new_id[image["id"]]
    for annotation in truth["annotations"]:
        annotation["image_id"] = new_id[annotation["image_id"]]
    renumbered = tmp_path / "renumbered.json"
    renumbered.write_text(json.dumps(truth))
    for results in (out, tmp_path / "out" / "results.coco.json"):
        again = run_cli("eval", str(results), str(renumbered), "--json")
        assert again.returncode == 0 and "not joined" not in again.stderr, again.stderr
        assert json.loads(again.stdout)["AP"] == pytest.approx(stats["AP"], abs=1e-4)
    # A photo the annotations lack is named on stderr, and left out.
    native["inputs"][0]["file"] = "/else/holiday.jpg"
    stray = tmp_path / "stray.json"
    stray.write_text(json.dumps(native))
    missed = run_cli("eval", str(stray), str(renumbered))
    assert missed.returncode == 0
    assert "left out: holiday.jpg" in missed.stderr and "AP" in missed.stdout


def test_an_interrupted_run_resumes_where_it_stopped_with_the_same_results(tmp_path, model):
    paths = find_inputs(COCO_DIR)
    settings = BatchSettings(size="fast")
    runner = local_runner(settings, model)
    out = tmp_path / "results.json"
    seen = []

    def stop_after_two(done, total, record):
        if record is not None:
            seen.append(record)
            if len(seen) == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(paths, settings, out, runner, progress=stop_after_two)
    assert not out.exists()
    assert len(journal_path(out).read_text().splitlines()) == 3  # settings + two inputs

    resumed = run_batch(paths, settings, out, runner)
    assert (resumed.resumed, resumed.processed, resumed.failed) == (2, 2, [])
    whole = run_batch(paths, settings, tmp_path / "whole.json", runner)
    assert json.loads(out.read_text()) == json.loads((tmp_path / "whole.json").read_text())
    assert [r["image_id"] for r in json.loads(out.read_text())["inputs"]] == [
        785,
        40083,
        196141,
        197388,
    ]
    assert whole.people == resumed.people > 0
