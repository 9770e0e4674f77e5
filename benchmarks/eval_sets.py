"""The labeled photo sets in ``../shared/eval`` and how each is scored.

One table per set maps its keypoint order to OpenPose-18 joints by name (SOURCES.md gives the
orders; the AP sets' JSON files name them too, and :func:`load_set` checks that they agree).
Sets with every person labeled (COCO, AI Challenger, CrowdPose, MHP, ExLPose) are scored by
COCO-style keypoint AP (pycocotools' COCOeval): COCO on its 17 joints, the wild sets on the
twelve limb joints every set labels (shoulders, elbows, wrists, hips, knees, ankles), with
COCO's sigmas for them. MPII labels one person per photo, so it is scored by PCKh@0.5 of the
detected person that matches it best. :func:`match_people` counts people found within OKS
0.5 (MPII: PCKh 0.5), a plainer figure than AP for tests; the detections left over are false
people (a skeleton of no one, one joined from two bodies, or a second copy of someone found),
counted on the AP sets, where every person is labeled.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.common import EVAL_DIR
from pose.body.skeleton import COCO_KEYPOINTS, OPENPOSE_FOR_COCO, Joint
from pose.body.types import Pose

J = Joint
# COCO's per-keypoint OKS sigmas (cocoapi), in COCO-17 order.
COCO_SIGMAS = np.array(
    [.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89]
) / 10.0  # fmt: skip
# The twelve limb joints: COCO-17 slots 5-16 (shoulders to ankles).
LIMB_SLOTS = tuple(range(5, 17))
# COCO's person areas are segment areas; a box holds about 0.53 of it in people (the factor
# mmpose uses for sets that give only boxes), so OKS scales match COCO's.
BOX_TO_AREA = 0.53

# Each set's keypoint order as OpenPose-18 joints; None for a joint OpenPose lacks (head top,
# pelvis, thorax). The neck entries are kept for completeness; scoring uses the limbs only.
AIC_JOINTS = (
    J.R_SHOULDER, J.R_ELBOW, J.R_WRIST, J.L_SHOULDER, J.L_ELBOW, J.L_WRIST,
    J.R_HIP, J.R_KNEE, J.R_ANKLE, J.L_HIP, J.L_KNEE, J.L_ANKLE, None, J.NECK,
)  # fmt: skip
CROWDPOSE_JOINTS = (
    J.L_SHOULDER, J.R_SHOULDER, J.L_ELBOW, J.R_ELBOW, J.L_WRIST, J.R_WRIST,
    J.L_HIP, J.R_HIP, J.L_KNEE, J.R_KNEE, J.L_ANKLE, J.R_ANKLE, None, J.NECK,
)  # fmt: skip
MPII_JOINTS = (
    J.R_ANKLE, J.R_KNEE, J.R_HIP, J.L_HIP, J.L_KNEE, J.L_ANKLE, None, None, J.NECK, None,
    J.R_WRIST, J.R_ELBOW, J.R_SHOULDER, J.L_SHOULDER, J.L_ELBOW, J.L_WRIST,
)  # fmt: skip
MPII_UPPER_NECK, MPII_HEAD_TOP = 8, 9

# The names each JSON gives its order, normalised (lower case, "-" and " " as "_"), for the
# check in load_set: a table that disagrees with its file fails loudly.
_NAMES = {
    J.R_SHOULDER: {"right_shoulder"}, J.R_ELBOW: {"right_elbow"}, J.R_WRIST: {"right_wrist"},
    J.L_SHOULDER: {"left_shoulder"}, J.L_ELBOW: {"left_elbow"}, J.L_WRIST: {"left_wrist"},
    J.R_HIP: {"right_hip"}, J.R_KNEE: {"right_knee"}, J.R_ANKLE: {"right_ankle"},
    J.L_HIP: {"left_hip"}, J.L_KNEE: {"left_knee"}, J.L_ANKLE: {"left_ankle"},
    J.NECK: {"neck", "upper_neck"}, J.NOSE: {"nose"}, J.L_EYE: {"left_eye"},
    J.R_EYE: {"right_eye"}, J.L_EAR: {"left_ear"}, J.R_EAR: {"right_ear"},
}  # fmt: skip


@dataclass(frozen=True)
class EvalSet:
    """One labeled set: ``folder`` under the eval directory, its annotation file, its joint
    order (``joints``), and ``metric``: "AP" (COCO keypoint AP over ``slots``) or "PCKh"."""

    name: str
    folder: str
    annotations: str
    joints: tuple[Joint | None, ...]
    metric: str = "AP"
    slots: tuple[int, ...] = LIMB_SLOTS


SETS: tuple[EvalSet, ...] = (
    EvalSet("coco", "coco", "test_coco.json", COCO_KEYPOINTS, slots=tuple(range(17))),
    EvalSet("aic", "wild/aic", "test_aic.json", AIC_JOINTS),
    EvalSet("crowdpose", "wild/crowdpose", "test_crowdpose.json", CROWDPOSE_JOINTS),
    EvalSet("mhp", "wild/mhp", "test_mhp.json", MPII_JOINTS),
    EvalSet("exlpose", "wild/exlpose", "test_exlpose.json", CROWDPOSE_JOINTS),
    EvalSet("mpii", "wild/mpii", "test_mpii.json", MPII_JOINTS, metric="PCKh"),
)
SET_NAMES = tuple(item.name for item in SETS)


@dataclass(frozen=True)
class Person:
    """One labeled person in COCO-17 slots: ``keypoints`` (17, 3) x, y, v (v=0: not
    labeled or not scored), ``area`` the OKS scale in pixels², ``head`` the PCKh head size
    (MPII only, else 0)."""

    keypoints: np.ndarray
    area: float
    bbox: tuple[float, float, float, float]
    head: float = 0.0
    iscrowd: bool = False


@dataclass(frozen=True)
class Photo:
    """One photo of a set: its path, a numeric id, and its labeled people."""

    image_id: int
    path: Path
    people: tuple[Person, ...]


def _normalise(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def check_names(names: Sequence[str], joints: Sequence[Joint | None]) -> None:
    """Raise ValueError unless ``names`` (a JSON's keypoint order) agree with ``joints``."""
    if len(names) != len(joints):
        raise ValueError(f"{len(names)} keypoint names for {len(joints)} joints")
    for name, joint in zip(names, joints, strict=True):
        if joint is not None and _normalise(name) not in _NAMES[joint]:
            raise ValueError(f"keypoint {name!r} is not {joint.label}")


def to_slots(rows: np.ndarray, joints: Sequence[Joint | None], slots: Sequence[int]) -> np.ndarray:
    """A set's keypoints (K, 3) -> COCO-17 slots (17, 3); slots outside ``slots`` zeroed."""
    out = np.zeros((17, 3), np.float64)
    slot_of = {int(joint): slot for slot, joint in enumerate(OPENPOSE_FOR_COCO)}
    for row, joint in zip(rows, joints, strict=True):
        if joint is None or int(joint) not in slot_of:
            continue
        slot = slot_of[int(joint)]
        if slot in slots and row[2] > 0:
            out[slot] = (row[0], row[1], 2.0)
    return out


def load_set(item: EvalSet, eval_dir: Path = EVAL_DIR) -> list[Photo]:
    """The photos of ``item`` with their people in COCO-17 slots (scored joints only)."""
    folder = eval_dir / item.folder
    data = json.loads((folder / item.annotations).read_text())
    if item.metric == "PCKh":
        return _load_mpii(item, folder, data)
    check_names(data["categories"][0]["keypoints"], item.joints)
    people: dict[int, list[Person]] = {entry["id"]: [] for entry in data["images"]}
    for annotation in data["annotations"]:
        rows = np.asarray(annotation["keypoints"], np.float64).reshape(-1, 3)
        x, y, w, h = annotation["bbox"]
        # COCO gives segment areas; the wild sets' boxes are scaled to match (BOX_TO_AREA).
        area = annotation["area"] if item.name == "coco" else w * h * BOX_TO_AREA
        people[annotation["image_id"]].append(
            Person(
                keypoints=to_slots(rows, item.joints, item.slots),
                area=float(area),
                bbox=(x, y, w, h),
                iscrowd=bool(annotation.get("iscrowd", 0)),
            )
        )
    return [
        Photo(entry["id"], folder / entry["file_name"], tuple(people[entry["id"]]))
        for entry in data["images"]
    ]


def _load_mpii(item: EvalSet, folder: Path, data: list[dict]) -> list[Photo]:
    photos = []
    for number, entry in enumerate(data, start=1):
        joints = np.asarray(entry["joints"], np.float64)
        rows = np.concatenate([joints, np.asarray(entry["joints_vis"])[:, None]], axis=1)
        head = float(np.linalg.norm(joints[MPII_HEAD_TOP] - joints[MPII_UPPER_NECK]))
        keypoints = to_slots(rows, item.joints, item.slots)
        person = Person(keypoints=keypoints, area=0.0, bbox=(0, 0, 0, 0), head=head)
        photos.append(Photo(number, folder / entry["image"], (person,)))
    return photos


def detection_rows(person: Pose) -> np.ndarray:
    """OpenPose-18 pose -> COCO-17 (17, 3) x, y, found (1/0); missing joints are 0, 0, 0."""
    rows = person.keypoints[OPENPOSE_FOR_COCO].astype(np.float64)
    found = rows[:, 2] > 0
    out = np.zeros((17, 3))
    out[found, :2] = rows[found, :2]
    out[found, 2] = 1.0
    return out


def oks(truth: Person, detected: np.ndarray, sigmas: np.ndarray = COCO_SIGMAS) -> float:
    """COCO's object keypoint similarity of one detection (17, 3) to one labeled person,
    over the person's labeled joints; a joint the detection lacks counts 0."""
    labeled = truth.keypoints[:, 2] > 0
    if not labeled.any():
        return 0.0
    squared = ((detected[:, :2] - truth.keypoints[:, :2]) ** 2).sum(axis=1)
    spread = (2 * sigmas) ** 2 * 2 * (truth.area + np.spacing(1))
    similarity = np.where(detected[:, 2] > 0, np.exp(-squared / spread), 0.0)
    return float(similarity[labeled].mean())


def pckh(truth: Person, detected: np.ndarray, fraction: float = 0.5) -> tuple[int, int]:
    """(correct, labeled) joints of one detection (17, 3): a joint is correct within
    ``fraction`` of the head size (head top to upper neck)."""
    labeled = truth.keypoints[:, 2] > 0
    distance = np.linalg.norm(detected[:, :2] - truth.keypoints[:, :2], axis=1)
    correct = labeled & (detected[:, 2] > 0) & (distance <= fraction * truth.head)
    return int(correct.sum()), int(labeled.sum())


def scorable(person: Person) -> bool:
    """Not a crowd region and at least one scored joint labeled."""
    return not person.iscrowd and bool((person.keypoints[:, 2] > 0).any())


def match_people(
    truth: Sequence[Person], detections: Sequence[np.ndarray], threshold: float = 0.5
) -> int:
    """People found: detections (best first) greedily take the unmatched labeled person of
    highest OKS, counted when it is at least ``threshold``. Crowd regions and people with
    no scored joint are skipped."""
    people = [person for person in truth if scorable(person)]
    taken = [False] * len(people)
    found = 0
    for detected in detections:
        best, best_index = threshold, -1
        for index, person in enumerate(people):
            if not taken[index]:
                value = oks(person, detected)
                if value >= best:
                    best, best_index = value, index
        if best_index >= 0:
            taken[best_index] = True
            found += 1
    return found


@dataclass(frozen=True)
class SetScore:
    """A set's figure (AP or PCKh), people found and people labeled (scorable); on AP sets
    also AP50 and ``false_people``: detections that match no labeled person at OKS 0.5
    (:func:`match_people`). PCKh sets label one person per photo: both stay 0 there."""

    name: str
    metric: str
    value: float
    found: int
    labeled: int
    ap50: float = 0.0
    false_people: int = 0


def mean_scores(rows: Sequence[Sequence[SetScore]]) -> list[SetScore]:
    """Each set's score averaged over ``rows`` (one list per run, the sets in the same
    order), people found rounded to a whole number."""
    return [
        SetScore(
            first.name,
            first.metric,
            float(np.mean([row[i].value for row in rows])),
            round(float(np.mean([row[i].found for row in rows]))),
            first.labeled,
            float(np.mean([row[i].ap50 for row in rows])),
            round(float(np.mean([row[i].false_people for row in rows]))),
        )
        for i, first in enumerate(rows[0])
    ]


def score_set(item: EvalSet, photos: Sequence[Photo], results: dict[int, Sequence[Pose]]):
    """Score detections (image id -> people, best first) on one set."""
    rows = {pid: [detection_rows(p) for p in results.get(pid, ())] for pid in _ids(photos)}
    labeled = sum(1 for photo in photos for person in photo.people if scorable(person))
    if item.metric == "PCKh":
        correct = total = found = 0
        for photo in photos:
            truth = photo.people[0]
            best = max((pckh(truth, d) for d in rows[photo.image_id]), default=(0, 0))
            labeled_joints = int((truth.keypoints[:, 2] > 0).sum())
            correct += best[0]
            total += labeled_joints
            found += int(best[0] >= 0.5 * labeled_joints)
        return SetScore(item.name, "PCKh", correct / max(total, 1), found, labeled)
    found = sum(match_people(photo.people, rows[photo.image_id]) for photo in photos)
    false_people = sum(len(people) for people in rows.values()) - found
    scores = {pid: [p.score for p in results.get(pid, ())] for pid in _ids(photos)}
    value, ap50 = coco_stats(photos, rows, scores, item.slots)
    return SetScore(item.name, "AP", value, found, labeled, ap50, false_people)


def _ids(photos: Sequence[Photo]) -> list[int]:
    return [photo.image_id for photo in photos]


def coco_ap(
    photos: Sequence[Photo],
    rows: dict[int, list[np.ndarray]],
    scores: dict[int, list[float]],
    slots: Sequence[int],
) -> float:
    """COCOeval keypoint AP of detections (image id -> (17, 3) rows and scores) against
    ``photos``' people, over the joints in ``slots`` (the others are unlabeled in truth)."""
    return coco_stats(photos, rows, scores, slots)[0]


def coco_truth(photos: Sequence[Photo]) -> tuple[list[dict], list[dict]]:
    """``photos`` and their labeled people as COCO's "images" and "annotations" (keypoints
    (17, 3) flattened, numbered from 1)."""
    images, annotations = [], []
    for photo in photos:
        images.append({"id": photo.image_id})
        for person in photo.people:
            labeled = int((person.keypoints[:, 2] > 0).sum())
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": photo.image_id,
                    "category_id": 1,
                    "keypoints": person.keypoints.ravel().tolist(),
                    "num_keypoints": labeled,
                    "area": person.area,
                    "bbox": list(person.bbox),
                    "iscrowd": int(person.iscrowd),
                }
            )
    return images, annotations


def coco_stats(
    photos: Sequence[Photo],
    rows: dict[int, list[np.ndarray]],
    scores: dict[int, list[float]],
    slots: Sequence[int],
) -> tuple[float, float]:
    """(AP, AP50) as :func:`coco_ap` computes them; zeros without detections."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images, annotations = coco_truth(photos)
    detections = []
    for image_id, people in rows.items():
        for detected, score in zip(people, scores[image_id], strict=True):
            kept = detected.copy()
            kept[[s for s in range(17) if s not in slots]] = 0.0
            detections.append(
                {
                    "image_id": image_id,
                    "category_id": 1,
                    "keypoints": kept.ravel().tolist(),
                    "score": float(score),
                }
            )
    if not detections:
        return 0.0, 0.0
    # pycocotools prints progress and its own table; the caller prints one compact table.
    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO()
        truth.dataset = {
            "images": images,
            "annotations": annotations,
            "categories": [{"id": 1, "name": "person"}],
        }
        truth.createIndex()
        result = truth.loadRes(detections)
        evaluator = COCOeval(truth, result, iouType="keypoints")
        evaluator.params.imgIds = [photo.image_id for photo in photos]
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    # -1 when nothing is scorable
    return max(0.0, float(evaluator.stats[0])), max(0.0, float(evaluator.stats[1]))
