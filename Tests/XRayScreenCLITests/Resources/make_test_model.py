"""Makes tiny-unet.onnx, the test model of the CLI tests (not a trained detector).

A two-level U-Net with fixed random weights (seed 0) plus a fixed attenuation term, so
that its output is deterministic and responds to dense objects:

    p = sigmoid(0.5 * unet(x) + 6 * (avgpool3(x) - 0.9))

with x the normalised log attenuation. It carries the detector's metadata keys as the
shipped model does (Models/training/train.py), with a 64-pixel tile so tests stay fast.

    python3 Tests/XRayScreenCLITests/Resources/make_test_model.py  # torch, onnx
"""
import os

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU())


class TinyUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.d0 = block(1, 4)
        self.d1 = block(4, 8)
        self.u0 = block(12, 4)
        self.head = nn.Conv2d(4, 1, 1)

    def forward(self, x):
        s0 = self.d0(x)
        y = self.d1(F.max_pool2d(s0, 2))
        y = F.interpolate(y, scale_factor=2.0, mode="bilinear", align_corners=False)
        y = self.head(self.u0(torch.cat([y, s0], 1)))
        dense = F.avg_pool2d(x, 3, stride=1, padding=1)
        return torch.sigmoid(0.5 * y + 6.0 * (dense - 0.9))


def main():
    torch.manual_seed(0)
    net = TinyUNet().eval()
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny-unet.onnx")
    tile = 64
    torch.onnx.export(net, torch.zeros(1, 1, tile, tile), out, input_names=["input"],
                      output_names=["anomaly"], opset_version=17, dynamo=False)
    model = onnx.load(out)
    meta = {
        "xrayscreen.model_name": "tiny-unet",
        "xrayscreen.format_version": "1",
        "xrayscreen.version": "test",
        "xrayscreen.input_channels": "gray",
        "xrayscreen.normalisation": "log_attenuation",
        "xrayscreen.i0": "auto",
        "xrayscreen.scale": "0.25",
        "xrayscreen.offset": "0",
        "xrayscreen.tile_size": str(tile),
        "xrayscreen.tile_overlap": "16",
        "xrayscreen.output": "probability",
        "xrayscreen.provenance.recipe": "Tests/XRayScreenCLITests/Resources/make_test_model.py (untrained, seed 0)",
    }
    del model.metadata_props[:]
    for k, v in meta.items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, out)
    print(out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
