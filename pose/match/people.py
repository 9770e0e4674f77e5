"""Which people to compare: people numbered largest first, one picked by number, the
default pair (the largest person of image 1 and whoever stands at the same place in image
2) or the best-matching pair on request (:func:`choose_pair`), the person under a click."""

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


# Person numbers with a meaning of their own (any other number is that person, 1-based).
AUTO = 0  # the default: chosen by the rule of :func:`choose_pair` (person 1, same place)
BEST = -1  # on request only: search for the pair that matches best (it flatters)
# Best-pair search: the people tried on each side, so a crowd stays quick.
AUTO_CANDIDATES = 6

Frame = tuple[float, float, float, float]  # x0, y0, x1, y1: the picture, in its pixels


@dataclass(frozen=True)
class Pairing:
    """Which person on each side (1-based numbers), their :class:`Match`, how the pair was
    chosen (``rule``: "given", "same place" or "best match") and whether the app chose
    anyone (``auto``: a side was chosen among several people rather than given)."""

    person1: int
    person2: int
    result: Match
    auto: bool
    rule: str = "given"


def centre_in(person: Pose, frame: Frame) -> np.ndarray:
    """The centre of ``person``'s found joints as fractions (x, y) of ``frame``: where in
    the picture they stand, whatever its size. Shape (2,)."""
    x0, y0, x1, y1 = frame
    points = person.keypoints[person.visible, :2]
    centre = points.mean(axis=0) if len(points) else np.zeros(2)
    return (centre - (x0, y0)) / (max(x1 - x0, 1e-6), max(y1 - y0, 1e-6))


def people_frame(people: Sequence[Pose]) -> Frame:
    """The box around every found joint of ``people``: the frame used when the picture's
    size is not known."""
    boxes = np.array([person.bbox() for person in people if person.num_visible], np.float64)
    if not len(boxes):
        return (0.0, 0.0, 1.0, 1.0)
    return (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max())


def same_place(anchor: Pose, anchor_frame: Frame, people: Sequence[Pose], frame: Frame) -> int:
    """The number (1-based, in the order of ``people``) of the person standing where
    ``anchor`` stands in its picture: the nearest centre in fractions of each picture's
    width and height (:func:`centre_in`); equally near ones go to the lower number."""
    where = centre_in(anchor, anchor_frame)
    distances = [float(np.linalg.norm(centre_in(person, frame) - where)) for person in people]
    return int(np.argmin(distances)) + 1


def _frames(
    first: Sequence[Pose], second: Sequence[Pose], sizes: tuple | None
) -> tuple[Frame, Frame]:
    if sizes is None:
        return people_frame(first), people_frame(second)
    (w1, h1), (w2, h2) = sizes
    return (0.0, 0.0, float(w1), float(h1)), (0.0, 0.0, float(w2), float(h2))


def choose_pair(
    first: Sequence[Pose],
    second: Sequence[Pose],
    person1: int = AUTO,
    person2: int = AUTO,
    method: str = DEFAULT_METHOD,
    mirror: bool = False,
    labels: tuple[str, str] = ("image 1", "image 2"),
    max_rotation: float = DEFAULT_MAX_ROTATION,
    sizes: tuple[tuple[int, int], tuple[int, int]] | None = None,
) -> Pairing:
    """Match person ``person1`` of ``first`` with ``person2`` of ``second`` (1-based, in
    numbering order, largest first).

    The default rule (:data:`AUTO` on a side): the largest person of image 1, and in image
    2 the person standing at the same place in the picture (:func:`same_place`; ``sizes``
    gives each picture's (width, height), else the box around its people stands in). A
    side given by number anchors the other side instead. The rule looks at where people
    stand, never at how alike they are: moving, rescaling or slightly cropping either
    photo keeps the pair (a photo against its own 70 % copy: the same person), and two
    different photos never score higher because a search found the most alike pair.

    :data:`BEST` on a side (on request only) searches: up to :data:`AUTO_CANDIDATES` people
    of each searched side are tried and the most similar pair wins among the pairs
    comparing at least half as many joints as the best-covered pair (a few shared joints
    can look alike by chance). Raises :class:`MatchError` for a side without people, a
    number out of range, or when no pair can be compared.
    """
    first, second = rank_by_size(first), rank_by_size(second)
    person1, person2 = int(person1), int(person2)
    for people, number, label in zip((first, second), (person1, person2), labels, strict=True):
        # The error for a photo without people, or for a number out of range.
        pick_person(people, number if number > 0 else 1, label)
    if BEST in (person1, person2):
        return _best_pair(first, second, person1, person2, method, mirror, max_rotation)
    frame1, frame2 = _frames(first, second, sizes)
    if person1 == AUTO and person2 == AUTO:
        person1 = 1
        person2 = same_place(first[0], frame1, second, frame2)
    elif person2 == AUTO:
        person2 = same_place(first[person1 - 1], frame1, second, frame2)
    elif person1 == AUTO:
        person1 = same_place(second[person2 - 1], frame2, first, frame1)
    else:
        result = match(first[person1 - 1], second[person2 - 1], method, mirror, max_rotation)
        return Pairing(person1=person1, person2=person2, result=result, auto=False)
    result = match(first[person1 - 1], second[person2 - 1], method, mirror, max_rotation)
    auto = len(first) > 1 or len(second) > 1
    return Pairing(person1, person2, result, auto=auto, rule="same place" if auto else "given")


def _best_pair(
    first: list[Pose],
    second: list[Pose],
    person1: int,
    person2: int,
    method: str,
    mirror: bool,
    max_rotation: float,
) -> Pairing:
    """The search of :func:`choose_pair` for :data:`BEST` (sides not given are searched)."""
    chosen = [
        [number] if number > 0 else list(range(1, min(len(people), AUTO_CANDIDATES) + 1))
        for people, number in ((first, person1), (second, person2))
    ]
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
    return Pairing(one, two, result, auto=auto, rule="best match" if auto else "given")


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
