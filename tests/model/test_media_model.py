"""pose.media.images with the real model: a large photo is downscaled and keypoints map back."""

from __future__ import annotations

import numpy as np
from PIL import Image

from pose.media import images as media
from pose.media.images import (
    load_image,
)
from tests.helpers.paths import COCO_DIR


def test_large_photo_is_downscaled_and_keypoints_map_back(model):
    """A real eval photo upscaled past MAX_WORKING_SIDE: keypoints come back in its pixels."""
    from pose.photo.estimate import estimate

    original = load_image(COCO_DIR / "000000000785.jpg")  # 640x425, one skier
    factor = 7  # 4480x2975: above the 4096 working side, below the pixel limit
    big = np.asarray(
        Image.fromarray(original).resize((640 * factor, 425 * factor), Image.Resampling.BILINEAR)
    )
    assert max(big.shape) > media.MAX_WORKING_SIDE
    small_result = estimate(original, size="balanced", threshold=0.1, model=model)
    big_result = estimate(big, size="balanced", threshold=0.1, model=model)
    assert (big_result.width, big_result.height) == (640 * factor, 425 * factor)
    small = small_result.people[0].keypoints
    large = big_result.people[0].keypoints
    both = (small[:, 2] > 0) & (large[:, 2] > 0)
    assert both.sum() >= 10
    error = np.linalg.norm(large[both, :2] / factor - small[both, :2], axis=1)
    # same network input either way, so the same joints to within a few original pixels
    assert np.median(error) < 4.0, error
    assert large[both, 0].max() > 640  # really in the big image's pixels
