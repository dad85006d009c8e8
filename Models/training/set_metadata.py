#!/usr/bin/env python3
"""Sets `xrayscreen.*` metadata_props of a model (provenance, version, name) in place.

    python3 Models/training/set_metadata.py Models/xray-anomaly-unet.onnx xrayscreen.version=3

Keys without the `xrayscreen.` prefix get it. Threshold and score statistics come from a
calibration profile instead: `set_calibration.py`.
"""
import sys

import onnx


def update(model_path, values):
    """Replaces (or adds) the `values` keys of the model's metadata_props, keeping the rest."""
    model = onnx.load(model_path)
    kept = [p for p in model.metadata_props if p.key not in values]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    for k, v in values.items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, model_path)


def main(model_path, assignments):
    values = {}
    for a in assignments:
        key, sep, value = a.partition("=")
        if not sep:
            raise SystemExit(f"expected KEY=VALUE, got {a!r}")
        values[key if key.startswith("xrayscreen.") else "xrayscreen." + key] = value
    update(model_path, values)
    for k, v in values.items():
        print(f"{k} = {v}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2:])
