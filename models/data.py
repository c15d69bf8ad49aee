"""Builds the training / held-out sets as letterboxed model inputs.

Training frames: rendered at 640x480, JPEG round trip at random quality (a
stand-in for H.264 blockiness), then scaled into the 512x384 model input with a
random choice of area or bilinear resampling (the runtime's scaler may be
either).  The model input is 512x384 (4:3, like the 640x480 scenes and most
cameras), so a 640x480 frame fills it exactly at scale 0.8 with no letterbox
pad; other aspect ratios get pad bands at run time, which training imitates
with a pad margin around each frame (train.py).

Held-out frames: rendered WITHOUT the JPEG step, then pushed through a real
H.264 encode/decode (gst-launch-1.0 x264enc -> avdec_h264), then letterboxed.

Storage: <dir>/images.npy (uint8 [N, 384, 512, 3], the letterbox content) and
<dir>/labels.json ([[ [cls, x1, y1, x2, y2] in content pixels ], ...] per frame).
Seeds: frame i of a set uses seed  base + i; training sets use base 1_000_000,
held-out 9_000_000, so the sets never share a frame.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from multiprocessing import Pool

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenes  # noqa: E402

# model input (width, height); export.py writes it into the manifest
INPUT_W, INPUT_H = 512, 384
TRAIN_SEED = 1_000_000
HELDOUT_SEED = 9_000_000


def _content_geometry():
    s, nw, nh = scenes.letterbox_size(scenes.FRAME_W, scenes.FRAME_H, INPUT_W, INPUT_H)
    return s, nw, nh, (INPUT_W - nw) // 2, (INPUT_H - nh) // 2


def _train_item(seed: int):
    img, truth = scenes.render_frame(seed, compress=True)
    s, nw, nh, _, _ = _content_geometry()
    interp = cv2.INTER_AREA if (seed % 2 == 0) else cv2.INTER_LINEAR
    small = cv2.resize(img, (nw, nh), interpolation=interp)
    boxes = [[o["cls"]] + [round(v * s, 2) for v in o["box"]] for o in truth]
    return small, boxes


def build_train(out_dir: str, n: int, base: int = TRAIN_SEED, procs: int = 2) -> None:
    os.makedirs(out_dir, exist_ok=True)
    _, nw, nh, _, _ = _content_geometry()
    arr = np.lib.format.open_memmap(os.path.join(out_dir, "images.npy"), "w+", np.uint8, (n, nh, nw, 3))
    labels = []
    with Pool(procs) as pool:
        for i, (img, boxes) in enumerate(pool.imap(_train_item, range(base, base + n), chunksize=8)):
            arr[i] = img
            labels.append(boxes)
            if (i + 1) % 500 == 0:
                print(f"[data] {out_dir}: {i + 1}/{n}", flush=True)
    arr.flush()
    with open(os.path.join(out_dir, "labels.json"), "w") as f:
        json.dump(labels, f)


def _raw_item(seed: int):
    return scenes.render_frame(seed, compress=False)


def h264_roundtrip(frames_rgb: np.ndarray, fps: int = 15, bitrate_kbps: int = 2000, keep_mp4: str | None = None) -> np.ndarray:
    """Encodes [N,H,W,3] RGB frames with x264 and decodes them with avdec_h264.

    The held-out frames are unrelated scenes, so nearly every frame is a scene
    cut; 2000 kbit/s at 15 fps gives each ~17 KB, a visibly compressed frame
    similar to the test clip's quality."""
    n, h, w, _ = frames_rgb.shape
    tmp = tempfile.mkdtemp(prefix="ew-h264-")
    try:
        raw_in, mp4, raw_out = (os.path.join(tmp, x) for x in ("in.rgb", "out.mp4", "out.rgb"))
        frames_rgb.tofile(raw_in)
        enc = (f"gst-launch-1.0 -q filesrc location={raw_in} ! rawvideoparse width={w} height={h} format=rgb framerate={fps}/1 "
               f"! videoconvert ! video/x-raw,format=I420 ! x264enc bitrate={bitrate_kbps} key-int-max={2 * fps} tune=zerolatency "
               f"speed-preset=medium threads=2 ! h264parse ! mp4mux ! filesink location={mp4}")
        dec = (f"gst-launch-1.0 -q filesrc location={mp4} ! qtdemux ! h264parse ! avdec_h264 ! videoconvert "
               f"! video/x-raw,format=RGB ! filesink location={raw_out}")
        subprocess.run(enc, shell=True, check=True)
        subprocess.run(dec, shell=True, check=True)
        out = np.fromfile(raw_out, np.uint8)
        if out.size != n * h * w * 3:
            raise RuntimeError(f"H.264 round trip returned {out.size / (h * w * 3)} frames, expected {n}")
        if keep_mp4:
            shutil.copy(mp4, keep_mp4)
        return out.reshape(n, h, w, 3)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build_heldout(out_dir: str, n: int, base: int = HELDOUT_SEED, procs: int = 2) -> None:
    os.makedirs(out_dir, exist_ok=True)
    with Pool(procs) as pool:
        items = pool.map(_raw_item, range(base, base + n), chunksize=8)
    frames = np.stack([im for im, _ in items])
    decoded = h264_roundtrip(frames, keep_mp4=os.path.join(out_dir, "heldout.mp4"))
    s, nw, nh, _, _ = _content_geometry()
    arr = np.lib.format.open_memmap(os.path.join(out_dir, "images.npy"), "w+", np.uint8, (n, nh, nw, 3))
    for i in range(n):
        # bilinear, like GStreamer's videoscale default in the runtime pipeline
        arr[i] = cv2.resize(decoded[i], (nw, nh), interpolation=cv2.INTER_LINEAR)
    arr.flush()
    labels = [[[o["cls"]] + [round(v * s, 2) for v in o["box"]] for o in truth] for _, truth in items]
    with open(os.path.join(out_dir, "labels.json"), "w") as f:
        json.dump(labels, f)


def load(out_dir: str):
    imgs = np.load(os.path.join(out_dir, "images.npy"), mmap_mode="r")
    with open(os.path.join(out_dir, "labels.json")) as f:
        labels = json.load(f)
    return imgs, [np.array(b, np.float32).reshape(-1, 5) for b in labels]


def to_canvas(content: np.ndarray) -> np.ndarray:
    """Content band -> the full INPUT_W x INPUT_H centred letterbox with pad 114
    (for 640x480 scenes the content already is the whole input)."""
    _, nw, nh, px, py = _content_geometry()
    out = np.full((INPUT_H, INPUT_W, 3), 114, np.uint8)
    out[py:py + nh, px:px + nw] = content
    return out


def content_offset():
    _, _, _, px, py = _content_geometry()
    return px, py


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["train", "heldout"])
    ap.add_argument("out")
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--base", type=int)
    a = ap.parse_args()
    if a.kind == "train":
        build_train(a.out, a.n, a.base if a.base is not None else TRAIN_SEED)
    else:
        build_heldout(a.out, a.n, a.base if a.base is not None else HELDOUT_SEED)
