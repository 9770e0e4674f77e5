"""The entry point :func:`match`: checks the method and its inputs, runs one method
(:mod:`pose.match.methods`, :mod:`pose.match.angles`, :mod:`pose.match.match3d`) and, with
``mirror=True``, keeps the better of the plain and the left/right-swapped second pose."""

from __future__ import annotations

from pose.body.types import Pose
from pose.match.align import _align, _shared_joints, mirrored
from pose.match.angles import _match_angles
from pose.match.constants import ALL_METHODS, DEFAULT_MAX_ROTATION, DEFAULT_METHOD, METHOD_3D
from pose.match.match3d import match_people3d
from pose.match.methods import _match_classic, _match_normalized, _match_oks
from pose.match.result import Match, _better_of_mirrored
from pose.pose3d.blazepose import Person3D


def match(
    first: Pose | Person3D,
    second: Pose | Person3D,
    method: str = DEFAULT_METHOD,
    mirror: bool = False,
    max_rotation: float = DEFAULT_MAX_ROTATION,
) -> Match:
    """Compare ``second`` with ``first`` (the reference) by ``method`` (see :mod:`pose.match`).

    The 2D methods take two :class:`Pose`; ``"3d"`` takes two
    :class:`pose.pose3d.blazepose.Person3D`
    (:func:`pose.pose3d.blazepose.lift` makes them) and ignores ``max_rotation``: any rotation is
    allowed, which is what makes it viewpoint-invariant (:mod:`pose.match.match3d`).

    ``mirror=True`` also tries the left/right-swapped ``second`` and keeps the better fit
    (``Match.mirrored`` says which). ``max_rotation`` (degrees, 0-180) bounds the in-plane
    rotation alignment of ``normalized`` and ``oks``; 0 turns it off.
    Raises :class:`MatchError` when the poses share too few joints, ``ValueError`` for an
    unknown method.
    """
    if method not in ALL_METHODS:
        raise ValueError(f"Unknown method {method!r}: use one of {', '.join(ALL_METHODS)}.")
    if method == METHOD_3D:
        return match_people3d(first, second, mirror)
    if not (isinstance(first, Pose) and isinstance(second, Pose)):
        raise ValueError(f"The {method} method compares two 2D poses (pose.body.types.Pose).")
    if not 0.0 <= max_rotation <= 180.0:
        raise ValueError(f"max_rotation must be 0 to 180 degrees, not {max_rotation}.")
    result = _match_one(first, second, method, max_rotation)
    if not mirror:
        return result
    return _better_of_mirrored(
        result, lambda: _match_one(first, mirrored(second), method, max_rotation)
    )


def _match_one(first: Pose, second: Pose, method: str, max_rotation: float) -> Match:
    """One 2D method on the poses as given (no mirroring)."""
    if method == "angles":
        return _match_angles(first, second)
    shared = _shared_joints(first, second)
    if method == "classic":
        return _match_classic(first, second, shared)
    alignment = _align(first, second, shared, max_rotation)
    if method == "oks":
        return _match_oks(first, second, shared, alignment)
    return _match_normalized(first, second, shared, alignment)
