"""Human pose estimation and matching with the OpenPose MobileNet-thin graph.

Importing this package is cheap: TensorFlow loads on the first inference.
"""

from pose.skeleton import LIMBS, Joint
from pose.types import Estimate, Pose

__all__ = ["LIMBS", "Estimate", "Joint", "Pose"]
