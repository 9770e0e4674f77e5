"""The accurate photo mode's parameters, one at a time, on every labeled set.

    .venv/bin/python -m benchmarks.photo_sweep [--jitter] [--params scales,target,...]

Each row changes one field of ``pose.photo.modes.ACCURATE`` (the defaults) and prints each set's
figure (as ``benchmarks/accuracy.py``), people found / labeled, and the mean over sets. The
first row is the fast single pass, the second the defaults. ``--jitter`` scores every row at
five input boxes (balanced -16 to +16 pixels) and prints their mean: one box alone moves
the AP of these small sets by up to 0.1. Network outputs are cached per (photo, box, flip),
so rows that only change the fusion cost no inference; times are not measured here (see
``benchmarks/accuracy.py`` and ``benchmarks/photo_speed.py``).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
from dataclasses import replace

import numpy as np

from benchmarks import eval_sets
from benchmarks.accuracy import JITTER_STEPS, set_header, set_table
from pose.media.images import load_image
from pose.network.registry import get_model
from pose.network.spec import PRESETS, NetOutput
from pose.photo.modes import ACCURATE, PhotoOptions, estimate_photo


class CachedModel:
    """The real model, memoised on (image content, box): the sweep reruns the same passes."""

    def __init__(self) -> None:
        self.model = get_model()
        self.cache: dict[tuple[bytes, tuple[int, int]], NetOutput] = {}

    def infer(self, image: np.ndarray, box: tuple[int, int]) -> NetOutput:
        digest = hashlib.blake2b(np.ascontiguousarray(image).data, digest_size=16).digest()
        key = (digest + bytes(str(image.shape), "ascii"), tuple(box))
        if key not in self.cache:
            self.cache[key] = self.model.infer(image, box)
        return self.cache[key]


def variants() -> dict[str, list[tuple[str, PhotoOptions]]]:
    """Parameter -> [(label, options)], each changing that one field of the defaults."""
    a = ACCURATE
    return {
        "scales": [
            (f"scales {','.join(f'{s:g}' for s in scales)}", replace(a, scales=scales))
            for scales in [(1.0,), (0.6, 1.0), (1.0, 1.6), (0.6, 1.0, 1.6), (0.7, 1.0, 1.4),
                           (0.5, 0.8, 1.25, 2.0), (0.6, 1.0, 1.6, 2.2)]
        ],
        "target": [(f"target {t:g} px", replace(a, target=t)) for t in (200, 250, 300, 400, 500)],
        "same": [(f"same person at {s:g}", replace(a, same=s)) for s in (0.3, 0.5, 0.7)],
        "min_height": [
            (f"drop under {h:g} px", replace(a, min_height=h)) for h in (0, 40, 60, 80, 100)
        ],
        "flip": [(f"flip {f}", replace(a, flip=f)) for f in (False, True)],
        "dark_level": [
            (f"brighten below {d:g}", replace(a, dark_level=d)) for d in (0, 20, 40, 80, 256)
        ],
        "clahe": [(f"clahe {c:g}", replace(a, clahe=c)) for c in (0, 2, 4)],
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jitter", action="store_true", help="mean of five box sizes per row")
    parser.add_argument("--params", help=f"comma-separated, from {','.join(variants())}")
    args = parser.parse_args(argv)
    table = variants()
    chosen = args.params.split(",") if args.params else list(table)
    model = CachedModel()
    sets = [(item, eval_sets.load_set(item)) for item in eval_sets.SETS]
    images = {
        (item.name, photo.image_id): load_image(photo.path)
        for item, photos in sets
        for photo in photos
    }
    width, height = PRESETS["balanced"]
    steps = JITTER_STEPS if args.jitter else (0,)

    def score(mode: str, options: PhotoOptions) -> list[eval_sets.SetScore]:
        rows = []
        for step in steps:
            box = (width + step, height + step)
            row = []
            for item, photos in sets:
                results = {
                    photo.image_id: estimate_photo(
                        images[(item.name, photo.image_id)], mode, box, model=model,
                        options=options,
                    ).people
                    for photo in photos
                }  # fmt: skip
                row.append(eval_sets.score_set(item, photos, results))
            rows.append(row)
        return eval_sets.mean_scores(rows)

    fast = score("fast", ACCURATE)
    print(f"{len(steps)} box size(s) per row: balanced {list(steps)} px")
    print(set_header(fast))
    print(set_table("fast (one pass)", fast))
    print(set_table("accurate (defaults)", score("accurate", ACCURATE)), flush=True)
    for name in chosen:
        print(f"-- {name}")
        for label, options in table[name]:
            print(set_table(label, score("accurate", options)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
