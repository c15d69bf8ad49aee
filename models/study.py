"""The CSP-vs-plain study (models/README.md, "CSP vs plain"): does the cross stage partial
stage pay at this scale?

  /usr/bin/python3 models/study.py run      train every missing run, --jobs at a time (2), resumably
  /usr/bin/python3 models/study.py status   finished runs, checkpoints, last evaluations
  /usr/bin/python3 models/study.py pause    SIGSTOP the running study (its process group)
  /usr/bin/python3 models/study.py resume   SIGCONT it
  /usr/bin/python3 models/study.py report   score the runs on the test clip, measure latency and
                                            memory, write the study section of models/metrics.json
                                            and the card's table
(`bash models/train.sh --study [--report | --status | --pause | --resume]` wraps these.)

Three networks, the shipped recipe (stride-4 link, class loss x2, bf16 autocast where the
CPU has it, AdamW, warm-up then cosine, EMA weights), the same 4000 training frames:
  csp           the shipped architecture;
  plain         its plain twin, equal depth and widths (Detector(csp=False));
  plain-narrow  the plain network with every width x PLAIN_NARROW_MULT, so that its counted
                FLOPs at 512x384 match the CSP network's (the paper's question: at equal
                computation, which is better?).
Each runs with several seeds; the seed drives the initialisation and the crop sequence,
the data stay the same. Every EVAL_EVERY steps the run scores its EMA weights on the
500-frame H.264 held-out set (the curve).

Runs are independent single-thread processes (two side by side use a 2-core machine better
than one two-thread run, models/README.md). Each checkpoints its whole training state every
--ckpt-every steps and is restarted with --resume, so killing the study loses at most that
many steps; a resumed run is bit-identical to an uninterrupted one (train.py --halt-at,
checked by `--smoke`). A finished run leaves models/study/<net>-s<seed>.json (committed):
final metrics, curve, recipe. Rerunning `run` skips those, resumes checkpointed runs from
models/work/study/ and starts the rest; a result whose recipe differs from the one asked
for stops the study instead of being mixed in.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
sys.path.insert(0, here)

NETS = ("csp", "plain", "plain-narrow")
SEEDS = (0, 1, 2)
# the schedule (README "CSP vs plain" argues the choice from measured step times and curves)
STEPS = 6000
EVAL_EVERY = 500
CKPT_EVERY = 250
# the same recipe at half the length, for seed 0: does the gap between the networks change
# when the schedule doubles? (with cosine decay mAP rises until the end of any schedule, so
# the curve alone cannot show convergence)
SHORT_STEPS = 3000
SHORT_SEEDS = (0,)
# card block the report rewrites
BEGIN = "<!-- study:begin (written by `bash models/train.sh --study --report` from models/study/*.json; edit models/study.py, not this block) -->"
END = "<!-- study:end -->"


def net_args(net: str) -> list:
    from net import PLAIN_NARROW_MULT

    return {"csp": ["--arch", "csp"], "plain": ["--arch", "plain"],
            "plain-narrow": ["--arch", "plain", "--width-mult", str(PLAIN_NARROW_MULT)]}[net]


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def log(msg: str) -> None:
    print(f"{dt.datetime.now().strftime('%H:%M:%S')} {msg}", flush=True)


def load_json(p: str):
    with open(p) as f:
        return json.load(f)


def write_json(p: str, obj) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(p)), exist_ok=True)
    tmp = p + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(tmp, p)


def planned_runs(a) -> list:
    """(net, seed, steps, name) of every run, in the order they start: seed by seed over the
    three networks at the study's schedule, then the half-length check (shortest last, so the
    two job slots finish together)."""
    runs = [(net, seed, a.steps, f"{net}-s{seed}") for seed in a.seeds for net in a.nets]
    if a.short_steps:
        runs += [(net, seed, a.short_steps, f"{net}-s{seed}-{a.short_steps}") for seed in a.short_seeds for net in a.nets]
    return runs


def recipe_of(a, net: str, steps: int) -> dict:
    from net import PLAIN_NARROW_MULT

    return {"steps": steps, "warmup": min(300, max(steps // 10, 1)), "batch": a.batch, "crop": a.crop,
            "lr": 3e-3, "cls_weight": 2.0, "p2_link": 32, "precision": a.precision, "eval_every": a.eval_every,
            "arch": "csp" if net == "csp" else "plain", "width_mult": PLAIN_NARROW_MULT if net == "plain-narrow" else 1.0,
            "train_frames": frames(a.data), "heldout_frames": frames(a.heldout)}


def frames(d: str) -> int:
    return len(load_json(os.path.join(d, "labels.json")))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"study.py" in f.read()
    except OSError:
        return False


def read_pid(pidfile: str):
    if not os.path.exists(pidfile):
        return None
    with open(pidfile) as f:
        m = re.match(r"(\d+) (\d+)", f.read())
    if not m or not pid_alive(int(m.group(1))):
        return None
    return int(m.group(1)), int(m.group(2))


# ---------------------------------------------------------------------------------- run
def cmd_run(a) -> int:
    sdir = os.path.join(a.work, "study")
    os.makedirs(sdir, exist_ok=True)
    os.makedirs(a.results, exist_ok=True)
    os.makedirs(a.logs, exist_ok=True)
    pidfile = os.path.join(sdir, "study.pid")
    other = read_pid(pidfile)
    if other:
        log(f"study: already running (pid {other[0]}); not starting a second one")
        return 1
    # own process group, so `pause` (or kill -STOP -PGID) stops this and its runs and nothing else
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    os.nice(max(0, 19 - os.nice(0)))  # only idle CPU: other work on the machine goes first
    with open(pidfile, "w") as f:
        f.write(f"{os.getpid()} {os.getpgid(0)}\n")

    todo, done = [], 0
    for net, seed, steps, name in planned_runs(a):
        res = os.path.join(a.results, name + ".json")
        want = recipe_of(a, net, steps)
        if os.path.exists(res):
            have = load_json(res)["recipe"]
            if have != want:
                log(f"study: {res} was trained with another recipe ({diff(have, want)}); move it away to retrain")
                return 2
            done += 1
            continue
        todo.append((net, seed, name, want))
    resumable = sum(os.path.exists(os.path.join(sdir, n + ".pt.partial")) for _, _, n, _ in todo)
    log(f"study: {done} runs finished, {len(todo)} to train ({resumable} resume from a checkpoint), {a.jobs} at a time; "
        f"{a.steps} steps" + (f" (and {a.short_steps} for seed {', '.join(map(str, a.short_seeds))})" if a.short_steps else "")
        + f", eval every {a.eval_every}, precision {a.precision}")
    active = {}
    failed, halted = [], []

    def stop(signum, _frame):
        for p in list(active):
            p.terminate()
        log(f"study: signal {signum}, runs stopped; their checkpoints stay for the next start")
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    t_start = time.time()
    while todo or active:
        while todo and len(active) < a.jobs:
            net, seed, name, want = todo.pop(0)
            started = os.path.join(sdir, name + ".started")
            if not os.path.exists(started):
                with open(started, "w") as f:
                    f.write(now() + "\n")
            cmd = [sys.executable, os.path.join(here, "train.py"), *net_args(net), "--data", a.data,
                   "--out", os.path.join(sdir, name + ".pt"), "--steps", str(want["steps"]), "--batch", str(a.batch),
                   "--crop", str(a.crop), "--threads", "1", "--seed", str(seed), "--precision", a.precision,
                   "--ckpt-every", str(a.ckpt_every), "--resume", "--eval-every", str(a.eval_every),
                   "--eval-data", a.heldout, "--tag", name, "--log-every", str(a.log_every)]
            if a.halt_at:
                cmd += ["--halt-at", str(a.halt_at)]
            env = dict(os.environ, OMP_NUM_THREADS="1")
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
            th = threading.Thread(target=pump, args=(p, os.path.join(a.logs, name + ".log")), daemon=True)
            th.start()
            active[p] = (net, seed, name, want, th)
            log(f"study: started {name} (pid {p.pid})")
        time.sleep(1 if a.halt_at or a.steps < 100 else 5)
        for p in [q for q in active if q.poll() is not None]:
            net, seed, name, want, th = active.pop(p)
            th.join()
            if p.returncode == 0:
                write_result(a, net, seed, name, want)
                log(f"study: finished {name}")
            elif p.returncode == 3 and a.halt_at:
                halted.append(name)
            else:
                failed.append(name)
                log(f"study: {name} failed (exit {p.returncode}); see {os.path.join(a.logs, name + '.log')}")
    os.remove(pidfile)
    log(f"study: session done in {time.time() - t_start:.0f} s; {len(failed)} failed, {len(halted)} halted for the resume check")
    return 1 if failed else 0


def diff(have: dict, want: dict) -> str:
    return ", ".join(f"{k} {have.get(k)} vs {want.get(k)}" for k in sorted(set(have) | set(want)) if have.get(k) != want.get(k))


def pump(p, path: str) -> None:
    # every line to the run's own log; evaluations and resumptions also to the study log
    with open(path, "a") as f:
        for line in p.stdout:
            f.write(line)
            f.flush()
            if line.startswith("[eval]") or "resumed from" in line or "halted" in line:
                log(line.rstrip())


def write_result(a, net: str, seed: int, name: str, want: dict) -> None:
    import platform

    import torch

    sdir = os.path.join(a.work, "study")
    tr = load_json(os.path.join(sdir, name + ".train.json"))
    curve = [{k: c[k] for k in ("step", "mAP50", "mAP50_95", "loss_avg", "elapsed_s")} for c in tr["curve"]]
    last = tr["curve"][-1]
    with open(os.path.join(sdir, name + ".started")) as f:
        started = f.read().strip()
    write_json(os.path.join(a.results, name + ".json"), {
        "net": net, "seed": seed, "recipe": want,
        "params": tr["params"], "macs": tr["macs"], "gflops": round(2 * tr["macs"] / 1e9, 4), "widths": tr["widths"],
        "final": {"step": last["step"], "mAP50": last["mAP50"], "mAP50_95": last["mAP50_95"],
                  "AP50_per_class": last.get("AP50_per_class")},
        "final_loss_avg": tr["history"][-1]["loss_avg"],
        "curve": curve,
        "train_seconds": tr["train_seconds"], "cpu_seconds": tr["cpu_seconds"], "resumed": tr["resumed"],
        "started": started, "finished": now(),
        "host": {"cpu": cpu_name(), "cores": os.cpu_count(), "torch": torch.__version__, "python": platform.python_version()},
    })


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
        return m.group(1).strip() if m else "?"
    except OSError:
        return "?"


# ------------------------------------------------------------------- status / pause
def cmd_status(a) -> int:
    sdir = os.path.join(a.work, "study")
    pid = read_pid(os.path.join(sdir, "study.pid"))
    state = "not running"
    if pid:
        with open(f"/proc/{pid[0]}/stat") as f:
            st = f.read().rsplit(")", 1)[1].split()[0]
        state = f"running, pid {pid[0]}, process group {pid[1]}" + (" (paused)" if st == "T" else "")
    print(f"study: {state}")
    for net, seed, steps, name in planned_runs(a):
        res = os.path.join(a.results, name + ".json")
        if os.path.exists(res):
            r = load_json(res)
            print(f"  {name:21s} finished: mAP50 {r['final']['mAP50']:.4f} mAP50_95 {r['final']['mAP50_95']:.4f} "
                  f"({r['train_seconds'] / 3600:.2f} h)")
            continue
        lp = os.path.join(a.logs, name + ".log")
        evals, steps = [], []
        if os.path.exists(lp):
            with open(lp) as f:
                for ln in f:
                    (evals if ln.startswith("[eval]") else steps if " step " in ln else []).append(ln.strip())
        part = os.path.exists(os.path.join(sdir, name + ".pt.partial"))
        print(f"  {name:21s} {'checkpointed' if part else 'started' if steps else 'not started'}"
              + ("; " + re.sub(r"^\[train\] \S+ (step \S+) .* (\d+s) eta (\d+s)$", r"\1, \2 elapsed, eta \3", steps[-1])
                 if steps else "")
              + (f"\n  {'':21s} last {evals[-1]}" if evals else ""))
    return 0


def cmd_signal(a, sig) -> int:
    pid = read_pid(os.path.join(a.work, "study", "study.pid"))
    if not pid:
        print("study: not running")
        return 1
    os.killpg(pid[1], sig)
    print(f"study: {'paused' if sig == signal.SIGSTOP else 'resumed'} process group {pid[1]}")
    return 0


def cmd_same(a_path: str, b_path: str) -> int:
    """Exit 0 when two finished runs are the same run: bit-identical EMA weights, identical
    logged losses and evaluations (the resumability check of `train.sh --smoke`)."""
    import torch

    a, b = torch.load(a_path, map_location="cpu"), torch.load(b_path, map_location="cpu")
    weights = a["state_dict"].keys() == b["state_dict"].keys() and all(
        torch.equal(a["state_dict"][k], b["state_dict"][k]) for k in a["state_dict"])
    pick = lambda ck: ([h["loss"] for h in ck["info"]["history"]],  # noqa: E731
                       [(c["step"], c["mAP50"], c["mAP50_95"]) for c in ck["info"].get("curve", [])])
    logs = pick(a) == pick(b)
    print(f"study: {a_path} vs {b_path}: weights {'identical' if weights else 'DIFFER'}, "
          f"losses and evaluations {'identical' if logs else 'DIFFER'}")
    return 0 if weights and logs else 1


# --------------------------------------------------------------------------- report
def summary(vals: list) -> dict:
    return {"mean": round(statistics.mean(vals), 4), "sd": round(statistics.stdev(vals), 4) if len(vals) > 1 else None,
            "min": round(min(vals), 4), "max": round(max(vals), 4), "n": len(vals), "values": [round(v, 4) for v in vals]}


def load_results(results: str, steps: int) -> tuple:
    """Finished runs per network: those at the study's schedule, and the others (the
    half-length check), each list sorted by seed."""
    main, other = {}, {}
    for p in sorted(glob.glob(os.path.join(results, "*-s*.json"))):
        r = load_json(p)
        (main if r["recipe"]["steps"] == steps else other).setdefault(r["net"], []).append(r)
    for d in (main, other):
        for v in d.values():
            v.sort(key=lambda r: (r["recipe"]["steps"], r["seed"]))
    return {n: main[n] for n in NETS if n in main}, {n: other[n] for n in NETS if n in other}


def export_net(net: str, runs: list, sdir: str) -> tuple:
    """ONNX of the network for latency/memory: the trained checkpoint of its lowest seed when
    this machine has it, else the untrained network (same graph, same cost). Two files: the
    dynamic-batch graph the daemon would load (timed, and run for onnxruntime's memory), and
    a static batch-1 graph, whose every tensor shape ONNX shape inference can resolve (the
    activation-memory count)."""
    import torch

    from export import export
    from net import Detector

    out, static = os.path.join(sdir, f"{net}.onnx"), os.path.join(sdir, f"{net}.b1.onnx")
    src = None
    for r in runs:
        ck = os.path.join(sdir, f"{net}-s{r['seed']}.pt")
        if os.path.exists(ck):
            src = ck, f"trained, seed {r['seed']}"
            break
    if src is None:
        torch.manual_seed(0)
        wm = runs[0]["recipe"]["width_mult"] if runs else 1.0
        arch = "csp" if net == "csp" else "plain"
        m = Detector(csp=arch == "csp", width_mult=wm)
        ck = os.path.join(sdir, f"{net}-untrained.pt")
        torch.save({"arch": arch, "p2_link": 32, "width_mult": wm, "state_dict": m.state_dict()}, ck)
        src = ck, "untrained (no checkpoint on this machine)"
    export(src[0], out)
    export(src[0], static, dynamic_batch=False)
    return out, static, src[1]


CLIP = os.path.join(here, "clip", "shapes-clip")


def clip_set(a) -> str:
    """The committed test clip (models/clip/, the stream the end-to-end test plays) as a
    data.py-layout set: decoded and scaled by GStreamer as a camera stream is, every
    --clip-every-th frame with its ground truth. Made once per work dir."""
    import numpy as np

    from data import INPUT_H, INPUT_W, content_offset

    out = os.path.join(a.work, "study", f"clip-every{a.clip_every}")
    if os.path.exists(os.path.join(out, "labels.json")):
        return out
    truth = load_json(CLIP + ".json")
    s = min(INPUT_W / truth["width"], INPUT_H / truth["height"])
    w, h = round(truth["width"] * s), round(truth["height"] * s)
    # the data.py layout stores the letterbox content; for the clip's 4:3 frames that is the
    # whole input, and the scorers place it at content_offset()
    if (w, h) != (INPUT_W, INPUT_H) or content_offset() != (0, 0):
        raise RuntimeError(f"{CLIP}.mp4: {truth['width']}x{truth['height']} does not scale to the whole "
                           f"{INPUT_W}x{INPUT_H} input; the clip check assumes it does")
    tmp = out + ".partial"
    os.makedirs(tmp, exist_ok=True)
    raw = os.path.join(tmp, "clip.rgb")
    subprocess.run(["gst-launch-1.0", "-q", "filesrc", f"location={CLIP}.mp4", "!", "qtdemux", "!", "h264parse",
                    "!", "avdec_h264", "!", "videoconvert", "!", "videoscale", "!",
                    f"video/x-raw,format=RGB,width={w},height={h}", "!", "filesink", f"location={raw}"], check=True)
    frames = np.fromfile(raw, np.uint8)
    n = len(truth["frames"])
    if frames.size != n * h * w * 3 or [f["index"] for f in truth["frames"]] != list(range(n)):
        raise RuntimeError(f"{CLIP}.mp4 decoded to {frames.size / (h * w * 3):g} frames; "
                           f"{CLIP}.json lists {n} (indices 0..{n - 1} expected)")
    keep = list(range(0, n, a.clip_every))
    np.save(os.path.join(tmp, "images.npy"), frames.reshape(n, h, w, 3)[keep])
    os.remove(raw)
    write_json(os.path.join(tmp, "labels.json"),
               [[[o["class"], *(round(v * s, 2) for v in o["box"])] for o in truth["frames"][i]["objects"]] for i in keep])
    os.replace(tmp, out)
    return out


def clip_score(onnx_path: str, clip_dir: str) -> dict:
    """mAP of an exported network on the clip set, run by onnxruntime-node (the daemon's
    runtime, models/tools/ort-eval.mjs) and scored by evaluate.py's metric."""
    import evaluate

    preds_path = onnx_path[:-len(".onnx")] + ".clip-preds.npy"
    subprocess.run(["node", os.path.join(here, "tools", "ort-eval.mjs"), onnx_path, clip_dir, preds_path],
                   check=True, capture_output=True, text=True)
    res = evaluate.main(["--preds", preds_path, "--data", clip_dir])
    os.remove(preds_path)
    return {"mAP50": round(res["mAP50"], 4), "mAP50_95": round(res["mAP50_95"], 4), "frames": res["frames"],
            "objects": res["objects"]}


def score_clips(a) -> dict:
    """The clip check: every finished run at the study's schedule whose final checkpoint this
    machine has, and that has no clip score yet, is exported and scored on the clip; the
    score goes into its result file (committed, so it outlives the checkpoint). The shipped
    model is scored the same way, as the reference. Returns the shipped model's score."""
    from export import export

    cdir = clip_set(a)
    every = {"every": a.clip_every, "runtime": "onnxruntime-node"}
    for p in sorted(glob.glob(os.path.join(a.results, "*-s*.json"))):
        r = load_json(p)
        name = os.path.basename(p)[:-len(".json")]
        ck = os.path.join(a.work, "study", name + ".pt")
        if r["recipe"]["steps"] != a.steps or r.get("clip", {}).get("every") == a.clip_every or not os.path.exists(ck):
            continue
        onnx_path = os.path.join(a.work, "study", f"{name}.clip.onnx")
        export(ck, onnx_path)
        r["clip"] = {**clip_score(onnx_path, cdir), **every, "scored": now()}
        write_json(p, r)
        log(f"clip: {name} mAP50 {r['clip']['mAP50']:.4f} mAP50_95 {r['clip']['mAP50_95']:.4f}")
    shipped = os.path.join(here, "csp-shapes.onnx")
    return {**clip_score(shipped, cdir), **every, "model": os.path.relpath(shipped, root)}


def onnx_liveness(path: str) -> dict:
    """Activation memory of the exported graph at batch 1, framework-independent: walk the
    nodes in graph order, allocate each output, free each tensor after its last consumer.
    Weights (initializers) are not counted. A unary activation whose input dies at that node
    is counted in place (PyTorch's inplace LeakyReLU; onnxruntime fuses Conv+LeakyRelu).
    peak_live_mb: the most activation bytes alive at once; written_mb: all activation bytes
    produced by one forward pass (a proxy for the memory traffic)."""
    import onnx

    m = onnx.shape_inference.infer_shapes(onnx.load(path))
    g = m.graph
    esize = {onnx.TensorProto.FLOAT: 4, onnx.TensorProto.INT64: 8, onnx.TensorProto.INT32: 4,
             onnx.TensorProto.BOOL: 1, onnx.TensorProto.FLOAT16: 2}
    size = {}
    for vi in list(g.value_info) + list(g.input) + list(g.output):
        t = vi.type.tensor_type
        n = 1
        for d in t.shape.dim:
            n *= max(d.dim_value, 1)
        if all(d.dim_value > 0 for d in t.shape.dim):
            size[vi.name] = n * esize.get(t.elem_type, 4)
    unknown = [o for node in g.node for o in node.output if o not in size]
    if unknown:
        raise RuntimeError(f"{path}: shape inference left {len(unknown)} tensors without a static shape, e.g. {unknown[:3]}")
    inits = {i.name for i in g.initializer}
    last_use = {}
    for i, node in enumerate(g.node):
        for x in node.input:
            last_use[x] = i
    outputs = {o.name for o in g.output}
    inplace_ops = {"LeakyRelu", "Relu", "Sigmoid"}
    live = {g.input[0].name: size[g.input[0].name]}
    peak = sum(live.values())
    written = 0
    largest = 0
    for i, node in enumerate(g.node):
        reuse = node.op_type in inplace_ops and last_use.get(node.input[0]) == i and node.input[0] in live
        for o in node.output:
            b = size[o]
            written += b
            largest = max(largest, b)
            if reuse:
                live.pop(node.input[0])
            live[o] = b
        peak = max(peak, sum(live.values()))
        for x in node.input:
            if x in live and x not in inits and last_use.get(x) == i and x not in outputs:
                live.pop(x)
    mb = 1 << 20
    return {"peak_live_mb": round(peak / mb, 2), "written_mb": round(written / mb, 2),
            "largest_tensor_mb": round(largest / mb, 2)}


def node_json(args: list) -> dict:
    out = subprocess.run(["node", *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def cpu_busy(seconds: float) -> float:
    """Share of the machine's CPU time that was busy over the next `seconds`."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return v[3] + v[4], sum(v)
    i0, t0 = snap()
    time.sleep(seconds)
    i1, t1 = snap()
    return round(1 - (i1 - i0) / max(t1 - t0, 1), 3)


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def measure(a, runs_by: dict) -> dict:
    sdir = os.path.join(a.work, "study")
    os.makedirs(sdir, exist_ok=True)
    nets = list(runs_by)
    onnx_of, static_of, weights = {}, {}, {}
    for net in nets:
        onnx_of[net], static_of[net], weights[net] = export_net(net, runs_by[net], sdir)
    mem = {}
    for net in nets:
        mem[net] = {"onnx": onnx_liveness(static_of[net])}
        for label, arena, pattern in (("ort_default", 1, 1), ("ort_no_arena_no_pattern", 0, 0)):
            peaks = [node_json([os.path.join(here, "tools", "ort-mem.mjs"), onnx_of[net], "--arena", str(arena),
                                "--pattern", str(pattern), "--runs", str(a.mem_runs)])["run_peak_mb"]
                     for _ in range(a.mem_repeats)]
            mem[net][label] = {"run_peak_mb": round(statistics.median(peaks), 2), "repeats": peaks}
    # latency: interleaved rounds (the order rotates each round), study paused meanwhile
    pid = read_pid(os.path.join(sdir, "study.pid"))
    if pid:
        os.killpg(pid[1], signal.SIGSTOP)
    try:
        cond = {"load_before": loadavg(), "busy_before": cpu_busy(a.idle_probe_s), "study_paused": bool(pid),
                "date": now(), "cpu": cpu_name(), "cores": os.cpu_count(), "idle_probe_s": a.idle_probe_s}
        lat = {net: {str(t): [] for t in a.threads} for net in nets}
        t0 = time.time()
        for rnd in range(a.rounds):
            order = nets[rnd % len(nets):] + nets[:rnd % len(nets)]
            for t in a.threads:
                for net in order:
                    r = node_json([os.path.join(here, "tools", "ort-bench.mjs"), onnx_of[net], "--threads", str(t),
                                   "--runs", str(a.bench_runs)])
                    lat[net][str(t)].append(r["median_ms"])
        cond.update({"bench_seconds": round(time.time() - t0, 1), "load_after": loadavg(),
                     "busy_after": cpu_busy(a.idle_probe_s), "ort": r.get("ort"), "runs_per_round": a.bench_runs,
                     "rounds": a.rounds})
    finally:
        if pid:
            os.killpg(pid[1], signal.SIGCONT)
    latency = {net: {t: {"median_ms": round(statistics.median(v), 2), "min_ms": min(v), "max_ms": max(v), "rounds": v}
                     for t, v in lat[net].items()} for net in nets}
    return {"memory": mem, "latency": latency, "conditions": cond, "weights": weights}


def gain_over(run: dict, frac: float):
    """mAP@0.5 gained over the last `frac` of the schedule (final minus the curve point at or
    just before step (1 - frac) * steps)."""
    cut = (1 - frac) * run["recipe"]["steps"]
    before = [c for c in run["curve"] if c["step"] <= cut]
    return run["final"]["mAP50"] - before[-1]["mAP50"] if before else None


def study_section(runs_by: dict, meas: dict | None, short_by: dict | None = None, clip: dict | None = None) -> dict:
    """clip: the shipped model's score on the clip set (score_clips); the runs' own clip
    scores count only when they were made the same way (same frame stride)."""
    out = {"nets": {}}
    for net, runs in runs_by.items():
        r0 = runs[0]
        e = {"arch": r0["recipe"]["arch"], "width_mult": r0["recipe"]["width_mult"], "widths": r0["widths"],
             "params": r0["params"], "conv_macs": r0["macs"], "gflops": round(2 * r0["macs"] / 1e9, 3),
             "seeds": [r["seed"] for r in runs],
             "mAP50": summary([r["final"]["mAP50"] for r in runs]),
             "mAP50_95": summary([r["final"]["mAP50_95"] for r in runs]),
             "gain_last_quarter": summary([g for g in (gain_over(r, 0.25) for r in runs) if g is not None] or [0.0]),
             "train_seconds": summary([r["train_seconds"] for r in runs]),
             "cpu_seconds": summary([r["cpu_seconds"] for r in runs]),
             "curve": mean_curve(runs)}
        clipped = [r for r in runs if clip and r.get("clip", {}).get("every") == clip["every"]]
        if clipped:
            e["clip_seeds"] = [r["seed"] for r in clipped]
            e["clip_mAP50"] = summary([r["clip"]["mAP50"] for r in clipped])
            e["clip_mAP50_95"] = summary([r["clip"]["mAP50_95"] for r in clipped])
        if meas:
            e["latency_ms"] = meas["latency"].get(net)
            e["memory"] = meas["memory"].get(net)
            e["bench_weights"] = meas["weights"].get(net)
        out["nets"][net] = e
    any_run = next(iter(runs_by.values()))[0]
    rec = dict(any_run["recipe"])
    rec.pop("arch")
    rec.pop("width_mult")
    out["recipe"] = rec
    out["host"] = any_run["host"]
    short_by = short_by or {}
    check = {}
    for net, shorts in short_by.items():
        for r in shorts:
            full = next((f for f in runs_by.get(net, []) if f["seed"] == r["seed"]), None)
            if full is None:
                continue
            check.setdefault(net, []).append({
                "seed": r["seed"], "steps": r["recipe"]["steps"],
                "mAP50_short": r["final"]["mAP50"], "mAP50_full": full["final"]["mAP50"],
                "mAP50_95_short": r["final"]["mAP50_95"], "mAP50_95_full": full["final"]["mAP50_95"],
                "gain_from_doubling": round(full["final"]["mAP50"] - r["final"]["mAP50"], 4)})
    if check:
        out["schedule_check"] = check
    allr = [r for v in list(runs_by.values()) + list(short_by.values()) for r in v]
    out["runs"] = len(allr)
    out["run_seconds_total"] = round(sum(r["train_seconds"] for r in allr), 1)
    out["cpu_seconds_total"] = round(sum(r["cpu_seconds"] for r in allr), 1)
    t0 = min(dt.datetime.fromisoformat(r["started"].replace("Z", "+00:00")) for r in allr)
    t1 = max(dt.datetime.fromisoformat(r["finished"].replace("Z", "+00:00")) for r in allr)
    out["span_seconds"] = round((t1 - t0).total_seconds())
    out["resumed_runs"] = sum(bool(r["resumed"]) for r in allr)
    if clip:
        out["clip"] = {"shipped": clip, "every": clip["every"], "frames": clip["frames"], "objects": clip["objects"],
                       "source": os.path.relpath(CLIP + ".mp4", root)}
    if meas:
        out["measured"] = meas["conditions"]
    return out


def mean_curve(runs: list) -> list:
    steps = sorted(set.intersection(*[{c["step"] for c in r["curve"]} for r in runs]))
    out = []
    for s in steps:
        pts = [next(c for c in r["curve"] if c["step"] == s) for r in runs]
        out.append({"step": s, "mAP50": summary([p["mAP50"] for p in pts]),
                    "mAP50_95": summary([p["mAP50_95"] for p in pts])})
    return out


def pm(s: dict, scale: float = 100, nd: int = 1) -> str:
    """mean ± sd (min–max), in points when scale=100."""
    if s["sd"] is None:
        return f"{s['mean'] * scale:.{nd}f}"
    return f"{s['mean'] * scale:.{nd}f} ± {s['sd'] * scale:.{nd}f} ({s['min'] * scale:.{nd}f}–{s['max'] * scale:.{nd}f})"


def separated(x: dict, y: dict) -> bool:
    """The seeds' ranges do not overlap: every seed of one network beats every seed of the other."""
    return x["min"] > y["max"] or y["min"] > x["max"]


def every_nth(k: int) -> str:
    return "every frame" if k == 1 else f"every {k}{ {2: 'nd', 3: 'rd'}.get(k, 'th')} frame"


def standing(x: dict | None, y: dict | None) -> tuple:
    """How network x's seeds stand against y's on one metric: the text for the card, and
    whether x is clearly better (see shipped_sentence)."""
    if not x or not y:
        return "not scored", False
    d = (x["mean"] - y["mean"]) * 100
    if min(x["n"], y["n"]) < 2:
        return f"{d:+.1f} (one seed on a side: no spread to judge it by)", False
    if not separated(x, y):
        return f"{d:+.1f}, within the seed spread", False
    return f"{d:+.1f}, {'ahead' if d > 0 else 'behind'} in every seed", d >= MIN_GAIN_POINTS


# A replacement must be better by a margin a user would notice and larger than the spread
# between seeds of one network (about a point here), and must not cost
# more computation than the shipped network (counted FLOPs, with room for the width search's
# rounding): the plain twin's extra FLOPs make it a larger model, a different trade.
MIN_GAIN_POINTS = 1.0
FLOPS_TOLERANCE = 1.02


def shipped_sentence(n: dict) -> str:
    """The issue's rule for the shipped model, applied to the numbers: a network replaces the
    CSP network only if it is clearly better on the held-out set and on the test clip (every
    seed ahead of every CSP seed, by at least MIN_GAIN_POINTS of mAP@0.5 on average), at no
    more than FLOPS_TOLERANCE x its FLOPs."""
    c = n["csp"]
    parts, winners = [], []
    for k in ("plain", "plain-narrow"):
        if k not in n:
            continue
        e = n[k]
        ratio = e["conv_macs"] / c["conv_macs"]
        (ho, ho_ok), (cl, cl_ok) = standing(e["mAP50"], c["mAP50"]), standing(e.get("clip_mAP50"), c.get("clip_mAP50"))
        parts.append(f"`{k}` ({ratio:.2f}× the FLOPs): held-out {ho}; test clip {cl}")
        if ratio <= FLOPS_TOLERANCE and ho_ok and cl_ok:
            winners.append(k)
    verdict = (f"`{winners[0]}` meets that rule: the shipped model, its card, manifest and thresholds should move to it."
               if winners else "No network meets that rule, so the shipped model stays the CSP network.")
    return (f"- **Shipped model.** A network replaces the shipped one only if it is clearly better on the held-out "
            f"set and on the test clip (every seed ahead of every CSP seed, by at least {MIN_GAIN_POINTS:g} point of "
            f"mAP@0.5 on average) at no more than {FLOPS_TOLERANCE:.2f}× its FLOPs. mAP@0.5 against CSP, in points: "
            f"{'; '.join(parts)}. {verdict}")


def card_block(st: dict) -> str:
    n = st["nets"]
    rec = st["recipe"]
    names = [k for k in NETS if k in n]
    L = []
    if st.get("missing"):
        L.append(f"**Interim: the study is not finished; still to train: {', '.join(st['missing'])}. "
                 f"The numbers and sentences below are from the runs finished so far and will change.**")
        L.append("")
    seeds = sorted({s for e in n.values() for s in e["seeds"]})
    # the runs at the study's schedule; the half-length ones are counted in their own table
    L.append(f"{sum(len(e['seeds']) for e in n.values())} runs: {', '.join(f'`{k}`' for k in names)} × seeds {', '.join(map(str, seeds))}; "
             f"{rec['steps']} steps each (warm-up {rec['warmup']}, cosine from {rec['lr']:g} to 5 %), batch {rec['batch']} "
             f"crops of {rec['crop']}×{rec['crop']}, class loss × {rec['cls_weight']:g}, stride-4 link, {rec['precision']}, "
             f"one thread per run, several runs side by side (`--jobs`, 2 by default); EMA weights scored on the {rec['heldout_frames']} H.264 "
             f"held-out frames every {rec['eval_every']} steps. Mean ± sample standard deviation over the seeds, "
             f"(min–max) in brackets; mAP in points.")
    L.append("")
    hdr = "| at 512×384 | " + " | ".join(f"`{k}`" for k in names) + " |"
    L += [hdr, "|---" * (len(names) + 1) + "|"]
    c = n.get("csp")

    def row(label, f):
        L.append(f"| {label} | " + " | ".join(f(n[k]) for k in names) + " |")

    row("widths (backbone / neck / link)", lambda e: f"{'/'.join(map(str, e['widths']['backbone']))} / "
        f"{'/'.join(map(str, e['widths']['neck']))} / {e['widths']['p2_link']}")
    row("parameters", lambda e: f"{e['params']:,}".replace(",", " ") + (f" ({e['params'] / c['params']:.2f}×)" if c else ""))
    row("FLOPs (counted, 2 × conv MACs)", lambda e: f"{e['gflops']:.3f} G" + (f" ({e['conv_macs'] / c['conv_macs']:.3f}×)" if c else ""))
    row("**mAP@0.5**", lambda e: pm(e["mAP50"]))
    row("mAP@0.5:0.95", lambda e: pm(e["mAP50_95"]))
    row("mAP@0.5 gained over the last quarter", lambda e: pm(e["gain_last_quarter"]))
    cl = st.get("clip")
    if cl:
        row(f"mAP@0.5 on the test clip ({cl['frames']} frames, onnxruntime-node)",
            lambda e: f"{pm(e['clip_mAP50'])}, seed{'s' if len(e['clip_seeds']) > 1 else ''} {', '.join(map(str, e['clip_seeds']))}" if "clip_mAP50" in e else "–")
    if "latency_ms" in (c or {}):
        for t in sorted(c["latency_ms"]):
            row(f"onnxruntime CPU, {t} thread{'s' if t != '1' else ''}: median (range) of {st['measured']['rounds']} rounds",
                lambda e, t=t: f"{e['latency_ms'][t]['median_ms']:.2f} ms ({e['latency_ms'][t]['min_ms']:.2f}–{e['latency_ms'][t]['max_ms']:.2f})")
        row("peak live activations, graph order (batch 1, fp32)", lambda e: f"{e['memory']['onnx']['peak_live_mb']:.2f} MB")
        row("activations written per inference", lambda e: f"{e['memory']['onnx']['written_mb']:.1f} MB")
        row("onnxruntime peak RSS growth while running (default session)",
            lambda e: f"{e['memory']['ort_default']['run_peak_mb']:.1f} MB")
        row("the same, memory arena and memory pattern off",
            lambda e: f"{e['memory']['ort_no_arena_no_pattern']['run_peak_mb']:.1f} MB")
    row("training time per run, h (wall, incl. evaluations; the machine was shared in some)",
        lambda e: pm(e["train_seconds"], 1 / 3600, 2))
    # CPU time does not depend on what else ran beside the run, so it compares the networks' training cost
    row("CPU time per run, h (one thread)", lambda e: pm(e["cpu_seconds"], 1 / 3600, 2))
    L.append("")
    if cl:
        L.append(f"Test clip: {every_nth(cl['every'])} of `{cl['source']}` ({cl['frames']} frames, {cl['objects']} objects; "
                 f"the stream of the end-to-end test), decoded and scaled by GStreamer as a camera stream is, each run's "
                 f"final EMA weights exported to ONNX and run by onnxruntime-node, the daemon's runtime. Only runs whose "
                 f"checkpoint was on the machine when the report ran are scored (their seeds are listed); the score is kept "
                 f"in the run's result file. The shipped model (`{cl['shipped']['model']}`, the same network trained "
                 f"longer) scores {cl['shipped']['mAP50'] * 100:.1f} there.")
        L.append("")
    # the curves: mean over seeds
    steps = [p["step"] for p in n[names[0]]["curve"]]
    for k in names[1:]:
        steps = [s for s in steps if s in {p["step"] for p in n[k]["curve"]}]
    stride = max(1, len(steps) // 12)
    shown = sorted(set(steps[stride - 1::stride]) | {steps[-1]})
    L.append(f"Curves (mean over seeds; every {stride * rec['eval_every']} steps):")
    L.append("")
    L.append("| step | " + " | ".join(f"`{k}` mAP@0.5" for k in names) + " | " + " | ".join(f"`{k}` @0.5:0.95" for k in names) + " |")
    L.append("|---" * (2 * len(names) + 1) + "|")
    for s in shown:
        cells = []
        for metric in ("mAP50", "mAP50_95"):
            for k in names:
                p = next(q for q in n[k]["curve"] if q["step"] == s)
                cells.append(f"{p[metric]['mean'] * 100:.1f}")
        L.append(f"| {s} | " + " | ".join(cells) + " |")
    L.append("")
    sc = st.get("schedule_check", {})
    sc_names = [k for k in names if k in sc]
    if sc_names:
        seed = sc[sc_names[0]][0]["seed"]
        short = sc[sc_names[0]][0]["steps"]
        L.append(f"Schedule-length check, seed {seed}: the same recipe with a {short}-step schedule "
                 f"(cosine over {short} steps) against the {rec['steps']}-step one:")
        L.append("")
        L.append(f"| seed {seed} | " + " | ".join(f"`{k}`" for k in sc_names) + " |")
        L.append("|---" * (len(sc_names) + 1) + "|")
        e = {k: sc[k][0] for k in sc_names}
        L.append(f"| mAP@0.5, {short}-step schedule | " + " | ".join(f"{e[k]['mAP50_short'] * 100:.1f}" for k in sc_names) + " |")
        L.append(f"| mAP@0.5, {rec['steps']}-step schedule | " + " | ".join(f"{e[k]['mAP50_full'] * 100:.1f}" for k in sc_names) + " |")
        L.append("| gained by doubling the schedule | " + " | ".join(f"{e[k]['gain_from_doubling'] * 100:+.1f}" for k in sc_names) + " |")
        if "csp" in e:
            L.append(f"| CSP minus this network, {short} → {rec['steps']} steps | " + " | ".join(
                "–" if k == "csp" else f"{(e['csp']['mAP50_short'] - e[k]['mAP50_short']) * 100:+.1f} → "
                f"{(e['csp']['mAP50_full'] - e[k]['mAP50_full']) * 100:+.1f}" for k in sc_names) + " |")
        L.append("")
    if os.path.exists(os.path.join(here, "study", "curves.png")):
        L += ["![mAP@0.5 on the held-out set against training step, mean and seed range per network](study/curves.png)", ""]
    # one sentence per claim, from the numbers above (rules stated in the text)
    L.append("What the study shows at this scale (generated from the numbers above: a difference counts as "
             "real only when the seeds' ranges do not overlap):")
    L.append("")
    if c and "plain" in n:
        p = n["plain"]
        cut = 1 - c["conv_macs"] / p["conv_macs"]
        s = (f"- **Computation.** The CSP stages count {cut:.0%} fewer FLOPs and "
             f"{1 - c['params'] / p['params']:.0%} fewer parameters than the plain twin; the claim's 10–20 % "
             f"{'holds' if cut >= 0.10 else 'does not hold'} in FLOPs.")
        if "latency_ms" in c:
            parts = []
            for t in sorted(c["latency_ms"]):
                a_, b_ = c["latency_ms"][t], p["latency_ms"][t]
                faster = a_["max_ms"] < b_["min_ms"]
                parts.append(f"{a_['median_ms']:.1f} vs {b_['median_ms']:.1f} ms at {t} thread{'s' if t != '1' else ''} "
                             f"({'CSP faster in every round' if faster else 'rounds overlap' if a_['min_ms'] <= b_['max_ms'] else 'CSP slower in every round'})")
            s += " On this CPU onnxruntime runs CSP vs the twin in " + "; ".join(parts) + "."
        L.append(s)
    if c:
        parts, holds = [], []
        for k, what in (("plain", "against its plain twin"), ("plain-narrow", "at equal FLOPs")):
            if k in n:
                d = (c["mAP50"]["mean"] - n[k]["mAP50"]["mean"]) * 100
                sep = separated(c["mAP50"], n[k]["mAP50"])
                verdict = ("CSP better" if d > 0 else "CSP worse") if sep else "within the seed spread"
                parts.append(f"{d:+.1f} points mAP@0.5 against `{k}` ({verdict})")
                holds.append(f"{'holds' if d >= 0 or not sep else 'does not hold'} {what}")
        s = (f"- **Accuracy.** After {rec['steps']} steps CSP scores {'; '.join(parts)}: the paper's "
             f"\"maintaining or improving accuracy\" {' and '.join(holds)} at this scale.")
        if "csp" in sc:
            moves = [f"`{k}` from {(sc['csp'][0]['mAP50_short'] - sc[k][0]['mAP50_short']) * 100:+.1f} to "
                     f"{(sc['csp'][0]['mAP50_full'] - sc[k][0]['mAP50_full']) * 100:+.1f}" for k in sc_names if k != "csp"]
            s += (f" Doubling the schedule from {sc['csp'][0]['steps']} to {rec['steps']} steps (seed {sc['csp'][0]['seed']}) "
                  f"moved CSP's difference to {' and to '.join(moves)} points.")
        L.append(s)
    if c and "memory" in c and "plain" in n:
        parts, holds = [], []
        for k, what in (("plain", "against its plain twin"), ("plain-narrow", "at equal FLOPs")):
            if k in n:
                live = c["memory"]["onnx"]["peak_live_mb"] / n[k]["memory"]["onnx"]["peak_live_mb"]
                written = c["memory"]["onnx"]["written_mb"] / n[k]["memory"]["onnx"]["written_mb"]
                parts.append(f"{live:.2f}× the peak live activations and {written:.2f}× the activation bytes "
                             f"written of `{k}`")
                holds.append(f"{'holds' if live < 1 else 'does not hold'} {what}")
        rss = ", ".join(f"`{k}` {n[k]['memory']['ort_default']['run_peak_mb']:.1f} MB" for k in names)
        # the graph counts are exact, so the verdict rests on them; onnxruntime's RSS growth is
        # shown beside them as what one process really grew by
        L.append(f"- **Memory.** CSP needs {'; '.join(parts)}: the paper's \"lower memory cost\" (peak "
                 f"activation memory at inference) {' and '.join(holds)}. onnxruntime's peak RSS growth while "
                 f"running: {rss}.")
    if c and "clip_mAP50" in c:
        L.append(shipped_sentence(n))
    L.append("")
    if "measured" in st:
        m = st["measured"]
        L.append(f"Latency and memory measured {m['date']} on {m['cpu']} ({m['cores']} cores), onnxruntime-node "
                 f"{m.get('ort')}, {m['rounds']} interleaved rounds of {m['runs_per_round']} runs per network and thread "
                 f"count; load average before/after {m['load_before']} / {m['load_after']}, CPU busy "
                 f"{m['busy_before']:.0%} / {m['busy_after']:.0%} in the {m['idle_probe_s']:g} s before and after"
                 f"{', the study itself paused' if m['study_paused'] else ''}. "
                 f"Networks exported from: " + ", ".join(f"`{k}` {n[k].get('bench_weights')}" for k in names) + ".")
    resumed = f", {st['resumed_runs']} runs resumed from a checkpoint" if st["resumed_runs"] else ""
    L.append(f"Training: {st['runs']} runs, {st['run_seconds_total'] / 3600:.1f} h of run time "
             f"({st['cpu_seconds_total'] / 3600:.1f} h of CPU time) in all "
             f"({st['span_seconds'] / 3600:.1f} h from the first start to the last finish, gaps between working sessions included{resumed}) "
             f"on {st['host']['cpu']}, torch {st['host']['torch']}.")
    return "\n".join(L)


def plot_curves(st: dict, path: str) -> None:
    """mAP@0.5 against step, mean line and min–max band per network, drawn with OpenCV
    (Debian has no matplotlib here)."""
    import cv2
    import numpy as np

    W, H, ml, mr, mt, mb = 720, 420, 60, 150, 20, 45
    img = np.full((H, W, 3), 255, np.uint8)
    n = st["nets"]
    names = [k for k in NETS if k in n]
    smax = max(p["step"] for k in names for p in n[k]["curve"])
    lo = min(p["mAP50"]["min"] for k in names for p in n[k]["curve"])
    lo = max(0.0, np.floor(lo * 10) / 10)
    hi = min(1.0, np.ceil(max(p["mAP50"]["max"] for k in names for p in n[k]["curve"]) * 20) / 20)
    X = lambda s: int(ml + (W - ml - mr) * s / smax)  # noqa: E731
    Y = lambda v: int(H - mb - (H - mt - mb) * (v - lo) / max(hi - lo, 1e-6))  # noqa: E731
    font = cv2.FONT_HERSHEY_SIMPLEX
    for v in np.arange(lo, hi + 1e-9, 0.1 if hi - lo > 0.3 else 0.05):
        cv2.line(img, (ml, Y(v)), (W - mr, Y(v)), (225, 225, 225), 1)
        cv2.putText(img, f"{v:.2f}", (8, Y(v) + 4), font, 0.4, (60, 60, 60), 1, cv2.LINE_AA)
    for s in np.linspace(0, smax, 7):
        cv2.putText(img, f"{int(s)}", (X(s) - 12, H - mb + 16), font, 0.4, (60, 60, 60), 1, cv2.LINE_AA)
    cv2.putText(img, "training step", (ml + (W - ml - mr) // 2 - 40, H - 10), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, "held-out mAP@0.5", (ml, mt - 5), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.rectangle(img, (ml, mt), (W - mr, H - mb), (0, 0, 0), 1)
    colours = {"csp": (40, 90, 220), "plain": (200, 120, 30), "plain-narrow": (60, 160, 60)}  # BGR
    for i, k in enumerate(names):
        cur = n[k]["curve"]
        band = np.array([[X(p["step"]), Y(p["mAP50"]["max"])] for p in cur] +
                        [[X(p["step"]), Y(p["mAP50"]["min"])] for p in reversed(cur)], np.int32)
        over = img.copy()
        cv2.fillPoly(over, [band], colours[k])
        img = cv2.addWeighted(over, 0.18, img, 0.82, 0)
        pts = np.array([[X(p["step"]), Y(p["mAP50"]["mean"])] for p in cur], np.int32)
        cv2.polylines(img, [pts], False, colours[k], 2, cv2.LINE_AA)
        cv2.line(img, (W - mr + 12, mt + 20 + 22 * i), (W - mr + 36, mt + 20 + 22 * i), colours[k], 2)
        cv2.putText(img, k, (W - mr + 42, mt + 24 + 22 * i), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.imwrite(path, img, [cv2.IMWRITE_PNG_COMPRESSION, 9])


def cmd_report(a) -> int:
    runs_by, short_by = load_results(a.results, a.steps)
    if not runs_by:
        print(f"study: no results at {a.steps} steps in {a.results}")
        return 1
    missing = [name for _, _, _, name in planned_runs(a) if not os.path.exists(os.path.join(a.results, name + ".json"))]
    if missing:
        print(f"study: not finished yet, missing {', '.join(missing)}; reporting what there is")
    clip = None if a.no_clip else score_clips(a)
    if clip:
        runs_by, short_by = load_results(a.results, a.steps)  # with the clip scores just added
    meas = None if a.no_measure else measure(a, runs_by)
    st = study_section(runs_by, meas, short_by, clip)
    st["missing"] = missing
    if a.metrics:
        m = load_json(a.metrics) if os.path.exists(a.metrics) else {}
        m["study"] = st
        write_json(a.metrics, m)
    if a.plot:
        plot_curves(st, a.plot)
    block = card_block(st)
    if a.card:
        with open(a.card) as f:
            text = f.read()
        if BEGIN not in text or END not in text:
            print(f"study: {a.card} has no study block markers; printing the block instead")
            print(block)
            return 1
        pre, rest = text.split(BEGIN, 1)
        _, post = rest.split(END, 1)
        with open(a.card, "w") as f:
            f.write(pre + BEGIN + "\n" + block + "\n" + END + post)
    print(block)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cmd", choices=["run", "status", "pause", "resume", "report", "same"])
    ap.add_argument("ckpts", nargs="*", help="same: two checkpoints that must hold identical weights")
    ap.add_argument("--work", default=os.path.join(here, "work"), help="data, checkpoints (WORK/study/)")
    ap.add_argument("--data", help="training frames (default WORK/train)")
    ap.add_argument("--heldout", help="held-out frames (default WORK/heldout)")
    ap.add_argument("--results", default=os.path.join(here, "study"), help="committed per-run results")
    ap.add_argument("--logs", default=os.path.join(here, "logs", "study"), help="per-run training logs")
    ap.add_argument("--nets", default=",".join(NETS))
    ap.add_argument("--seeds", default=",".join(map(str, SEEDS)))
    ap.add_argument("--steps", type=int, default=STEPS)
    ap.add_argument("--short-steps", type=int, default=SHORT_STEPS, help="the half-length schedule check (0: none)")
    ap.add_argument("--short-seeds", default=",".join(map(str, SHORT_SEEDS)))
    ap.add_argument("--eval-every", type=int, default=EVAL_EVERY)
    ap.add_argument("--ckpt-every", type=int, default=CKPT_EVERY)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--crop", type=int, default=256)
    ap.add_argument("--precision", choices=["bf16", "fp32"], default="bf16")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--halt-at", type=int, default=0, help="stop every run after its checkpoint at this step (resume check)")
    # report
    ap.add_argument("--metrics", help="metrics JSON to put the study section in (report)")
    ap.add_argument("--card", help="model card whose study block is rewritten (report)")
    ap.add_argument("--plot", help="PNG of the curves (report)")
    ap.add_argument("--no-measure", action="store_true", help="report: tables from the results only, no latency/memory")
    ap.add_argument("--no-clip", action="store_true", help="report: skip the test-clip check")
    ap.add_argument("--clip-every", type=int, default=3,
                    help="report: score every Nth frame of the test clip (3, as the CI accuracy test does)")
    ap.add_argument("--threads", default="1,2", help="report: onnxruntime intra-op thread counts")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--bench-runs", type=int, default=200)
    ap.add_argument("--mem-runs", type=int, default=20)
    ap.add_argument("--mem-repeats", type=int, default=3)
    ap.add_argument("--idle-probe-s", type=float, default=5.0)
    a = ap.parse_args(argv)
    a.nets = [n for n in a.nets.split(",") if n]
    a.seeds = [int(s) for s in a.seeds.split(",") if s]
    a.short_seeds = [int(s) for s in a.short_seeds.split(",") if s]
    a.threads = [int(t) for t in a.threads.split(",") if t]
    a.data = a.data or os.path.join(a.work, "train")
    a.heldout = a.heldout or os.path.join(a.work, "heldout")
    if a.cmd == "same":
        return cmd_same(*a.ckpts)
    if a.cmd == "run":
        return cmd_run(a)
    if a.cmd == "status":
        return cmd_status(a)
    if a.cmd == "pause":
        return cmd_signal(a, signal.SIGSTOP)
    if a.cmd == "resume":
        return cmd_signal(a, signal.SIGCONT)
    return cmd_report(a)


if __name__ == "__main__":
    sys.exit(main())
