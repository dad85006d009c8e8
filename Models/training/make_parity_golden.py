#!/usr/bin/env python3
"""Writes the parity golden for the shipped model: one 256x256 tile of a sample scan in the
model's input domain, and ONNX Runtime's output for it. `swift test` (ShippedModelParityTests)
runs the same tile through XRayEngine and compares.

    python3 Models/training/make_parity_golden.py
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort

import data

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = os.path.join(ROOT, "Models", "xray-anomaly-unet.onnx")
SCAN = os.path.join(ROOT, "SampleImages", "baggage-000905.png")
OUT = os.path.join(ROOT, "Tests", "XRayEngineTests", "Goldens", "shipped")


def main():
    meta = {p.key: p.value for p in onnx.load(MODEL).metadata_props}
    tile = int(meta["xrayscreen.tile_size"])
    i0, scale = float(meta["xrayscreen.i0"]), 1.0 / float(meta["xrayscreen.scale"])
    att = data.log_attenuation(data.read_scan(SCAN)[0], i0, scale)
    y0, x0 = 150, 250  # a tile across the bag's contents
    x = np.ascontiguousarray(att[y0:y0 + tile, x0:x0 + tile])[None, None].astype(np.float32)
    sess = ort.InferenceSession(MODEL, providers=["CPUExecutionProvider"])
    y = sess.run(None, {sess.get_inputs()[0].name: x})[0].astype(np.float32)
    os.makedirs(OUT, exist_ok=True)
    x.tofile(os.path.join(OUT, "input.bin"))
    y.tofile(os.path.join(OUT, "output.bin"))
    json.dump({"model": "Models/xray-anomaly-unet.onnx", "input_shape": list(x.shape), "output_shape": list(y.shape),
               "onnxruntime": ort.__version__, "scan": "SampleImages/baggage-000905.png", "tile_origin": [y0, x0]},
              open(os.path.join(OUT, "manifest.json"), "w"), indent=1)
    print("wrote", OUT, x.shape, y.shape, float(y.min()), float(y.max()))


if __name__ == "__main__":
    main()
