"""The csp-shapes network: CSPDarknet-style backbone, PAN neck, anchor-free head.

Cross Stage Partial stage (Wang et al., CSPNet, arXiv 1911.11929, Fig. 2b/"CSP"):
  base = downsample(x)                      # the stage's base feature map, c channels
  part1, part2 = split(base)                # channel split, c/2 + c/2
  part2 = blocks(part2)                     # residual blocks run on half the channels only
  part2 = partial_transition(part2)         # 1x1 conv
  out = final_transition(cat(part1, part2)) # 1x1 conv back to c
part1 skips the blocks entirely, so the gradient that reaches the base through it
never passes the blocks, and the blocks cost about a quarter of a full-width stage.

The plain stage (the control for the CSP-vs-plain table) has the same depth of
residual blocks and the same stage widths, Darknet-53 style: the blocks run on
all c channels (1x1 bottleneck to c/2, 3x3 back to c) followed by one 1x1
transition.  Everything else (stem, neck wiring, head) is identical.

The head is anchor-free with objectness (YOLOX-like): per cell of strides
8/16/32 it predicts (dx, dy, log w, log h, obj, classes).  Decoding happens in
the graph, so the exported output is the "yolov5" layout of design.md §2:
[B, N, 5+C] = cx, cy, w, h (input pixels), objectness, class scores (sigmoid).
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

STRIDES = (8, 16, 32)


class ConvBNAct(nn.Sequential):
    def __init__(self, cin: int, cout: int, k: int = 1, s: int = 1):
        # LeakyReLU rather than SiLU/Mish: onnxruntime fuses Conv+LeakyRelu on CPU,
        # which matters for the 15 ms budget, and it is what Darknet used.
        super().__init__(
            nn.Conv2d(cin, cout, k, s, k // 2, bias=False),
            nn.BatchNorm2d(cout),
            nn.LeakyReLU(0.1, inplace=True),
        )


class ResBlock(nn.Module):
    """Darknet residual block: 1x1 to `hidden`, 3x3 back to `c`, identity shortcut."""

    def __init__(self, c: int, hidden: int):
        super().__init__()
        self.a = ConvBNAct(c, hidden, 1)
        self.b = ConvBNAct(hidden, c, 3)

    def forward(self, x):
        return x + self.b(self.a(x))


class CSPStage(nn.Module):
    """Cross stage partial stage operating on an already-built base map of c channels."""

    def __init__(self, c: int, n: int):
        super().__init__()
        h = c // 2
        self.blocks = nn.Sequential(*[ResBlock(h, h) for _ in range(n)])
        self.partial_transition = ConvBNAct(h, h, 1)
        self.final_transition = ConvBNAct(c, c, 1)
        self.h = h

    def forward(self, base):
        # a literal channel split of the base map (ONNX Split), as in the paper
        part1, part2 = torch.split(base, [self.h, base.shape[1] - self.h], dim=1)
        part2 = self.partial_transition(self.blocks(part2))
        return self.final_transition(torch.cat([part1, part2], 1))


class PlainStage(nn.Module):
    """Same depth and width as CSPStage but every block sees the whole map."""

    def __init__(self, c: int, n: int):
        super().__init__()
        self.blocks = nn.Sequential(*[ResBlock(c, c // 2) for _ in range(n)])
        self.transition = ConvBNAct(c, c, 1)

    def forward(self, base):
        return self.transition(self.blocks(base))


class SPPF(nn.Module):
    """Cheap multi-scale pooling at stride 32 (MaxPool only), widens the receptive field."""

    def __init__(self, c: int):
        super().__init__()
        self.reduce = ConvBNAct(c, c // 2, 1)
        self.fuse = ConvBNAct(c * 2, c, 1)
        self.pool = nn.MaxPool2d(5, 1, 2)

    def forward(self, x):
        x = self.reduce(x)
        p1 = self.pool(x)
        p2 = self.pool(p1)
        p3 = self.pool(p2)
        return self.fuse(torch.cat([x, p1, p2, p3], 1))


class Detector(nn.Module):
    def __init__(self, num_classes: int = 5, csp: bool = True, width=(16, 24, 48, 96, 192), depth=(1, 2, 2, 1),
                 neck=(40, 80, 128), input_wh=(512, 384), p2_link: int = 32, width_mult: float = 1.0):
        super().__init__()
        Stage = CSPStage if csp else PlainStage
        if width_mult != 1.0:
            # every channel count of backbone, stride-4 link and neck (hence head) scaled alike
            width = tuple(scale_width(c, width_mult) for c in width)
            neck = tuple(scale_width(c, width_mult) for c in neck)
            p2_link = scale_width(p2_link, width_mult) if p2_link else 0
        self.widths = {"backbone": tuple(width), "neck": tuple(neck), "p2_link": p2_link}
        w0, w1, w2, w3, w4 = width
        self.num_classes = num_classes
        self.input_wh = tuple(input_wh)
        self.stem = ConvBNAct(3, w0, 3, 2)                                    # /2
        self.down1, self.stage1 = ConvBNAct(w0, w1, 3, 2), Stage(w1, depth[0])  # /4
        self.down2, self.stage2 = ConvBNAct(w1, w2, 3, 2), Stage(w2, depth[1])  # /8  -> C3
        self.down3, self.stage3 = ConvBNAct(w2, w3, 3, 2), Stage(w3, depth[2])  # /16 -> C4
        self.down4, self.stage4 = ConvBNAct(w3, w4, 3, 2), Stage(w4, depth[3])  # /32 -> C5
        self.sppf = SPPF(w4)
        n3, n4, n5 = neck
        # PAN neck: top-down (FPN) then bottom-up path, each merge followed by a stage
        self.lat5 = ConvBNAct(w4, n4, 1)
        self.td4_in = ConvBNAct(n4 + w3, n4, 1)
        self.td4 = Stage(n4, 1)
        self.lat4 = ConvBNAct(n4, n3, 1)
        # stride-4 link into the P3 merge: a 2x2/stride-2 conv (a learned space-to-depth)
        # hands C2's finer detail straight to the level that finds the smallest objects,
        # for 13 M MACs at 512x384 (p2_link=0 leaves it out: the models before it)
        self.p2_link = None
        if p2_link:
            self.p2_link = nn.Sequential(nn.Conv2d(w1, p2_link, 2, 2, 0, bias=False), nn.BatchNorm2d(p2_link),
                                         nn.LeakyReLU(0.1, inplace=True))
        self.td3_in = ConvBNAct(n3 + w2 + p2_link, n3, 1)
        self.td3 = Stage(n3, 1)                                                # P3 out
        self.bu3 = ConvBNAct(n3, n3, 3, 2)
        self.bu4_in = ConvBNAct(n3 + n3, n4, 1)
        self.bu4 = Stage(n4, 1)                                                # P4 out
        self.bu4d = ConvBNAct(n4, n4, 3, 2)
        self.bu5_in = ConvBNAct(n4 + n4, n5, 1)
        self.bu5 = Stage(n5, 1)                                                # P5 out
        no = 5 + num_classes
        # one 3x3 conv then a 1x1 predictor per level (a coupled head keeps FLOPs low)
        self.heads = nn.ModuleList([nn.Sequential(ConvBNAct(c, c, 3), nn.Conv2d(c, no, 1)) for c in (n3, n4, n5)])
        for h in self.heads:
            b = h[-1].bias.data
            b.zero_()
            b[4] = -math.log((1 - 0.01) / 0.01)  # start with low objectness everywhere (stable early loss)
            b[5:] = -math.log((1 - 0.05) / 0.05)
        # the exported graph decodes for this input size (training passes its own crop grids)
        grid, stride = grids_for(input_wh[1], input_wh[0])
        self.register_buffer("grid", grid, persistent=False)
        self.register_buffer("stride_t", stride, persistent=False)

    def features(self, x):
        x = self.stem(x)
        c2 = self.stage1(self.down1(x))
        c3 = self.stage2(self.down2(c2))
        c4 = self.stage3(self.down3(c3))
        c5 = self.sppf(self.stage4(self.down4(c4)))
        p5 = self.lat5(c5)
        t4 = self.td4(self.td4_in(torch.cat([F.interpolate(p5, scale_factor=2.0, mode="nearest"), c4], 1)))
        l4 = self.lat4(t4)
        merge3 = [F.interpolate(l4, scale_factor=2.0, mode="nearest"), c3]
        if self.p2_link is not None:
            merge3.append(self.p2_link(c2))
        p3 = self.td3(self.td3_in(torch.cat(merge3, 1)))
        p4 = self.bu4(self.bu4_in(torch.cat([self.bu3(p3), l4], 1)))
        p5o = self.bu5(self.bu5_in(torch.cat([self.bu4d(p4), p5], 1)))
        return [p3, p4, p5o]

    def raw(self, x):
        """Raw head outputs concatenated over levels: [B, N, 5+C] (training uses this)."""
        outs = []
        for f, head in zip(self.features(x), self.heads):
            o = head(f)
            outs.append(o.flatten(2).transpose(1, 2))
        return torch.cat(outs, 1)

    def decode(self, raw, grid=None, stride=None):
        """Raw -> cx, cy, w, h (pixels), obj, cls (sigmoid).  Exported in the graph."""
        grid = self.grid if grid is None else grid
        stride = self.stride_t if stride is None else stride
        xy = (raw[..., 0:2] + grid) * stride
        wh = torch.exp(raw[..., 2:4].clamp(max=6.0)) * stride
        return torch.cat([xy, wh, torch.sigmoid(raw[..., 4:])], -1)

    def forward(self, x):
        return self.decode(self.raw(x))


def scale_width(c: int, mult: float) -> int:
    """A channel count times a width multiplier, rounded to an even number (the stages
    halve their width, so it must stay divisible by 2)."""
    return max(2, 2 * int(round(c * mult / 2)))


def match_width_mult(target_macs: int, csp: bool = False, p2_link: int = 32, lo: float = 0.70, hi: float = 1.00) -> float:
    """The width multiplier (in steps of 0.01) whose network counts the MACs closest to
    target_macs at 512x384: how the FLOP-matched plain network of the CSP-vs-plain study
    is sized (rounding to even widths makes the MACs a step function of the multiplier)."""
    best = None
    for i in range(int(round(lo * 100)), int(round(hi * 100)) + 1):
        m = i / 100
        macs = count_macs(Detector(csp=csp, p2_link=p2_link, width_mult=m))
        if best is None or abs(macs - target_macs) < abs(best[1] - target_macs):
            best = (m, macs)
    return best[0]


def grids_for(size_h: int, size_w: int, device=None):
    """Grid/stride tensors for a non-default (training crop) input size."""
    grids, strides = [], []
    for s in STRIDES:
        gh, gw = size_h // s, size_w // s
        yy, xx = torch.meshgrid(torch.arange(gh), torch.arange(gw), indexing="ij")
        grids.append(torch.stack([xx, yy], -1).reshape(-1, 2).float() + 0.5)
        strides.append(torch.full((gh * gw, 1), float(s)))
    return torch.cat(grids).to(device), torch.cat(strides).to(device)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_macs(model: nn.Module, w: int = 512, h: int = 384) -> int:
    """Multiply-accumulates of every Conv2d at batch 1, counted with forward hooks
    on a real forward pass (BN is folded at export, activations/pooling/upsampling
    are elementwise and left out; they are < 1 % here)."""
    total = [0]

    def hook(m, inp, out):
        k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
        total[0] += out.numel() * k

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    was = model.training
    model.eval()
    with torch.no_grad():
        model.raw(torch.zeros(1, 3, h, w))
    model.train(was)
    for h in hs:
        h.remove()
    return total[0]


def fuse_bn(model: nn.Module) -> nn.Module:
    """Folds every BatchNorm into the preceding conv (inference only)."""
    for m in model.modules():
        # ConvBNAct and the stride-4 link: Conv2d, BatchNorm2d, activation
        if isinstance(m, nn.Sequential) and len(m) == 3 and isinstance(m[1], nn.BatchNorm2d):
            conv, bn = m[0], m[1]
            std = torch.sqrt(bn.running_var + bn.eps)
            w = conv.weight * (bn.weight / std).reshape(-1, 1, 1, 1)
            b = bn.bias - bn.running_mean * bn.weight / std
            fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, bias=True)
            fused.weight.data.copy_(w.detach())
            fused.bias.data.copy_(b.detach())
            m[0] = fused
            m[1] = nn.Identity()
    return model


# the study's FLOP-matched plain network: match_width_mult(count_macs(Detector())) (printed below)
PLAIN_NARROW_MULT = 0.89

if __name__ == "__main__":
    for csp, p2 in ((True, 32), (False, 32), (True, 0)):
        m = Detector(csp=csp, p2_link=p2)
        print("csp" if csp else "plain", f"p2_link={p2}", f"params={count_params(m)/1e6:.3f}M", f"GMACs={count_macs(m)/1e9:.3f}")
    target = count_macs(Detector())
    mult = match_width_mult(target)
    m = Detector(csp=False, width_mult=mult)
    print(f"plain-narrow width_mult={mult} (committed: {PLAIN_NARROW_MULT}) widths={m.widths}",
          f"params={count_params(m)/1e6:.3f}M", f"GMACs={count_macs(m)/1e9:.3f}", f"MACs/CSP={count_macs(m)/target:.4f}")
