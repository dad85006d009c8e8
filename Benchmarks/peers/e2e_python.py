#!/usr/bin/env python3
"""The scan pipeline as a Python user would write it: Pillow/tifffile decode, NumPy
log-attenuation, ONNX Runtime on overlapping tiles with linear-ramp blending, SciPy
smoothing and 8-connected labelling, one JSON line per scan. Same model file and folder
as `xray-screen scan`, so images/s and peak RSS can be compared side by side.

    python3 Benchmarks/peers/e2e_python.py DIR --model Models/xray-anomaly-unet.onnx --out /tmp/py.jsonl
"""
import argparse
import glob
import json
import os
import resource
import time

import numpy as np
import onnx
import onnxruntime as ort
import tifffile
from PIL import Image
from scipy import ndimage


def decode(path):
    if path.lower().endswith((".tif", ".tiff")):
        return tifffile.imread(path, key=0).astype(np.float32)  # high-energy page
    return np.asarray(Image.open(path), dtype=np.float32)


def ramp(tile, overlap):
    r = np.ones(tile, np.float32)
    if overlap:
        edge = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
        r[:overlap], r[-overlap:] = edge, edge[::-1]
    return np.outer(r, r)


def infer(sess, name, att, tile, overlap, weight):
    h, w = att.shape
    ph, pw = max(h, tile), max(w, tile)
    x = np.pad(att, ((0, ph - h), (0, pw - w)), mode="reflect")
    acc = np.zeros((ph, pw), np.float32)
    wsum = np.zeros((ph, pw), np.float32)
    step = tile - overlap
    ys = sorted(set(list(range(0, ph - tile + 1, step)) + [ph - tile]))
    xs = sorted(set(list(range(0, pw - tile + 1, step)) + [pw - tile]))
    for y in ys:
        for x0 in xs:
            out = sess.run(None, {name: x[None, None, y:y + tile, x0:x0 + tile]})[0][0, 0]
            acc[y:y + tile, x0:x0 + tile] += out * weight
            wsum[y:y + tile, x0:x0 + tile] += weight
    return (acc / wsum)[:h, :w]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--threshold", type=float, default=0.5)
    args = ap.parse_args()
    meta = {p.key: p.value for p in onnx.load(args.model).metadata_props}
    tile, overlap = int(meta["xrayscreen.tile_size"]), int(meta["xrayscreen.tile_overlap"])
    i0, scale = float(meta["xrayscreen.i0"]), float(meta["xrayscreen.scale"])
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(args.model, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    weight = ramp(tile, overlap)
    files = [f for f in sorted(glob.glob(os.path.join(args.folder, "*")))
             if f.lower().endswith((".png", ".tif", ".tiff")) and ".mask." not in f]
    start = time.perf_counter()
    with open(args.out, "w") as report:
        for f in files:
            raw = decode(f)
            att = -np.log(np.maximum(raw, i0 / 65536) / i0) * scale
            prob = infer(sess, name, att, tile, overlap, weight)
            prob = ndimage.gaussian_filter(prob, 1.0)
            labels, n = ndimage.label(prob >= args.threshold, structure=np.ones((3, 3)))
            boxes = ndimage.find_objects(labels)
            peaks = ndimage.maximum(prob, labels, range(1, n + 1)) if n else []
            regions = [{"box": [s[1].start, s[0].start, s[1].stop - s[1].start, s[0].stop - s[0].start],
                        "peak": float(p)} for s, p in zip(boxes, peaks)]
            report.write(json.dumps({"file": f, "score": float(prob.max()), "regions": regions}) + "\n")
            report.flush()
            os.fsync(report.fileno())
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"images": len(files), "seconds": round(seconds, 2),
                      "images_per_second": round(len(files) / seconds, 3), "peak_rss_mib": round(rss)}))


if __name__ == "__main__":
    main()
