"""The image pipeline: image -> model -> decode -> people, numbered largest first."""

from __future__ import annotations

import time
from collections.abc import Sequence

import cv2
import numpy as np

from pose.body.types import Estimate, Pose, number_people
from pose.media.images import MAX_WORKING_SIDE
from pose.network.registry import PoseModel, get_model
from pose.network.spec import DEFAULT_PRESET, PRESETS, NetOutput
from pose.photo.decode import decode_single
from pose.photo.paf import DEFAULT_PARAMS, DecodeParams, decode_multi, unflip_maps

DEFAULT_THRESHOLD = 0.1


def resolve_box(size: str | tuple[int, int] | None) -> tuple[int, int]:
    """A preset name ("fast", "balanced", "accurate"), a (w, h) box, or None for the default."""
    if size is None:
        return PRESETS[DEFAULT_PRESET]
    if isinstance(size, str):
        if size in PRESETS:
            return PRESETS[size]
        try:
            width, height = (int(part) for part in size.lower().split("x"))
        except ValueError:
            raise ValueError(
                f"Unknown input size {size!r}: use one of {', '.join(PRESETS)} or WIDTHxHEIGHT."
            ) from None
        size = (width, height)
    width, height = size
    if not (64 <= width <= 2048 and 64 <= height <= 2048):
        raise ValueError(f"Input size {width}x{height} is out of range (64 to 2048 a side).")
    return (int(width), int(height))


def parse_scales(text: str) -> tuple[float, ...]:
    """Parse "1,0.75" into (1.0, 0.75): input-size factors for multi-scale, 0.25 to 2 each."""
    try:
        scales = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(
            f"Scales must be numbers separated by commas, like 1,0.75: {text!r}"
        ) from None
    if not scales or not all(0.25 <= scale <= 2.0 for scale in scales):
        raise ValueError(f"Each scale must be between 0.25 and 2 (got {text!r}).")
    return scales


def working_copy(image: np.ndarray) -> tuple[np.ndarray, float]:
    """Downscale huge images before the model; return (image, factor back to original)."""
    longest = max(image.shape[:2])
    if longest <= MAX_WORKING_SIDE:
        return image, 1.0
    factor = MAX_WORKING_SIDE / longest
    size = (round(image.shape[1] * factor), round(image.shape[0] * factor))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), 1.0 / factor


def rescale(poses: Sequence[Pose], factor: float) -> list[Pose]:
    """Multiply keypoint x, y by ``factor`` (back to original pixels)."""
    if factor == 1.0:
        return list(poses)
    out = []
    for person in poses:
        keypoints = person.keypoints.copy()
        keypoints[:, :2] *= factor
        out.append(Pose(keypoints=keypoints, score=person.score))
    return out


def decode_output(
    output: NetOutput,
    threshold: float,
    multi_person: bool = True,
    params: DecodeParams = DEFAULT_PARAMS,
) -> list[Pose]:
    """Network output -> people in numbering order (largest first, :func:`number_people`).

    ``multi_person=False`` is the original script's decode (one global maximum per joint,
    at most one person), kept as the accuracy baseline.
    """
    if multi_person:
        poses = decode_multi(output.heatmaps, output.pafs, output.scale, threshold, params)
    else:
        poses = decode_single(output.heatmaps, output.scale, threshold)
    return number_people(poses)


def select_largest(poses: Sequence[Pose]) -> list[Pose]:
    """Keep only the person with the largest bounding box (for matching)."""
    return [max(poses, key=lambda person: person.area)] if poses else []


def infer_scales(
    model: PoseModel,
    image: np.ndarray,
    box: tuple[int, int],
    scales: Sequence[float] = (1.0,),
    flip: bool = False,
) -> NetOutput:
    """Run the model with the input box scaled by each factor and average the outputs.

    Multi-scale inference: small people are found at the larger scales, large people are
    seen whole at the smaller ones. The outputs are resized (bicubic) to the grid of the
    largest scale before averaging; one scale is a plain ``model.infer``. ``flip`` also runs
    the mirrored image at each scale and averages its un-mirrored output in (twice the time).
    """
    if not scales:
        raise ValueError("At least one inference scale is needed.")
    boxes = [(round(box[0] * s), round(box[1] * s)) for s in sorted(scales, reverse=True)]
    outputs = [model.infer(image, resolve_box(scaled)) for scaled in boxes]
    if flip:
        mirrored = cv2.flip(np.ascontiguousarray(image), 1)  # 50x faster than NumPy's copy
        for scaled in boxes:
            out = model.infer(mirrored, resolve_box(scaled))
            heatmaps, pafs = unflip_maps(out.heatmaps, out.pafs)
            outputs.append(NetOutput(heatmaps=heatmaps, pafs=pafs, scale=out.scale))
    if len(outputs) == 1:
        return outputs[0]
    grid_h, grid_w = outputs[0].heatmaps.shape[:2]

    def on_grid(maps: np.ndarray) -> np.ndarray:
        if maps.shape[:2] == (grid_h, grid_w):
            return maps
        return cv2.resize(maps, (grid_w, grid_h), interpolation=cv2.INTER_CUBIC)

    return NetOutput(
        heatmaps=np.mean([on_grid(out.heatmaps) for out in outputs], axis=0),
        pafs=np.mean([on_grid(out.pafs) for out in outputs], axis=0),
        scale=outputs[0].scale,
    )


def estimate(
    image: np.ndarray,
    size: str | tuple[int, int] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    largest_only: bool = False,
    model: PoseModel | None = None,
    multi_person: bool = True,
    scales: Sequence[float] = (1.0,),
    params: DecodeParams = DEFAULT_PARAMS,
    flip: bool = False,
) -> Estimate:
    """Find people in an RGB uint8 image (H, W, 3). Keypoints are in the image's pixels.

    ``multi_person=False`` uses the original single-person argmax decode; ``scales`` runs
    the model at several input sizes (``size`` times each factor) and ``flip`` on the
    mirrored image too, averaging the outputs (see docs/accuracy.md).
    """
    box = resolve_box(size)
    model = model or get_model()
    height, width = image.shape[:2]
    working, factor = working_copy(image)
    started = time.perf_counter()
    output = infer_scales(model, working, box, scales, flip)
    inferred = time.perf_counter()
    poses = rescale(decode_output(output, threshold, multi_person, params), factor)
    if largest_only:
        poses = select_largest(poses)
    decoded = time.perf_counter()
    timings = {
        "model_ms": (inferred - started) * 1000,
        "decode_ms": (decoded - inferred) * 1000,
    }
    return Estimate(people=tuple(poses), width=width, height=height, timings_ms=timings)
