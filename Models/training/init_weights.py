"""Starts training from an earlier model: a state_dict saved by train.py, or a shipped ONNX file.

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


def load(net, path, sample_tiles):
    if path.endswith(".onnx"):
        load_onnx(net, path, sample_tiles)
    else:
        net.load_state_dict(torch.load(path))
