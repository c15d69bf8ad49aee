"""Trains the csp-shapes detector (or its plain control) on CPU.

  /usr/bin/python3 models/train.py --arch csp --data models/work/train --steps 3000 --out models/work/csp.pt

Batches are random square crops of the 512x384 model input: objects keep
exactly the pixel scale they have at inference, but each step costs a third of
a full frame.  The network is fully convolutional, so it runs at 512x384 later.
A 32-pixel pad band (value 114) surrounds each frame and crops may reach into
it, so the model also learns the letterbox pad that other camera aspect ratios
produce at run time.

Assignment (fixed, no learned matching, cheap on CPU): each box goes to the
pyramid levels whose size range holds its longer side; on such a level the
cells whose centres lie within one stride (L-inf) of the box centre are
positives, a cell claimed by two boxes goes to the smaller box.
Losses: BCE objectness on all cells, BCE classes and (1 - GIoU) box loss on
positives, normalised by the number of positives, weighted box 5, objectness 1,
classes 2: the class of small shapes is where the errors are. Together with the
stride-4 link and bf16 steps, this weighting lifted a 1200-step run from mAP@0.5
0.52 to 0.70 (models/README.md, "What took it past 0.90").
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
from net import STRIDES, Detector, count_macs, count_params, grids_for  # noqa: E402

# longer box side (input pixels) handled by each level; ranges overlap so a
# box near a boundary trains both neighbours
LEVEL_RANGES = {8: (0.0, 40.0), 16: (24.0, 100.0), 32: (64.0, 1e9)}


def seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


PAD_MARGIN = 32


class Batcher:
    """Random crops (+ horizontal flip) from the stored letterbox content inside a pad
    margin; own RNG, so the batch sequence depends only on the seed."""

    def __init__(self, imgs, labels, crop: int, seed: int):
        self.imgs, self.labels, self.crop = imgs, labels, crop
        self.rng = np.random.default_rng(seed)
        px, py = data.content_offset()
        m = PAD_MARGIN
        # one reusable canvas: the pad ring stays 114, the content box is overwritten per sample
        self.canvas = np.full((data.INPUT_H + 2 * m, data.INPUT_W + 2 * m, 3), 114, np.uint8)
        self.cx, self.cy = px + m, py + m

    def batch(self, bs: int):
        c = self.crop
        x = np.empty((bs, c, c, 3), np.uint8)
        ch, cw = self.canvas.shape[:2]
        targets = []
        for b in range(bs):
            i = int(self.rng.integers(len(self.imgs)))
            img = self.imgs[i]
            self.canvas[self.cy:self.cy + img.shape[0], self.cx:self.cx + img.shape[1]] = img
            ox = int(self.rng.integers(0, cw - c + 1))
            oy = int(self.rng.integers(0, ch - c + 1))
            x[b] = self.canvas[oy:oy + c, ox:ox + c]
            t = self.labels[i].copy()
            if len(t):
                t[:, [1, 3]] += self.cx - ox
                t[:, [2, 4]] += self.cy - oy
                area0 = (t[:, 3] - t[:, 1]) * (t[:, 4] - t[:, 2])
                t[:, 1:5] = np.clip(t[:, 1:5], 0, c)
                area1 = (t[:, 3] - t[:, 1]) * (t[:, 4] - t[:, 2])
                # same visibility rule as the generator: keep if half is still in view
                t = t[(area1 >= 0.5 * np.maximum(area0, 1e-6)) & (area1 > 1)]
            if self.rng.random() < 0.5:
                x[b] = x[b, :, ::-1]
                if len(t):
                    t[:, [1, 3]] = c - t[:, [3, 1]]
            targets.append(torch.from_numpy(t))
        # NHWC in memory (channels_last): oneDNN's convolutions run ~15 % faster on it here
        xt = torch.from_numpy(x).permute(0, 3, 1, 2).float().div_(255.0).contiguous(memory_format=torch.channels_last)
        return xt, targets


def giou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """GIoU of matching rows of two xyxy box tensors."""
    iw = (torch.min(a[:, 2], b[:, 2]) - torch.max(a[:, 0], b[:, 0])).clamp(min=0)
    ih = (torch.min(a[:, 3], b[:, 3]) - torch.max(a[:, 1], b[:, 1])).clamp(min=0)
    inter = iw * ih
    ua = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    iou = inter / ua.clamp(min=1e-6)
    cw = torch.max(a[:, 2], b[:, 2]) - torch.min(a[:, 0], b[:, 0])
    ch = torch.max(a[:, 3], b[:, 3]) - torch.min(a[:, 1], b[:, 1])
    carea = (cw * ch).clamp(min=1e-6)
    return iou - (carea - ua) / carea


def assign(t: torch.Tensor, centers: torch.Tensor, strides: torch.Tensor):
    """Returns (pos_index [P], gt_index [P]) for one image."""
    if len(t) == 0:
        return torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long)
    box = t[:, 1:5]
    gc = (box[:, :2] + box[:, 2:]) / 2                      # [M,2]
    side = (box[:, 2:] - box[:, :2]).max(1).values          # [M]
    s = strides[:, 0]                                       # [N]
    lo = torch.tensor([LEVEL_RANGES[int(v)][0] for v in STRIDES])
    hi = torch.tensor([LEVEL_RANGES[int(v)][1] for v in STRIDES])
    lvl = torch.zeros_like(s, dtype=torch.long)
    for k, st in enumerate(STRIDES):
        lvl[s == st] = k
    in_range = (side[:, None] >= lo[lvl][None]) & (side[:, None] < hi[lvl][None])          # [M,N]
    d = (centers[None] - gc[:, None]).abs().max(-1).values                                # [M,N]
    near = d <= s[None] * 1.0
    cand = in_range & near
    if not cand.any():
        return torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long)
    area = ((box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1]))[:, None].expand_as(cand)
    cost = torch.where(cand, area, torch.full_like(area, float("inf")))
    best, gi = cost.min(0)
    pos = torch.nonzero(torch.isfinite(best)).squeeze(1)
    return pos, gi[pos]


def compute_loss(model: Detector, raw: torch.Tensor, targets, grid, stride, cls_weight: float):
    """raw: [B, N, 5+C].  Returns (total, parts dict)."""
    B, N, _ = raw.shape
    C = model.num_classes
    centers = grid * stride
    obj_t = torch.zeros(B, N)
    pos_raw, pos_box, pos_cls = [], [], []
    for b in range(B):
        pi, gi = assign(targets[b], centers, stride)
        if len(pi) == 0:
            continue
        obj_t[b, pi] = 1.0
        pos_raw.append(torch.cat([raw[b, pi], grid[pi], stride[pi]], 1))
        pos_box.append(targets[b][gi, 1:5])
        pos_cls.append(targets[b][gi, 0].long())
    n_pos = max(sum(len(p) for p in pos_raw), 1)
    l_obj = F.binary_cross_entropy_with_logits(raw[..., 4], obj_t, reduction="sum") / n_pos
    if pos_raw:
        pr = torch.cat(pos_raw)
        r, g, s = pr[:, :5 + C], pr[:, 5 + C:7 + C], pr[:, 7 + C:]
        dec = model.decode(r, g, s)
        pb = torch.cat([dec[:, :2] - dec[:, 2:4] / 2, dec[:, :2] + dec[:, 2:4] / 2], 1)
        l_box = (1.0 - giou(pb, torch.cat(pos_box))).sum() / n_pos
        cls_t = F.one_hot(torch.cat(pos_cls), C).float()
        l_cls = F.binary_cross_entropy_with_logits(r[:, 5:], cls_t, reduction="sum") / n_pos
    else:
        l_box = l_cls = raw.sum() * 0
    total = 5.0 * l_box + l_obj + cls_weight * l_cls
    return total, {"box": float(l_box), "obj": float(l_obj), "cls": float(l_cls)}


def train_state(model, opt, ema, batcher, step: int, run, hist, curve, elapsed: float, cpu: float) -> dict:
    """Everything a resumed run needs to continue exactly as an uninterrupted one: weights
    (with BN statistics), AdamW moments, the EMA copy and its counter, the crop RNG and the
    global RNGs, the step, the running loss and the logs so far."""
    return {"step": step, "model": model.state_dict(), "opt": opt.state_dict(),
            "ema": {"shadow": ema.shadow, "n": ema.n}, "batcher_rng": batcher.rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(), "np_rng": np.random.get_state(), "py_rng": random.getstate(),
            "run": run, "hist": hist, "curve": curve, "elapsed_s": elapsed, "cpu_s": cpu}


def save_atomic(obj, path: str) -> None:
    # write then rename: a run killed mid-save leaves the previous checkpoint intact
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


class EMA:
    """Exponential moving average of weights; the EMA copy is what gets exported
    (smoother than the last SGD iterate when the schedule is this short)."""

    def __init__(self, model: Detector, decay: float = 0.999, tau: float = 400.0):
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self.decay, self.tau, self.n = decay, tau, 0

    def update(self, model: Detector) -> None:
        self.n += 1
        d = self.decay * (1 - math.exp(-self.n / self.tau))
        with torch.no_grad():
            for k, v in model.state_dict().items():
                if v.dtype.is_floating_point:
                    self.shadow[k].mul_(d).add_(v.detach(), alpha=1 - d)
                else:
                    self.shadow[k].copy_(v)


class HeldoutEval:
    """Scores EMA weights on the held-out set during training (the study's curves): a
    separate float32 model in eval mode, so evaluating never touches the training state."""

    def __init__(self, args):
        import evaluate as ev

        self.ev = ev
        self.imgs, labels = data.load(args.eval_data)
        self.gts = ev.gts_in_input(labels)
        self.model = Detector(csp=(args.arch == "csp"), p2_link=args.p2_link, width_mult=args.width_mult)
        self.model.eval()

    def __call__(self, shadow: dict) -> dict:
        from scenes import LABELS

        self.model.load_state_dict(shadow)
        preds = self.ev.predict_torch(self.model, self.imgs)
        dets = [self.ev.postprocess(p) for p in preds]
        return self.ev.average_precision(dets, self.gts, len(LABELS))


def train(args) -> dict:
    torch.set_num_threads(args.threads)
    seed_all(args.seed)
    imgs, labels = data.load(args.data)
    model = Detector(csp=(args.arch == "csp"), p2_link=args.p2_link, width_mult=args.width_mult)
    if args.init:
        # warm start (second phase of a two-phase schedule): weights + BN statistics
        model.load_state_dict(torch.load(args.init, map_location="cpu")["state_dict"])
    info = {"arch": args.arch, "params": count_params(model), "macs": count_macs(model, data.INPUT_W, data.INPUT_H),
            "input": [data.INPUT_W, data.INPUT_H], "p2_link": args.p2_link, "precision": args.precision,
            "cls_weight": args.cls_weight, "width_mult": args.width_mult, "widths": model.widths}
    model = model.to(memory_format=torch.channels_last)
    tag = args.tag or args.arch
    print(f"[train] {tag}: params={info['params']} MACs@{data.INPUT_W}x{data.INPUT_H}={info['macs']} frames={len(imgs)} "
          f"steps={args.steps} batch={args.batch} crop={args.crop}", flush=True)
    batcher = Batcher(imgs, labels, args.crop, args.seed)
    grid, stride = grids_for(args.crop, args.crop)
    decay, no_decay = [], []
    for n_, p in model.named_parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.99))
    ema = EMA(model)
    warm = args.warmup if args.warmup >= 0 else min(300, max(args.steps // 10, 1))
    hist, curve = [], []
    run = None
    start, done_s, done_cpu = 1, 0.0, 0.0
    partial = args.out + ".partial"
    if args.resume and os.path.exists(partial):
        st = torch.load(partial, map_location="cpu")
        model.load_state_dict(st["model"])  # copies into the channels-last parameters AdamW holds
        opt.load_state_dict(st["opt"])
        ema.shadow, ema.n = st["ema"]["shadow"], st["ema"]["n"]
        batcher.rng.bit_generator.state = st["batcher_rng"]
        torch.set_rng_state(st["torch_rng"])
        np.random.set_state(st["np_rng"])
        random.setstate(st["py_rng"])
        run, hist, curve = st["run"], st["hist"], st["curve"]
        start, done_s, done_cpu = st["step"] + 1, st["elapsed_s"], st["cpu_s"]
        print(f"[train] {tag}: resumed from {partial} at step {st['step']}", flush=True)
    evaluator = HeldoutEval(args) if args.eval_every else None
    t0, c0 = time.time() - done_s, time.process_time() - done_cpu
    model.train()
    last = min(args.steps, args.stop_at or args.steps)
    for step in range(start, last + 1):
        # linear warm-up then cosine decay to 5 %
        if step <= warm:
            lr = args.lr * step / warm
        else:
            p = (step - warm) / max(args.steps - warm, 1)
            lr = args.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * p)))
        for gparam in opt.param_groups:
            gparam["lr"] = lr
        x, targets = batcher.batch(args.batch)
        # bf16: convolutions run in bfloat16 on oneDNN (AMX / AVX512-BF16 here, ~1.4x faster
        # steps); weights, optimiser state and the loss stay float32 (.float() is a no-op in fp32)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bf16"):
            raw = model.raw(x)
        raw = raw.float()
        loss, parts = compute_loss(model, raw, targets, grid, stride, args.cls_weight)
        if not torch.isfinite(loss):
            raise RuntimeError(f"non-finite loss at step {step}: {parts}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        ema.update(model)
        lv = float(loss)
        run = lv if run is None else 0.98 * run + 0.02 * lv
        if step % args.log_every == 0 or step == 1 or step == last:
            el = time.time() - t0
            rec = {"step": step, "loss": round(lv, 4), "loss_avg": round(run, 4), "lr": round(lr, 6), "elapsed_s": round(el, 1), **{k: round(v, 4) for k, v in parts.items()}}
            hist.append(rec)
            eta = el / (step - start + 1) * (args.steps - step)
            print(f"[train] {tag} step {step}/{args.steps} loss {lv:.3f} (avg {run:.3f}) box {parts['box']:.3f} "
                  f"obj {parts['obj']:.3f} cls {parts['cls']:.3f} lr {lr:.5f} {el:.0f}s eta {eta:.0f}s", flush=True)
        if evaluator and (step % args.eval_every == 0 or step == last):
            te = time.time()
            r = evaluator(ema.shadow)
            pt = {"step": step, "mAP50": round(r["mAP50"], 4), "mAP50_95": round(r["mAP50_95"], 4),
                  "loss_avg": round(run, 4), "elapsed_s": round(time.time() - t0, 1),
                  "cpu_s": round(time.process_time() - c0, 1), "eval_s": round(time.time() - te, 1)}
            if step == last:
                pt["AP50_per_class"] = r["AP50_per_class"]
            curve.append(pt)
            print(f"[eval] {tag} step {step}/{args.steps} mAP50 {pt['mAP50']:.4f} mAP50_95 {pt['mAP50_95']:.4f} "
                  f"loss_avg {run:.3f} elapsed {pt['elapsed_s']:.0f}s eval {pt['eval_s']:.0f}s", flush=True)
        if args.ckpt_every and step % args.ckpt_every == 0 and step < last:
            # the whole training state, so an interrupted run resumes (--resume) exactly
            # where it was; its "state_dict" is the EMA copy, so load_model() can inspect it
            st = train_state(model, opt, ema, batcher, step, run, hist, curve, time.time() - t0, time.process_time() - c0)
            st.update({"arch": args.arch, "p2_link": args.p2_link, "width_mult": args.width_mult, "state_dict": ema.shadow})
            save_atomic(st, partial)
            if args.halt_at and step >= args.halt_at:
                # a simulated interruption, for the resumability check (models/study.py --smoke)
                print(f"[train] {tag}: halted after the checkpoint at step {step}", flush=True)
                sys.exit(3)
    info.update({"steps": args.steps, "stopped_at": last, "init": args.init, "warmup": warm, "batch": args.batch, "crop": args.crop, "seed": args.seed, "lr": args.lr,
                 "train_frames": len(imgs), "train_seconds": round(time.time() - t0, 1),
                 "cpu_seconds": round(time.process_time() - c0, 1), "threads": args.threads,
                 "resumed": start > 1, "history": hist})
    if evaluator:
        info["curve"] = curve
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    state = {k: v.contiguous() for k, v in ema.shadow.items()}  # plain NCHW layout on disk
    torch.save({"arch": args.arch, "p2_link": args.p2_link, "width_mult": args.width_mult, "state_dict": state, "info": info},
               args.out)
    with open(os.path.splitext(args.out)[0] + ".train.json", "w") as f:
        json.dump(info, f, indent=1)
    if os.path.exists(partial):
        os.remove(partial)  # finished: the final checkpoint supersedes it
    print(f"[train] saved {args.out} after {info['train_seconds']} s", flush=True)
    return info


def load_model(path: str) -> Detector:
    ck = torch.load(path, map_location="cpu")
    m = Detector(csp=(ck["arch"] == "csp"), p2_link=ck.get("p2_link", 0), width_mult=ck.get("width_mult", 1.0))
    m.load_state_dict(ck["state_dict"])
    m.eval()
    return m


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=["csp", "plain"], default="csp")
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--crop", type=int, default=256)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--ckpt-every", type=int, default=500, help="write the full training state to OUT.partial every N steps")
    ap.add_argument("--resume", action="store_true", help="continue from OUT.partial if it exists")
    ap.add_argument("--halt-at", type=int, default=0, help="exit after the first checkpoint at or past this step (tests --resume)")
    ap.add_argument("--eval-every", type=int, default=0, help="score the EMA weights on --eval-data every N steps and at the end")
    ap.add_argument("--eval-data", help="held-out set for --eval-every")
    ap.add_argument("--tag", help="name in the log lines (default: the arch)")
    # stop early but keep the --steps schedule: the saved EMA equals the run's
    # intermediate snapshot at that step (used when a CPU budget runs out)
    ap.add_argument("--stop-at", type=int, default=0)
    ap.add_argument("--init", help="start from this checkpoint's weights (phase 2)")
    ap.add_argument("--p2-link", type=int, default=32, help="channels of the stride-4 link into P3 (0: none)")
    ap.add_argument("--width-mult", type=float, default=1.0,
                    help="scale every channel count (rounded to even): the study's FLOP-matched plain network")
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                    help="bf16: bfloat16 autocast for the network (fast only on CPUs with native bf16)")
    ap.add_argument("--cls-weight", type=float, default=2.0, help="weight of the class loss (box 5, objectness 1)")
    ap.add_argument("--warmup", type=int, default=-1, help="warm-up steps (default: 10 %% of steps, <= 300)")
    train(ap.parse_args(argv))


if __name__ == "__main__":
    main()
