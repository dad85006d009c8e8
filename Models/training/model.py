"""The shipped anomaly network: a compact U-Net that maps a tile of normalised
log attenuation to a per-pixel anomaly probability."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class AnomalyUNet(nn.Module):
    def __init__(self, in_channels=1, widths=(16, 32, 64, 96)):
        super().__init__()
        self.widths = tuple(widths)
        self.down = nn.ModuleList()
        c = in_channels
        for w in widths:
            self.down.append(block(c, w))
            c = w
        self.up = nn.ModuleList()
        for w in reversed(widths[:-1]):
            self.up.append(block(c + w, w))
            c = w
        self.head = nn.Conv2d(c, 1, 1)

    def forward(self, x):
        skips = []
        for i, b in enumerate(self.down):
            if i:
                x = F.max_pool2d(x, 2)
            x = b(x)
            skips.append(x)
        skips.pop()
        for b in self.up:
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
            x = b(torch.cat([x, skips.pop()], 1))
        return self.head(x)  # logits


class WithSigmoid(nn.Module):
    """Export wrapper: the ONNX file outputs probabilities."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.sigmoid(self.net(x))


def macs_per_tile(net, channels, tile):
    total = 0

    def hook(m, i, o):
        nonlocal total
        total += o.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    hs = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        net.eval()(torch.zeros(1, channels, tile, tile))
    for h in hs:
        h.remove()
    return total
