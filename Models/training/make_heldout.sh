#!/usr/bin/env bash
# The held-out evaluation set of the model card: seeds never used in training, noise 1.5x
# (harder than any training data, which stops at 1.25x), clutter 1.5x for the single-energy bags and
# the containers, 1.0x for the dual-energy bags. 100 scans, 39 with 77 inserted objects, 61 normal.
# Then: xray-screen eval heldout/bags heldout/cargo heldout/dual --model M
# (These commands reproduce version 5's card numbers exactly: 0.8634 / 0.9687 / 0.8670 / 51.9 %.)
#
#   Models/training/make_heldout.sh [OUT_DIR] [XRAY_SCREEN]
set -euo pipefail
out=${1:-heldout}
x=${2:-xray-screen}
common=(--anomaly-rate 0.5 --anomalies 2 --noise 1.5)
"$x" synth --kind baggage --count 60 --seed 20000 "${common[@]}" --clutter 1.5 --out "$out/bags"
"$x" synth --kind cargo --count 20 --seed 30000 "${common[@]}" --clutter 1.5 --out "$out/cargo"
"$x" synth --kind baggage --count 20 --seed 40000 "${common[@]}" --clutter 1.0 --dual-energy --out "$out/dual"

# The calibration set (normal scans only, its own seeds): xray-screen calibrate on both folders.
"$x" synth --kind baggage --count 30 --anomaly-rate 0 --seed 50000 --out "$out-calibration/bags"
"$x" synth --kind cargo --count 10 --anomaly-rate 0 --seed 51000 --out "$out-calibration/cargo"
