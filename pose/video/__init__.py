"""Videos and the webcam: the threaded video pipeline, live sessions, tracking, smoothing, the
region path.
"""
