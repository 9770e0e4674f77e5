"""The result of comparing two poses: :class:`Match` with its per-joint breakdown
(:class:`JointDifference`), the verdict in words, and :class:`MatchError`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from pose.body.skeleton import MIRROR, Joint
from pose.body.types import Pose
from pose.match.constants import METHOD_3D
from pose.media.images import InputError

# Joints scoring below this (percent) are the ones named and ringed as differing most
# (at most three), by the app and the CLI.
WORST_BELOW = 70.0

# Verdicts for the similarity, highest first. Calibrated on benchmarks/matching.py: a
# jittered copy of a real pose averages about 89 % (normalized), other poses about 44 %.
VERDICTS: tuple[tuple[float, str], ...] = (
    (85.0, "Same pose"),
    (70.0, "Similar pose"),
    (50.0, "Somewhat alike"),
    (0.0, "Different pose"),
)

_UNITS = {
    "normalized": "body size",
    "oks": "body size",
    "angles": "degrees",
    "classic": "px",
    METHOD_3D: "body size",
}


class MatchError(InputError):
    """Two poses cannot be compared: no person, or too few joints found in both.

    A subclass of :class:`pose.media.images.InputError` (a ``ValueError``), so the app shows the
    message to the user and the CLI prints it and exits with status 2.
    """


@dataclass(frozen=True)
class JointDifference:
    """How far one joint (or, for ``angles``, the angle at that joint) is off.

    ``difference`` is in the match's unit (pixels, body sizes or degrees); ``score`` is
    that joint's agreement in percent; ``weight`` its weight in the similarity.
    """

    joint: Joint
    difference: float
    score: float
    weight: float

    def to_dict(self) -> dict:
        return {
            "joint": self.joint.label,
            "difference": round(float(self.difference), 4),
            "score": round(float(self.score), 2),
            "weight": round(float(self.weight), 4),
        }


@dataclass(frozen=True)
class Match:
    """The result of comparing two poses.

    ``similarity`` is in percent (0-100); ``joints`` are the joints compared (for
    ``angles``, the joints whose angle was compared), in joint order; ``breakdown`` has
    one entry per joint, worst first; ``mirrored`` says the left/right-swapped second pose
    fitted better; ``rotation`` is the in-plane rotation (degrees) applied to the second
    pose; ``aligned`` is the second pose (mirrored if so) mapped into the first pose's
    pixel frame, for drawing the two on one canvas.
    """

    similarity: float
    method: str
    joints: tuple[Joint, ...]
    breakdown: tuple[JointDifference, ...]
    mirrored: bool = False
    rotation: float = 0.0
    aligned: Pose | None = field(default=None, compare=False, repr=False)

    @property
    def unit(self) -> str:
        return _UNITS[self.method]

    @property
    def verdict(self) -> str:
        return verdict(self.similarity)

    def worst(self, count: int = 3, below: float = 100.0) -> tuple[Joint, ...]:
        """Up to ``count`` worst joints whose score is below ``below`` percent."""
        return tuple(item.joint for item in self.breakdown[:count] if item.score < below)

    def worst_in_second(self, count: int = 3, below: float = 100.0) -> tuple[Joint, ...]:
        """:meth:`worst` named on the second pose's own body: the breakdown names the first
        pose's joints, so when the mirrored second pose fitted better its left is their right."""
        worst = self.worst(count, below)
        return tuple(MIRROR[joint] for joint in worst) if self.mirrored else worst

    def to_dict(self) -> dict:
        """JSON-ready summary: similarity, method, joints, breakdown, mirrored, ..."""
        return {
            "similarity": round(float(self.similarity), 2),
            "method": self.method,
            "verdict": self.verdict,
            "joints": [joint.label for joint in self.joints],
            "mirrored": self.mirrored,
            "rotation_degrees": round(float(self.rotation), 2),
            "unit": self.unit,
            "breakdown": [item.to_dict() for item in self.breakdown],
        }


def verdict(similarity: float) -> str:
    """A few words for a similarity in percent."""
    for floor, words in VERDICTS:
        if similarity >= floor:
            return words
    return VERDICTS[-1][1]


def worst_first(items: list[JointDifference]) -> tuple[JointDifference, ...]:
    """The breakdown's order: lowest score first, then the larger difference, then joint order."""
    return tuple(sorted(items, key=lambda item: (item.score, -item.difference, item.joint)))


def _better_of_mirrored(result: Match, match_mirrored: Callable[[], Match]) -> Match:
    """``result``, or the match of the left/right-swapped second pose (``match_mirrored``)
    marked ``mirrored`` when it scores higher."""
    try:
        swapped = match_mirrored()
    except MatchError:  # the swapped pose shares too few joints: the plain match stands
        return result
    return replace(swapped, mirrored=True) if swapped.similarity > result.similarity else result
