#!/usr/bin/env python3
"""Trains the shipped anomaly U-Net on scans made by `xray-screen synth` and exports
it to ONNX with the detector's metadata (see Models/README.md for the recipe).

Supervision is free: threat image projection inserts anomalies with exact masks
(the DRAEM idea), so the net learns a per-pixel segmentation of "inserted, not
belonging" against a background of realistic normal clutter.
"""
import argparse
import datetime
import json
import os
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F

import data
import init_weights
from model import AnomalyUNet, WithSigmoid, macs_per_tile


def sample_batch(scans, rng, batch, tile, positive_fraction, hard=(), hard_fraction=0.0):
    """Tiles centred on an anomaly (positive_fraction), on a mined hard negative (hard_fraction,
    `hard` holds (scan index, y, x)), or anywhere."""
    xs, ys = [], []
    while len(xs) < batch:
        pick = rng.random()
        centre = None
        if len(hard) and pick < hard_fraction:
            i, cy, cx = hard[rng.integers(len(hard))]
            att, mask, _ = scans[i]
            centre = (cy, cx)
        else:
            att, mask, pos = scans[rng.integers(len(scans))]
            if len(pos) and rng.random() < positive_fraction:
                centre = pos[rng.integers(len(pos))]
        h, w = att.shape
        if h < tile or w < tile:
            continue
        if centre is not None:
            cy, cx = centre
            y = int(np.clip(cy - rng.integers(tile // 8, tile - tile // 8), 0, h - tile))
            x = int(np.clip(cx - rng.integers(tile // 8, tile - tile // 8), 0, w - tile))
        else:
            y, x = rng.integers(0, h - tile + 1), rng.integers(0, w - tile + 1)
        a, m = att[y:y + tile, x:x + tile], mask[y:y + tile, x:x + tile]
        if rng.random() < 0.5:
            a, m = a[:, ::-1], m[:, ::-1]
        if rng.random() < 0.5:
            a, m = a[::-1], m[::-1]
        xs.append(a.astype(np.float32))  # scans are held as float16 (half the memory)
        ys.append(np.ascontiguousarray(m))
    return torch.from_numpy(np.stack(xs)[:, None]), torch.from_numpy(np.stack(ys)[:, None].astype(np.float32))


def mine_hard_negatives(net, scans, rng, count, fast, threshold=0.5, per_scan=32, cell=16):
    """Where the current net is most sure about normal pixels: up to `per_scan` cells (cell x cell)
    per scan whose peak probability exceeds `threshold`, at least 2 cells away from any inserted
    object, on `count` random scans. Returns an array of (scan index, y, x)."""
    found = []
    net.eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=fast):
        for i in rng.choice(len(scans), min(count, len(scans)), replace=False):
            att, mask, _ = scans[i]
            h, w = att.shape
            ph, pw = -(-h // cell) * cell, -(-w // cell) * cell
            x = torch.from_numpy(np.pad(att.astype(np.float32), ((0, ph - h), (0, pw - w)), mode="reflect"))[None, None]
            if fast:
                x = x.contiguous(memory_format=torch.channels_last)
            prob = torch.sigmoid(net(x).float())
            peak = F.max_pool2d(prob, cell)[0, 0]
            m = torch.from_numpy(np.pad(mask, ((0, ph - h), (0, pw - w)))).float()[None, None]
            near = F.max_pool2d(F.max_pool2d(m, cell), 5, stride=1, padding=2)[0, 0] > 0
            peak[near] = 0
            cells = torch.nonzero(peak > threshold)
            if len(cells):
                order = peak[cells[:, 0], cells[:, 1]].argsort(descending=True)[:per_scan]
                for cy, cx in cells[order].tolist():
                    found.append((int(i), min(cy * cell + cell // 2, h - 1), min(cx * cell + cell // 2, w - 1)))
    net.train()
    return np.array(found, dtype=np.int64).reshape(-1, 3)


def dice_loss(logits, target):
    """Soft Dice per tile, averaged. (A batch-wide Dice without positive weighting was tried:
    with the same budget it scored lower on the held-out set, see Models/README.md.)"""
    p = torch.sigmoid(logits)
    inter = (p * target).sum((1, 2, 3))
    return (1 - (2 * inter + 1) / (p.sum((1, 2, 3)) + target.sum((1, 2, 3)) + 1)).mean()


def hard_pixel_loss(logits, target, k, margin=4):
    """BCE on each tile's k most confident normal pixels (those at least `margin` pixels from any
    inserted object). The image score is a top-k mean over the scan, so a few confident pixels on
    normal clutter decide a false alarm; in the per-pixel mean they weigh next to nothing."""
    near = F.max_pool2d(target, 2 * margin + 1, stride=1, padding=margin) > 0
    worst = logits.masked_fill(near, -1e4).flatten(1).topk(k, dim=1).values
    keep = worst > -1e3  # tiles with fewer than k normal pixels contribute only the ones they have
    bce = F.binary_cross_entropy_with_logits(worst, torch.zeros_like(worst), reduction="none")
    return (bce * keep).sum() / keep.sum().clamp(min=1)


def learning_rate(args, step, elapsed):
    """One-cycle schedule (10 % warm-up, cosine decay) over whichever runs out first, the
    steps or the wall-clock budget, so a run cut short by `--minutes` still anneals."""
    progress = step / args.steps
    if args.minutes:
        progress = max(progress, elapsed / (args.minutes * 60))
    progress = min(progress, 1.0)
    if progress < 0.1:
        return args.lr * (0.04 + 0.96 * progress / 0.1)
    return args.lr * (0.5 + 0.5 * np.cos(np.pi * (progress - 0.1) / 0.9)) + 1e-6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", nargs="+", required=True, help="folders written by xray-screen synth")
    ap.add_argument("--out", required=True)
    ap.add_argument("--widths", default="12,24,48,96")
    ap.add_argument("--tile", type=int, default=128, help="training tile")
    ap.add_argument("--export-tile", type=int, default=256, help="static tile size of the ONNX file")
    ap.add_argument("--overlap", type=int, default=32)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--i0", type=float, default=60000.0)
    ap.add_argument("--scale", type=float, default=4.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--minutes", type=float, default=0, help="stop early after this wall time (0 = no limit)")
    ap.add_argument("--positive-fraction", type=float, default=0.6, help="share of tiles centred on an anomaly")
    ap.add_argument("--pos-weight", type=float, default=4.0, help="BCE weight of anomalous pixels")
    ap.add_argument("--hard-pixels", type=int, default=0,
                    help="add BCE on each tile's k most confident normal pixels (0 = off)")
    ap.add_argument("--hard-pixel-weight", type=float, default=1.0, help="weight of that term")
    ap.add_argument("--init", default="", help="start from a state_dict (.pt) or an exported model (.onnx)")
    ap.add_argument("--hard-fraction", type=float, default=0.0,
                    help="share of tiles centred on hard negatives mined with the current net "
                         "(the rest follow --positive-fraction)")
    ap.add_argument("--mine-minutes", type=float, default=10, help="re-mine hard negatives this often")
    ap.add_argument("--mine-scans", type=int, default=200, help="scans scored per mining pass")
    ap.add_argument("--fp32", action="store_true",
                    help="train in plain fp32 (default: bf16 autocast + channels-last, about 2x faster on CPU)")
    ap.add_argument("--snapshot-minutes", type=float, default=0,
                    help="also export OUT.stepN.onnx every so many minutes, to evaluate while training")
    ap.add_argument("--smoothing-sigma", default="2", help="detector's map smoothing (metadata)")
    ap.add_argument("--image-score", default="top_k_mean:200", help="detector's image score (metadata)")
    ap.add_argument("--version", default="2", help="model version (metadata)")
    ap.add_argument("--command", default="", help="the data-generation command, recorded as provenance")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    scans = []
    for folder in args.data:
        for name, att, mask, _ in data.load_folder(folder, args.i0, args.scale):
            # float16 keeps ~3 significant digits of log attenuation (0…~4), far below the quantum
            # noise, and halves the trainer's memory (1 500 scans: ~6 GB instead of 12).
            scans.append((att.astype(np.float16), mask, np.argwhere(mask > 0)[::97]))
    print(f"{len(scans)} scans, {sum(len(s[2]) > 0 for s in scans)} with anomalies", flush=True)

    widths = tuple(int(w) for w in args.widths.split(","))
    net = AnomalyUNet(1, widths)
    if args.init:
        x, _ = sample_batch(scans, rng, 64, args.tile, args.positive_fraction)
        init_weights.load(net, args.init, x)
        print(f"initialised from {args.init}", flush=True)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    fast = not args.fp32
    if fast:
        net = net.to(memory_format=torch.channels_last)
    pos_weight = torch.tensor(args.pos_weight)
    t0 = last_snapshot = time.time()
    hard, last_mined = np.zeros((0, 3), np.int64), None
    net.train()
    for step in range(1, args.steps + 1):
        # Mine at once when fine-tuning, otherwise after the first interval, then every interval.
        if args.hard_fraction and (step == 1 and args.init
                                   or time.time() - (last_mined or t0) > args.mine_minutes * 60):
            t = time.time()
            hard = mine_hard_negatives(net, scans, rng, args.mine_scans, fast)
            last_mined = time.time()
            print(f"mined {len(hard)} hard negatives in {last_mined - t:.0f}s", flush=True)
        x, y = sample_batch(scans, rng, args.batch, args.tile, args.positive_fraction, hard, args.hard_fraction)
        if fast:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=fast):
            logits = net(x)
        logits = logits.float()
        loss = F.binary_cross_entropy_with_logits(logits, y, pos_weight=pos_weight) + dice_loss(logits, y)
        if args.hard_pixels:
            loss = loss + args.hard_pixel_weight * hard_pixel_loss(logits, y, args.hard_pixels)
        opt.zero_grad()
        loss.backward()
        for group in opt.param_groups:
            group["lr"] = learning_rate(args, step, time.time() - t0)
        opt.step()
        if step % 50 == 0 or step == 1:
            print(f"step {step} loss {loss.item():.4f} {time.time() - t0:.0f}s", flush=True)
        if args.snapshot_minutes and time.time() - last_snapshot > args.snapshot_minutes * 60:
            last_snapshot = time.time()
            export(net, args, f"{os.path.splitext(args.out)[0]}.step{step}.onnx", {})
            net.train()
            if fast:
                net = net.to(memory_format=torch.channels_last)
        if args.minutes and time.time() - t0 > args.minutes * 60:
            print(f"time budget reached at step {step}", flush=True)
            break
    train_seconds = time.time() - t0

    torch.save(net.state_dict(), os.path.splitext(args.out)[0] + ".pt")  # for fine-tuning; not shipped
    tile = args.export_tile
    export(net, args, args.out, {
        "xrayscreen.provenance.recipe": "Models/training/train.py " + " ".join(
            f"--{k}={v}" for k, v in vars(args).items() if k not in ("data", "out", "command")),
        "xrayscreen.provenance.data": args.command,
        "xrayscreen.provenance.date": datetime.date.today().isoformat(),
        "xrayscreen.provenance.train_seconds": f"{train_seconds:.0f}",
        "xrayscreen.provenance.gmac_per_tile": f"{macs_per_tile(net, 1, tile) / 1e9:.3f}",
        "xrayscreen.provenance.parameters": str(sum(p.numel() for p in net.parameters())),
        **({"xrayscreen.provenance.init": init_provenance(args.init)} if args.init else {}),
    })


def init_provenance(path):
    """What a fine-tuned model started from: the file, and for an ONNX model its name, version
    and training time."""
    if not path.endswith(".onnx"):
        return os.path.basename(path)
    meta = {p.key: p.value for p in onnx.load(path).metadata_props}
    return (f"{os.path.basename(path)} ({meta.get('xrayscreen.model_name', '?')} version "
            f"{meta.get('xrayscreen.version', '?')}, {meta.get('xrayscreen.provenance.train_seconds', '?')} s)")


def export(net, args, path, provenance):
    """ONNX with a static 1x1xTxT input, sigmoid output and the detector's metadata."""
    net = net.eval().to(memory_format=torch.contiguous_format)
    tile = args.export_tile
    torch.onnx.export(WithSigmoid(net), torch.zeros(1, 1, tile, tile), path, input_names=["input"],
                      output_names=["anomaly"], opset_version=17, dynamo=False)
    model = onnx.load(path)
    meta = {
        "xrayscreen.model_name": os.path.splitext(os.path.basename(args.out))[0],
        "xrayscreen.format_version": "1",
        "xrayscreen.version": args.version,
        "xrayscreen.input_channels": "gray",
        "xrayscreen.normalisation": "log_attenuation",
        "xrayscreen.i0": str(args.i0),
        "xrayscreen.scale": str(1.0 / args.scale),
        "xrayscreen.offset": "0",
        "xrayscreen.tile_size": str(tile),
        "xrayscreen.tile_overlap": str(args.overlap),
        "xrayscreen.output": "probability",
        "xrayscreen.smoothing_sigma": args.smoothing_sigma,
        "xrayscreen.image_score": args.image_score,
        **provenance,
    }
    del model.metadata_props[:]
    for k, v in meta.items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, path)
    print(f"exported {path}" if not provenance else json.dumps(meta, indent=1), flush=True)


if __name__ == "__main__":
    main()
