"""Photos: the single pass ("fast") or several passes fused ("accurate", the default).

A photo is not real-time: a user waits a second gladly for a better answer. The accurate
mode runs the network at several input sizes, keeps each person from the size that suited
their height (:mod:`pose.photo.fuse`). Both modes brighten very dark photos first (a few
milliseconds, and only for them). Videos and the webcam keep the single pass
(:func:`pose.photo.estimate.estimate`). Every choice and parameter here was
measured on every labeled set with ``benchmarks/photo_sweep.py`` (docs/accuracy.md, "Photos
in the wild").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from pose.body.types import Estimate, Pose
from pose.network.registry import PoseModel, get_model
from pose.network.spec import NetOutput, network_size
from pose.photo.estimate import (
    DEFAULT_THRESHOLD,
    decode_output,
    estimate,
    rescale,
    resolve_box,
    select_largest,
    working_copy,
)
from pose.photo.fuse import TARGET_HEIGHT, Pass, fuse_passes
from pose.photo.paf import DEFAULT_PARAMS, DecodeParams, unflip_maps

MODES = ("accurate", "fast")
DEFAULT_MODE = "accurate"


@dataclass(frozen=True)
class PhotoOptions:
    """The accurate mode's knobs (defaults measured, see the module docstring).

    ``scales``: factors of the input box, one network pass each. ``target``: the person
    height in network pixels that fusion prefers (:func:`pose.photo.fuse.fuse_passes`).
    ``same``: similarity above which two detections are one person. ``min_height``:
    detections shorter than this in their pass's network pixels are dropped. ``flip``: also run
    each pass on the mirrored photo and average the maps (twice the time).
    ``dark_level``: photos whose mean brightness (0-255) is below this are brightened
    before the passes (0 turns it off). ``clahe``: contrast limit of the local
    equalisation used then. ``joints``: how a person's joints come from the passes
    (:func:`pose.photo.fuse.fuse_passes`: "pick" the pass that suited their size, "medoid"
    or "median" per joint over every pass that found them).
    """

    scales: tuple[float, ...] = (0.6, 1.0, 1.6)
    target: float = TARGET_HEIGHT
    same: float = 0.5
    min_height: float = 0.0
    flip: bool = False
    dark_level: float = 40.0
    clahe: float = 2.0
    joints: str = "pick"


ACCURATE = PhotoOptions()


def is_dark(image: np.ndarray, level: float) -> bool:
    """True when the mean brightness of an RGB uint8 image (H, W, 3) is below ``level``."""
    small = cv2.resize(image, (64, 64), interpolation=cv2.INTER_AREA)
    return float(small.mean()) < level


def brighten(image: np.ndarray, size: tuple[int, int], clahe: float = 2.0) -> np.ndarray:
    """A dark RGB uint8 photo (H, W, 3) -> a brightened RGB uint8 copy of ``size`` (w, h).

    The shrinking happens in floating point first: a very dark photo holds only a handful
    of grey levels (0-15 in the low-light set), and averaging many pixels into one recovers
    levels in between and lowers the noise. Then the brightness is stretched so that the
    99.5th percentile becomes white, and local contrast is equalised on the L channel.
    """
    work = cv2.resize(image.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    top = max(float(np.percentile(work.mean(axis=2), 99.5)), 1.0)  # at most 255x
    stretched = np.clip(work * (255.0 / top), 0, 255).round().astype(np.uint8)
    if clahe <= 0:
        return stretched
    lab = cv2.cvtColor(stretched, cv2.COLOR_RGB2LAB)
    lab[:, :, 0] = cv2.createCLAHE(clipLimit=clahe, tileGridSize=(8, 8)).apply(lab[:, :, 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def scaled_box(box: tuple[int, int], scale: float) -> tuple[int, int]:
    """``box`` times ``scale``, each side kept within the 64-2048 pixels that sizes allow."""
    return (
        int(np.clip(round(box[0] * scale), 64, 2048)),
        int(np.clip(round(box[1] * scale), 64, 2048)),
    )


def stretched(people: list[Pose], factors: tuple[float, float]) -> list[Pose]:
    """Keypoints' x times ``factors[0]`` and y times ``factors[1]``."""
    if factors == (1.0, 1.0):
        return people
    out = []
    for person in people:
        keypoints = person.keypoints.copy()
        keypoints[:, 0] *= factors[0]
        keypoints[:, 1] *= factors[1]
        out.append(Pose(keypoints=keypoints, score=person.score))
    return out


def run_pass(
    model: PoseModel,
    image: np.ndarray,
    box: tuple[int, int],
    threshold: float,
    params: DecodeParams = DEFAULT_PARAMS,
    flip: bool = False,
    timings: dict[str, float] | None = None,
) -> Pass:
    """One network pass with ``image`` fitted in ``box``: its people (image pixels) and
    the network pixels per image pixel. Adds its model and decode milliseconds to
    ``timings["model_ms"]`` and ``timings["decode_ms"]`` when given."""
    started = time.perf_counter()
    output = model.infer(image, box)
    if flip:
        mirrored = model.infer(cv2.flip(np.ascontiguousarray(image), 1), box)
        heatmaps, pafs = unflip_maps(mirrored.heatmaps, mirrored.pafs)
        output = NetOutput(
            heatmaps=(output.heatmaps + heatmaps) / 2,
            pafs=(output.pafs + pafs) / 2,
            scale=output.scale,
        )
    inferred = time.perf_counter()
    people = decode_output(output, threshold, True, params)
    if timings is not None:
        timings["model_ms"] = timings.get("model_ms", 0.0) + (inferred - started) * 1000
        decoded = (time.perf_counter() - inferred) * 1000
        timings["decode_ms"] = timings.get("decode_ms", 0.0) + decoded
    factor = network_size(image.shape[1], image.shape[0], box)[0] / image.shape[1]
    return Pass(people=tuple(people), factor=factor)


def estimate_dark(
    image: np.ndarray,
    size: str | tuple[int, int] | None,
    threshold: float,
    largest_only: bool,
    model: PoseModel,
    options: PhotoOptions = ACCURATE,
    params: DecodeParams = DEFAULT_PARAMS,
) -> Estimate:
    """The fast mode's single pass on a dark RGB uint8 photo (H, W, 3): brightened at the
    network's input size first (:func:`brighten`), keypoints back in the photo's pixels.
    The low-light set goes from AP 0 to 0.03 (docs/accuracy.md); no other set is dark."""
    box = resolve_box(size)
    height, width = image.shape[:2]
    started = time.perf_counter()
    working, factor = working_copy(image)
    shape = network_size(working.shape[1], working.shape[0], box)
    bright = brighten(working, shape, options.clahe)
    brightened = time.perf_counter()
    found = estimate(bright, box, threshold, largest_only, model=model, params=params)
    # Sides rounded to multiples of 8: x and y scale back by slightly different factors.
    stretch = (working.shape[1] / shape[0], working.shape[0] / shape[1])
    people = rescale(stretched(list(found.people), stretch), factor)
    timings = dict(found.timings_ms, brighten_ms=(brightened - started) * 1000)
    return Estimate(people=tuple(people), width=width, height=height, timings_ms=timings)


def pass_inputs(
    working: np.ndarray, box: tuple[int, int], options: PhotoOptions
) -> tuple[np.ndarray, tuple[float, float], list[tuple[int, int]]]:
    """What the accurate mode's passes read: the RGB working copy (H, W, 3), brightened
    once at the largest pass's size when it is dark; how far that copy is stretched from
    the working copy (x, y); and each pass's input box (``box`` times each of
    ``options.scales``, passes whose input would be a sliver left out)."""
    stretch = (1.0, 1.0)  # brightened copy -> working copy, x and y
    boxes = [scaled_box(box, scale) for scale in options.scales]
    if options.dark_level > 0 and is_dark(working, options.dark_level):
        # Brighten once at the largest pass's size; the passes shrink from there.
        largest = max(boxes, key=lambda item: item[0] * item[1])
        shape = network_size(working.shape[1], working.shape[0], largest)
        # Sides rounded to multiples of 8: x and y scale back by slightly different factors.
        stretch = (working.shape[1] / shape[0], working.shape[0] / shape[1])
        working = brighten(working, shape, options.clahe)
    # A pass whose input is a sliver (a very long, thin photo at a small scale) sees no
    # one and gives noise; the full-size pass always runs.
    boxes = [
        scaled
        for scaled, scale in zip(boxes, options.scales, strict=True)
        if scale >= 1 or min(network_size(working.shape[1], working.shape[0], scaled)) >= 64
    ]
    return working, stretch, boxes


def estimate_photo(
    image: np.ndarray,
    mode: str = DEFAULT_MODE,
    size: str | tuple[int, int] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    largest_only: bool = False,
    model: PoseModel | None = None,
    options: PhotoOptions = ACCURATE,
    params: DecodeParams = DEFAULT_PARAMS,
    progress: Callable[[int, int], None] | None = None,
) -> Estimate:
    """Find people in an RGB uint8 photo (H, W, 3); keypoints in the photo's pixels.

    ``mode``: "accurate" (several passes fused, see :class:`PhotoOptions`) or "fast" (one
    pass, :func:`pose.photo.estimate.estimate`, on a brightened copy when the photo is dark).
    ``size``: the input box (preset or (w, h)) that the accurate mode's ``scales`` multiply.
    ``progress(done, total)`` is called after each pass.
    """
    if mode not in MODES:
        raise ValueError(f"Unknown photo mode {mode!r}: use one of {', '.join(MODES)}.")
    model = model or get_model()
    if mode == "fast":
        if options.dark_level > 0 and is_dark(image, options.dark_level):
            return estimate_dark(image, size, threshold, largest_only, model, options, params)
        return estimate(image, size, threshold, largest_only, model=model, params=params)
    box = resolve_box(size)
    height, width = image.shape[:2]
    started = time.perf_counter()
    working, factor = working_copy(image)
    working, stretch, boxes = pass_inputs(working, box, options)
    timings = {"model_ms": 0.0, "decode_ms": 0.0}
    passes = []
    for scaled in boxes:
        passes.append(run_pass(model, working, scaled, threshold, params, options.flip, timings))
        if progress:
            progress(len(passes), len(boxes))
    fused = time.perf_counter()
    people = fuse_passes(passes, options.target, options.same, options.min_height, options.joints)
    people = rescale(stretched(people, stretch), factor)
    if largest_only:
        people = select_largest(people)
    timings["fuse_ms"] = (time.perf_counter() - fused) * 1000
    timings["total_ms"] = (time.perf_counter() - started) * 1000
    timings["passes"] = float(len(passes))
    return Estimate(people=tuple(people), width=width, height=height, timings_ms=timings)
