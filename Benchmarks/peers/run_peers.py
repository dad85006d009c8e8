#!/usr/bin/env python3
"""Runs the same ONNX files in ONNX Runtime, PyTorch (eager, CPU) and XRayEngine.

Exports the nets of nets.py with fixed seeds (BatchNorm randomised), then for each
net and thread count alternates rounds of the three runtimes on the same input and
prints a Markdown table: median and min ms, effective GFLOP/s (2 x MAC / time), ratios to
ONNX Runtime of medians and of minima (>1 means faster than ONNX Runtime), peak RSS, and the max abs
difference of XRayEngine's output from ONNX Runtime's.

    python3 Benchmarks/peers/run_peers.py --threads 1 2 --rounds 5
"""
import os
# PyTorch's OpenMP workers otherwise keep spinning after each run and take a core from the
# runtime timed next (measured: XRayEngine's 2-thread MobileNetV2 2.6 -> 4.9 ms); must be
# set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort
import torch

sys.path.insert(0, os.path.dirname(__file__))
import nets  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def export(name, out_dir):
    path = os.path.join(out_dir, f"{name}.onnx")
    cls, shape = nets.NETS[name]
    g = torch.Generator().manual_seed(1234)
    torch.manual_seed(1234)
    model = cls().eval()
    nets.randomise_batchnorm(model, g)
    if not os.path.exists(path):
        torch.onnx.export(model, torch.zeros(shape), path, input_names=["input"], output_names=["output"],
                          opset_version=17, dynamo=False)
    return model, shape, path, nets.count_macs(model, shape)


def settle():
    """ONNX Runtime's and PyTorch's worker threads spin for a while after a run; left alone
    they would take a core from whichever runtime is timed next."""
    time.sleep(0.3)


def warmup_runs(runs):
    """Untimed runs before each timed batch, the same number for every runtime (XRayEngine's
    `--warmup`): ONNX Runtime's first run after `settle()` was a cold one, and with few timed
    runs it raised its median (MobileNetV2, 3 runs: up to a fifth)."""
    return max(2, runs)


# Every runtime also warms up for at least this long before each timed batch (XRayEngine's
# `--warmup-seconds`). XRayEngine runs in a fresh process per batch, and a fresh process ran
# its first 10-15 MobileNetV2 runs on two threads at about half speed (8 ms, then 3.7), more
# than the 10 warm-up runs covered; ONNX Runtime's session lives across batches.
WARMUP_SECONDS = 0.3


def time_runs(fn, runs):
    settle()
    end = time.perf_counter() + WARMUP_SECONDS
    warmed = 0
    while warmed < warmup_runs(runs) or time.perf_counter() < end:
        fn()
        warmed += 1
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def xray_bench(binary, path, shape, threads, runs, input_path, output_path):
    settle()
    cmd = [binary, "bench", path, "--shape", "x".join(map(str, shape)), "--threads", str(threads),
           "--runs", str(runs), "--warmup", str(warmup_runs(runs)),
           "--warmup-seconds", str(WARMUP_SECONDS), "--input", input_path, "--save-output", output_path, "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nets", nargs="+", default=list(nets.NETS))
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3, help="timed runs per runtime per round")
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build/release/xray-screen"))
    ap.add_argument("--work", default=os.path.join(HERE, "models"))
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)

    rows = []
    for name in args.nets:
        model, shape, path, macs = export(name, args.work)
        x = np.random.default_rng(7).standard_normal(shape).astype(np.float32)
        input_path = os.path.join(args.work, f"{name}.input.bin")
        output_path = os.path.join(args.work, f"{name}.xray.bin")
        x.tofile(input_path)
        for threads in args.threads:
            so = ort.SessionOptions()
            so.intra_op_num_threads = threads
            so.inter_op_num_threads = 1
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
            ref = sess.run(None, {"input": x})[0]
            torch.set_num_threads(threads)
            tx = torch.from_numpy(x)
            samples = {"onnxruntime": [], "pytorch": [], "xrayengine": []}
            rss = {}
            for _ in range(args.rounds):
                samples["onnxruntime"] += time_runs(lambda: sess.run(None, {"input": x}), args.runs)
                with torch.no_grad():
                    samples["pytorch"] += time_runs(lambda: model(tx), args.runs)
                r = xray_bench(args.binary, path, shape, threads, args.runs, input_path, output_path)
                samples["xrayengine"] += r["runs_ms"]
                rss["xrayengine"] = r.get("peak_rss_bytes", 0)
            rss["onnxruntime"] = rss["pytorch"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            ours = np.fromfile(output_path, dtype=np.float32).reshape(ref.shape)
            err = float(np.abs(ours - ref).max())
            rng = float(ref.max() - ref.min())
            ort_med = float(np.median(samples["onnxruntime"]))
            ort_min = float(np.min(samples["onnxruntime"]))
            for runtime, ts in samples.items():
                med, best = float(np.median(ts)), float(np.min(ts))
                rows.append((name, threads, runtime, med, best, 2 * macs / med / 1e6, ort_med / med, ort_min / best,
                             rss[runtime] / 2**20, err / max(1.0, rng) if runtime == "xrayengine" else None))

    print("| net | threads | runtime | median ms | min ms | GFLOP/s | speed vs ONNX Runtime (median) | (min) "
          "| peak RSS MiB | rel. max err |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n, t, r, med, best, gf, ratio, ratio_min, mib, err in rows:
        e = "" if err is None else f"{err:.1e}"
        print(f"| {n} | {t} | {r} | {med:.1f} | {best:.1f} | {gf:.0f} | {ratio:.2f}x | {ratio_min:.2f}x | {mib:.0f} | {e} |")
    print("\n(Python runtimes share one process, so their peak RSS is the process's. On a shared host"
          " the minimum is the steadier estimate: other tenants only ever add time.)")


if __name__ == "__main__":
    main()
