"""Draw skeletons on images. Pure functions: the input image is never modified."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from pose.body.skeleton import DRAWN_LIMBS, JOINT_COLORS
from pose.body.types import Pose

SHIFT = 4  # OpenCV fixed-point bits: sub-pixel positions for smooth anti-aliased lines
ONE = 1 << SHIFT


@dataclass(frozen=True)
class DrawSpec:
    """Sizes in pixels; ``None`` scales them with the image (about 0.6 % of its diagonal)."""

    joint_radius: int | None = None
    limb_thickness: int | None = None

    def sizes(self, image: np.ndarray) -> tuple[int, int]:
        diagonal = float(np.hypot(*image.shape[:2]))
        radius = self.joint_radius or max(2, round(diagonal * 0.006))
        thickness = self.limb_thickness or max(1, round(diagonal * 0.004))
        return radius, thickness


Colour = tuple[int, int, int]


def to_fixed(point: Sequence[float]) -> tuple[int, int]:
    """(x, y, ...) in pixels -> OpenCV fixed-point coordinates (:data:`SHIFT` bits)."""
    return round(float(point[0]) * ONE), round(float(point[1]) * ONE)


def draw_ring(
    canvas: np.ndarray, point: Sequence[float], radius: int, colour: Colour, thickness: int
) -> None:
    """In place: an anti-aliased ring of ``radius`` pixels around ``point`` (x, y, ...)."""
    cv2.circle(canvas, to_fixed(point), radius * ONE, colour, thickness, cv2.LINE_AA, SHIFT)


def draw_skeleton(
    canvas: np.ndarray,
    points: np.ndarray,
    radius: int,
    thickness: int,
    colour: Colour | None = None,
    highlight: Sequence[int] = (),
) -> None:
    """In place on RGB uint8 ``canvas`` (H, W, 3): the skeleton of (18, 3) ``points``
    (x, y, score), limbs only where both ends were found (score > 0).

    ``colour``: one colour for all; ``None``: each joint its :data:`JOINT_COLORS` entry and
    each limb its end joint's. Joints in ``highlight`` get a white ring.
    """
    for start, end in DRAWN_LIMBS:
        if points[start, 2] <= 0 or points[end, 2] <= 0:
            continue
        cv2.line(
            canvas,
            to_fixed(points[start]),
            to_fixed(points[end]),
            colour or JOINT_COLORS[end],
            thickness,
            cv2.LINE_AA,
            SHIFT,
        )
    for joint, point in enumerate(points):
        if point[2] <= 0:
            continue
        fill = colour or JOINT_COLORS[joint]
        cv2.circle(canvas, to_fixed(point), radius * ONE, fill, -1, cv2.LINE_AA, SHIFT)
        if joint in highlight:
            draw_ring(canvas, point, radius + thickness + 1, (255, 255, 255), thickness)


def draw_poses(
    image: np.ndarray,
    poses: Sequence[Pose],
    spec: DrawSpec = DrawSpec(),
    highlight: Sequence[int] = (),
) -> np.ndarray:
    """Return a copy of RGB uint8 ``image`` (H, W, 3) with each pose's skeleton drawn.

    Limbs are drawn only when both ends were found. Joints listed in ``highlight``
    get a white ring (used to show where two poses differ most).
    """
    canvas = np.ascontiguousarray(image, dtype=np.uint8).copy()
    radius, thickness = spec.sizes(canvas)
    for person in poses:
        draw_skeleton(canvas, person.keypoints, radius, thickness, highlight=highlight)
    return canvas


# Tag colours for person IDs (RGB): Okabe-Ito's colour-blind-safe set, darkened where white
# text would not read on it; an ID keeps its colour for the whole video.
ID_COLORS: tuple[tuple[int, int, int], ...] = (
    (0, 114, 178), (213, 94, 0), (0, 130, 90), (204, 121, 167), (86, 86, 86),
    (170, 120, 0), (60, 130, 190), (150, 60, 30),
)  # fmt: skip


def id_color(person_id: int) -> tuple[int, int, int]:
    """The tag colour of a person ID."""
    return ID_COLORS[person_id % len(ID_COLORS)]


Box = tuple[int, int, int, int]  # x, y of the top-left corner, width, height (pixels)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _clamp(value: float, top: int) -> int:
    """``value`` kept within 0..``top`` and truncated to a pixel, as ``int(np.clip(...))``
    does, in plain Python (NumPy's clip on one number costs about 20 us; a crowded frame
    clipped 160 numbers per tag)."""
    return int(min(max(value, 0), top))


def place_tags(wanted: Sequence[Box], width: int, height: int, gap: int = 2) -> list[Box]:
    """Where to draw each tag box so that none covers another: ``wanted`` holds each box
    at its ideal place (above its person); returns the boxes moved as little as needed.

    Boxes are placed in order (person 1 first keeps its place): each takes the free spot
    nearest its ideal one among spots stepped up, down and sideways by its own size (plus
    ``gap``), inside the ``width`` x ``height`` image. When no spot is free (more tags
    than room) it keeps its ideal place. Pure: tags of people side by side in a crowd read
    "3" and "4", not "34".
    """
    placed: list[Box] = []
    for x, y, w, h in wanted:
        x_max, y_max = max(0, width - w - 1), max(0, height - h - 1)
        ideal = (_clamp(x, x_max), _clamp(y, y_max), w, h)
        if not any(_overlaps(ideal, other) for other in placed):
            # The nearest spot is the ideal one itself (distance 0): taken when free, so the
            # 81 spots are sorted only for a tag that must move (most tags do not).
            placed.append(ideal)
            continue
        spots = sorted(
            (
                (_clamp(x + dx * (w + gap) / 2, x_max), _clamp(y + dy * (h + gap), y_max), w, h)
                for dy in range(-4, 5)
                for dx in range(-4, 5)
            ),
            key=lambda box: (box[0] - ideal[0]) ** 2 + (box[1] - ideal[1]) ** 2,
        )
        free = next((box for box in spots if not any(_overlaps(box, o) for o in placed)), None)
        placed.append(free or ideal)
    return placed


def draw_tags(
    image: np.ndarray,
    poses: Sequence[Pose],
    texts: Sequence[str],
    backgrounds: Sequence[tuple[int, int, int]],
) -> np.ndarray:
    """Return a copy of RGB uint8 ``image`` (H, W, 3) with each text on a filled box of its
    background colour, centred above its pose's found joints (kept inside the image), moved
    aside where it would cover another tag (:func:`place_tags`)."""
    canvas = np.ascontiguousarray(image, dtype=np.uint8).copy()
    diagonal = float(np.hypot(*image.shape[:2]))
    # About 2.5 % of the diagonal tall: readable when a phone shows the photo 350 px wide.
    font_scale = max(0.6, diagonal / 800)
    thick = max(2, round(font_scale * 2))
    shown, wanted = [], []
    for person, text, box in zip(poses, texts, backgrounds, strict=True):
        if person.num_visible == 0:
            continue
        x0, y0, x1, _ = person.bbox()
        (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thick)
        # The box: 3 px around the text; its bottom 8 px above the person's top joint.
        size = (w + 6, h + base + 3)
        wanted.append((round((x0 + x1) / 2 - size[0] / 2), round(y0 - 8 - size[1]), *size))
        shown.append((text, box, h))
    boxes = place_tags(wanted, image.shape[1], image.shape[0])
    for (text, colour, h), (x, y, w, box_h) in zip(shown, boxes, strict=True):
        cv2.rectangle(canvas, (x, y), (x + w, y + box_h), colour, -1)
        cv2.putText(
            canvas, text, (x + 3, y + h + 3), cv2.FONT_HERSHEY_SIMPLEX, font_scale,
            (255, 255, 255), thick, cv2.LINE_AA,
        )  # fmt: skip
    return canvas


def draw_ids(image: np.ndarray, poses: Sequence[Pose], ids: Sequence[int]) -> np.ndarray:
    """A copy of RGB uint8 ``image`` with each person's tracking ID above their head, on
    the ID's colour (:func:`id_color`)."""
    return draw_tags(image, poses, [str(i) for i in ids], [id_color(i) for i in ids])


NUMBER_BOX = (90, 90, 90)  # grey: every person's number
CHOSEN_BOX = (0, 170, 60)  # green: the chosen person's number


def draw_numbers(
    image: np.ndarray,
    people: Sequence[Pose],
    numbers: Sequence[int] | None = None,
    chosen: int | None = None,
) -> np.ndarray:
    """A copy of RGB uint8 ``image`` (H, W, 3) with each person's number above them.

    ``numbers``: one per person; default 1, 2, ... in the given order
    (:func:`pose.body.types.number_people`). The ``chosen`` number's box is green, others grey.
    """
    if numbers is None:
        numbers = range(1, len(people) + 1)
    boxes = [CHOSEN_BOX if number == chosen else NUMBER_BOX for number in numbers]
    return draw_tags(image, people, [str(number) for number in numbers], boxes)


def draw_numbered_poses(
    image: np.ndarray,
    poses: Sequence[Pose],
    numbers: Sequence[int] | None = None,
    spec: DrawSpec = DrawSpec(),
) -> np.ndarray:
    """:func:`draw_poses` plus each person's number (see :func:`draw_numbers`)."""
    return draw_numbers(draw_poses(image, poses, spec), poses, numbers)
