"""Where a model's errors are: recall by object size, with and without the class.

  /usr/bin/python3 models/tools/by_size.py models/work/csp.ort-preds.npy models/work/heldout

Reads raw predictions ([frames, N, 5+C], as models/tools/ort-eval.mjs writes them)
and the held-out set, applies the evaluator's post-processing, and prints:
  - mAP@0.5 per class (the headline metric) and class-agnostic mAP@0.5 (boxes only),
    the gap between the two being what wrong classes cost;
  - for each band of the longer box side (input pixels): how many objects, the share
    found by a detection scoring >= 0.1 at IoU >= 0.5 of any class, and of the right class.
The model card's "Where the missing points are" table is this output.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import data  # noqa: E402
import evaluate as ev  # noqa: E402

BANDS = [0, 12, 16, 24, 32, 48, 64, 96, 1e9]
MIN_SCORE = 0.1


def main(preds_path: str, data_dir: str) -> None:
    preds = np.load(preds_path)
    _, labels = data.load(data_dir)
    gts = ev.gts_in_input(labels)
    dets = [ev.postprocess(p) for p in preds]
    per_class = ev.average_precision(dets, gts, preds.shape[2] - 5)["mAP50"]
    # class-agnostic: one class whose score is objectness x the best class score
    one = [np.concatenate([p[:, :5], p[:, 5:].max(1, keepdims=True)], 1) for p in preds]
    dets_any = [ev.postprocess(p) for p in one]
    gts_any = [np.concatenate([np.zeros((len(g), 1)), g[:, 1:]], 1) if len(g) else g for g in gts]
    agnostic = ev.average_precision(dets_any, gts_any, 1)["mAP50"]
    print(f"mAP@0.5 per class {per_class:.4f}, class-agnostic {agnostic:.4f}")
    n = np.zeros(len(BANDS) - 1)
    found = np.zeros_like(n)
    right = np.zeros_like(n)
    for d, g in zip(dets, gts):
        if not len(g):
            continue
        side = np.maximum(g[:, 3] - g[:, 1], g[:, 4] - g[:, 2])
        band = np.digitize(side, BANDS) - 1
        d = d[d[:, 4] >= MIN_SCORE]
        iou = ev.box_iou(g[:, 1:5], d[:, :4]) if len(d) else np.zeros((len(g), 0))
        for k in range(len(g)):
            n[band[k]] += 1
            if iou.shape[1] and iou[k].max() >= 0.5:
                found[band[k]] += 1
            if iou.shape[1] and (iou[k] * (d[:, 5] == g[k, 0])).max() >= 0.5:
                right[band[k]] += 1
    print("longer side (px)   objects  found  right class")
    for i in range(len(n)):
        hi = "" if BANDS[i + 1] >= 1e9 else f"{BANDS[i + 1]:g}"
        band = f"{BANDS[i]:g}-{hi}" if hi else f">= {BANDS[i]:g}"
        print(f"{band:>16}  {int(n[i]):8d}  {found[i] / max(n[i], 1):5.3f}  {right[i] / max(n[i], 1):5.3f}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: by_size.py PREDS.npy HELDOUT_DIR")
    main(sys.argv[1], sys.argv[2])
