"""Generates the test clip: models/clip/shapes-clip.mp4 + shapes-clip.json.

  /usr/bin/python3 models/make_clip.py --out models/clip/shapes-clip   (or: npm run model:clip)

640x480, 15 fps, 45 s, H.264 (x264, zerolatency so no B-frames, a key frame
every 2 s) in MP4.  Objects from the same renderer as the training frames move
in straight lines at constant speed while spinning slowly; they enter and leave
through the frame edges, small ones included.  The background is one static
generated scene whose lighting drifts slowly; sensor noise varies per frame.
Ground truth follows the training rule (>= 50 % of the object visible,
amodal box clipped to the frame).

The clip is deliberately no harder than the training distribution: fewer
objects at a time (3-8), mild blur, and no object below 16 px.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenes  # noqa: E402

W, H, FPS = scenes.FRAME_W, scenes.FRAME_H, 15


def spawn(rng: np.random.Generator, t0: int, from_edge: bool) -> dict:
    ob = scenes.random_object(rng, W, H, size_range=(16.0, 150.0))
    speed = rng.uniform(20, 90) / FPS  # px per frame
    if from_edge:
        # start just outside a random edge, heading inwards
        edge = int(rng.integers(4))
        r = ob["size"] / 2
        if edge == 0:
            ob["cx"], ob["cy"], a = -r, rng.uniform(0.1, 0.9) * H, rng.uniform(-0.6, 0.6)
        elif edge == 1:
            ob["cx"], ob["cy"], a = W + r, rng.uniform(0.1, 0.9) * H, math.pi + rng.uniform(-0.6, 0.6)
        elif edge == 2:
            ob["cx"], ob["cy"], a = rng.uniform(0.1, 0.9) * W, -r, math.pi / 2 + rng.uniform(-0.6, 0.6)
        else:
            ob["cx"], ob["cy"], a = rng.uniform(0.1, 0.9) * W, H + r, -math.pi / 2 + rng.uniform(-0.6, 0.6)
    else:
        ob["cx"], ob["cy"] = rng.uniform(0.1, 0.9) * W, rng.uniform(0.1, 0.9) * H
        a = rng.uniform(0, 2 * math.pi)
    ob["vx"], ob["vy"] = speed * math.cos(a), speed * math.sin(a)
    ob["spin"] = rng.uniform(-1.0, 1.0) / FPS  # rad per frame
    ob["born"] = t0
    return ob


def overlaps(ob: dict, others: list) -> bool:
    for o in others:
        if math.hypot(ob["cx"] - o["cx"], ob["cy"] - o["cy"]) < (ob["size"] + o["size"]) * 0.5:
            return True
    return False


def make(out_base: str, seconds: int = 45, seed: int = 20240, bitrate_kbps: int = 700) -> dict:
    rng = np.random.default_rng(seed)
    n_frames = seconds * FPS
    bg = scenes.background(rng, W, H, clutter=(10, 30))
    light_phase = rng.uniform(0, 2 * math.pi, 3)
    objs: list = []
    frames_meta = []
    tmp = tempfile.mkdtemp(prefix="ew-clip-")
    raw_path = os.path.join(tmp, "clip.rgb")
    try:
        with open(raw_path, "wb") as raw:
            for f in range(n_frames):
                # keep 3..8 objects alive; new ones come in from the edges
                target = 3 + int(2.5 * (1 + math.sin(f / (FPS * 7.0))))
                tries = 0
                while len(objs) < target and tries < 20:
                    tries += 1
                    ob = spawn(rng, f, from_edge=(f > 0))
                    if not overlaps(ob, objs):
                        objs.append(ob)
                img = bg.copy()
                frame_rng = np.random.default_rng(seed * 100000 + f)
                truth = scenes.draw_objects(img, objs)
                # slow lighting drift (a few percent per second) instead of per-frame jumps
                gain = 1.0 + 0.18 * math.sin(f / (FPS * 9.0) + light_phase[0])
                img = np.clip(img.astype(np.float32) * gain, 0, 255).astype(np.uint8)
                if (f // (FPS * 10)) % 2 == 1:  # every other 10 s: slight defocus
                    import cv2

                    img = cv2.GaussianBlur(img, (0, 0), 0.8)
                n = frame_rng.normal(0, 3.0, img.shape).astype(np.float32)
                img = np.clip(img.astype(np.float32) + n, 0, 255).astype(np.uint8)
                raw.write(img.tobytes())
                frames_meta.append({"index": f, "pts": round(f / FPS, 6),
                                    "objects": [{"label": o["label"], "class": o["cls"], "box": o["box"]} for o in truth]})
                # advance and retire objects that have left the frame
                for ob in objs:
                    ob["cx"] += ob["vx"]
                    ob["cy"] += ob["vy"]
                    ob["angle"] += ob["spin"]
                objs = [o for o in objs if -o["size"] < o["cx"] < W + o["size"] and -o["size"] < o["cy"] < H + o["size"]]
        mp4 = out_base + ".mp4"
        os.makedirs(os.path.dirname(os.path.abspath(mp4)), exist_ok=True)
        cmd = (f"gst-launch-1.0 -q filesrc location={raw_path} blocksize={W * H * 3} ! rawvideoparse width={W} height={H} "
               f"format=rgb framerate={FPS}/1 ! videoconvert ! video/x-raw,format=I420 ! "
               f"x264enc bitrate={bitrate_kbps} key-int-max={2 * FPS} tune=zerolatency speed-preset=medium threads=2 "
               f"! video/x-h264,profile=main ! h264parse ! mp4mux ! filesink location={mp4}")
        subprocess.run(cmd, shell=True, check=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    truth = {"width": W, "height": H, "fps": FPS, "labels": scenes.LABELS,
             "generator": {"script": "models/make_clip.py", "seed": seed, "seconds": seconds, "bitrate_kbps": bitrate_kbps},
             "frames": frames_meta}
    with open(out_base + ".json", "w") as fh:
        json.dump(truth, fh, separators=(",", ":"))
    n_obj = sum(len(fr["objects"]) for fr in frames_meta)
    print(f"[clip] {mp4}: {os.path.getsize(mp4)} bytes, {n_frames} frames, {n_obj} labelled objects", flush=True)
    return truth


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "clip", "shapes-clip"))
    ap.add_argument("--seconds", type=int, default=45)
    ap.add_argument("--seed", type=int, default=20240)
    ap.add_argument("--bitrate", type=int, default=700)
    a = ap.parse_args()
    make(a.out, a.seconds, a.seed, a.bitrate)
