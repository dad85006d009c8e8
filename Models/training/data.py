"""Reads a folder written by `xray-screen synth`: 16-bit scans (PNG, or TIFF with
one page per energy) and, beside each, `<name>.mask.png` (8-bit, non-zero where an
inserted anomaly changed the image) and `<name>.json` (ground truth)."""
import glob
import json
import os

import numpy as np
import tifffile
from PIL import Image


def read_scan(path):
    """Returns (channels, height, width) uint16."""
    if path.lower().endswith((".tif", ".tiff")):
        pages = [p.asarray() for p in tifffile.TiffFile(path).pages]
        if len(pages) == 1 and pages[0].ndim == 3:  # one page, samples interleaved
            return np.moveaxis(pages[0], -1, 0).astype(np.uint16)
        return np.stack(pages).astype(np.uint16)
    img = np.array(Image.open(path))
    return img[None].astype(np.uint16)


def log_attenuation(raw, i0, scale):
    """-ln(max(I, I0/65536) / I0) / scale: the detector's `log_attenuation` input domain."""
    return (-np.log(np.maximum(raw.astype(np.float32), i0 / 65536.0) / i0) / scale).astype(np.float32)


def list_scans(folder):
    out = []
    for p in sorted(glob.glob(os.path.join(folder, "*"))):
        base, ext = os.path.splitext(p)
        if ext.lower() in (".png", ".tif", ".tiff") and not base.endswith(".mask"):
            out.append(p)
    return out


def load_folder(folder, i0, scale, channel=0):
    """Yields (name, attenuation[H,W] float32 of one channel, mask[H,W] uint8, truth dict)."""
    for p in list_scans(folder):
        base = os.path.splitext(p)[0]
        raw = read_scan(p)
        att = log_attenuation(raw[min(channel, raw.shape[0] - 1)], i0, scale)
        mask_path = base + ".mask.png"
        mask = (np.array(Image.open(mask_path)) > 0).astype(np.uint8) if os.path.exists(mask_path) \
            else np.zeros(att.shape, np.uint8)
        truth = json.load(open(base + ".json")) if os.path.exists(base + ".json") else {}
        yield os.path.basename(p), att, mask, truth
