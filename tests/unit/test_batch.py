"""pose.batch.folder and pose.batch.evaluate without the model: inputs, ids, COCO, journal,
COCOeval.
"""

import json
import socket

import numpy as np
import pytest

from pose.batch.evaluate import STAT_NAMES, detections_for, evaluate, evaluate_report
from pose.batch.folder import (
    BatchSettings,
    assign_image_ids,
    coco_bbox,
    coco_keypoints,
    coco_path,
    find_inputs,
    journal_path,
    pose_from_dict,
    read_journal,
    run_batch,
    to_coco,
)
from pose.body.skeleton import OPENPOSE_FOR_COCO, Joint
from pose.body.types import Pose
from pose.media.images import InputError
from tests.helpers.paths import COCO_DIR

ANNOTATIONS = COCO_DIR / "test_coco.json"


def touch(folder, *names):
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"x")


def test_a_folder_gives_its_images_sorted_and_skips_other_files(tmp_path):
    touch(tmp_path, "b.PNG", "a.jpg", "notes.txt", "clip.mp4", "sub/c.jpg")
    assert [p.name for p in find_inputs(tmp_path)] == ["a.jpg", "b.PNG"]
    assert [p.name for p in find_inputs(tmp_path, videos=True)] == ["a.jpg", "b.PNG", "clip.mp4"]


def test_a_glob_recurses_with_two_stars_and_a_file_is_taken_as_it_is(tmp_path):
    touch(tmp_path, "a.jpg", "sub/c.jpg", "sub/d.webp", "notes.txt")
    assert [p.name for p in find_inputs(str(tmp_path / "**" / "*.jpg"))] == ["a.jpg", "c.jpg"]
    assert find_inputs(tmp_path / "notes.txt") == [tmp_path / "notes.txt"]


@pytest.mark.parametrize("make", ["missing", "empty folder", "no match"])
def test_nothing_to_run_is_a_clear_input_error(tmp_path, make):
    touch(tmp_path, "notes.txt")
    source = {
        "missing": tmp_path / "nowhere",
        "empty folder": tmp_path,
        "no match": str(tmp_path / "*.png"),
    }[make]
    with pytest.raises(InputError, match=r"Not found|No images found"):
        find_inputs(source)


def test_image_ids_come_from_coco_file_names_else_count_from_one(tmp_path):
    coco = [tmp_path / "000000000785.jpg", tmp_path / "COCO_val2014_000000000192.jpg"]
    assert assign_image_ids(coco) == [785, 192]
    assert assign_image_ids([tmp_path / "a.jpg", tmp_path / "b7.jpg"]) == [1, 2]
    assert assign_image_ids([tmp_path / "x1.jpg", tmp_path / "y1.jpg"]) == [1, 2]  # not distinct


def test_coco_keypoints_are_in_coco_order_with_scores_and_missing_as_zeros():
    keypoints = np.zeros((18, 3), np.float32)
    for joint in Joint:
        keypoints[joint] = (10 * joint, 100 + joint, 0.5)
    keypoints[Joint.R_ANKLE, 2] = 0.0  # not found
    flat = coco_keypoints(Pose(keypoints=keypoints))
    rows = np.asarray(flat).reshape(17, 3)
    # COCO: nose, l_eye, r_eye, l_ear, r_ear, l_shoulder, r_shoulder, ..., l_ankle, r_ankle
    assert rows[0].tolist() == [0.0, 100.0, 0.5]
    assert rows[1].tolist() == [10.0 * Joint.L_EYE, 100.0 + Joint.L_EYE, 0.5]
    assert rows[6].tolist() == [10.0 * Joint.R_SHOULDER, 100.0 + Joint.R_SHOULDER, 0.5]
    assert rows[15].tolist() == [10.0 * Joint.L_ANKLE, 100.0 + Joint.L_ANKLE, 0.5]
    assert rows[16].tolist() == [0.0, 0.0, 0.0]


def test_coco_results_have_the_documented_fields_and_skip_videos_and_failures():
    keypoints = np.zeros((18, 3), np.float32)
    keypoints[Joint.NOSE] = (50, 20, 0.9)
    keypoints[Joint.L_ANKLE] = (70, 220, 0.8)
    person = Pose(keypoints=keypoints, score=0.7)
    records = [
        {"kind": "image", "image_id": 5, "people": [person.to_dict()]},
        {"kind": "image", "image_id": 6, "error": "bad.jpg is damaged"},
        {"kind": "video", "image_id": 7, "frames": []},
    ]
    (result,) = to_coco(records)
    assert result["image_id"] == 5 and result["category_id"] == 1
    assert len(result["keypoints"]) == 51 and result["score"] == 0.7
    assert result["bbox"] == [50.0, 20.0, 20.0, 200.0] == coco_bbox(person)
    assert np.array_equal(pose_from_dict(person.to_dict()).keypoints, person.keypoints)


def test_the_coco_file_sits_beside_the_native_one(tmp_path):
    assert coco_path(tmp_path / "results.json") == tmp_path / "results.coco.json"
    assert journal_path(tmp_path / "results.json") == tmp_path / "results.json.journal"


def test_a_journal_resumes_only_with_the_same_settings_and_ignores_a_cut_line(tmp_path):
    settings = BatchSettings(size="fast")
    journal = tmp_path / "r.json.journal"
    journal.write_text(
        json.dumps({"settings": settings.to_dict()})
        + "\n"
        + json.dumps({"key": "/a.jpg", "kind": "image", "people": []})
        + '\n{"key": "/b.jpg", "kind": "ima'  # the run was killed mid-write
    )
    assert read_journal(journal, settings) == {"/a.jpg": {"kind": "image", "people": []}}
    with pytest.raises(InputError, match=r"other settings.*--restart"):
        read_journal(journal, BatchSettings(size="accurate"))
    assert read_journal(tmp_path / "none.journal", settings) == {}


def ground_truth_as_results() -> list[dict]:
    """The annotations themselves as COCO detections: a perfect result."""
    data = json.loads(ANNOTATIONS.read_text())
    return [
        {"image_id": a["image_id"], "category_id": 1, "keypoints": a["keypoints"], "score": 1.0}
        for a in data["annotations"]
        if a.get("num_keypoints", 0) > 0
    ]


def test_eval_scores_the_ground_truth_as_perfect_and_shifted_joints_lower(tmp_path):
    perfect = tmp_path / "perfect.json"
    perfect.write_text(json.dumps(ground_truth_as_results()))
    stats = evaluate(perfect, ANNOTATIONS)
    assert set(stats) == set(STAT_NAMES)
    assert stats["AP"] == pytest.approx(1.0)
    shifted = ground_truth_as_results()
    for item in shifted:
        item["keypoints"] = [v + 15 if i % 3 < 2 else v for i, v in enumerate(item["keypoints"])]
    moved = tmp_path / "shifted.json"
    moved.write_text(json.dumps(shifted))
    assert 0.0 < evaluate(moved, ANNOTATIONS)["AP"] < 0.9


def test_eval_matches_native_results_to_annotated_images_by_file_name():
    annotations = json.loads(ANNOTATIONS.read_text())
    image = annotations["images"][0]
    person = Pose(keypoints=np.full((18, 3), 0.5, np.float32), score=0.5)
    native = {
        "inputs": [
            {"file": f"/any/where/{image['file_name']}", "image_id": 1, "kind": "image",
             "people": [person.to_dict()]},
            {"file": "/else/unknown.jpg", "image_id": 2, "kind": "image",
             "people": [person.to_dict()]},
        ]
    }  # fmt: skip
    detections, left_out = detections_for(native, annotations)
    assert [d["image_id"] for d in detections] == [image["id"]]
    assert left_out == ["unknown.jpg"]


def renumbered_annotations(tmp_path):
    """The eval annotations with image ids 1, 2, 3, ... in reverse file order (as most
    datasets number their images), so no id is the number in a file name; and the map
    from each file name to its new id."""
    data = json.loads(ANNOTATIONS.read_text())
    names = sorted(image["file_name"] for image in data["images"])
    new_id = {name: number for number, name in enumerate(reversed(names), start=1)}
    old_to_new = {image["id"]: new_id[image["file_name"]] for image in data["images"]}
    for image in data["images"]:
        image["id"] = new_id[image["file_name"]]
    for annotation in data["annotations"]:
        annotation["image_id"] = old_to_new[annotation["image_id"]]
    path = tmp_path / "renumbered.json"
    path.write_text(json.dumps(data))
    return path, new_id


def test_eval_joins_batch_results_by_file_name_when_the_ids_are_not_the_file_names(tmp_path):
    annotations, new_id = renumbered_annotations(tmp_path)
    # A perfect batch run: the ground truth as each image's people, under batch's own ids
    # (the numbers in the file names), plus a photo the annotations do not have.
    truth = json.loads(ANNOTATIONS.read_text())
    names = {image["id"]: image["file_name"] for image in truth["images"]}
    records = []
    for image_id, name in names.items():
        people = []
        for annotation in truth["annotations"]:
            if annotation["image_id"] == image_id and annotation.get("num_keypoints", 0):
                coco = np.asarray(annotation["keypoints"], np.float32).reshape(17, 3)
                keypoints = np.zeros((18, 3), np.float32)
                keypoints[OPENPOSE_FOR_COCO] = coco
                keypoints[:, 2] = keypoints[:, 2] > 0  # labelled joints found, sure
                people.append(Pose(keypoints=keypoints, score=1.0).to_dict())
        records.append({"file": f"/data/{name}", "image_id": image_id, "kind": "image",
                        "people": people})  # fmt: skip
    records.append({"file": "/data/holiday.jpg", "image_id": 9, "kind": "image", "people": []})
    native = tmp_path / "results.json"
    native.write_text(json.dumps({"inputs": records}))
    coco = tmp_path / "results.coco.json"
    coco.write_text(json.dumps(to_coco(records)))
    assert {item["file_name"] for item in to_coco(records)} == set(names.values())

    for results in (native, coco):
        stats, left_out = evaluate_report(results, annotations)
        assert stats["AP"] == pytest.approx(1.0), results.name
        # Only the photo without people is missing from the COCO list: it has no rows.
        assert left_out == (["holiday.jpg"] if results is native else [])
    # Joined by id where the results name no file and both ids are numbers ("3" is 3).
    plain = [{k: v for k, v in item.items() if k != "file_name"} for item in to_coco(records)]
    for item in plain:
        item["image_id"] = str(new_id[names[item["image_id"]]])
    plain.append({**plain[0], "image_id": 77})
    detections, left_out = detections_for(plain, json.loads(annotations.read_text()))
    assert {d["image_id"] for d in detections} == set(new_id.values())
    assert left_out == ["image id 77"]


def test_eval_refuses_files_that_are_not_results_or_annotations(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not readable JSON"):
        evaluate(bad, ANNOTATIONS)
    a_list = tmp_path / "list.json"
    a_list.write_text("[]")
    with pytest.raises(InputError, match="not a COCO annotation file"):
        evaluate(ANNOTATIONS, a_list)


def test_a_ray_address_that_does_not_answer_fails_at_once_with_one_clear_line():
    from pose.batch.cluster import check_reachable

    check_reachable(None)  # a local Ray will be started: nothing to check
    check_reachable("auto")
    with socket.socket() as sock:  # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        with pytest.raises(RuntimeError, match=r"nothing answers at ray://127\.0\.0\.1"):
            check_reachable(f"ray://127.0.0.1:{port}", timeout=2)
    with pytest.raises(ValueError, match="HOST:PORT"):
        check_reachable("nonsense")


def size_runner(tasks):
    """A runner without the model: each "image" record holds its file's size."""
    for index, path in tasks:
        yield index, {"kind": "image", "width": path.stat().st_size, "height": 1, "people": []}


def test_a_resumed_run_after_a_cut_line_runs_only_the_rest_and_writes_all(tmp_path):
    paths = []
    for number in range(4):
        paths.append(tmp_path / f"{number}.jpg")
        paths[-1].write_bytes(b"x" * (number + 1))
    settings = BatchSettings()
    out = tmp_path / "out" / "r.json"
    out.parent.mkdir()
    journal = journal_path(out)
    done = {"key": str(paths[0]), "kind": "image", "width": 1, "height": 1, "people": []}
    journal.write_text(
        json.dumps({"settings": settings.to_dict()}) + "\n" + json.dumps(done) + "\n" + '{"key'
    )
    ran = []

    def counting(tasks):
        ran.extend(index for index, _ in tasks)
        yield from size_runner(tasks)

    summary = run_batch(paths, settings, out, counting)
    assert ran == [1, 2, 3] and (summary.resumed, summary.processed) == (1, 3)
    native = json.loads(out.read_text())
    assert [record["width"] for record in native["inputs"]] == [1, 2, 3, 4]
    assert [record["image_id"] for record in native["inputs"]] == [0, 1, 2, 3]
    assert json.loads(coco_path(out).read_text()) == []  # nobody in these "images"
    assert not journal.exists()


def test_an_empty_journal_is_a_fresh_start(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"x")
    out = tmp_path / "r.json"
    journal_path(out).write_text("")
    summary = run_batch([tmp_path / "a.jpg"], BatchSettings(), out, size_runner)
    assert (summary.resumed, summary.processed) == (0, 1)
