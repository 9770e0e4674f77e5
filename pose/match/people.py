"""Which people to compare: people numbered largest first, one picked by number, the
best-matching pair of two photos (:func:`choose_pair`), the person under a click."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pose.body.types import Pose, number_people
from pose.match.constants import DEFAULT_MAX_ROTATION, DEFAULT_METHOD
from pose.match.dispatch import match
from pose.match.result import Match, MatchError


def rank_by_size(people: Sequence[Pose]) -> list[Pose]:
    """People in numbering order, largest first (:func:`pose.body.types.number_people`)."""
    return number_people(people)


def pick_person(people: Sequence[Pose], number: int = 1, image: str = "the image") -> Pose:
    """Person ``number`` (1-based, largest first, see :func:`rank_by_size`).

    Raises :class:`MatchError` when there is no person or no such number.
    """
    if not people:
        raise MatchError(
            f"No person found in {image}. Use a photo where a person's body is clearly "
            "visible, or lower the confidence threshold."
        )
    ranked = rank_by_size(people)
    number = int(number)
    if not 1 <= number <= len(ranked):
        count = len(ranked)
        raise MatchError(
            f"{image[0].upper()}{image[1:]} has {count} {'person' if count == 1 else 'people'}; "
            f"person number must be 1 to {count}, not {number}."
        )
    return ranked[number - 1]


# Automatic choice: the people tried on each side (largest first), so a crowd stays quick.
AUTO_CANDIDATES = 6


@dataclass(frozen=True)
class Pairing:
    """Which person on each side (1-based numbers), their :class:`Match`, and whether
    the pair was chosen automatically (``auto``) rather than given."""

    person1: int
    person2: int
    result: Match
    auto: bool


def choose_pair(
    first: Sequence[Pose],
    second: Sequence[Pose],
    person1: int = 0,
    person2: int = 0,
    method: str = DEFAULT_METHOD,
    mirror: bool = False,
    labels: tuple[str, str] = ("image 1", "image 2"),
    max_rotation: float = DEFAULT_MAX_ROTATION,
) -> Pairing:
    """Match person ``person1`` of ``first`` with ``person2`` of ``second`` (1-based, in
    numbering order); 0 on a side means "the one that matches best".

    With 0, up to :data:`AUTO_CANDIDATES` people of that side are tried and the most similar
    pair wins among the pairs comparing at least half as many joints as the best-covered
    pair (a few shared joints can look alike by chance). Raises :class:`MatchError` for a
    side without people, a number out of range, or when no pair can be compared.
    """
    first, second = rank_by_size(first), rank_by_size(second)
    chosen = []
    for people, number, label in zip((first, second), (person1, person2), labels, strict=True):
        number = int(number)
        if number:
            pick_person(people, number, label)  # the error for a missing person or number
            chosen.append([number])
        else:
            pick_person(people, 1, label)  # the error for a photo without people
            chosen.append(list(range(1, min(len(people), AUTO_CANDIDATES) + 1)))
    tried: list[tuple[int, int, Match]] = []
    first_error: MatchError | None = None
    for one in chosen[0]:
        for two in chosen[1]:
            try:
                result = match(first[one - 1], second[two - 1], method, mirror, max_rotation)
            except MatchError as exc:
                first_error = first_error or exc
                continue
            tried.append((one, two, result))
    if not tried:
        raise first_error or MatchError("No pair of people could be compared.")
    most = max(len(result.joints) for _, _, result in tried)
    covered = [item for item in tried if 2 * len(item[2].joints) >= most]
    one, two, result = max(covered, key=lambda item: (item[2].similarity, -item[0] - item[1]))
    auto = len(chosen[0]) > 1 or len(chosen[1]) > 1
    return Pairing(person1=one, person2=two, result=result, auto=auto)


def person_at(people: Sequence[Pose], x: float, y: float) -> int | None:
    """The number (1-based) of the person nearest to pixel (``x``, ``y``): the one with a
    found joint closest to it. ``None`` when nobody has a found joint."""
    best, nearest = None, math.inf
    for number, person in enumerate(people, start=1):
        points = person.keypoints[person.visible, :2]
        if not len(points):
            continue
        distance = float(np.min(np.hypot(points[:, 0] - x, points[:, 1] - y)))
        if distance < nearest:
            best, nearest = number, distance
    return best
