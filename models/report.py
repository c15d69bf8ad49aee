"""Collects the pipeline's measurements into one metrics JSON (models/metrics.json).

Inputs (all written by models/train.sh into its work dir):
  {csp,plain}.train.json   params, conv MACs at the input size, steps, training seconds
  {csp,plain}.eval.json    PyTorch mAP on the H.264 held-out set
  {csp,plain}.ort-eval.json  onnxruntime-node mAP on the same set (the shipped graph)
  {csp,plain}.bench.json   onnxruntime-node CPU latency, batch 1, 2 threads
"""

import json
import os
import sys


def load(p):
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def main(work, out):
    res = {"input": None, "heldout": None, "models": {}}
    # the CSP-vs-plain study's section is written by models/study.py report from its own
    # result files; keep it when the shipped model or the pair is re-measured
    prev = load(out) or {}
    if "study" in prev:
        res["study"] = prev["study"]
    for arch in ("csp", "plain", "csp-ab", "plain-ab"):
        tr = load(os.path.join(work, f"{arch}.train.json"))
        if tr is None:
            continue
        ev = load(os.path.join(work, f"{arch}.eval.json")) or {}
        oe = load(os.path.join(work, f"{arch}.ort-eval.json")) or {}
        be = load(os.path.join(work, f"{arch}.bench.json")) or {}
        res["input"] = res["input"] or "x".join(str(v) for v in tr.get("input", []))
        res["heldout"] = res["heldout"] or {"frames": ev.get("frames"), "objects": ev.get("objects")}
        res["models"][arch] = {
            "arch": tr["arch"],
            "params": tr["params"],
            "conv_macs": tr["macs"],
            "gflops": round(2 * tr["macs"] / 1e9, 3),  # 1 MAC = 2 FLOPs (Darknet/CSPNet convention)
            "p2_link": tr.get("p2_link", 0), "precision": tr.get("precision", "fp32"),
            "cls_weight": tr.get("cls_weight", 1.0),
            "steps": tr["steps"], "batch": tr["batch"], "crop": tr["crop"], "train_seconds": tr["train_seconds"],
            "final_loss_avg": tr["history"][-1]["loss_avg"] if tr.get("history") else None,
            "torch": {k: ev.get(k) for k in ("mAP50", "mAP50_95", "AP50_per_class")},
            "onnxruntime": {k: oe.get(k) for k in ("mAP50", "mAP50_95", "AP50_per_class")},
            "latency_ms": {k: be.get(k) for k in ("median_ms", "p90_ms", "min_ms", "threads")},
        }
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
