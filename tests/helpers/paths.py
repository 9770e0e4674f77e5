"""Where the project and the shared eval data are, and the eval data's ground truth."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
EVAL_DIR = Path(os.environ.get("POSE_EVAL_DIR", ROOT.parent / "shared" / "eval"))
COCO_DIR = EVAL_DIR / "coco"
VIDEO_PATH = EVAL_DIR / "video" / "demo.mp4"


def coco_ground_truth() -> dict[str, list[dict]]:
    """file name -> person annotations with ``keypoints`` as a (17, 3) array."""
    data = json.loads((COCO_DIR / "test_coco.json").read_text())
    names = {image["id"]: image["file_name"] for image in data["images"]}
    people: dict[str, list[dict]] = {name: [] for name in names.values()}
    for annotation in data["annotations"]:
        entry = dict(annotation)
        entry["keypoints"] = np.asarray(annotation["keypoints"], dtype=np.float32).reshape(17, 3)
        people[names[annotation["image_id"]]].append(entry)
    return people
