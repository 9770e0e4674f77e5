"""The second opinion's pure parts: which crops are read, how two readings of people fuse,
and which turned copies of a photo OpenPose reads."""

import numpy as np
import pytest

from pose.body.skeleton import Joint
from pose.body.types import Pose
from pose.media.turn import turn_points
from pose.pose3d.detection_decode import Detection
from pose.pose3d.oriented import merge_people, people_turned_back, snap, turns_to_read
from pose.pose3d.second_opinion import (
    FuseOptions,
    agreed_score,
    blaze_pose,
    crowding,
    fuse_joints,
    fuse_people,
    person_score,
    plan_crops,
)

J = Joint


def standing(x: float, y: float, height: float = 100.0, score: float = 0.6) -> Pose:
    """A standing person whose neck is at (x, y); all 18 joints found at ``score``."""
    h = height
    points = {
        J.NOSE: (0, -0.1), J.NECK: (0, 0), J.R_SHOULDER: (-0.11, 0), J.L_SHOULDER: (0.11, 0),
        J.R_ELBOW: (-0.13, 0.19), J.L_ELBOW: (0.13, 0.19), J.R_WRIST: (-0.14, 0.34),
        J.L_WRIST: (0.14, 0.34), J.R_HIP: (-0.08, 0.3), J.L_HIP: (0.08, 0.3),
        J.R_KNEE: (-0.08, 0.55), J.L_KNEE: (0.08, 0.55), J.R_ANKLE: (-0.08, 0.8),
        J.L_ANKLE: (0.08, 0.8), J.R_EYE: (-0.03, -0.12), J.L_EYE: (0.03, -0.12),
        J.R_EAR: (-0.06, -0.11), J.L_EAR: (0.06, -0.11),
    }  # fmt: skip
    keypoints = np.zeros((18, 3), np.float32)
    for joint, (dx, dy) in points.items():
        keypoints[joint] = (x + dx * h, y + dy * h, score)
    return Pose(keypoints=keypoints, score=person_score(keypoints))


def without(person: Pose, *joints: Joint) -> Pose:
    keypoints = person.keypoints.copy()
    keypoints[list(joints)] = 0
    return Pose(keypoints=keypoints, score=person_score(keypoints))


def detection_at(x: float, y: float, radius: float, score: float = 0.9, rotation_up=(0, -1)):
    keypoints = np.array(
        [[x, y], [x + rotation_up[0] * radius, y + rotation_up[1] * radius], [0, 0], [0, 0]],
        float,
    )
    return Detection(score, np.array([x - radius, y - radius, x + radius, y + radius]), keypoints)


def test_max_fusion_keeps_the_more_confident_reading_and_fills_missing_joints():
    openpose = without(standing(100, 100, score=0.7), J.L_KNEE, J.L_ANKLE)
    blaze = standing(103, 100, score=0.5)
    fused = fuse_joints(openpose, blaze, "max")
    assert fused.num_visible == 18
    assert fused[J.NECK][0] == pytest.approx(100)  # OpenPose's, more confident
    assert fused[J.L_KNEE][0] == pytest.approx(103 + 8)  # only BlazePose found it
    assert fused.score == pytest.approx(person_score(fused.keypoints))


def test_mean_fusion_weights_by_confidence_where_the_readings_agree():
    a, b = standing(100, 100, score=0.75), standing(104, 100, score=0.25)
    fused = fuse_joints(a, b, "mean", agree=10)
    assert fused[J.NECK][0] == pytest.approx(101)
    far = fuse_joints(a, standing(150, 100, score=0.25), "mean", agree=10)
    assert far[J.NECK][0] == pytest.approx(100)  # too far apart: the more confident one
    with pytest.raises(ValueError, match="blend, max, mean or fill"):
        fuse_joints(a, b, "median")


def test_blend_moves_a_joint_smoothly_as_the_confidences_change():
    # A photo and its rescaled copy: the same two readings, confidences a little apart.
    # Keeping the more confident reading jumps from one to the other (40 px); the blend
    # moves by a fraction of that.
    openpose, blaze = standing(100, 100, score=0.5), standing(140, 100, score=0.45)
    nudged = standing(100, 100, score=0.45)
    swapped = standing(140, 100, score=0.5)

    def jump(how: str) -> float:
        one = fuse_joints(openpose, blaze, how, agree=20)[J.NECK][0]
        return abs(one - fuse_joints(nudged, swapped, how, agree=20)[J.NECK][0])

    assert jump("max") == pytest.approx(40)
    assert jump("blend") < 10
    even = fuse_joints(openpose, standing(140, 100, score=0.5), "blend", agree=20)
    assert even[J.NECK][0] == pytest.approx(120)  # equal confidences: half and half
    sure = fuse_joints(standing(100, 100, score=0.9), blaze, "blend", agree=20)
    assert sure[J.NECK][0] == pytest.approx(100 + 40 / 17)  # twice as sure: 16 to 1


def test_blend_lowers_the_confidence_where_the_readings_disagree():
    a = without(standing(100, 100, score=0.6), J.L_ANKLE)
    near = fuse_joints(a, standing(101, 100, score=0.4), "blend", agree=20)
    far = fuse_joints(a, standing(160, 100, score=0.4), "blend", agree=20)
    assert near[J.NECK][2] == pytest.approx(0.6, abs=0.01)  # they agree: the larger one
    assert far[J.NECK][2] < 0.01  # three scales apart: barely counts
    assert far[J.L_ANKLE][2] == pytest.approx(0.4)  # only one found it: as it was read
    assert far[J.L_ANKLE][0] == pytest.approx(160 + 8)
    assert far.score == pytest.approx(person_score(far.keypoints))


def test_a_reading_joins_its_person_and_a_lone_confident_one_is_a_new_person():
    big, small = standing(100, 100, 200), standing(400, 100, 60)
    lone = standing(700, 300, 100, score=0.9)
    readings = [
        (without(standing(102, 101, 200), J.NOSE), 0.95, 0),
        (lone, 0.9, None),
        (standing(900, 300, 100), 0.2, None),  # not present enough to stand alone
    ]
    people, sources = fuse_people([small, big], readings)
    assert len(people) == 3
    assert people[0].area > people[1].area > people[2].area  # largest first
    assert sources == [0, 1, None]
    assert np.allclose(people[1].keypoints[:, :2], lone.keypoints[:, :2])


def test_readings_that_match_no_one_and_duplicate_a_kept_person_are_dropped():
    person = standing(100, 100, 200)
    people, sources = fuse_people([person], [(standing(101, 100, 200), 0.9, None)] * 2)
    assert len(people) == 1 and sources == [0]


def test_blaze_pose_drops_joints_under_the_visibility_floor_and_threshold():
    reading = standing(100, 100, score=0.4)
    keypoints = reading.keypoints.copy()
    keypoints[J.NOSE, 2] = 0.05
    reading = Pose(keypoints=keypoints, score=0.9)
    kept = blaze_pose(reading, min_visibility=0.0, weight=0.5, threshold=0.1)
    assert kept[J.NOSE][2] == 0 and kept[J.NECK][2] == pytest.approx(0.2)
    assert blaze_pose(reading, min_visibility=0.5).num_visible == 0


def test_crops_tie_detections_to_people_and_read_the_largest_up_to_the_cap():
    near, far = standing(100, 100, 200), standing(600, 100, 80)
    hips = near.keypoints[[J.R_HIP, J.L_HIP], :2].mean(axis=0)
    plans = plan_crops([far, near], [detection_at(*hips, 150, rotation_up=(-1, 0))])
    assert [plan.person for plan in plans] == [1, 0]
    assert plans[0].rotation == pytest.approx(90)
    assert plans[0].crop.side > plans[1].crop.side
    capped = plan_crops([far, near], [detection_at(*hips, 150)], FuseOptions(max_people=1))
    assert len(capped) == 1 and capped[0].person == 1
    weak = plan_crops([far], [detection_at(*hips, 150, score=0.3)])
    assert [plan.person for plan in weak] == [0]


def test_rotations_snap_to_steps_and_the_most_shared_turn_is_read():
    assert [snap(a, 45) for a in (22, 23, 100, -170, 180, -100)] == [0, 45, 90, 180, 180, -90]
    assert [snap(a) for a in (20, 44, 46, -155, -100)] == [0, 0, 90, 180, -90]  # right angles
    detections = [
        detection_at(0, 0, 10, 0.9, (-1, 0)),  # 90
        detection_at(0, 0, 10, 0.8, (-1, -0.1)),  # about 84: 90
        detection_at(0, 0, 10, 0.95, (0, 1)),  # 180
        detection_at(0, 0, 10, 0.99, (0, -1)),  # upright: never a turn to read
        detection_at(0, 0, 10, 0.3, (1, 0)),  # too weak
    ]
    assert turns_to_read(detections) == [90]
    assert turns_to_read(detections, max_turns=3) == [90, 180]
    assert turns_to_read(detections[3:]) == []


def test_people_read_on_the_turned_back_photo_come_back_to_the_photos_pixels():
    image = np.zeros((60, 100, 3), np.uint8)
    seen = {}

    def find(turned):
        seen["shape"] = turned.shape
        keypoints = np.zeros((18, 3), np.float32)
        keypoints[J.NECK] = (10, 20, 0.9)
        return [Pose(keypoints=keypoints, score=0.5)]

    from pose.media.turn import turn_matrix

    people = people_turned_back(image, 90, find)
    assert seen["shape"][:2] == (100, 60)  # turned by -90: the canvas is upright
    matrix, _ = turn_matrix(100, 60, -90)
    assert turn_points([people[0][J.NECK][:2]], matrix)[0] == pytest.approx((10, 20))
    assert people[0][J.NECK][2] == pytest.approx(0.9)


def test_merging_keeps_the_better_duplicate_and_adds_new_people():
    a = standing(100, 100, score=0.4)
    better = standing(101, 100, score=0.8)
    other = standing(500, 100)
    merged = merge_people([a], [better, other])
    assert len(merged) == 2
    assert merged[0].score == pytest.approx(better.score) and merged[1] is other
    assert merge_people([better], [a])[0] is better


def test_crowding_is_the_largest_share_of_another_persons_joints_in_the_readings_box():
    reading = standing(100, 100, 200)
    alone, neighbour, far = standing(100, 100, 200), standing(140, 110, 200), standing(600, 100)
    assert crowding(reading, [alone, far], own=0) == 0.0
    assert crowding(reading, [alone, neighbour], own=0) > 0.3  # a third of its joints
    assert crowding(reading, [neighbour], own=0) == 0.0  # its own person does not count


def test_a_crowded_reading_only_fills_the_joints_its_person_missed():
    options = FuseOptions(crowd_share=0.2, crowded="fill", joints="mean")
    person = without(standing(100, 100, 200, score=0.3), J.L_ANKLE)
    neighbour = standing(140, 110, 200, score=0.3)
    reading = standing(104, 100, 200, score=0.9)  # surer, but maybe the neighbour's joints
    people, sources = fuse_people([person, neighbour], [(reading, 0.9, 0)], options)
    fused = people[sources.index(0)]
    assert fused[J.NECK][0] == pytest.approx(100)  # OpenPose's joint kept
    assert fused[J.L_ANKLE][0] == pytest.approx(104 + 0.08 * 200)  # the missed joint filled
    alone, _ = fuse_people([person], [(reading, 0.9, 0)], options)
    # one person in the box: fused per joint, the confidence-weighted mean of 0.3 and 0.9
    assert alone[0][J.NECK][0] == pytest.approx((100 * 0.3 + 104 * 0.9) / 1.2)


def test_a_crowded_reading_that_matches_no_one_is_no_person():
    options = FuseOptions(crowd_share=0.2, crowded="fill")
    people = [standing(100, 100, 200), standing(140, 110, 200)]
    between = standing(400, 100, 200, score=0.9)  # its box holds no one: a person
    inside = standing(60, 60, 400, score=0.9)  # a body around both, matching neither
    found, _ = fuse_people(people, [(between, 0.9, None), (inside, 0.9, None)], options)
    assert len(found) == 3


def test_two_agreeing_opinions_score_a_person_above_one_or_two_that_disagree():
    openpose = standing(100, 100, 100, score=0.5)
    alike = agreed_score(openpose, standing(101, 100, 100, score=0.5), openpose.keypoints, 0.1)
    apart = agreed_score(openpose, standing(160, 100, 100, score=0.5), openpose.keypoints, 0.1)
    # 1 - (1 - 0.5)(1 - 0.5 a): about 0.75 where they agree, 0.5 where 60 % of a height apart
    assert alike == pytest.approx(0.75, abs=0.01)
    assert apart == pytest.approx(openpose.score, abs=0.01) == pytest.approx(0.5, abs=0.01)
    assert agreed_score(openpose, standing(101, 100), openpose.keypoints, 0) == openpose.score


def test_a_fused_person_carries_the_agreement_score_and_option_zero_turns_it_off():
    openpose = standing(100, 100, 200, score=0.5)
    reading = (standing(101, 100, 200, score=0.5), 0.9, 0)
    agreed = fuse_people([openpose], [reading])[0][0]
    plain = fuse_people([openpose], [reading], FuseOptions(agreement=0))[0][0]
    assert plain.score == pytest.approx(0.5)
    assert agreed.score > 0.7
    assert np.array_equal(agreed.keypoints, plain.keypoints)  # only the score moves


def test_a_crowded_reading_does_not_make_up_most_of_a_person():
    # A few joints OpenPose found of someone and a reading over two bodies: filling would
    # make the person mostly the reading (a 70 % copy of the photo then numbered another
    # person largest), so OpenPose's joints stay as they are.
    options = FuseOptions(crowd_share=0.2, crowded="fill")
    few = without(standing(100, 100, 200, score=0.3), *list(J)[5:])  # 5 joints found
    neighbour = standing(140, 110, 200, score=0.3)
    reading = standing(104, 100, 200, score=0.9)
    people, sources = fuse_people([few, neighbour], [(reading, 0.9, 0)], options)
    assert people[sources.index(0)].num_visible == 5
    most = without(standing(100, 100, 200, score=0.3), J.L_ANKLE)
    people, sources = fuse_people([most, neighbour], [(reading, 0.9, 0)], options)
    assert people[sources.index(0)].num_visible == 18  # 17 of 18: the missed joint filled


def test_a_reading_the_landmark_model_doubts_only_fills_the_joints_its_person_missed():
    person = without(standing(100, 100, 200, score=0.3), J.L_ANKLE)
    reading = standing(104, 100, 200, score=0.9)
    doubted, _ = fuse_people([person], [(reading, 0.05, 0)], FuseOptions(unsure=0.1))
    assert doubted[0][J.NECK][0] == pytest.approx(100)  # OpenPose's joint kept
    assert doubted[0][J.L_ANKLE][0] == pytest.approx(104 + 0.08 * 200)  # the missed one filled
    sure, _ = fuse_people([person], [(reading, 0.15, 0)], FuseOptions(unsure=0.1))
    assert sure[0][J.NECK][0] == pytest.approx((100 * 0.3 + 104 * 0.9) / 1.2)  # fused
    # Doubted and matching no one: no person of its own (a lone reading needs 0.5 anyway).
    found, _ = fuse_people([], [(reading, 0.05, None)], FuseOptions(unsure=0.1, keep_alone=0))
    assert found == []
