"""Run the network only where people are: the region policy for videos and webcam frames.

Most pixels of a street or webcam frame hold nobody. After a full-frame pass, the next
frames run the network on a few *windows*: one around each group of people found (expanded
for movement), and, as far as a budget allows, one around each patch of the picture that
moves outside them (someone may be entering). A full-frame pass comes back every
:attr:`RegionPolicy.full_every` frames, when the windows would cost nearly as much as the
frame, and when most of the picture changes at once (a cut, a jump), so nobody is lost for
long.

Windows live on the network's output grid (one cell = :data:`pose.network.spec.STRIDE` input
pixels) of the *full* frame's network input: the frame is resized exactly as for a
full pass, and each window's input pixels are cut from that, on cell boundaries. So people
stay at their current network size, each output cell of a window is the same cell of the
full frame's grid, and the windows' outputs are pasted into a full-size map that the
usual decoder reads (:func:`paste`): keypoints come out in frame pixels with no remapping.
The network's cost is proportional to the cells it runs on (int8, one thread: 15-16 ms per
1000 cells from 16x16 to 54x40 cells, measured), so several small windows cost no more than
one window of their summed size.

Everything here is pure except :class:`LaggedPlanner`, which lets a pool of model workers
ask for decisions in any order and get the ones a serial run makes (see its docstring).
"""

from pose.video.region.infer import crop_input, infer_windows, paste
from pose.video.region.layout import group, people_needs, window_for, windows_for
from pose.video.region.motion import motion_needs, moving, thumbnail
from pose.video.region.planner import LaggedPlanner, RegionPlanner, serial_plan
from pose.video.region.policy import (
    DEFAULT_POLICY,
    Need,
    Plan,
    RegionPolicy,
    Window,
    grid_of,
    plan_cells,
)

__all__ = [
    "DEFAULT_POLICY",
    "LaggedPlanner",
    "Need",
    "Plan",
    "RegionPlanner",
    "RegionPolicy",
    "Window",
    "crop_input",
    "grid_of",
    "group",
    "infer_windows",
    "motion_needs",
    "moving",
    "paste",
    "people_needs",
    "plan_cells",
    "serial_plan",
    "thumbnail",
    "window_for",
    "windows_for",
]
