"""Procedural scene generator for the csp-shapes detector.

Every frame is synthetic: a textured, cluttered background, a handful of filled
shapes of five classes, then camera-like degradations (lighting, blur, noise,
compression).  Everything is driven by a numpy Generator, so a seed reproduces
a frame bit for bit (given the same numpy/OpenCV build).

The same drawing code renders the still training/evaluation frames and the
moving test clip (make_clip.py), so the clip stays inside the training
distribution.

Ground truth rule (used everywhere, training, evaluation and clip): an object
is labelled when at least VISIBLE_MIN of its area is visible (inside the frame
and not covered by later objects); its box is the full (amodal) box of the
shape clipped to the frame.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

LABELS = ["circle", "triangle", "square", "star", "cross"]
FRAME_W, FRAME_H = 640, 480
VISIBLE_MIN = 0.5
# Letters used as clutter; X, O, 0, + and T are left out because they could be
# read as a cross, circle or triangle and would poison the labels.
CLUTTER_CHARS = "ABEFGHKLMNPRSUVWYZ23456789#%&?"


# --------------------------------------------------------------------------
# shapes


def shape_polygon(cls: int, cx: float, cy: float, size: float, angle: float, aux: float) -> np.ndarray:
    """Vertices (float, Nx2) of a class shape; size is the circumscribed diameter.

    aux is a per-object shape parameter in [0, 1) (star inner radius, cross arm
    width, triangle irregularity) so instances of a class are not clones.
    """
    r = size / 2.0
    if cls == 0:  # circle: a 64-gon is indistinguishable from a circle at these sizes
        t = np.linspace(0, 2 * math.pi, 64, endpoint=False)
        pts = np.stack([np.cos(t), np.sin(t)], 1) * r
    elif cls == 1:  # triangle, mildly irregular
        jitter = (aux - 0.5) * 0.3
        t = np.array([0.0, 2 * math.pi / 3 + jitter, 4 * math.pi / 3 - jitter])
        pts = np.stack([np.cos(t), np.sin(t)], 1) * r
    elif cls == 2:  # square
        t = np.arange(4) * (math.pi / 2) + math.pi / 4
        pts = np.stack([np.cos(t), np.sin(t)], 1) * r
    elif cls == 3:  # five-pointed star
        inner = 0.38 + 0.14 * aux
        t = np.arange(10) * (math.pi / 5) - math.pi / 2
        rad = np.where(np.arange(10) % 2 == 0, 1.0, inner)
        pts = np.stack([np.cos(t) * rad, np.sin(t) * rad], 1) * r
    elif cls == 4:  # plus-shaped cross, arm half-width 0.26..0.38 of the arm length
        w = 0.26 + 0.12 * aux
        a = 1.0 / math.sqrt(1 + w * w)  # keeps the corners on the circumcircle
        w *= a
        pts = np.array([
            [w, a], [w, w], [a, w], [a, -w], [w, -w], [w, -a],
            [-w, -a], [-w, -w], [-a, -w], [-a, w], [-w, w], [-w, a],
        ]) * r
    else:
        raise ValueError(cls)
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    return pts @ rot.T + np.array([cx, cy])


def random_object(rng: np.random.Generator, w: int, h: int, size_range=(14.0, 180.0)) -> dict:
    lo, hi = size_range
    # log-uniform size, so small objects are as common as big ones
    size = float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    if rng.random() < 0.12:  # some objects straddle the frame edge
        cx = float(rng.choice([rng.uniform(-0.3, 0.15), rng.uniform(0.85, 1.3)]) * w) if rng.random() < 0.5 else float(rng.uniform(0, w))
        cy = float(rng.uniform(0, h)) if cx >= 0 and cx <= w and rng.random() < 0.5 else float(rng.uniform(-0.2 * h, 1.2 * h))
    else:
        cx, cy = float(rng.uniform(0.03 * w, 0.97 * w)), float(rng.uniform(0.03 * h, 0.97 * h))
    return dict(
        cls=int(rng.integers(len(LABELS))),
        cx=cx, cy=cy, size=size,
        angle=float(rng.uniform(0, 2 * math.pi)),
        aux=float(rng.random()),
        color=random_color(rng),
        style=int(rng.choice(3, p=[0.6, 0.25, 0.15])),  # solid, shaded, outlined
        shade=float(rng.uniform(0.45, 0.8)),
        shade_dir=float(rng.uniform(0, 2 * math.pi)),
    )


def random_color(rng: np.random.Generator) -> tuple:
    hsv = np.uint8([[[rng.integers(0, 180), rng.integers(40, 256), rng.integers(50, 256)]]])
    rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0]
    return tuple(int(v) for v in rgb)


def polygon_area(pts: np.ndarray) -> float:
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


def draw_objects(img: np.ndarray, objects: list, rng: np.random.Generator | None = None) -> list:
    """Draws objects in order (later ones cover earlier ones) onto img (HxWx3 uint8, RGB).

    Returns the ground truth: [{'class', 'label', 'box': [x1,y1,x2,y2], 'visible', 'index'}]
    for objects that pass the visibility rule (index: the object's position in `objects`).
    """
    h, w = img.shape[:2]
    owner = np.full((h, w), -1, np.int16)  # which object owns each pixel, for occlusion
    drawn = []
    for k, ob in enumerate(objects):
        pts = shape_polygon(ob["cls"], ob["cx"], ob["cy"], ob["size"], ob["angle"], ob["aux"])
        x1, y1 = pts.min(0)
        x2, y2 = pts.max(0)
        bx1, by1 = max(int(math.floor(x1)) - 1, 0), max(int(math.floor(y1)) - 1, 0)
        bx2, by2 = min(int(math.ceil(x2)) + 2, w), min(int(math.ceil(y2)) + 2, h)
        if bx2 <= bx1 or by2 <= by1:
            drawn.append((pts, 0))
            continue
        pw, ph = bx2 - bx1, by2 - by1
        # anti-aliased coverage mask at 1/16 px precision
        mask = np.zeros((ph, pw), np.uint8)
        local = np.round((pts - [bx1, by1]) * 16).astype(np.int32)
        cv2.fillPoly(mask, [local], 255, lineType=cv2.LINE_AA, shift=4)
        col = np.array(ob["color"], np.float32)
        if ob["style"] == 1:  # shaded: linear gradient across the shape, like side lighting
            yy, xx = np.mgrid[0:ph, 0:pw].astype(np.float32)
            d = (xx - (ob["cx"] - bx1)) * math.cos(ob["shade_dir"]) + (yy - (ob["cy"] - by1)) * math.sin(ob["shade_dir"])
            t = np.clip(0.5 + d / max(ob["size"], 1.0), 0, 1)[..., None]
            fill = col * (1 - t) + col * ob["shade"] * t
        else:
            fill = np.broadcast_to(col, (ph, pw, 3))
        alpha = mask.astype(np.float32)[..., None] / 255.0
        patch = img[by1:by2, bx1:bx2].astype(np.float32)
        patch = patch * (1 - alpha) + fill * alpha
        img[by1:by2, bx1:bx2] = np.clip(patch + 0.5, 0, 255).astype(np.uint8)
        if ob["style"] == 2:  # darker outline
            th = max(1, int(round(ob["size"] / 40)))
            cv2.polylines(img[by1:by2, bx1:bx2], [local], True,
                          tuple(int(v * 0.45) for v in ob["color"]), th, cv2.LINE_AA, shift=4)
        owner[by1:by2, bx1:bx2][mask > 127] = k
        drawn.append((pts, polygon_area(pts)))
    visible = np.bincount(owner.ravel() + 1, minlength=len(objects) + 1)[1:]
    truth = []
    for k, (ob, (pts, area)) in enumerate(zip(objects, drawn)):
        if area <= 0:
            continue
        frac = float(visible[k]) / area
        if frac < VISIBLE_MIN:
            continue
        x1, y1 = pts.min(0)
        x2, y2 = pts.max(0)
        box = [float(np.clip(x1, 0, w)), float(np.clip(y1, 0, h)), float(np.clip(x2, 0, w)), float(np.clip(y2, 0, h))]
        truth.append(dict(cls=ob["cls"], label=LABELS[ob["cls"]], box=[round(v, 2) for v in box],
                          visible=round(min(frac, 1.0), 3), index=k))
    return truth


# --------------------------------------------------------------------------
# backgrounds


def background(rng: np.random.Generator, w: int = FRAME_W, h: int = FRAME_H, clutter: tuple = (8, 40)) -> np.ndarray:
    """Textured background plus clutter that is never one of the classes."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    c1 = np.array(random_color(rng), np.float32)
    c2 = np.array(random_color(rng), np.float32)
    if rng.random() < 0.5:  # low-contrast scenes are common in real cameras
        c2 = c1 * 0.6 + c2 * 0.4
    th = rng.uniform(0, 2 * math.pi)
    g = (xx * math.cos(th) + yy * math.sin(th))
    g = (g - g.min()) / max(g.max() - g.min(), 1)
    img = c1 * (1 - g[..., None]) + c2 * g[..., None]
    # low-frequency blotches
    lo = rng.normal(0, 1, (int(rng.integers(3, 9)), int(rng.integers(4, 12)), 3)).astype(np.float32)
    img += cv2.resize(lo, (w, h), interpolation=cv2.INTER_CUBIC) * rng.uniform(5, 30)
    kind = rng.integers(5)
    if kind == 1:  # stripes
        f = rng.uniform(0.02, 0.25)
        a = rng.uniform(0, math.pi)
        s = np.sin((xx * math.cos(a) + yy * math.sin(a)) * f)
        img += (s[..., None] * rng.uniform(8, 35)) * np.array(random_color(rng), np.float32) / 255.0
    elif kind == 2:  # checker / tiles
        p = int(rng.integers(8, 60))
        chk = (((xx // p) + (yy // p)) % 2).astype(np.float32) - 0.5
        img += chk[..., None] * rng.uniform(10, 40)
    elif kind == 3:  # fabric-like: sum of random sinusoids
        acc = np.zeros((h, w), np.float32)
        for _ in range(4):
            f = rng.uniform(0.03, 0.4)
            a = rng.uniform(0, math.pi)
            acc += np.sin((xx * math.cos(a) + yy * math.sin(a)) * f + rng.uniform(0, 6))
        img += acc[..., None] * rng.uniform(3, 10)
    elif kind == 4:  # grain
        n = rng.normal(0, 1, (h // 2, w // 2, 1)).astype(np.float32)
        img += cv2.resize(n, (w, h))[..., None] * rng.uniform(6, 20)
    img = np.clip(img, 0, 255).astype(np.uint8)
    draw_clutter(img, rng, int(rng.integers(clutter[0], clutter[1] + 1)))
    return img


def draw_clutter(img: np.ndarray, rng: np.random.Generator, n: int) -> None:
    h, w = img.shape[:2]
    for _ in range(n):
        col = random_color(rng)
        kind = rng.integers(7)
        x, y = int(rng.integers(-20, w + 20)), int(rng.integers(-20, h + 20))
        if kind == 0:  # straight line
            x2, y2 = x + int(rng.normal(0, 150)), y + int(rng.normal(0, 150))
            cv2.line(img, (x, y), (x2, y2), col, int(rng.integers(1, 4)), cv2.LINE_AA)
        elif kind == 1:  # wiggly polyline
            pts = np.cumsum(rng.normal(0, 25, (int(rng.integers(3, 8)), 2)), 0) + [x, y]
            cv2.polylines(img, [pts.astype(np.int32)], False, col, int(rng.integers(1, 4)), cv2.LINE_AA)
        elif kind == 2:  # elongated filled ellipse (aspect >= 2.2, so never a circle)
            a = rng.uniform(6, 60)
            cv2.ellipse(img, (x, y), (int(a), max(1, int(a / rng.uniform(2.2, 5)))), float(rng.uniform(0, 180)), 0, 360, col, -1, cv2.LINE_AA)
        elif kind == 3:  # arc (partial ellipse outline)
            a = int(rng.uniform(8, 60))
            s = float(rng.uniform(0, 360))
            cv2.ellipse(img, (x, y), (a, int(a * rng.uniform(0.4, 1))), float(rng.uniform(0, 180)), s, s + float(rng.uniform(40, 220)), col, int(rng.integers(1, 4)), cv2.LINE_AA)
        elif kind == 4:  # lumpy blob: strongly non-circular radial profile
            r = rng.uniform(8, 45)
            t = np.linspace(0, 2 * math.pi, 40, endpoint=False)
            prof = 1 + rng.uniform(0.25, 0.45) * np.cos(2 * t + rng.uniform(0, 6)) + rng.uniform(0, 0.2) * np.cos(3 * t + rng.uniform(0, 6))
            pts = np.stack([np.cos(t) * prof, np.sin(t) * prof], 1) * r + [x, y]
            cv2.fillPoly(img, [pts.astype(np.int32)], col, cv2.LINE_AA)
        elif kind == 5:  # long bar (aspect >= 3, so never a square)
            L = rng.uniform(20, 120)
            t = L / rng.uniform(3, 8)
            a = rng.uniform(0, math.pi)
            d = np.array([math.cos(a), math.sin(a)])
            nrm = np.array([-d[1], d[0]])
            pts = np.array([d * L / 2 + nrm * t / 2, d * L / 2 - nrm * t / 2, -d * L / 2 - nrm * t / 2, -d * L / 2 + nrm * t / 2]) + [x, y]
            cv2.fillPoly(img, [pts.astype(np.int32)], col, cv2.LINE_AA)
        else:  # text
            s = "".join(rng.choice(list(CLUTTER_CHARS), int(rng.integers(1, 5))))
            cv2.putText(img, s, (x, y), int(rng.choice([0, 2, 3, 4])), float(rng.uniform(0.4, 1.6)), col, int(rng.integers(1, 3)), cv2.LINE_AA)


# --------------------------------------------------------------------------
# camera degradations


def lighting(img: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Global gain/gamma plus a smooth illumination gradient (shadow / hot spot)."""
    h, w = img.shape[:2]
    gain = math.exp(rng.normal(0, 0.25 * strength))
    gamma = math.exp(rng.normal(0, 0.2 * strength))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = rng.uniform(0, 2 * math.pi)
    g = ((xx - w / 2) * math.cos(a) + (yy - h / 2) * math.sin(a)) / max(w, h)
    field = gain * (1 + rng.uniform(-0.5, 0.5) * strength * g)
    x = (img.astype(np.float32) / 255.0) ** gamma * field[..., None]
    return np.clip(x * 255 + 0.5, 0, 255).astype(np.uint8)


def blur(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    u = rng.random()
    if u < 0.45:
        return cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.3))
    if u < 0.6:  # motion blur along a random direction
        k = int(rng.integers(3, 8))
        ker = np.zeros((k, k), np.float32)
        ker[k // 2, :] = 1
        ker = cv2.warpAffine(ker, cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), float(rng.uniform(0, 180)), 1.0), (k, k))
        ker /= max(ker.sum(), 1e-6)
        return cv2.filter2D(img, -1, ker)
    return img


def noise(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if rng.random() < 0.3:
        return img
    sigma = rng.uniform(1, 9)
    n = rng.normal(0, sigma, img.shape).astype(np.float32)
    return np.clip(img.astype(np.float32) + n, 0, 255).astype(np.uint8)


def jpeg(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """JPEG round trip at random quality: blocky DCT artefacts like a cheap H.264 stream."""
    if rng.random() < 0.1:
        return img
    q = int(rng.integers(20, 91))
    ok, buf = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, q])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].copy()


# --------------------------------------------------------------------------
# full frames


def place_objects(rng: np.random.Generator, n: int, w: int = FRAME_W, h: int = FRAME_H, max_overlap: float = 0.3) -> list:
    """Random objects whose bounding boxes overlap each other by at most max_overlap
    of the smaller box, so occlusion happens but rarely hides an object."""
    objs: list = []
    tries = 0
    while len(objs) < n and tries < n * 20:
        tries += 1
        ob = random_object(rng, w, h)
        r = ob["size"] / 2
        b = (ob["cx"] - r, ob["cy"] - r, ob["cx"] + r, ob["cy"] + r)
        ok = True
        for o in objs:
            q = o["size"] / 2
            c = (o["cx"] - q, o["cy"] - q, o["cx"] + q, o["cy"] + q)
            iw = min(b[2], c[2]) - max(b[0], c[0])
            ih = min(b[3], c[3]) - max(b[1], c[1])
            if iw > 0 and ih > 0 and iw * ih > max_overlap * min(r, q) ** 2 * 4:
                ok = False
                break
        if ok:
            objs.append(ob)
    return objs


def render_frame(seed: int, compress: bool = True, n_range=(1, 12)) -> tuple:
    """One complete synthetic frame (640x480 RGB uint8) and its ground truth."""
    rng = np.random.default_rng(seed)
    img = background(rng)
    objs = place_objects(rng, int(rng.integers(n_range[0], n_range[1] + 1)))
    truth = draw_objects(img, objs)
    if rng.random() < 0.3:  # thin clutter in front of objects: partial occlusion
        draw_clutter(img, rng, int(rng.integers(1, 5)))
    img = lighting(img, rng)
    img = blur(img, rng)
    img = noise(img, rng)
    if compress:
        img = jpeg(img, rng)
    return img, truth


def letterbox_size(w: int, h: int, out_w: int, out_h: int) -> tuple:
    """Scale and content size when fitting (w,h) into out_w x out_h, keeping aspect."""
    s = min(out_w / w, out_h / h)
    return s, int(round(w * s)), int(round(h * s))


if __name__ == "__main__":  # quick look: python3 models/scenes.py out.png [seed]
    import sys

    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    im, gt = render_frame(seed)
    vis = im.copy()
    for o in gt:
        x1, y1, x2, y2 = (int(round(v)) for v in o["box"])
        cv2.rectangle(vis, (x1, y1), (x2, y2), (255, 0, 0), 1)
        cv2.putText(vis, o["label"][:3], (x1, max(y1 - 2, 8)), 0, 0.35, (255, 255, 255), 1)
    cv2.imwrite(sys.argv[1], vis[..., ::-1])
    print(gt)
