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


def _same_number(left, right) -> bool:
    """Whether two image ids are the same number (785 and "785" are; "a1" is no number)."""
    try:
        return int(str(left)) == int(str(right))
    except ValueError:
        return False


class ImageJoin:
    """Which annotated image a result belongs to: by file name when the result names its
    file (``pose batch`` writes it in both of its files), else by id, where the result's
    and the annotation's ids are equal or are the same number.

    A result that names a file is never joined by id: ``pose batch`` counts ids 1, 2, 3
    when file names carry no numbers, and a dataset's ids 1, 2, 3 are other images.
    """

    def __init__(self, annotations: dict) -> None:
        images = annotations.get("images", [])
        self.by_name = {Path(str(image["file_name"])).name: image["id"] for image in images
                        if "file_name" in image}  # fmt: skip
        self.ids = [image["id"] for image in images]
        self._id_set = set(self.ids)

    def __call__(self, file: str | None, image_id) -> object | None:
        """The annotation's image id for a result of ``file`` (or None) and ``image_id``;
        None when it joins no annotated image."""
        if file:
            return self.by_name.get(Path(str(file)).name)
        if image_id in self._id_set:
            return image_id
        return next((known for known in self.ids if _same_number(known, image_id)), None)


def _label(file: str | None, image_id) -> str:
    return Path(str(file)).name if file else f"image id {image_id}"


def detections_for(results, annotations: dict) -> tuple[list[dict], list[str]]:
    """(COCO detections of the annotated images, the result images that joined none).

    ``results`` is ``pose batch``'s native JSON or a COCO result list (``pose batch``'s
    ``.coco.json`` or any other tool's); each result image is joined to an annotated image
    by :class:`ImageJoin`. The detections carry the annotation's image id; the images
    left out are named by file (or by id when the result names no file), in result order.
    """
    join = ImageJoin(annotations)
    left_out: dict[str, None] = {}  # an ordered set
    if isinstance(results, dict) and "inputs" in results:
        records = []
        for record in results["inputs"]:
            if record.get("kind") != "image" or "error" in record:
                continue
            image_id = join(record.get("file"), record.get("image_id"))
            if image_id is None:
                left_out[_label(record.get("file"), record.get("image_id"))] = None
                continue
            records.append({**record, "image_id": image_id})
        return to_coco(records), list(left_out)
    if not isinstance(results, list) or not all(isinstance(item, dict) for item in results):
        raise InputError("Results must be a COCO result list or the native JSON of pose batch.")
    kept = []
    for item in results:
        image_id = join(item.get("file_name"), item.get("image_id"))
        if image_id is None:
            left_out[_label(item.get("file_name"), item.get("image_id"))] = None
            continue
        kept.append({**item, "image_id": image_id})
    return kept, list(left_out)


def evaluate(results_path: Path, annotations_path: Path) -> dict[str, float]:
    """COCOeval keypoint statistics ({name: value} for :data:`STAT_NAMES`) over every
    annotated image: images without detections count as misses (see :func:`evaluate_report`)."""
    return evaluate_report(results_path, annotations_path)[0]


def evaluate_report(
    results_path: Path, annotations_path: Path
) -> tuple[dict[str, float], list[str]]:
    """(COCOeval keypoint statistics, the result images that joined no annotated image).

    Every annotated image counts: those without detections are misses. Results are joined
    to the annotations by file name, or by id (:class:`ImageJoin`)."""
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
    detections, left_out = detections_for(results, annotations)
    if left_out:
        log.warning("%d result images are not in the annotations; left out", len(left_out))
    if not detections:
        return dict.fromkeys(STAT_NAMES, 0.0), left_out
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
    stats = {name: float(value) for name, value in zip(STAT_NAMES, scorer.stats, strict=True)}
    return stats, left_out
