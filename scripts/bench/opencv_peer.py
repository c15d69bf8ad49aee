"""The peer of the throughput benchmark: what a plain Python/OpenCV script does with the
same model and file - cv2.VideoCapture decodes every frame, the frame is letterboxed as
the model's manifest says, cv2.dnn runs the ONNX model, boxes are decoded and NMS'd with
numpy and cv2.dnn.NMSBoxes. One loop, nothing else; OpenCV's DNN uses `--threads`.

  /usr/bin/python3 scripts/bench/opencv_peer.py MODEL.onnx FILE.mp4 --threads 2 --seconds 20
prints one JSON line: {"frames": n, "seconds": s, "fps": f, "objects": k}
"""

import argparse
import json
import sys
import time

import cv2
import numpy as np
import yaml


def letterbox(img, w, h, pad, centre):
    ih, iw = img.shape[:2]
    s = min(w / iw, h / ih)
    nw, nh = max(1, round(iw * s)), max(1, round(ih * s))
    out = np.full((h, w, 3), pad, np.uint8)
    dx, dy = ((w - nw) // 2, (h - nh) // 2) if centre else (0, 0)
    out[dy:dy + nh, dx:dx + nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return out, s, dx, dy


def decode(out, fmt, score, strides, w, h):
    """Rows of (x1, y1, x2, y2, score, class) in input pixels."""
    if fmt == "yolov8":
        p = out[0].T  # [N, 4 + C]
        cls = p[:, 4:].argmax(1)
        sc = p[np.arange(len(p)), 4 + cls]
        xywh = p[:, :4]
    else:
        p = out[0]  # [N, 5 + C]
        if fmt == "yolox":
            grids, st = [], []
            for s in strides:
                gy, gx = np.mgrid[0:h // s, 0:w // s]
                grids.append(np.stack([gx.ravel(), gy.ravel()], 1))
                st.append(np.full(((h // s) * (w // s), 1), s))
            g, s = np.concatenate(grids), np.concatenate(st)
            p = p.copy()
            p[:, :2] = (p[:, :2] + g) * s
            p[:, 2:4] = np.exp(p[:, 2:4]) * s
        cls = p[:, 5:].argmax(1)
        sc = p[:, 4] * p[np.arange(len(p)), 5 + cls]
        xywh = p[:, :4]
    keep = sc >= score
    xywh, sc, cls = xywh[keep], sc[keep], cls[keep]
    boxes = np.stack([xywh[:, 0] - xywh[:, 2] / 2, xywh[:, 1] - xywh[:, 3] / 2, xywh[:, 2], xywh[:, 3]], 1)
    # Class-aware NMS the usual way: offset each class's boxes so classes never overlap.
    off = boxes.copy()
    off[:, :2] += cls[:, None] * 4096.0
    idx = cv2.dnn.NMSBoxes(off.tolist(), sc.tolist(), score, 0.45) if len(sc) else []
    return [(*boxes[i], sc[i], cls[i]) for i in np.array(idx).ravel()]


def split_decode(model_path):
    """Our exporter ends the graph with the box decode (Slice -> Add grid -> Mul stride,
    Slice -> Clip -> Exp -> Mul stride, Slice -> Sigmoid, Concat), which OpenCV 4.6's ONNX
    importer cannot read (opset-13 Clip). A script writer would cut the graph before it
    and decode in numpy: returns (net, decode function) for such a model, else None."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(model_path)
    nodes = {o: n for n in m.graph.node for o in n.output}
    consts = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    consts.update({n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in m.graph.node if n.op_type == "Constant"})
    last = nodes.get(m.graph.output[0].name)
    if last is None or last.op_type != "Concat" or len(last.input) != 3:
        return None
    xy, wh, sg = (nodes.get(i) for i in last.input)
    if not (xy and wh and sg and xy.op_type == "Mul" and wh.op_type == "Mul" and sg.op_type == "Sigmoid"):
        return None
    add = nodes[xy.input[0]]
    grid, stride = consts[add.input[1]], consts[xy.input[1]]
    stride_wh = consts[wh.input[1]]
    raw_name = nodes[add.input[0]].input[0]
    cut = model_path[:-5] + ".raw.onnx"
    onnx.utils.extract_model(model_path, cut, [m.graph.input[0].name], [raw_name])
    net = cv2.dnn.readNetFromONNX(cut)

    def decoded(raw):
        r = raw.reshape(1, -1, raw.shape[-1])
        out = np.concatenate([(r[..., 0:2] + grid) * stride, np.exp(np.minimum(r[..., 2:4], 6.0)) * stride_wh,
                              1 / (1 + np.exp(-r[..., 4:]))], -1)
        return out
    return net, decoded


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("file")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--score", type=float, default=0.35)
    a = ap.parse_args()
    cv2.setNumThreads(a.threads)
    m = yaml.safe_load(open(a.model[:-5] + ".yaml")) if a.model.endswith(".onnx") else {}
    fmt = m.get("format", "yolov5")
    if fmt not in ("yolov5", "yolox", "yolov8"):
        print(json.dumps({"error": f"format {fmt} not supported by the peer script"}))
        return 1
    inp = m.get("input", {})
    w, h = int(inp.get("width", 640)), int(inp.get("height", 640))
    bgr = inp.get("color", "bgr" if fmt == "yolox" else "rgb") == "bgr"
    scale = float(inp.get("scale", 1.0 if fmt == "yolox" else 1 / 255))
    centre = inp.get("letterbox", "topleft" if fmt == "yolox" else "center") == "center"
    pad = int(inp.get("pad", 114))
    strides = m.get("strides", [8, 16, 32])
    post = None
    try:
        net = cv2.dnn.readNetFromONNX(a.model)
    except cv2.error:
        split = split_decode(a.model)
        if split is None:
            print(json.dumps({"error": "OpenCV cannot read this model"}))
            return 1
        net, post = split
    frames = objects = 0
    t0 = time.perf_counter()
    cap = cv2.VideoCapture(a.file)
    while time.perf_counter() - t0 < a.seconds:
        ok, frame = cap.read()
        if not ok:  # loop the file, like a camera that never ends
            cap.release()
            cap = cv2.VideoCapture(a.file)
            continue
        img, _, _, _ = letterbox(frame, w, h, pad, centre)
        blob = cv2.dnn.blobFromImage(img, scale, (w, h), swapRB=not bgr)
        net.setInput(blob)
        out = net.forward()
        if post is not None:
            out = post(out)
        objects += len(decode(out, fmt, a.score, strides, w, h))
        frames += 1
    dt = time.perf_counter() - t0
    print(json.dumps({"frames": frames, "seconds": round(dt, 3), "fps": round(frames / dt, 2), "objects": objects}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
