"""The crop-following logic of the video second opinion (pose.video.crop_follow): which crops a
frame reads, when the person detector runs, duplicates dropped, 3D bodies completed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pose.body.skeleton import NUM_JOINTS, Joint
from pose.body.types import Pose
from pose.pose3d.blazepose import ROI_SCALE, Crop
from pose.pose3d.detection_decode import Detection
from pose.pose3d.second_opinion import FuseOptions, PlannedCrop
from pose.video.crop_follow import (
    crop_covers,
    crop_radius,
    crop_rotation,
    detector_due,
    distinct_crops,
    plan_followed,
    tracked_as,
    with_bodies,
)


def standing(x: float, y: float, height: float = 200.0) -> Pose:
    """An upright person: head at (x, y), feet ``height`` pixels below."""
    keypoints = np.zeros((NUM_JOINTS, 3), np.float32)
    rows = {
        Joint.NOSE: (0, 0.0), Joint.NECK: (0, 0.15), Joint.R_SHOULDER: (-0.12, 0.15),
        Joint.L_SHOULDER: (0.12, 0.15), Joint.R_HIP: (-0.08, 0.5), Joint.L_HIP: (0.08, 0.5),
        Joint.R_KNEE: (-0.08, 0.75), Joint.L_KNEE: (0.08, 0.75), Joint.R_ANKLE: (-0.08, 1.0),
        Joint.L_ANKLE: (0.08, 1.0),
    }  # fmt: skip
    for joint, (dx, dy) in rows.items():
        keypoints[joint] = (x + dx * height, y + dy * height, 0.8)
    return Pose(keypoints=keypoints, score=0.8)


def crop_on(person: Pose, side: float = 300.0, angle: float = 0.0) -> Crop:
    hips = person.keypoints[[Joint.R_HIP, Joint.L_HIP], :2].mean(axis=0)
    return Crop((float(hips[0]), float(hips[1])), side, angle)


def detection_at(centre: tuple[float, float], radius: float, score: float = 0.9) -> Detection:
    """A detection of a person standing upright with hips at ``centre``."""
    cx, cy = centre
    keypoints = np.array([[cx, cy], [cx, cy - radius], [cx, cy], [cx, cy]], np.float64)
    box = np.array([cx - radius, cy - radius, cx + radius, cy + radius])
    return Detection(score, box, keypoints)


def test_a_crop_covers_the_person_it_was_cut_for_and_not_one_beside_them():
    person, other = standing(100, 50), standing(500, 50)
    crop = crop_on(person)
    assert crop_radius(crop) == pytest.approx(300 / (2 * ROI_SCALE))
    assert crop_covers(crop, person) == 1.0
    assert crop_covers(crop, other) == 0.0
    assert crop_covers(crop, Pose(keypoints=np.zeros((NUM_JOINTS, 3)), score=0)) == 0.0


def test_a_followed_crop_is_tied_to_its_person_and_no_detector_crop_is_added_on_top():
    people = [standing(100, 50), standing(500, 50)]
    followed = [crop_on(people[1], angle=math.pi / 2)]
    # The detector ran this frame and saw the followed person again: no second crop for them.
    detections = [detection_at(followed[0].centre, 110)]
    plans = plan_followed(people, followed, detections)
    assert len(plans) == 2
    tied = {plan.person: plan for plan in plans}
    assert tied[1].crop is followed[0] and tied[1].rotation == pytest.approx(90)
    # The other person had no crop: theirs is cut from their own joints, no detector needed.
    assert tied[0].crop is not followed[0] and crop_covers(tied[0].crop, people[0]) == 1.0


def test_a_detection_away_from_every_crop_adds_a_person_openpose_did_not_see():
    people = [standing(100, 50)]
    plans = plan_followed(people, [], [detection_at((500, 200), 100)])
    assert len(plans) == 2
    alone = [plan for plan in plans if plan.person is None]
    assert len(alone) == 1 and alone[0].crop.centre == pytest.approx((500, 200))
    # A weak detection adds nothing.
    weak = plan_followed(people, [], [detection_at((500, 200), 100, score=0.1)])
    assert [plan.person for plan in weak] == [0]


def test_crops_are_read_largest_first_up_to_the_cap():
    people = [standing(100 + 150 * i, 50, height=100 + 40 * i) for i in range(6)]
    plans = plan_followed(people, [], (), FuseOptions(max_people=3))
    assert [plan.person for plan in plans] == [5, 4, 3]
    sides = [plan.crop.side for plan in plans]
    assert sides == sorted(sides, reverse=True)
    assert plan_followed(people, [], (), FuseOptions(max_people=0)) == []


def test_a_followed_person_keeps_their_place_under_the_cap_before_larger_new_ones():
    small, large = standing(100, 50, height=100), standing(400, 50, height=300)
    followed = [crop_on(small, side=150)]
    plans = plan_followed([small, large], followed, (), FuseOptions(max_people=1))
    assert [plan.person for plan in plans] == [0] and plans[0].crop is followed[0]


def test_the_tracker_matches_fused_people_by_their_openpose_joints():
    a, b, alone = standing(100, 50), standing(400, 50), standing(700, 50)
    fused_a = Pose(keypoints=a.keypoints + 1, score=0.9)  # a fused with a reading
    plans = [PlannedCrop(crop_on(a), 0.0, 0), PlannedCrop(crop_on(alone), 0.0, None)]
    out = tracked_as([a, b], [fused_a, b, alone], [0, None, 1], plans)
    assert out[0] is a and out[1] is b and out[2] is alone


def test_two_crops_slid_onto_one_body_become_one_and_the_first_wins():
    first = Crop((100.0, 100.0), 250.0, 0.0)
    slid = Crop((110.0, 105.0), 260.0, 0.1)
    apart = Crop((400.0, 100.0), 250.0, 0.0)
    assert distinct_crops([first, slid, apart]) == [first, apart]
    assert distinct_crops([slid, first]) == [slid]


def test_the_detector_runs_first_after_a_lost_crop_and_on_its_schedule():
    assert detector_due(0, None, lost=False, every=15)
    assert not detector_due(5, 0, lost=False, every=15)
    assert detector_due(5, 0, lost=True, every=15)
    assert detector_due(15, 0, lost=False, every=15)
    assert not detector_due(500, 0, lost=False, every=0)  # 0: no schedule


def test_crop_rotation_is_the_detectors_convention():
    assert crop_rotation(Crop((0.0, 0.0), 10.0, math.pi / 2)) == pytest.approx(90)
    assert crop_rotation(Crop((0.0, 0.0), 10.0, 0.0)) == 0.0


def test_bodies_are_only_given_when_3d_is_asked_for():
    people = [standing(100, 50)]
    read = ["a body read by the second opinion"]
    assert with_bodies(np.zeros((10, 10, 3), np.uint8), people, read, None) == []
    # Every person read already: nothing is lifted again (no model is touched).
    assert with_bodies(np.zeros((10, 10, 3), np.uint8), people, read, object()) == read
