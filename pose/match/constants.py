"""The names and numbers the matching modules share: which methods there are, how many
joints a comparison needs, the rotation bound and the robust refits of the alignment."""

from __future__ import annotations

# The methods that compare two 2D poses (:class:`pose.body.types.Pose`).
METHODS: tuple[str, ...] = ("normalized", "oks", "angles", "classic")
DEFAULT_METHOD = "normalized"
# ``3d`` compares two 3D poses (:class:`pose.pose3d.blazepose.Person3D`)
# (:mod:`pose.match.match3d`).
METHOD_3D = "3d"
ALL_METHODS: tuple[str, ...] = (*METHODS, METHOD_3D)

# With a similarity transform fitted to them, two or three joints can be made to agree
# almost whatever the poses are; four is the least that still says something.
MIN_SHARED_JOINTS = 4
MIN_SHARED_ANGLES = 2
# Default bound on the in-plane rotation alignment: absorbs a tilted camera but keeps a
# person lying down different from one standing up.
DEFAULT_MAX_ROTATION = 30.0

# Robust alignment: refits in which a joint this far off (body sizes) counts half.
ROBUST_SCALE = 0.25
ROBUST_ITERATIONS = 4

# A joint this far off (in body sizes, see :mod:`pose.match`) scores 0 in ``normalized``.
NORMALIZED_TOLERANCE = 0.5

_EPS = 1e-9
