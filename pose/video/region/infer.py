"""Running the network on windows of a frame and pasting their outputs into a full map."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from pose.network.spec import STRIDE, NetOutput, network_size, preprocess
from pose.video.region.policy import Window


def crop_input(network_input: np.ndarray, window: Window) -> np.ndarray:
    """The window's pixels of a full frame's network input (net_h, net_w, C)."""
    return network_input[
        window.top * STRIDE : window.bottom * STRIDE, window.left * STRIDE : window.right * STRIDE
    ]


def paste(maps: np.ndarray, window: Window, full: np.ndarray) -> np.ndarray:
    """A window's output maps (height, width, C) placed into ``full`` (rows, columns, C),
    in place; returns ``full``."""
    full[window.top : window.bottom, window.left : window.right] = maps
    return full


def infer_windows(
    run: Callable[[np.ndarray], np.ndarray],
    image: np.ndarray,
    box: tuple[int, int],
    windows: Sequence[Window],
    num_heatmaps: int = 19,
) -> NetOutput:
    """Run only ``windows`` (disjoint) of an RGB uint8 (H, W, 3) frame fitted in ``box``.

    ``run``: float32 (1, h, w, 3) BGR -> float32 (1, h/8, w/8, 57) (a model runner). The
    output covers the full grid, zero outside the windows (no joint or limb evidence
    there), with the full pass's scale.
    """
    height, width = image.shape[:2]
    net_w, net_h = network_size(width, height, box)
    grid = (net_w // STRIDE, net_h // STRIDE)
    network_input = preprocess(image, net_w, net_h)
    maps = None
    for window in windows:
        out = run(np.ascontiguousarray(crop_input(network_input, window))[None])[0]
        if maps is None:
            maps = np.zeros((grid[1], grid[0], out.shape[2]), out.dtype)
        paste(out, window, maps)
    if maps is None:
        raise ValueError("infer_windows needs at least one window")
    return NetOutput(
        heatmaps=maps[:, :, :num_heatmaps],
        pafs=maps[:, :, num_heatmaps:],
        scale=(width / grid[0], height / grid[1]),
    )
