#!/usr/bin/env python3
"""Stores a calibration profile (from `xray-screen calibrate`) in a model's metadata_props, so
the shipped model carries its threshold and the normal-score statistics it came from.

    python3 Models/training/set_calibration.py Models/xray-anomaly-unet.onnx profile.json
"""
import json
import sys

import onnx


def main(model_path, profile_path):
    profile = json.load(open(profile_path))
    model = onnx.load(model_path)
    values = {
        "xrayscreen.threshold": repr(float(profile["threshold"])),
        "xrayscreen.score_mean": repr(float(profile["normalMean"])),
        "xrayscreen.score_std": repr(float(profile["normalStd"])),
        "xrayscreen.provenance.calibration": json.dumps({k: profile[k] for k in (
            "target", "imageCount", "achievedFalseAlarmRate", "imageScoreMethod", "smoothingSigma") if k in profile}),
    }
    kept = [p for p in model.metadata_props if p.key not in values]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    for k, v in values.items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, model_path)
    print(json.dumps(values, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:3])
