"""Generates the test clips and their ground truth (with object identities):

  /usr/bin/python3 models/make_clip.py --out models/clip/shapes-clip   (or: npm run model:clip)
  /usr/bin/python3 models/make_clip.py --scenario tracks --out models/clip/tracks-clip
  /usr/bin/python3 models/make_clip.py --truth-only ...   (the .json again, the .mp4 untouched)

shapes-clip (the detector's end-to-end clip):

640x480, 15 fps, 45 s, H.264 (x264, zerolatency so no B-frames, a key frame
every 2 s) in MP4.  Objects from the same renderer as the training frames move
in straight lines at constant speed while spinning slowly; they enter and leave
through the frame edges, small ones included.  The background is one static
generated scene whose lighting drifts slowly; sensor noise varies per frame.
Ground truth follows the training rule (>= 50 % of the object visible,
amodal box clipped to the frame).

The clip is deliberately no harder than the training distribution: fewer
objects at a time (3-8), mild blur, and no object below 16 px.

tracks-clip (tracking, events, zones and lines): 40 s of scripted trajectories on the
same kind of background, each object with an identity, chosen to be hard for a tracker in
known ways: two circles crossing each other (one covers the other), a triangle that stops
on the vertical centre line for 13 s, a square that leaves and a look-alike square (same
size and colour) that enters 8 s later, a star that walks into the bottom-left area, stays
and walks out, and plain traffic across the line both ways.

Truth frames: {"index", "pts", "objects": [{"id", "label", "class", "box"}]}; the same
object keeps its "id" in every frame it is visible in.
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


# Scripted objects of tracks-clip: class, size (px), colour, and waypoints (seconds, cx, cy):
# the object moves in straight lines at constant speed between waypoints (a repeated
# position is a stop) and exists from the first waypoint's time to the last's.
SCRIPT = [
    # two circles crossing mid-frame; the smaller one passes over the larger
    dict(id=1, cls=0, size=64, color=(230, 70, 60), path=[(0.5, -40, 170), (8.5, 680, 170)]),
    dict(id=2, cls=0, size=48, color=(60, 170, 240), path=[(0.5, 680, 182), (8.5, -40, 182)]),
    # a square that leaves to the right ...
    dict(id=3, cls=2, size=56, color=(240, 200, 40), path=[(1.0, 120, -40), (3.0, 120, 80), (11.0, 690, 80)]),
    # ... and its look-alike entering from the left later
    dict(id=4, cls=2, size=56, color=(240, 200, 40), path=[(19.0, -40, 80), (29.0, 690, 80)]),
    # a triangle that stops with its bottom centre on the centre line
    dict(id=5, cls=1, size=60, color=(90, 220, 90), path=[(9.0, -40, 300), (14.0, 322, 300), (27.0, 322, 300), (31.0, 690, 300)]),
    # a star into the bottom-left area, a stay, and out to the right across the line
    dict(id=6, cls=3, size=60, color=(220, 120, 230), path=[(13.0, 150, -40), (18.0, 150, 380), (23.0, 230, 400), (28.0, 690, 400)]),
    # traffic across the line, right to left and back
    dict(id=7, cls=4, size=58, color=(250, 150, 60), path=[(30.0, 690, 250), (37.0, -40, 230)]),
    dict(id=8, cls=0, size=52, color=(120, 120, 250), path=[(32.0, -40, 420), (39.5, 690, 380)]),
]


def scripted(t: float, rng_aux: dict) -> list:
    """The scripted objects present at time t (seconds), positioned on their paths."""
    out = []
    for o in SCRIPT:
        path = o["path"]
        if not (path[0][0] <= t <= path[-1][0]):
            continue
        for (t0, x0, y0), (t1, x1, y1) in zip(path, path[1:]):
            if t0 <= t <= t1:
                a = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
                cx, cy = x0 + a * (x1 - x0), y0 + a * (y1 - y0)
                break
        out.append(dict(id=o["id"], cls=o["cls"], cx=cx, cy=cy, size=o["size"], angle=0.15 * math.sin(t + o["id"]),
                        aux=rng_aux[o["id"]], color=o["color"], style=0, shade=0.6, shade_dir=0.0))
    return out


def overlaps(ob: dict, others: list) -> bool:
    for o in others:
        if math.hypot(ob["cx"] - o["cx"], ob["cy"] - o["cy"]) < (ob["size"] + o["size"]) * 0.5:
            return True
    return False


def random_traffic(rng: np.random.Generator, n_frames: int):
    """shapes-clip's objects frame by frame: 3..8 alive, new ones from the edges, straight lines."""
    objs: list = []
    next_id = 0
    for f in range(n_frames):
        target = 3 + int(2.5 * (1 + math.sin(f / (FPS * 7.0))))
        tries = 0
        while len(objs) < target and tries < 20:
            tries += 1
            ob = spawn(rng, f, from_edge=(f > 0))
            if not overlaps(ob, objs):
                next_id += 1
                ob["id"] = next_id
                objs.append(ob)
        yield objs
        # advance and retire objects that have left the frame
        for ob in objs:
            ob["cx"] += ob["vx"]
            ob["cy"] += ob["vy"]
            ob["angle"] += ob["spin"]
        objs = [o for o in objs if -o["size"] < o["cx"] < W + o["size"] and -o["size"] < o["cy"] < H + o["size"]]


def scripted_traffic(rng: np.random.Generator, n_frames: int):
    """tracks-clip's objects frame by frame (SCRIPT)."""
    aux = {o["id"]: float(rng.uniform(0.3, 0.7)) for o in SCRIPT}
    for f in range(n_frames):
        yield scripted(f / FPS, aux)


def make(out_base: str, seconds: int = 45, seed: int = 20240, bitrate_kbps: int = 700,
         scenario: str = "shapes", truth_only: bool = False) -> dict:
    rng = np.random.default_rng(seed)
    n_frames = seconds * FPS
    bg = scenes.background(rng, W, H, clutter=(10, 30))
    light_phase = rng.uniform(0, 2 * math.pi, 3)
    traffic = (scripted_traffic if scenario == "tracks" else random_traffic)(rng, n_frames)
    frames_meta = []
    tmp = tempfile.mkdtemp(prefix="ew-clip-")
    raw_path = os.path.join(tmp, "clip.rgb")
    mp4 = out_base + ".mp4"
    try:
        with open(raw_path, "wb") as raw:
            for f, objs in enumerate(traffic):
                img = bg.copy()
                frame_rng = np.random.default_rng(seed * 100000 + f)
                truth = scenes.draw_objects(img, objs)
                frames_meta.append({"index": f, "pts": round(f / FPS, 6),
                                    "objects": [{"id": objs[o["index"]]["id"], "label": o["label"], "class": o["cls"],
                                                 "box": o["box"]} for o in truth]})
                if truth_only:
                    continue
                # slow lighting drift (a few percent per second) instead of per-frame jumps
                gain = 1.0 + 0.18 * math.sin(f / (FPS * 9.0) + light_phase[0])
                img = np.clip(img.astype(np.float32) * gain, 0, 255).astype(np.uint8)
                if (f // (FPS * 10)) % 2 == 1:  # every other 10 s: slight defocus
                    import cv2

                    img = cv2.GaussianBlur(img, (0, 0), 0.8)
                n = frame_rng.normal(0, 3.0, img.shape).astype(np.float32)
                img = np.clip(img.astype(np.float32) + n, 0, 255).astype(np.uint8)
                raw.write(img.tobytes())
        if not truth_only:
            os.makedirs(os.path.dirname(os.path.abspath(mp4)), exist_ok=True)
            cmd = (f"gst-launch-1.0 -q filesrc location={raw_path} blocksize={W * H * 3} ! rawvideoparse width={W} height={H} "
                   f"format=rgb framerate={FPS}/1 ! videoconvert ! video/x-raw,format=I420 ! "
                   f"x264enc bitrate={bitrate_kbps} key-int-max={2 * FPS} tune=zerolatency speed-preset=medium threads=2 "
                   f"! video/x-h264,profile=main ! h264parse ! mp4mux ! filesink location={mp4}")
            subprocess.run(cmd, shell=True, check=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    truth = {"width": W, "height": H, "fps": FPS, "labels": scenes.LABELS,
             "generator": {"script": "models/make_clip.py", "scenario": scenario, "seed": seed, "seconds": seconds,
                           "bitrate_kbps": bitrate_kbps},
             "frames": frames_meta}
    with open(out_base + ".json", "w") as fh:
        json.dump(truth, fh, separators=(",", ":"))
    n_obj = sum(len(fr["objects"]) for fr in frames_meta)
    ids = {o["id"] for fr in frames_meta for o in fr["objects"]}
    what = "truth only" if truth_only else f"{mp4}: {os.path.getsize(mp4)} bytes"
    print(f"[clip] {what}, {n_frames} frames, {n_obj} labelled objects, {len(ids)} identities", flush=True)
    return truth


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "clip", "shapes-clip"))
    ap.add_argument("--seconds", type=int, default=45)
    ap.add_argument("--seed", type=int, default=20240)
    ap.add_argument("--bitrate", type=int, default=700)
    ap.add_argument("--scenario", choices=["shapes", "tracks"], default="shapes")
    ap.add_argument("--truth-only", action="store_true", help="write the .json only (the .mp4 stays as it is)")
    a = ap.parse_args()
    make(a.out, a.seconds, a.seed, a.bitrate, a.scenario, a.truth_only)
