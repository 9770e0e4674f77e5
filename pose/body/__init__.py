"""The body: joints and limbs (OpenPose-18), people and results, joint angles, BlazePose's 33
landmarks.
"""
