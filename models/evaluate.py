"""Scores a checkpoint (or predictions from the ONNX model) on the held-out set.

  /usr/bin/python3 models/evaluate.py --ckpt models/work/csp.pt --data models/work/heldout --out models/work/csp.eval.json

Metric: COCO-style AP (101-point interpolated precision/recall curve, greedy
matching of score-sorted detections to the best unmatched ground truth box per
class) averaged over the classes; mAP@0.5 and mAP@0.5:0.95 (IoU 0.50..0.95 step
0.05).  Post-processing is what the runtime does: score = objectness x best
class score, per-class NMS at IoU 0.5, up to 100 boxes per frame, score
threshold 0.001 (the usual threshold for computing mAP).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402

IOU_THRESHOLDS = np.round(np.arange(0.5, 0.96, 0.05), 2)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix between xyxy boxes a [M,4] and b [K,4]."""
    iw = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = iw * ih
    aa = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    ab = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(aa[:, None] + ab[None] - inter, 1e-9)


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> list:
    order = np.argsort(-scores, kind="stable")
    keep = []
    while len(order):
        i = order[0]
        keep.append(int(i))
        if len(order) == 1:
            break
        rest = order[1:]
        ov = box_iou(boxes[i:i + 1], boxes[rest])[0]
        order = rest[ov <= iou]
    return keep


def postprocess(pred: np.ndarray, conf: float = 0.001, iou: float = 0.5, max_det: int = 100, pre_nms: int = 1000) -> np.ndarray:
    """pred: [N, 5+C] (cx, cy, w, h, obj, cls...) of one image -> [K, 6] x1,y1,x2,y2,score,cls."""
    cls = pred[:, 5:].argmax(1)
    score = pred[:, 4] * pred[np.arange(len(pred)), 5 + cls]
    m = score > conf
    p, cls, score = pred[m], cls[m], score[m]
    if len(score) > pre_nms:
        top = np.argsort(-score, kind="stable")[:pre_nms]
        p, cls, score = p[top], cls[top], score[top]
    boxes = np.stack([p[:, 0] - p[:, 2] / 2, p[:, 1] - p[:, 3] / 2, p[:, 0] + p[:, 2] / 2, p[:, 1] + p[:, 3] / 2], 1)
    out = []
    for c in np.unique(cls):
        idx = np.nonzero(cls == c)[0]
        for k in nms(boxes[idx], score[idx], iou):
            j = idx[k]
            out.append([*boxes[j], score[j], c])
    out = np.array(out, np.float64).reshape(-1, 6)
    return out[np.argsort(-out[:, 4], kind="stable")[:max_det]]


def average_precision(dets: list, gts: list, num_classes: int) -> dict:
    """dets/gts: per image arrays; dets [K,6] (x1,y1,x2,y2,score,cls), gts [M,5] (cls,x1,y1,x2,y2)."""
    ap = np.zeros((num_classes, len(IOU_THRESHOLDS)))
    for c in range(num_classes):
        recs = []  # (score, image, box)
        n_gt = 0
        gt_c = []
        for i, (d, g) in enumerate(zip(dets, gts)):
            gc = g[g[:, 0] == c][:, 1:5] if len(g) else np.zeros((0, 4))
            gt_c.append(gc)
            n_gt += len(gc)
            for row in d[d[:, 5] == c]:
                recs.append((row[4], i, row[:4]))
        recs.sort(key=lambda r: -r[0])
        if n_gt == 0:
            ap[c] = np.nan
            continue
        for t, thr in enumerate(IOU_THRESHOLDS):
            used = [np.zeros(len(g), bool) for g in gt_c]
            tp = np.zeros(len(recs))
            for k, (_, i, b) in enumerate(recs):
                g = gt_c[i]
                if len(g) == 0:
                    continue
                ious = box_iou(b[None], g)[0]
                ious[used[i]] = -1
                j = int(np.argmax(ious))
                if ious[j] >= thr:
                    used[i][j] = True
                    tp[k] = 1
            ctp = np.cumsum(tp)
            recall = ctp / n_gt
            precision = ctp / np.arange(1, len(recs) + 1)
            # precision envelope, then sample at 101 recall points (COCO)
            for k in range(len(precision) - 2, -1, -1):
                precision[k] = max(precision[k], precision[k + 1])
            samples = np.linspace(0, 1, 101)
            idx = np.searchsorted(recall, samples, side="left")
            ap[c, t] = np.mean([precision[j] if j < len(precision) else 0.0 for j in idx])
    per_class = np.nanmean(ap, 1)
    return {
        "mAP50": float(np.nanmean(ap[:, 0])),
        "mAP50_95": float(np.nanmean(ap)),
        "AP50_per_class": [round(float(v), 4) for v in ap[:, 0]],
        "AP50_95_per_class": [round(float(v), 4) for v in per_class],
    }


def gts_in_input(labels: list) -> list:
    px, py = data.content_offset()
    out = []
    for t in labels:
        t = t.copy()
        if len(t):
            t[:, [1, 3]] += px
            t[:, [2, 4]] += py
        out.append(t)
    return out


def predict_torch(model, imgs, batch: int = 16) -> list:
    import torch

    preds = []
    with torch.no_grad():
        for i in range(0, len(imgs), batch):
            x = np.stack([data.to_canvas(im) for im in imgs[i:i + batch]])
            xt = torch.from_numpy(x).permute(0, 3, 1, 2).float().div_(255.0)
            preds.extend(model(xt).numpy())
    return preds


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", help="torch checkpoint from train.py")
    ap.add_argument("--preds", help="or: raw model outputs [N_img, N, 5+C] as .npy (e.g. from onnxruntime)")
    ap.add_argument("--data", required=True)
    ap.add_argument("--out")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    imgs, labels = data.load(a.data)
    if a.ckpt:
        import torch

        from train import load_model

        torch.set_num_threads(a.threads)
        preds = predict_torch(load_model(a.ckpt), imgs)
    else:
        preds = np.load(a.preds)
    from scenes import LABELS

    dets = [postprocess(p) for p in preds]
    res = average_precision(dets, gts_in_input(labels), len(LABELS))
    res.update({"frames": len(imgs), "objects": int(sum(len(t) for t in labels)), "source": a.ckpt or a.preds})
    print(json.dumps(res))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)
    return res


if __name__ == "__main__":
    main()
