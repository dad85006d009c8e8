#!/usr/bin/env bash
# The held-out evaluation set of the model card: seeds never used in training, noise and clutter
# 1.5x (harder than any training data, which stops at 1.25x). 100 scans, 39 with 77 inserted
# objects, 61 normal. Then: xray-screen eval heldout/bags heldout/cargo heldout/dual --model M
#
#   Models/training/make_heldout.sh [OUT_DIR] [XRAY_SCREEN]
set -euo pipefail
out=${1:-heldout}
x=${2:-xray-screen}
common=(--anomaly-rate 0.5 --anomalies 2 --noise 1.5 --clutter 1.5)
"$x" synth --kind baggage --count 60 --seed 20000 "${common[@]}" --out "$out/bags"
"$x" synth --kind cargo --count 20 --seed 30000 "${common[@]}" --out "$out/cargo"
"$x" synth --kind baggage --count 20 --seed 40000 "${common[@]}" --dual-energy --out "$out/dual"

# The calibration set (normal scans only, its own seeds): xray-screen calibrate on both folders.
"$x" synth --kind baggage --count 30 --anomaly-rate 0 --seed 50000 --out "$out-calibration/bags"
"$x" synth --kind cargo --count 10 --anomaly-rate 0 --seed 51000 --out "$out-calibration/cargo"
