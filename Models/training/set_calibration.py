#!/usr/bin/env python3
"""Stores a calibration profile (from `xray-screen calibrate`) in a model's metadata_props, so
the shipped model carries its threshold and the normal-score statistics it came from.

    python3 Models/training/set_calibration.py Models/xray-anomaly-unet.onnx profile.json
"""
import json
import sys

import set_metadata


def main(model_path, profile_path):
    profile = json.load(open(profile_path))
    values = {
        "xrayscreen.threshold": repr(float(profile["threshold"])),
        "xrayscreen.score_mean": repr(float(profile["normalMean"])),
        "xrayscreen.score_std": repr(float(profile["normalStd"])),
        "xrayscreen.provenance.calibration": json.dumps({k: profile[k] for k in (
            "target", "imageCount", "achievedFalseAlarmRate", "imageScoreMethod", "smoothingSigma") if k in profile}),
    }
    set_metadata.update(model_path, values)
    print(json.dumps(values, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:3])
