"""Starts training from an earlier model: a state_dict saved by train.py, or a shipped ONNX file,
of the same widths or narrower (then widened without changing the function it computes).

The ONNX export folds each BatchNorm into its convolution (weight and bias). To fine-tune, the
BatchNorms are rebuilt so that the network in eval mode computes exactly the exported function:
with the conv producing W*x and BN statistics (mean, var) measured on real tiles,
gamma = sqrt(var + eps) and beta = bias + mean give BN(W*x) = W*x + bias, while training-mode
batch statistics start close to the measured ones."""
import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

from model import AnomalyUNet


def conv_initializers(path):
    """Conv weights and biases of an exported model, in graph order."""
    model = onnx.load(path)
    init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    out = []
    for node in model.graph.node:
        if node.op_type == "Conv":
            w = init[node.input[1]]
            b = init[node.input[2]] if len(node.input) > 2 and node.input[2] else np.zeros(w.shape[0], np.float32)
            out.append((w, b))
    return out


def load_onnx(net, path, sample_tiles):
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    params = conv_initializers(path)
    if [tuple(c.weight.shape) for c in convs] != [w.shape for w, _ in params]:
        raise SystemExit(f"{path}: conv shapes differ from --widths "
                         f"({[w.shape for w, _ in params]} vs {[tuple(c.weight.shape) for c in convs]})")
    norms = {}  # conv -> the BatchNorm that follows it
    for seq in net.modules():
        if isinstance(seq, nn.Sequential):
            layers = list(seq)
            for a, b in zip(layers, layers[1:]):
                if isinstance(a, nn.Conv2d) and isinstance(b, nn.BatchNorm2d):
                    norms[a] = b
    with torch.no_grad():
        for conv, (w, b) in zip(convs, params):
            conv.weight.copy_(torch.from_numpy(np.array(w)))
            bn = norms.get(conv)
            if bn is None:
                conv.bias.copy_(torch.from_numpy(np.array(b)))
            else:  # identity BN for now: eval output W*x + b
                bn.weight.fill_(1.0)
                bn.bias.copy_(torch.from_numpy(np.array(b)))
                bn.running_mean.zero_()
                bn.running_var.fill_(1.0 - bn.eps)
        # Measure each conv's output statistics with the exact exported function, then move them into BN.
        stats = {}
        hooks = [c.register_forward_hook(lambda m, i, o: stats.__setitem__(m, (o.mean((0, 2, 3)), o.var((0, 2, 3)))))
                 for c in norms]
        net.eval()(sample_tiles)
        for h in hooks:
            h.remove()
        for conv, bn in norms.items():
            mean, var = stats[conv]
            bn.running_mean.copy_(mean)
            bn.running_var.copy_(var)
            bn.bias.add_(mean)
            bn.weight.copy_(torch.sqrt(var + bn.eps))


def onnx_widths(path):
    """Level widths of an exported AnomalyUNet: the output channels of every second down conv."""
    convs = conv_initializers(path)
    levels = (len(convs) + 1) // 4  # 2 convs per down level, 2 per up level (one fewer), 1 head
    return tuple(int(convs[2 * i + 1][0].shape[0]) for i in range(levels))


def input_widths(net):
    """For each conv of an AnomalyUNet, in module order: the widths of the blocks of channels its
    input concatenates (an up block reads the level below, upsampled, then its skip)."""
    w = net.widths
    blocks = [[net.down[0][0].in_channels], [w[0]]]
    for i in range(1, len(w)):
        blocks += [[w[i - 1]], [w[i]]]
    for i in reversed(range(len(w) - 1)):
        blocks += [[w[i + 1], w[i]], [w[i]]]
    return blocks + [[w[0]]]


def widen(narrow, wide):
    """Copies `narrow` into the wider `wide` so that it computes the same function: the old output
    channels keep their weights and see none of the new input channels (zeroed); the new output
    channels start from their random initialisation, and since the old ones ignore them, the net's
    output is unchanged until training gives them a use (the Net2Net idea, with zero fan-out)."""
    old_convs = [m for m in narrow.modules() if isinstance(m, nn.Conv2d)]
    new_convs = [m for m in wide.modules() if isinstance(m, nn.Conv2d)]
    old_norms = [m for m in narrow.modules() if isinstance(m, nn.BatchNorm2d)]
    new_norms = [m for m in wide.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for old, new, old_in, new_in in zip(old_convs, new_convs, input_widths(narrow), input_widths(wide)):
            index, offset = [], 0
            for old_width, new_width in zip(old_in, new_in):
                index += range(offset, offset + old_width)
                offset += new_width
            out = old.out_channels
            new.weight[:out] = 0
            new.weight[:out, index] = old.weight
            if old.bias is not None:
                new.bias[:out] = old.bias
        for old, new in zip(old_norms, new_norms):
            n = old.num_features
            for name in ("weight", "bias", "running_mean", "running_var"):
                getattr(new, name)[:n] = getattr(old, name)


def load(net, path, sample_tiles):
    if path.endswith(".onnx"):
        widths, current = onnx_widths(path), net.widths
        if widths == current:
            load_onnx(net, path, sample_tiles)
            return
        if len(widths) != len(current) or any(a > b for a, b in zip(widths, current)):
            raise SystemExit(f"{path}: widths {widths} cannot grow into --widths {current}")
        narrow = AnomalyUNet(net.down[0][0].in_channels, widths)
        load_onnx(narrow, path, sample_tiles)
        widen(narrow, net)
        with torch.no_grad():
            gap = (narrow.eval()(sample_tiles) - net.eval()(sample_tiles)).abs().max().item()
        print(f"widened {widths} -> {current}: largest output change {gap:.2e}", flush=True)
        if gap > 1e-3:
            raise SystemExit("widening changed the function; this is a bug")
    else:
        net.load_state_dict(torch.load(path))
