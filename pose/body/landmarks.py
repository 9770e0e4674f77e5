"""BlazePose's 33 landmarks: names, the lines drawn between them, and OpenPose-18's joints.

One table per fact: :mod:`pose.pose3d.blazepose` (the model), the 3D view and the 3D matching all
read
these. Left and right are the person's own, as in OpenPose-18.
"""

from __future__ import annotations

from enum import IntEnum

from pose.body.skeleton import JOINT_COLORS, Joint


class Landmark(IntEnum):
    """BlazePose GHUM landmarks, in the order of the model's outputs 0-32."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32

    @property
    def label(self) -> str:
        return self.name.lower()


NUM_LANDMARKS = len(Landmark)

# OpenPose-18 joint -> the BlazePose landmark(s) it is the mean of. The neck is not a
# BlazePose landmark; OpenPose learned it as the shoulders' midpoint, so that is its value.
OPENPOSE_SOURCES: dict[Joint, tuple[Landmark, ...]] = {
    Joint.NOSE: (Landmark.NOSE,),
    Joint.NECK: (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    Joint.R_SHOULDER: (Landmark.RIGHT_SHOULDER,),
    Joint.R_ELBOW: (Landmark.RIGHT_ELBOW,),
    Joint.R_WRIST: (Landmark.RIGHT_WRIST,),
    Joint.L_SHOULDER: (Landmark.LEFT_SHOULDER,),
    Joint.L_ELBOW: (Landmark.LEFT_ELBOW,),
    Joint.L_WRIST: (Landmark.LEFT_WRIST,),
    Joint.R_HIP: (Landmark.RIGHT_HIP,),
    Joint.R_KNEE: (Landmark.RIGHT_KNEE,),
    Joint.R_ANKLE: (Landmark.RIGHT_ANKLE,),
    Joint.L_HIP: (Landmark.LEFT_HIP,),
    Joint.L_KNEE: (Landmark.LEFT_KNEE,),
    Joint.L_ANKLE: (Landmark.LEFT_ANKLE,),
    Joint.R_EYE: (Landmark.RIGHT_EYE,),
    Joint.L_EYE: (Landmark.LEFT_EYE,),
    Joint.R_EAR: (Landmark.RIGHT_EAR,),
    Joint.L_EAR: (Landmark.LEFT_EAR,),
}

# Lines drawn between landmarks: the body as OpenPose draws it plus the hands, feet, the
# mouth and the hip line, which only BlazePose has.
L = Landmark
CONNECTIONS: tuple[tuple[Landmark, Landmark], ...] = (
    (L.NOSE, L.RIGHT_EYE_INNER), (L.RIGHT_EYE_INNER, L.RIGHT_EYE),
    (L.RIGHT_EYE, L.RIGHT_EYE_OUTER), (L.RIGHT_EYE_OUTER, L.RIGHT_EAR),
    (L.NOSE, L.LEFT_EYE_INNER), (L.LEFT_EYE_INNER, L.LEFT_EYE),
    (L.LEFT_EYE, L.LEFT_EYE_OUTER), (L.LEFT_EYE_OUTER, L.LEFT_EAR),
    (L.MOUTH_RIGHT, L.MOUTH_LEFT),
    (L.RIGHT_SHOULDER, L.LEFT_SHOULDER),
    (L.RIGHT_SHOULDER, L.RIGHT_ELBOW), (L.RIGHT_ELBOW, L.RIGHT_WRIST),
    (L.RIGHT_WRIST, L.RIGHT_PINKY), (L.RIGHT_WRIST, L.RIGHT_INDEX),
    (L.RIGHT_WRIST, L.RIGHT_THUMB), (L.RIGHT_PINKY, L.RIGHT_INDEX),
    (L.LEFT_SHOULDER, L.LEFT_ELBOW), (L.LEFT_ELBOW, L.LEFT_WRIST),
    (L.LEFT_WRIST, L.LEFT_PINKY), (L.LEFT_WRIST, L.LEFT_INDEX),
    (L.LEFT_WRIST, L.LEFT_THUMB), (L.LEFT_PINKY, L.LEFT_INDEX),
    (L.RIGHT_SHOULDER, L.RIGHT_HIP), (L.LEFT_SHOULDER, L.LEFT_HIP), (L.RIGHT_HIP, L.LEFT_HIP),
    (L.RIGHT_HIP, L.RIGHT_KNEE), (L.RIGHT_KNEE, L.RIGHT_ANKLE),
    (L.RIGHT_ANKLE, L.RIGHT_HEEL), (L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
    (L.RIGHT_ANKLE, L.RIGHT_FOOT_INDEX),
    (L.LEFT_HIP, L.LEFT_KNEE), (L.LEFT_KNEE, L.LEFT_ANKLE),
    (L.LEFT_ANKLE, L.LEFT_HEEL), (L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
    (L.LEFT_ANKLE, L.LEFT_FOOT_INDEX),
)  # fmt: skip
del L


# Each landmark is coloured as the OpenPose joint nearest in meaning, so the 3D view reads
# like the 2D drawing (warm hues on the person's right, cool on the left): hands as their
# wrist, feet as their ankle, the eyes' corners as the eye, the mouth as the nose.
def _colour_joint(landmark: Landmark) -> Joint:
    for joint, sources in OPENPOSE_SOURCES.items():
        if sources == (landmark,):
            return joint
    side = "R_" if landmark.name.startswith("RIGHT") else "L_"
    for words, part in (
        (("HEEL", "FOOT"), "ANKLE"),  # before "INDEX": FOOT_INDEX is a foot
        (("PINKY", "INDEX", "THUMB"), "WRIST"),
        (("EYE",), "EYE"),
    ):
        if any(word in landmark.name for word in words):
            return Joint[side + part]
    return Joint.NOSE  # the mouth


LANDMARK_COLORS: tuple[tuple[int, int, int], ...] = tuple(
    JOINT_COLORS[_colour_joint(landmark)] for landmark in Landmark
)
