"""Photos into people: the image pipeline, heatmap and PAF decoding, the photo modes and their
fusion.
"""
