"""One numbering of people: order, drawn numbers, the automatic pair, picking by click."""

import numpy as np
import pytest

from pose.body.skeleton import Joint
from pose.body.types import JOINT_NAMES, Estimate, Pose, number_people
from pose.match import AUTO, BEST, MatchError, choose_pair, person_at, rank_by_size
from pose.output.draw import CHOSEN_BOX, NUMBER_BOX, draw_numbered_poses, draw_numbers


def standing(x: float, y: float, height: float, score: float = 0.9, arms: float = 0.0) -> Pose:
    """A stick person whose neck is at (x, y), ``height`` pixels from neck to ankles;
    ``arms`` raises the wrists (0 = hanging, 1 = straight up)."""
    k = np.zeros((18, 3), np.float32)
    h = height
    rows = {
        Joint.NOSE: (x, y - 0.15 * h),
        Joint.NECK: (x, y),
        Joint.R_SHOULDER: (x - 0.2 * h, y),
        Joint.L_SHOULDER: (x + 0.2 * h, y),
        Joint.R_ELBOW: (x - 0.25 * h, y + 0.25 * h - arms * 0.5 * h),
        Joint.L_ELBOW: (x + 0.25 * h, y + 0.25 * h - arms * 0.5 * h),
        Joint.R_WRIST: (x - 0.25 * h, y + 0.5 * h - arms * h),
        Joint.L_WRIST: (x + 0.25 * h, y + 0.5 * h - arms * h),
        Joint.R_HIP: (x - 0.1 * h, y + 0.5 * h),
        Joint.L_HIP: (x + 0.1 * h, y + 0.5 * h),
        Joint.R_KNEE: (x - 0.1 * h, y + 0.75 * h),
        Joint.L_KNEE: (x + 0.1 * h, y + 0.75 * h),
        Joint.R_ANKLE: (x - 0.1 * h, y + h),
        Joint.L_ANKLE: (x + 0.1 * h, y + h),
    }
    for joint, (px, py) in rows.items():
        k[joint] = (px, py, 0.9)
    return Pose(k, score=score)


def test_people_are_numbered_largest_first_whatever_their_score():
    small, big, middle = standing(10, 10, 20, 0.9), standing(50, 10, 80, 0.2), standing(90, 10, 40)
    assert number_people([small, big, middle]) == [big, middle, small]


def test_estimate_json_names_its_joints():
    data = Estimate(people=(standing(50, 20, 40),), width=100, height=100).to_dict()
    assert data["joints"] == list(JOINT_NAMES)
    assert data["joints"][:2] == ["nose", "neck"] and len(data["joints"]) == 18
    assert len(data["people"][0]["keypoints"]) == 18


def test_numbers_are_drawn_above_each_person_and_the_chosen_one_is_green():
    image = np.zeros((200, 300, 3), np.uint8)
    people = [standing(75, 80, 100), standing(225, 80, 100)]
    canvas = draw_numbers(image, people, chosen=2)
    assert image.sum() == 0  # a copy: the input is untouched
    above = canvas[:60]  # the numbers sit above the noses (y = 65)
    left, right = above[:, :150].reshape(-1, 3), above[:, 150:].reshape(-1, 3)
    assert (left == NUMBER_BOX).all(axis=1).any() and not (left == CHOSEN_BOX).all(axis=1).any()
    assert (right == CHOSEN_BOX).all(axis=1).any()
    assert canvas[60:].sum() == 0  # nothing drawn over the people themselves


def test_track_ids_can_replace_the_numbers():
    people = [standing(75, 80, 100)]
    blank = np.zeros((200, 300, 3), np.uint8)
    seven, one = draw_numbers(blank, people, numbers=[7]), draw_numbers(blank, people)
    assert not np.array_equal(seven, one)
    with pytest.raises(ValueError):
        draw_numbers(blank, people, numbers=[1, 2])


def test_numbered_poses_draw_skeletons_and_numbers_on_a_copy():
    image = np.zeros((200, 300, 3), np.uint8)
    out = draw_numbered_poses(image, [standing(75, 80, 100)])
    assert image.sum() == 0 and out[:60].sum() > 0 and out[80:].sum() > 0


def test_click_picks_the_nearest_person():
    people = [standing(75, 80, 100), standing(225, 80, 100)]
    assert person_at(people, 70, 150) == 1
    assert person_at(people, 290, 10) == 2
    assert person_at([], 0, 0) is None


def test_the_default_pair_is_the_largest_and_whoever_stands_there_and_never_searches():
    pose_a = standing(100, 100, 100, arms=0.0)
    pose_b = standing(100, 100, 100, arms=1.0)
    # Image 1: the largest person (left) holds pose A, a smaller one (right) pose B.
    # Image 2: two people of one size, pose B on the left, pose A on the right.
    first = [pose_a, standing(300, 100, 60, arms=1.0)]
    second = [standing(100, 50, 90, arms=1.0), standing(300, 50, 90, arms=0.0)]
    sizes = ((400, 300), (400, 300))
    default = choose_pair(first, second, sizes=sizes)
    # Not flattering: the largest (pose A) with whoever stands on the left (pose B), not
    # the more alike person on the right.
    assert (default.person1, default.person2, default.auto, default.rule) == (
        1, 1, True, "same place")  # fmt: skip
    best = choose_pair(first, second, BEST, BEST, sizes=sizes)
    assert best.rule == "best match" and best.result.similarity > 99
    assert default.result.similarity < best.result.similarity
    # A side given by number anchors the other: person 2 (right) meets the right one.
    anchored = choose_pair(first, second, person1=2, sizes=sizes)
    assert (anchored.person1, anchored.person2) == (2, 2)
    assert choose_pair(first, second, AUTO, 1, sizes=sizes).person1 == 1
    assert choose_pair([pose_b], [pose_b]).auto is False


def test_the_default_pair_holds_in_a_moved_rescaled_or_cropped_copy():
    people = [standing(60, 40, 100), standing(200, 40, 98), standing(320, 40, 50, arms=1)]
    size = (400, 200)
    for scale, shift, copy_size in ((0.7, (0, 0), (280, 140)), (1, (30, 20), (430, 220)),
                                    (1, (-12, -6), (388, 194))):  # fmt: skip
        # The copy's largest is not the original's largest (sizes 100 and 98 swap), yet
        # the pair is the same person.
        copy = [
            Pose(person.keypoints * np.array([scale, scale, 1], np.float32)
                 + [shift[0], shift[1], 0], person.score)
            for person in (standing(60, 40, 97), people[1], people[2])
        ]  # fmt: skip
        pairing = choose_pair(people, copy, sizes=(size, copy_size))
        chosen = rank_by_size(copy)[pairing.person2 - 1]
        assert chosen is copy[0] and pairing.result.similarity > 99
        # Without the pictures' sizes, the box around everyone stands in for them.
        assert choose_pair(people, copy).person2 == pairing.person2


def test_auto_still_says_which_number_is_wrong():
    with pytest.raises(MatchError, match="1 to 1, not 3"):
        choose_pair([standing(0, 0, 50)], [standing(0, 0, 50)], person1=3)
    with pytest.raises(MatchError, match="No person found in image 2"):
        choose_pair([standing(0, 0, 50)], [])
