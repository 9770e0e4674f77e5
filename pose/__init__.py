"""Human pose estimation and matching with the OpenPose MobileNet-thin graph.

Importing this package is cheap: TensorFlow loads on the first inference.
"""

from pose.body.skeleton import LIMBS, Joint
from pose.body.types import Estimate, Pose

__all__ = ["LIMBS", "Estimate", "Joint", "Pose"]
