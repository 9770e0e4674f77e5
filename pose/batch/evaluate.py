"""Score keypoint results against COCO annotations with pycocotools' COCOeval.

``pycocotools`` is an optional extra (``pip install .[eval]``): the app and ``pose batch``
do not need it, and it is a compiled package that a hosted Space need not build.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
from pathlib import Path

from pose.batch.folder import to_coco
from pose.media.images import InputError

log = logging.getLogger(__name__)

# COCOeval's ten keypoint statistics, in the order of ``COCOeval.stats``: AP over OKS
# 0.5:0.95, at 0.5, at 0.75, for medium and large people; then the same for recall.
STAT_NAMES = (
    "AP",
    "AP50",
    "AP75",
    "AP_medium",
    "AP_large",
    "AR",
    "AR50",
    "AR75",
    "AR_medium",
    "AR_large",
)


def _load_json(path: Path, what: str):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"{what} {path} is not readable JSON ({exc.__class__.__name__})."
        ) from None


def detections_for(results, annotations: dict) -> tuple[list[dict], int]:
    """(COCO detections whose image is annotated, how many result images were not).

    ``results`` is either a COCO result list (``image_id`` as written) or ``pose batch``'s
    native JSON, whose inputs are matched to the annotated images by file name, so any
    file naming works.
    """
    images = annotations.get("images", [])
    known = {image["id"] for image in images}
    if isinstance(results, dict) and "inputs" in results:
        by_name = {Path(image["file_name"]).name: image["id"] for image in images}
        records = []
        unknown = 0
        for record in results["inputs"]:
            if record.get("kind") != "image" or "error" in record:
                continue
            image_id = by_name.get(Path(record["file"]).name)
            if image_id is None:
                unknown += 1
                continue
            records.append({**record, "image_id": image_id})
        return to_coco(records), unknown
    if not isinstance(results, list):
        raise InputError("Results must be a COCO result list or the native JSON of pose batch.")
    kept = [item for item in results if item.get("image_id") in known]
    unknown = len({item.get("image_id") for item in results} - known)
    return kept, unknown


def evaluate(results_path: Path, annotations_path: Path) -> dict[str, float]:
    """COCOeval keypoint statistics ({name: value} for :data:`STAT_NAMES`) over every
    annotated image: images without detections count as misses."""
    try:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    except ImportError:
        raise RuntimeError(
            "pose eval needs pycocotools: pip install 'pose-estimation-matching[eval]' "
            "(or pycocotools==2.0.11)."
        ) from None
    annotations = _load_json(annotations_path, "Annotation file")
    if not isinstance(annotations, dict) or "annotations" not in annotations:
        raise InputError(f"{annotations_path} is not a COCO annotation file (no 'annotations').")
    results = _load_json(results_path, "Results file")
    detections, unknown = detections_for(results, annotations)
    if unknown:
        log.warning("%d result images are not in the annotations; left out", unknown)
    if not detections:
        return dict.fromkeys(STAT_NAMES, 0.0)
    # pycocotools prints its progress and a table of its own; the caller prints ours.
    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO()
        truth.dataset = annotations
        truth.createIndex()
        found = truth.loadRes(detections)
        scorer = COCOeval(truth, found, "keypoints")
        scorer.evaluate()
        scorer.accumulate()
        scorer.summarize()
    return {name: float(value) for name, value in zip(STAT_NAMES, scorer.stats, strict=True)}
