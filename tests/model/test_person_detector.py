"""BlazePose's person detector on the real MPII photos (one labeled person each), upright
and turned: the person is found at their hips, and the rotation follows the turn."""

import numpy as np
import pytest

from benchmarks import eval_sets
from benchmarks.turned import turn_image, turn_photo
from pose.media.images import load_image
from pose.pose3d.person_detector import get_detector
from tests.helpers.paths import EVAL_DIR

MPII = next(item for item in eval_sets.SETS if item.name == "mpii")
HIPS = (11, 12)  # COCO-17 slots


def angle_gap(a: float, b: float) -> float:
    return abs((a - b + 180) % 360 - 180)


@pytest.fixture(scope="module")
def found():
    """(degrees, labeled person, detections) for every MPII photo at 0, 90, 180, 45."""
    detector = get_detector()
    out = []
    for photo in eval_sets.load_set(MPII, EVAL_DIR):
        image = load_image(photo.path)
        for degrees in (0, 90, 180, 45):
            turned, matrix = turn_image(image, degrees)
            person = turn_photo(photo, matrix).people[0]
            out.append((degrees, person, detector.detect(turned)))
    return out


def at_hips(person, detections):
    """The detection centred within half its radius of the person's hips, or None."""
    hips = person.keypoints[list(HIPS), :2].mean(axis=0)
    near = [d for d in detections if np.linalg.norm(d.centre - hips) < 0.5 * d.radius]
    return near[0] if near else None


def test_the_labeled_person_is_found_at_their_hips_in_nearly_every_copy(found):
    hits = [at_hips(person, detections) is not None for _, person, detections in found]
    # One photo holds two people side by side; upside down the detector keeps only the other.
    assert sum(hits) >= len(found) - 2, hits
    assert all(d.score >= 0.5 for _, _, detections in found for d in detections)


def test_rotation_follows_the_turn_of_the_photo(found):
    upright = None
    gaps = []
    for degrees, person, detections in found:
        detection = at_hips(person, detections)
        if degrees == 0:
            upright = detection.rotation if detection else None
            # MPII's people stand or lean: within 30 degrees of upright.
            assert upright is None or angle_gap(upright, 0) < 30
        elif detection is not None and upright is not None:
            # Against the same person's upright reading: the turn is what changed.
            gaps.append(angle_gap(detection.rotation - upright, degrees))
    assert len(gaps) >= 12 and max(gaps) < 25 and np.median(gaps) < 10, gaps
