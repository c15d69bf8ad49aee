"""Exports a trained checkpoint to ONNX (+ manifest) in the runtime's yolov5 layout.

  /usr/bin/python3 models/export.py --ckpt models/work/csp.pt --out models/csp-shapes.onnx

Graph: input `images` float32 [batch, 3, 384, 512] (RGB, 0..1), output `output`
float32 [batch, 4032, 10] = cx, cy, w, h (input pixels), objectness, 5 class
scores, both already sigmoid'ed.  BatchNorm is folded into the convolutions
first, so the graph holds only Conv, LeakyRelu, Split, Concat, MaxPool, Resize,
Add, Mul, Exp, Sigmoid, Reshape, Transpose, Slice and shape arithmetic for the
dynamic batch dimension.  Opset 13: old enough for every onnxruntime 1.x still
in use, and for TensorRT.
"""

from __future__ import annotations

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import INPUT_H, INPUT_W  # noqa: E402
from net import fuse_bn  # noqa: E402
from scenes import LABELS  # noqa: E402

OPSET = 13

MANIFEST = """# csp-shapes: edgewatch's default detector (see models/README.md, the model card).
# Trained on synthetic scenes only: it finds five filled shapes, not people or cars.
format: yolov5
input: {{ width: {w}, height: {h}, color: rgb, scale: 0.00392156862745098, mean: [0, 0, 0], std: [1, 1, 1], letterbox: center, pad: 114 }}
labels: [{labels}]
"""


def export(ckpt: str, out: str, dynamic_batch: bool = True) -> None:
    from train import load_model

    model = fuse_bn(load_model(ckpt))
    model.eval()
    x = torch.zeros(1, 3, INPUT_H, INPUT_W)
    kw = {}
    if dynamic_batch:
        kw["dynamic_axes"] = {"images": {0: "batch"}, "output": {0: "batch"}}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(model, x, out, opset_version=OPSET, input_names=["images"], output_names=["output"],
                          do_constant_folding=True, **kw)
    import onnx

    m = onnx.load(out)
    onnx.checker.check_model(m)
    m.producer_name = "edgewatch models/export.py"
    m.doc_string = "csp-shapes: CSPDarknet-style detector trained on synthetic shapes (models/README.md)"
    onnx.save(m, out)
    with open(os.path.splitext(out)[0] + ".yaml", "w") as f:
        f.write(MANIFEST.format(labels=", ".join(LABELS), w=INPUT_W, h=INPUT_H))
    ops = sorted({n.op_type for n in m.graph.node})
    print(f"[export] {out}: {os.path.getsize(out)} bytes, ops: {', '.join(ops)}", flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--static-batch", action="store_true")
    a = ap.parse_args()
    export(a.ckpt, a.out, not a.static_batch)
