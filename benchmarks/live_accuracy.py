"""How far the page's joints are from the server's default, by the page's input size.

``python -m benchmarks.live_accuracy [--sizes 192x144 256x192 320x240]``

The product question behind the Webcam tab's in-browser mode (the implementation question,
page against server on the same model and pixels, is tests/browser/test_live_browser.py's).
On every photo of ../shared/eval/coco and ../shared/eval/photos letterboxed to a webcam's
640x480, as the page sees a still camera: the int8 model at the page's input on the whole
frame, then on the crop web/live/region.js cuts around the people found (its rule, ported
here), each crop resized as the server resizes (the page's resize.js is the same rule): at
each ``--sizes`` with 4:3 crops only (the page's rule before its narrower inputs), then at
the page's inputs now (``192x144+crops``: a crop at the narrowest of models/browser.py's
inputs that holds it).
Each person the server's default finds (``estimate``: int8 is not used there, the float
model at 432x368) is paired with the page's nearest, and the gaps of the joints both find
are pooled: median, share within 2 and 12 px, and the share of the server's joints the page
finds at all. Also the native int8 CPU time per pass (1 thread), a proxy for the page's
cost (WASM ran about 4x these here, in the same proportion across sizes).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from benchmarks.common import cpu_model
from models.browser import LIVE_INPUT, LIVE_INPUTS
from pose.media.images import load_image
from pose.network.registry import get_model
from pose.photo.estimate import DEFAULT_THRESHOLD, estimate
from pose.photo.paf import decode_multi
from tests.helpers.live_vectors import letterboxed
from tests.helpers.paths import COCO_DIR, EVAL_DIR

MARGIN, MIN_SHARE = 0.35, 1 / 3  # web/live/region.js


def region(
    people: list, size: tuple[int, int], inputs: list[tuple[int, int]]
) -> tuple[int, int, int, int, tuple[int, int]]:
    """web/live/region.js's chooseRegion after the whole-frame pass (keypoints (18, 3)):
    (x, y, w, h, input). ``inputs``: the crop inputs narrowest first, then the whole frame's
    (alone, it is the 4:3-only rule the page had before the narrower inputs)."""
    W, H = size
    full = inputs[-1]
    whole = (0, 0, W, H, full)
    points = np.concatenate([kp[kp[:, 2] > 0, :2] for kp in people] or [np.zeros((0, 2))])
    if len(points) < 2:
        return whole
    (x0, y0), (x1, y1) = points.min(0), points.max(0)
    if not (x1 > x0 and y1 > y0):
        return whole
    side = max(x1 - x0, y1 - y0)
    need_w, need_h = (x1 - x0) + 2 * MARGIN * side, (y1 - y0) + 2 * MARGIN * side

    def place(w: float, h: float, net: tuple[int, int]) -> tuple:
        w, h = round(w), round(h)
        x = round(min(max((x0 + x1) / 2 - w / 2, 0), W - w))
        y = round(min(max((y0 + y1) / 2 - h / 2, 0), H - h))
        return x, y, w, h, net

    aspect = full[0] / full[1]
    w = max(need_w, need_h * aspect, W * MIN_SHARE)
    if w < W and w / aspect < H:
        return place(w, w / aspect, full)
    for net in inputs[:-1]:  # as tall as the frame: its full height, only as wide as needed
        w = H * net[0] / net[1]
        if need_w <= w < W:
            return place(w, H, net)
    return whole


def page_people(frame: np.ndarray, inputs: list, timings: list, crop_timings: list) -> list:
    """The page's people on a still frame: the whole frame at ``inputs[-1]``, then the crop
    around them at the input region() picks."""
    model = get_model("int8")

    def run(x, y, w, h, size, times):
        started = time.process_time()
        out = model.infer(np.ascontiguousarray(frame[y : y + h, x : x + w]), size)
        times.append(time.process_time() - started)
        people = decode_multi(out.heatmaps, out.pafs, out.scale, DEFAULT_THRESHOLD)
        shift = np.array([x, y, 0.0])
        return [np.where(p.keypoints[:, 2:] > 0, p.keypoints + shift, p.keypoints) for p in people]

    whole = run(0, 0, frame.shape[1], frame.shape[0], inputs[-1], timings)
    crop = region(whole, (frame.shape[1], frame.shape[0]), inputs)
    return run(*crop, crop_timings) if crop[2] < frame.shape[1] else whole


def gaps_to(truth: list, found: list) -> tuple[list, int, int]:
    """Gaps of joints both find (each true person against the page's nearest), the true
    joints and how many of them the page found."""
    gaps, total, matched = [], 0, 0
    for person in truth:
        shown = person.keypoints[:, 2] > 0
        total += int(shown.sum())
        best = None
        for other in found:
            both = shown & (other[:, 2] > 0)
            if both.sum():
                d = np.linalg.norm(person.keypoints[both, :2] - other[both, :2], axis=1)
                if best is None or np.median(d) < np.median(best):
                    best = d
        if best is not None:
            gaps += best.tolist()
            matched += len(best)
    return gaps, total, matched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["192x144", "256x192", "320x240"])
    parser.add_argument(
        "--no-crop-inputs",
        action="store_true",
        help="skip the page's rule with the narrower crop inputs (models/browser.py)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("POSE_THREADS", "1")
    photos = sorted(COCO_DIR.glob("*.jpg")) + sorted((EVAL_DIR / "photos").glob("*.jpg"))
    frames = [letterboxed(load_image(path)) for path in photos]
    truths = [estimate(frame).people for frame in frames]
    print(f"{len(frames)} photos at 640x480; CPU {cpu_model()}")
    header = f"{'input':>14} {'median px':>9} {'<=2 px':>7} {'<=12 px':>8} {'found':>6}"
    print(header + f" {'CPU ms/whole pass':>18} {'CPU ms/crop pass':>17}")
    rows = [(text, [tuple(int(v) for v in text.split("x"))]) for text in args.sizes]
    if not args.no_crop_inputs:
        rows.append((f"{LIVE_INPUT[0]}x{LIVE_INPUT[1]}+crops", list(LIVE_INPUTS)))
    for text, inputs in rows:
        gaps, total, matched, timings, crop_timings = [], 0, 0, [], []
        for frame, truth in zip(frames, truths, strict=True):
            found = page_people(frame, inputs, timings, crop_timings)
            g, t, m = gaps_to(truth, found)
            gaps, total, matched = gaps + g, total + t, matched + m
        g = np.array(gaps)
        crop_ms = f"{1000 * np.median(crop_timings):17.1f}" if crop_timings else f"{'-':>17}"
        print(
            f"{text:>14} {np.median(g):9.2f} {np.mean(g <= 2):7.2f} {np.mean(g <= 12):8.2f} "
            f"{matched / total:6.2f} {1000 * np.median(timings):18.1f} {crop_ms}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
