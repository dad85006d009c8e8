#!/usr/bin/env python3
"""A quick ONNX Runtime check of a trained model on a synth folder, for use while
training (the model card's numbers come from `xray-screen eval`, not from this)."""
import argparse
import numpy as np
import onnxruntime as ort
import data


def tiled(sess, att, tile, overlap):
    h, w = att.shape
    ph, pw = max(h, tile), max(w, tile)
    pad = np.pad(att, ((0, ph - h), (0, pw - w)), mode="reflect")
    acc = np.zeros((ph, pw), np.float32)
    cnt = np.zeros((ph, pw), np.float32)
    step = tile - overlap
    ys = list(range(0, ph - tile + 1, step)) + [ph - tile]
    xs = list(range(0, pw - tile + 1, step)) + [pw - tile]
    for y in sorted(set(ys)):
        for x in sorted(set(xs)):
            out = sess.run(None, {"input": pad[None, None, y:y + tile, x:x + tile]})[0][0, 0]
            acc[y:y + tile, x:x + tile] += out
            cnt[y:y + tile, x:x + tile] += 1
    return (acc / cnt)[:h, :w]


def auroc(pos, neg):
    s = np.concatenate([pos, neg])
    r = s.argsort().argsort() + 1
    return (r[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--i0", type=float, default=60000)
    ap.add_argument("--scale", type=float, default=4)
    args = ap.parse_args()
    sess = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    tile = sess.get_inputs()[0].shape[2]
    img_scores, img_labels, ppos, pneg = [], [], [], []
    rng = np.random.default_rng(0)
    for folder in args.folders:
        for name, att, mask, truth in data.load_folder(folder, args.i0, args.scale):
            m = tiled(sess, att, tile, 32)
            img_scores.append(float(np.sort(m.ravel())[-100:].mean()))
            img_labels.append(bool(mask.any()))
            if mask.any():
                ppos.append(m[mask > 0])
            neg = m[mask == 0].ravel()
            pneg.append(neg[rng.integers(0, len(neg), 20000)])
    s, l = np.array(img_scores), np.array(img_labels)
    print(f"images {len(s)} anomalous {l.sum()}  image AUROC {auroc(s[l], s[~l]):.4f}")
    pos = np.concatenate(ppos)
    pos = pos[rng.integers(0, len(pos), min(len(pos), 200000))]
    print(f"pixel AUROC {auroc(pos, np.concatenate(pneg)):.4f}")
    print(f"normal image scores: median {np.median(s[~l]):.3f} max {s[~l].max():.3f}; anomalous median {np.median(s[l]):.3f}")


if __name__ == "__main__":
    main()
