#!/usr/bin/env python3
"""Builds small ONNX models, runs them in ONNX Runtime and stores goldens.

Each case is stored as <name>.onnx plus little-endian float32 .bin files for its
inputs and expected outputs, listed in manifest.json. Run from any directory:

    python3 Tests/XRayEngineTests/Goldens/make_goldens.py

Pinned versions: see requirements.txt next to this file.
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 17
rng = np.random.default_rng(1234)
manifest = []


def rand(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def save_case(name, model_bytes, feeds, note=""):
    path = os.path.join(HERE, name + ".onnx")
    with open(path, "wb") as f:
        f.write(model_bytes)
    sess = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    outs = sess.run(None, feeds)
    entry = {"name": name, "model": name + ".onnx", "note": note, "inputs": [], "outputs": []}
    for k, v in feeds.items():
        fn = f"{name}.in.{len(entry['inputs'])}.bin"
        v.astype("<f4").tofile(os.path.join(HERE, fn))
        entry["inputs"].append({"name": k, "shape": list(v.shape), "file": fn})
    for o, v in zip(sess.get_outputs(), outs):
        fn = f"{name}.out.{len(entry['outputs'])}.bin"
        np.asarray(v, dtype=np.float32).astype("<f4").tofile(os.path.join(HERE, fn))
        entry["outputs"].append({"name": o.name, "shape": list(np.shape(v)), "file": fn})
    manifest.append(entry)


def graph_case(name, nodes, inputs, outputs, inits=(), opset=OPSET, note=""):
    """inputs: list of (name, shape) float inputs with data generated."""
    g = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
        initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in inits],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_goldens")
    m.ir_version = 8
    # (no checker: outputs are declared without shapes on purpose; ONNX Runtime validates)
    feeds = {n: rand(*s) for n, s in inputs}
    save_case(name, m.SerializeToString(), feeds, note)


def single(name, op, x_shape, attrs=None, extra_inits=(), extra_inputs=(), opset=OPSET, n_out=1):
    ins = ["x"] + [k for k, _ in extra_inputs]
    outs = ["y"] if n_out == 1 else [f"y{i}" for i in range(n_out)]
    node = helper.make_node(op, ins, outs, **(attrs or {}))
    graph_case(name, [node], [("x", x_shape)], outs, inits=list(extra_inputs) + list(extra_inits), opset=opset)


# ---------------------------------------------------------------- Conv family
def conv_case(name, cin, cout, k, hw=(9, 11), group=1, bias=True, opset=OPSET, after=None, **attrs):
    kh, kw = k if isinstance(k, tuple) else (k, k)
    w = rand(cout, cin // group, kh, kw, scale=0.3)
    inits = [("W", w)]
    ins = ["x", "W"]
    if bias:
        inits.append(("B", rand(cout)))
        ins.append("B")
    nodes = [helper.make_node("Conv", ins, ["c" if after else "y"], group=group, **attrs)]
    if after:
        nodes += after(inits)
    graph_case(name, nodes, [("x", [1, cin, *hw])], ["y"], inits=inits, opset=opset)


conv_case("conv_3x3_pad1", 3, 4, 3, pads=[1, 1, 1, 1])
conv_case("conv_3x3_stride2", 3, 4, 3, strides=[2, 2], pads=[1, 1, 1, 1])
conv_case("conv_3x3_dilation2", 2, 3, 3, dilations=[2, 2], pads=[2, 2, 2, 2])
conv_case("conv_5x3_asympads", 2, 3, (5, 3), pads=[2, 0, 1, 2], bias=False)
conv_case("conv_1x1", 8, 5, 1)
conv_case("conv_groups2", 4, 6, 3, group=2, pads=[1, 1, 1, 1])
conv_case("conv_depthwise_s2", 6, 6, 3, group=6, strides=[2, 2], pads=[1, 1, 1, 1])
conv_case("conv_same_upper_s2", 3, 4, 3, auto_pad="SAME_UPPER", strides=[2, 2], hw=(10, 7))
conv_case("conv_same_lower", 3, 4, 4, auto_pad="SAME_LOWER", hw=(8, 9))
conv_case("conv_valid", 3, 4, 3, auto_pad="VALID")
conv_case("conv_first_layer_7x7", 1, 8, 7, strides=[2, 2], pads=[3, 3, 3, 3], hw=(16, 16))
graph_case("conv1d", [helper.make_node("Conv", ["x", "W", "B"], ["y"], pads=[1, 1], strides=[2])],
           [("x", [2, 3, 12])], ["y"], inits=[("W", rand(4, 3, 3)), ("B", rand(4))])
conv_case("conv_batch2", 3, 4, 3, pads=[1, 1, 1, 1])  # replaced below with batch 2
manifest.pop()
graph_case("conv_batch2", [helper.make_node("Conv", ["x", "W", "B"], ["y"], pads=[1, 1, 1, 1])],
           [("x", [2, 3, 6, 5])], ["y"], inits=[("W", rand(4, 3, 3, 3)), ("B", rand(4))])


def bn_nodes(inits, src="c", dst="y", c=4):
    inits += [("s", rand(c) + 1.5), ("b", rand(c)), ("m", rand(c)), ("v", np.abs(rand(c)) + 0.5)]
    return [helper.make_node("BatchNormalization", [src, "s", "b", "m", "v"], [dst], epsilon=1e-3)]


conv_case("conv_bn_fold", 3, 4, 3, pads=[1, 1, 1, 1], after=bn_nodes)
conv_case("conv_relu_fuse", 3, 4, 3, pads=[1, 1, 1, 1], after=lambda i: [helper.make_node("Relu", ["c"], ["y"])])
conv_case("conv_relu6_fuse", 3, 4, 3, pads=[1, 1, 1, 1],
          after=lambda i: (i.extend([("lo", np.array(0, np.float32)), ("hi", np.array(6, np.float32))]) or
                           [helper.make_node("Clip", ["c", "lo", "hi"], ["y"])]))
for act, at in [("LeakyRelu", {"alpha": 0.1}), ("Sigmoid", {}), ("Tanh", {}), ("HardSigmoid", {"alpha": 0.25, "beta": 0.4}),
                ("HardSwish", {})]:
    conv_case(f"conv_{act.lower()}_fuse", 3, 4, 3, pads=[1, 1, 1, 1],
              after=lambda i, act=act, at=at: [helper.make_node(act, ["c"], ["y"], **at)])
conv_case("conv_bn_relu_fold_fuse", 3, 4, 3, pads=[1, 1, 1, 1],
          after=lambda i: bn_nodes(i, dst="bn") + [helper.make_node("Relu", ["bn"], ["y"])])
# Conv output with two consumers: no fusion allowed.
graph_case("conv_two_consumers", [helper.make_node("Conv", ["x", "W"], ["c"], pads=[1, 1, 1, 1]),
                                  helper.make_node("Relu", ["c"], ["r"]),
                                  helper.make_node("Add", ["c", "r"], ["y"])],
           [("x", [1, 2, 5, 5])], ["y"], inits=[("W", rand(3, 2, 3, 3))])

graph_case("convtranspose_k2s2", [helper.make_node("ConvTranspose", ["x", "W", "B"], ["y"], strides=[2, 2])],
           [("x", [1, 4, 5, 6])], ["y"], inits=[("W", rand(4, 3, 2, 2)), ("B", rand(3))])
graph_case("convtranspose_k3s2p1_op1", [helper.make_node("ConvTranspose", ["x", "W"], ["y"], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])],
           [("x", [1, 2, 4, 5])], ["y"], inits=[("W", rand(2, 3, 3, 3))])
graph_case("convtranspose_groups_dil", [helper.make_node("ConvTranspose", ["x", "W", "B"], ["y"], group=2, dilations=[2, 1], pads=[0, 1, 1, 0])],
           [("x", [1, 4, 4, 4])], ["y"], inits=[("W", rand(4, 2, 3, 3)), ("B", rand(4))])
graph_case("batchnorm", bn_nodes([], src="x", dst="y", c=3) and [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])],
           [("x", [2, 3, 4, 5])], ["y"], inits=[("s", rand(3)), ("b", rand(3)), ("m", rand(3)), ("v", np.abs(rand(3)) + 0.5)])

# ---------------------------------------------------------------- activations
S = [2, 3, 4, 5]
single("relu", "Relu", S)
single("leakyrelu", "LeakyRelu", S, {"alpha": 0.2})
single("sigmoid", "Sigmoid", S)
single("tanh", "Tanh", S)
single("hardsigmoid", "HardSigmoid", S, {"alpha": 0.3, "beta": 0.6})
single("hardswish", "HardSwish", S)
single("prelu_channel", "PRelu", S, extra_inputs=[("slope", rand(3, 1, 1))])
single("prelu_scalar", "PRelu", S, extra_inputs=[("slope", rand(1))])
single("clip_inputs", "Clip", S, extra_inputs=[("lo", np.array(-0.5, np.float32)), ("hi", np.array(0.7, np.float32))])
single("clip_min_only", "Clip", S, extra_inputs=[("lo", np.array(-0.2, np.float32))])
single("clip_attr_opset6", "Clip", S, {"min": -0.3, "max": 0.4}, opset=7)
single("softmax_axis1", "Softmax", S, {"axis": 1})
single("softmax_last", "Softmax", S)
single("floor", "Floor", S)

# ---------------------------------------------------------------- broadcasting
for op in ["Add", "Sub", "Mul", "Div"]:
    graph_case(f"{op.lower()}_broadcast", [helper.make_node(op, ["a", "b"], ["y"])],
               [("a", [2, 3, 4, 5]), ("b", [3, 1, 5])], ["y"])
graph_case("mul_const_scalar", [helper.make_node("Mul", ["x", "k"], ["y"])], [("x", S)], ["y"], inits=[("k", np.array(1.7, np.float32))])
graph_case("add_rowvec_left", [helper.make_node("Add", ["k", "x"], ["y"])], [("x", S)], ["y"], inits=[("k", rand(5))])
graph_case("div_colvec", [helper.make_node("Div", ["x", "k"], ["y"])], [("x", S)], ["y"], inits=[("k", np.abs(rand(1, 1, 4, 1)) + 0.5)])

# ---------------------------------------------------------------- pooling
P = [1, 2, 9, 10]
single("maxpool_k3s2p1", "MaxPool", P, {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]})
single("maxpool_ceil", "MaxPool", P, {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1})
single("maxpool_dilation", "MaxPool", P, {"kernel_shape": [2, 2], "dilations": [2, 2], "pads": [1, 0, 1, 0]})
single("maxpool_same_upper", "MaxPool", P, {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_UPPER"})
single("maxpool_2x2", "MaxPool", P, {"kernel_shape": [2, 2], "strides": [2, 2]})
single("avgpool_pad_exclude", "AveragePool", P, {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]})
single("avgpool_pad_include", "AveragePool", P, {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "count_include_pad": 1})
single("avgpool_ceil_include", "AveragePool", P, {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1, "count_include_pad": 1})
single("avgpool_ceil_exclude", "AveragePool", P, {"kernel_shape": [2, 3], "strides": [2, 2], "ceil_mode": 1})
single("globalavgpool", "GlobalAveragePool", P)
single("globalmaxpool", "GlobalMaxPool", P)

# ---------------------------------------------------------------- resize
R = [1, 2, 5, 7]
def resize_case(name, mode, ct=None, nm=None, scales=None, sizes=None, opset=OPSET, shape=R):
    attrs = {"mode": mode}
    if ct: attrs["coordinate_transformation_mode"] = ct
    if nm: attrs["nearest_mode"] = nm
    inits = [("roi", np.array([], np.float32))]
    ins = ["x", "roi"]
    if scales is not None:
        inits.append(("scales", np.array(scales, np.float32))); ins.append("scales")
    else:
        inits.append(("scales", np.array([], np.float32))); inits.append(("sizes", np.array(sizes, np.int64)))
        ins += ["scales", "sizes"]
    graph_case(name, [helper.make_node("Resize", ins, ["y"], **attrs)], [("x", shape)], ["y"], inits=inits, opset=opset)

for ct in ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"]:
    resize_case(f"resize_linear_{ct}_x2", "linear", ct, scales=[1, 1, 2, 2])
    resize_case(f"resize_linear_{ct}_sizes", "linear", ct, sizes=[1, 2, 8, 5])
for nm in ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]:
    for ct in ["half_pixel", "asymmetric", "align_corners"]:
        resize_case(f"resize_nearest_{nm}_{ct}", "nearest", ct, nm, scales=[1, 1, 1.5, 2.5])
resize_case("resize_nearest_x2_default", "nearest", scales=[1, 1, 2, 2])
resize_case("resize_linear_down", "linear", "half_pixel", sizes=[1, 2, 3, 4])
graph_case("resize_opset10_nearest", [helper.make_node("Resize", ["x", "scales"], ["y"], mode="nearest")],
           [("x", R)], ["y"], inits=[("scales", np.array([1, 1, 2, 3], np.float32))], opset=10)
graph_case("upsample_opset9_nearest", [helper.make_node("Upsample", ["x", "scales"], ["y"], mode="nearest")],
           [("x", R)], ["y"], inits=[("scales", np.array([1, 1, 2, 2], np.float32))], opset=9)
graph_case("upsample_opset9_linear", [helper.make_node("Upsample", ["x", "scales"], ["y"], mode="linear")],
           [("x", R)], ["y"], inits=[("scales", np.array([1, 1, 2, 2], np.float32))], opset=9)

# ---------------------------------------------------------------- layout ops
graph_case("concat_axis1", [helper.make_node("Concat", ["a", "b"], ["y"], axis=1)], [("a", [2, 2, 3, 4]), ("b", [2, 3, 3, 4])], ["y"])
graph_case("concat_axis_neg1", [helper.make_node("Concat", ["a", "b", "c"], ["y"], axis=-1)],
           [("a", [2, 3, 1]), ("b", [2, 3, 2])], ["y"], inits=[("c", rand(2, 3, 3))])
single("split_attr_opset11", "Split", [2, 6, 3], {"axis": 1, "split": [1, 2, 3]}, opset=11, n_out=3)
single("split_input_opset13", "Split", [2, 6, 3], {"axis": 1}, extra_inputs=[("sp", np.array([4, 2], np.int64))], n_out=2)
single("split_equal", "Split", [2, 6, 3], {"axis": 1}, n_out=3)
graph_case("slice_steps", [helper.make_node("Slice", ["x", "st", "en", "ax", "stp"], ["y"])], [("x", [2, 5, 6, 7])], ["y"],
           inits=[("st", np.array([1, -1, 0], np.int64)), ("en", np.array([5, -100, 9223372036854775807], np.int64)),
                  ("ax", np.array([1, 2, 3], np.int64)), ("stp", np.array([2, -2, 3], np.int64))])
graph_case("slice_simple", [helper.make_node("Slice", ["x", "st", "en"], ["y"])], [("x", [3, 4, 5])], ["y"],
           inits=[("st", np.array([0, 1, 1], np.int64)), ("en", np.array([2, 3, -1], np.int64))])
for mode in ["constant", "reflect", "edge"]:
    graph_case(f"pad_{mode}", [helper.make_node("Pad", ["x", "p", "v"] if mode == "constant" else ["x", "p"], ["y"], mode=mode)],
               [("x", [1, 2, 4, 5])], ["y"], inits=[("p", np.array([0, 0, 1, 2, 0, 0, 3, 1], np.int64))] +
               ([("v", np.array(0.5, np.float32))] if mode == "constant" else []))
graph_case("reshape_zero_minus1", [helper.make_node("Reshape", ["x", "s"], ["y"])], [("x", [2, 3, 4, 5])], ["y"],
           inits=[("s", np.array([0, -1, 5], np.int64))])
single("flatten_axis2", "Flatten", [2, 3, 4, 5], {"axis": 2})
single("transpose_0231", "Transpose", [2, 3, 4, 5], {"perm": [0, 2, 3, 1]})
single("squeeze_attr_opset11", "Squeeze", [2, 1, 4, 1], {"axes": [1, 3]}, opset=11)
single("squeeze_input", "Squeeze", [2, 1, 4, 1], extra_inputs=[("ax", np.array([1], np.int64))])
single("unsqueeze_attr_opset11", "Unsqueeze", [2, 3], {"axes": [0, 3]}, opset=11)
single("unsqueeze_input", "Unsqueeze", [2, 3], extra_inputs=[("ax", np.array([1, -1], np.int64))])
graph_case("gemm_transb_bias", [helper.make_node("Gemm", ["x", "W", "C"], ["y"], transB=1, alpha=0.5, beta=2.0)],
           [("x", [3, 8])], ["y"], inits=[("W", rand(5, 8)), ("C", rand(5))])
graph_case("matmul_batched", [helper.make_node("MatMul", ["a", "b"], ["y"])], [("a", [2, 3, 4, 5]), ("b", [5, 6])], ["y"])
graph_case("identity_dropout", [helper.make_node("Identity", ["x"], ["i"]), helper.make_node("Dropout", ["i"], ["d"]),
                                helper.make_node("Relu", ["d"], ["y"])], [("x", S)], ["y"])
graph_case("gather_axis1", [helper.make_node("Gather", ["x", "i"], ["y"], axis=1)], [("x", [2, 5, 3])], ["y"],
           inits=[("i", np.array([[4, 0], [-1, 2]], np.int64))])
graph_case("expand", [helper.make_node("Expand", ["x", "s"], ["y"])], [("x", [3, 1])], ["y"],
           inits=[("s", np.array([2, 3, 4], np.int64))])
graph_case("reduce_mean", [helper.make_node("ReduceMean", ["x"], ["y"], axes=[2, 3], keepdims=1)], [("x", S)], ["y"], opset=13)

# Shape chain as the legacy torch exporter writes around Reshape / Resize.
chain = [
    helper.make_node("Shape", ["x"], ["sh"]),
    helper.make_node("Gather", ["sh", "i0"], ["n"], axis=0),
    helper.make_node("Gather", ["sh", "i2"], ["h"], axis=0),
    helper.make_node("Gather", ["sh", "i3"], ["w"], axis=0),
    helper.make_node("Mul", ["h", "two"], ["h2"]),
    helper.make_node("Mul", ["w", "two"], ["w2"]),
    helper.make_node("Unsqueeze", ["n", "ax0"], ["nu"]),
    helper.make_node("Unsqueeze", ["h2", "ax0"], ["hu"]),
    helper.make_node("Unsqueeze", ["w2", "ax0"], ["wu"]),
    helper.make_node("Slice", ["sh", "s0", "s2"], ["nc"]),
    helper.make_node("Concat", ["nc", "hu", "wu"], ["sizes"], axis=0),
    helper.make_node("Cast", ["sizes"], ["sizes64"], to=TensorProto.INT64),
    helper.make_node("Resize", ["x", "", "", "sizes64"], ["r"], mode="linear", coordinate_transformation_mode="pytorch_half_pixel"),
    helper.make_node("ConstantOfShape", ["ax0shape"], ["ones"], value=helper.make_tensor("v", TensorProto.INT64, [1], [1])),
    helper.make_node("Range", ["zero", "three", "one"], ["rng"]),
    helper.make_node("Equal", ["rng", "minus1"], ["eq"]),
    helper.make_node("Where", ["eq", "ones", "rng"], ["wh"]),
    helper.make_node("Constant", [], ["flat"], value=helper.make_tensor("c", TensorProto.INT64, [2], [0, -1])),
    helper.make_node("Reshape", ["r", "flat"], ["rf"]),
    helper.make_node("Expand", ["rf", "nu"], ["ex"]),
    helper.make_node("Relu", ["ex"], ["y"]),
    helper.make_node("Cast", ["wh"], ["whf"], to=TensorProto.FLOAT),
    helper.make_node("Floor", ["whf"], ["y2"]),
]
graph_case("torch_shape_chain", chain, [("x", [1, 2, 3, 4])], ["y", "y2"], inits=[
    ("i0", np.array(0, np.int64)), ("i2", np.array(2, np.int64)), ("i3", np.array(3, np.int64)),
    ("two", np.array(2, np.int64)), ("ax0", np.array([0], np.int64)), ("s0", np.array([0], np.int64)),
    ("s2", np.array([2], np.int64)), ("ax0shape", np.array([1], np.int64)), ("zero", np.array(0, np.int64)),
    ("three", np.array(3, np.int64)), ("one", np.array(1, np.int64)), ("minus1", np.array(1, np.int64))])




# ---------------------------------------------------------------- newer / older opset variants
single("softmax_opset11_coerced", "Softmax", S, {"axis": 1}, opset=11)
single("logsoftmax", "LogSoftmax", S, {"axis": 2})
single("gelu_opset20", "Gelu", S, opset=20)
single("split_num_outputs_opset18", "Split", [2, 7, 3], {"axis": 1, "num_outputs": 3}, opset=18, n_out=3)
graph_case("resize_axes_opset18", [helper.make_node("Resize", ["x", "", "sc"], ["y"], mode="linear", axes=[2, 3])],
           [("x", R)], ["y"], inits=[("sc", np.array([2, 1.5], np.float32))], opset=18)
graph_case("pad_axes_opset18", [helper.make_node("Pad", ["x", "p", "", "ax"], ["y"], mode="reflect")], [("x", [1, 2, 4, 5])], ["y"],
           inits=[("p", np.array([1, 2, 2, 1], np.int64)), ("ax", np.array([2, 3], np.int64))], opset=18)
graph_case("reducemean_axes_input_opset18", [helper.make_node("ReduceMean", ["x", "ax"], ["y"], keepdims=0)], [("x", S)], ["y"],
           inits=[("ax", np.array([1, -1], np.int64))], opset=18)
single("maxpool_1d", "MaxPool", [2, 3, 11], {"kernel_shape": [3], "strides": [2], "pads": [1, 1]})
single("avgpool_dilation_opset19", "AveragePool", P, {"kernel_shape": [2, 2], "dilations": [2, 2], "pads": [1, 1, 1, 1]}, opset=19)
single("prelu_trailing", "PRelu", S, extra_inputs=[("slope", rand(5))])
graph_case("convtranspose_1d", [helper.make_node("ConvTranspose", ["x", "W"], ["y"], strides=[3], pads=[1, 0])],
           [("x", [1, 2, 6])], ["y"], inits=[("W", rand(2, 3, 4))])
graph_case("convtranspose_output_shape", [helper.make_node("ConvTranspose", ["x", "W"], ["y"], strides=[2, 2], output_shape=[9, 11])],
           [("x", [1, 2, 4, 5])], ["y"], inits=[("W", rand(2, 3, 3, 3))])

# ---------------------------------------------------------------- tensor encodings
# float16 weights behind a Cast (as half-precision exports do), typed float_data / int64_data fields.
w16 = rand(4, 3, 3, 3, scale=0.3).astype(np.float16)
graph_case("conv_fp16_weights_cast", [helper.make_node("Cast", ["W16"], ["W"], to=TensorProto.FLOAT),
                                      helper.make_node("Conv", ["x", "W"], ["y"], pads=[1, 1, 1, 1])],
           [("x", [1, 3, 6, 7])], ["y"], inits=[("W16", w16)])
typed_w = rand(4, 3, 1, 1)
g = helper.make_graph([helper.make_node("Conv", ["x", "W"], ["c"]), helper.make_node("Reshape", ["c", "s"], ["y"])], "typed",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 5])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                      initializer=[helper.make_tensor("W", TensorProto.FLOAT, [4, 3, 1, 1], typed_w.flatten().tolist()),
                                   helper.make_tensor("s", TensorProto.INT64, [2], [1, -1])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
m.ir_version = 8
save_case("typed_fields", m.SerializeToString(), {"x": rand(1, 3, 4, 5)})

# ---------------------------------------------------------------- whole nets (PyTorch export)
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)


class UNet(nn.Module):
    def __init__(self, c=8):
        super().__init__()
        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True),
                                 nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True))
        self.e1, self.e2, self.e3 = block(1, c), block(c, 2 * c), block(2 * c, 4 * c)
        self.d2, self.d1 = block(6 * c, 2 * c), block(3 * c, c)
        self.head = nn.Conv2d(c, 1, 1)

    def forward(self, x):
        a = self.e1(x)
        b = self.e2(F.max_pool2d(a, 2))
        c = self.e3(F.max_pool2d(b, 2))
        u = F.interpolate(c, scale_factor=2, mode="bilinear", align_corners=False)
        d = self.d2(torch.cat([u, b], 1))
        u = F.interpolate(d, scale_factor=2, mode="bilinear", align_corners=False)
        e = self.d1(torch.cat([u, a], 1))
        return torch.sigmoid(self.head(e))


class ResBlock(nn.Module):
    def __init__(self, i, o, s):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(i, o, 3, s, 1, bias=False), nn.BatchNorm2d(o)
        self.c2, self.b2 = nn.Conv2d(o, o, 3, 1, 1, bias=False), nn.BatchNorm2d(o)
        self.sc = nn.Sequential() if (i == o and s == 1) else nn.Sequential(nn.Conv2d(i, o, 1, s, bias=False), nn.BatchNorm2d(o))

    def forward(self, x):
        return F.relu(self.b2(self.c2(F.relu(self.b1(self.c1(x))))) + self.sc(x))


class ResNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 7, 2, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        self.layers = nn.Sequential(ResBlock(8, 8, 1), ResBlock(8, 16, 2), ResBlock(16, 16, 1))
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class InvertedResidual(nn.Module):
    def __init__(self, i, o, s, t):
        super().__init__()
        h = i * t
        self.use_res = s == 1 and i == o
        self.body = nn.Sequential(
            nn.Conv2d(i, h, 1, bias=False), nn.BatchNorm2d(h), nn.ReLU6(),
            nn.Conv2d(h, h, 3, s, 1, groups=h, bias=False), nn.BatchNorm2d(h), nn.ReLU6(),
            nn.Conv2d(h, o, 1, bias=False), nn.BatchNorm2d(o))

    def forward(self, x):
        return x + self.body(x) if self.use_res else self.body(x)


class MobileNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU6())
        self.blocks = nn.Sequential(InvertedResidual(8, 8, 1, 2), InvertedResidual(8, 12, 2, 4), InvertedResidual(12, 12, 1, 4),
                                    InvertedResidual(12, 16, 2, 4))
        self.head = nn.Sequential(nn.Conv2d(16, 24, 1, bias=False), nn.BatchNorm2d(24), nn.Hardswish())

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


def randomize_bn(m):
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            with torch.no_grad():
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.3, 0.3)


def export_case(name, model, shape, dynamo=True, note=""):
    model.eval()
    randomize_bn(model)
    x = torch.from_numpy(rand(*shape))
    path = os.path.join(HERE, name + ".onnx")
    if dynamo:
        prog = torch.onnx.export(model, (x,), dynamo=True, input_names=["input"], output_names=["output"])
        prog.save(path)
        m = onnx.load(path)
        for f in os.listdir(HERE):
            if f.startswith(name + ".onnx.") or f.endswith(".onnx.data"):
                pass
    else:
        torch.onnx.export(model, (x,), path, dynamo=False, opset_version=13, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {2: "h", 3: "w"}, "output": {2: "h", 3: "w"}})
        m = onnx.load(path)
    # Keep everything in one file.
    data = m.SerializeToString()
    os.remove(path)
    save_case(name, data, {"input": x.numpy()}, note)
    with torch.no_grad():
        ref = model(x).numpy()
    out = np.fromfile(os.path.join(HERE, manifest[-1]["outputs"][0]["file"]), dtype="<f4").reshape(ref.shape)
    print(f"{name}: torch vs ort max diff {np.abs(ref - out).max():.2e}, opset {m.opset_import[0].version}", file=sys.stderr)


class UNetSized(UNet):
    """Upsamples to the skip's size: exporters emit Shape/Gather/Slice/Concat chains."""
    def forward(self, x):
        a = self.e1(x)
        b = self.e2(F.max_pool2d(a, 2))
        c = self.e3(F.max_pool2d(b, 2))
        u = F.interpolate(c, size=b.shape[2:], mode="bilinear", align_corners=True)
        d = self.d2(torch.cat([u, b], 1))
        u = F.interpolate(d, size=a.shape[2:], mode="nearest")
        e = self.d1(torch.cat([u, a], 1))
        return torch.sigmoid(self.head(e))


def export_legacy(name, model, shape, opset, note):
    model.eval()
    randomize_bn(model)
    x = torch.from_numpy(rand(*shape))
    path = os.path.join(HERE, name + ".onnx")
    torch.onnx.export(model, (x,), path, dynamo=False, opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch", 2: "h", 3: "w"}, "output": {0: "batch", 2: "h", 3: "w"}},
                      do_constant_folding=False)
    data = open(path, "rb").read()
    os.remove(path)
    save_case(name, data, {"input": x.numpy()}, note)
    m = onnx.load_from_string(data)
    from collections import Counter
    print(name, dict(Counter(n.op_type for n in m.graph.node)), file=sys.stderr)


export_legacy("net_unet_sized_opset11", UNetSized(), [1, 1, 20, 28], 11, "legacy export opset 11, no constant folding: shape chains")
export_legacy("net_mobilenet_opset11", MobileNetish(), [2, 1, 24, 24], 11, "legacy export opset 11, unfolded BN, Clip inputs")


def export_dynamo_dynamic(name, model, shape, note):
    model.eval()
    randomize_bn(model)
    x = torch.from_numpy(rand(*shape))
    h, w = torch.export.Dim("h", min=2, max=1024), torch.export.Dim("w", min=2, max=1024)
    prog = torch.onnx.export(model, (x,), dynamo=True, input_names=["input"], output_names=["output"],
                             dynamic_shapes={"x": {2: 4 * h, 3: 4 * w}})
    path = os.path.join(HERE, name + ".onnx")
    prog.save(path)
    m = onnx.load(path)
    data = m.SerializeToString()
    os.remove(path)
    save_case(name, data, {"input": x.numpy()}, note)
    from collections import Counter
    print(name, dict(Counter(n.op_type for n in m.graph.node)), [d for d in m.graph.input[0].type.tensor_type.shape.dim], file=sys.stderr)


export_dynamo_dynamic("net_unet_sized_dynamo_dynamic", UNetSized(), [1, 1, 24, 32], "dynamo export with dynamic H/W: shape ops")


export_case("net_unet", UNet(), [1, 1, 32, 32], note="U-Net, bilinear upsampling, concat skips (torch dynamo export)")
export_case("net_unet_legacy", UNet(), [1, 1, 16, 24], dynamo=False, note="U-Net, legacy exporter opset 13, dynamic H/W")
export_case("net_resnet", ResNetish(), [2, 1, 32, 32], note="ResNet-style blocks with BN, batch 2")
export_case("net_mobilenetv2", MobileNetish(), [1, 1, 32, 32], note="MobileNetV2-style inverted residuals, depthwise + ReLU6")


# ---------------------------------------------------------------- malformed / unsupported models (no goldens)
def raw_tensor(name, dims, raw):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(dims)
    t.raw_data = raw
    return t


def bad_model(name, nodes, inputs, outputs, inits=(), opset=OPSET, raw_inits=()):
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
                          [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
                          initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in inits] + list(raw_inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_goldens")
    m.ir_version = 8
    with open(os.path.join(HERE, f"bad_{name}.onnx"), "wb") as f:
        f.write(m.SerializeToString())


bad_model("unknown_op", [helper.make_node("FancyOp", ["x"], ["y"], name="mystery")], [("x", [1, 2, 3, 3])], ["y"])
bad_model("missing_initializer", [helper.make_node("Conv", ["x", "W_missing"], ["y"], name="conv0")], [("x", [1, 2, 3, 3])], ["y"])
bad_model("huge_dims", [helper.make_node("Add", ["x", "big"], ["y"], name="add0")], [("x", [1, 2])], ["y"],
          raw_inits=[raw_tensor("big", [1 << 40, 1 << 40], b"")])
bad_model("short_raw_data", [helper.make_node("Add", ["x", "k"], ["y"], name="add0")], [("x", [1, 4])], ["y"],
          raw_inits=[raw_tensor("k", [4], b"\x00" * 7)])
bad_model("opset_99", [helper.make_node("Relu", ["x"], ["y"])], [("x", [1, 4])], ["y"], opset=99)
bad_model("bad_attribute", [helper.make_node("Resize", ["x", "", "sc"], ["y"], name="rs", mode="cubic")], [("x", [1, 1, 4, 4])], ["y"],
          inits=[("sc", np.array([1, 1, 2, 2], np.float32))])
bad_model("conv_channel_mismatch", [helper.make_node("Conv", ["x", "W"], ["y"], name="convA")], [("x", [1, 3, 5, 5])], ["y"],
          inits=[("W", rand(2, 2, 3, 3))])

# External data: weights in a side file next to the model.
w_ext = rand(3, 2, 3, 3)
b_ext = rand(3)
g = helper.make_graph([helper.make_node("Conv", ["x", "W", "B"], ["y"], pads=[1, 1, 1, 1])], "ext",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2, "height", "width"])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                      initializer=[numpy_helper.from_array(w_ext, "W"), numpy_helper.from_array(b_ext, "B")])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="make_goldens")
m.ir_version = 8
m.metadata_props.add(key="author", value="make_goldens")
m.metadata_props.add(key="task", value="external-data test")
from onnx.external_data_helper import convert_model_to_external_data
if os.path.exists(os.path.join(HERE, "external_data.weights")):  # rerun: onnx refuses to overwrite it
    os.remove(os.path.join(HERE, "external_data.weights"))
convert_model_to_external_data(m, all_tensors_to_one_file=True, location="external_data.weights", size_threshold=0)
onnx.save_model(m, os.path.join(HERE, "external_data.onnx"))
m_full = onnx.load(os.path.join(HERE, "external_data.onnx"))
x_ext = rand(1, 2, 5, 6)
sess = ort.InferenceSession(os.path.join(HERE, "external_data.onnx"), providers=["CPUExecutionProvider"])
y_ext = sess.run(None, {"x": x_ext})[0]
x_ext.astype("<f4").tofile(os.path.join(HERE, "external_data.in.0.bin"))
y_ext.astype("<f4").tofile(os.path.join(HERE, "external_data.out.0.bin"))

# Cases added later go here, after all others, so the random stream of earlier cases is unchanged.
# Wide rows: MaxPool's vectorised stride-2 path (16 outputs at a time) and its scalar tail.
single("maxpool_k3s2p1_wide", "MaxPool", [1, 3, 7, 75], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]})
single("maxpool_2x2_wide", "MaxPool", [1, 2, 6, 67], {"kernel_shape": [2, 2], "strides": [2, 2]})
# Wide rows: Resize's vectorised 2x linear path and its edges.
resize_case("resize_linear_half_pixel_x2_wide", "linear", "half_pixel", scales=[1, 1, 2, 2], shape=[1, 2, 3, 37])
resize_case("resize_linear_pytorch_half_pixel_x2_wide", "linear", "pytorch_half_pixel", scales=[1, 1, 2, 2], shape=[1, 2, 4, 50])
# Add with a fused ReLU (residual blocks): same-shape operands in several chunks, and a broadcast
# operand; and an Add whose BatchNorm must not be folded into it (only Conv absorbs BatchNorm).
graph_case("add_relu_fuse_same", [helper.make_node("Add", ["x", "r"], ["s"]), helper.make_node("Relu", ["s"], ["y"])],
           [("x", [1, 4, 100, 100]), ("r", [1, 4, 100, 100])], ["y"])
graph_case("add_relu_fuse_broadcast", [helper.make_node("Add", ["x", "k"], ["s"]), helper.make_node("Relu", ["s"], ["y"])],
           [("x", [1, 4, 6, 7])], ["y"], inits=[("k", rand(4, 1, 1))])
_inits = [("k", rand(4, 1, 1))]
graph_case("add_bn_not_folded", [helper.make_node("Add", ["x", "k"], ["c"])] + bn_nodes(_inits),
           [("x", [1, 4, 6, 7])], ["y"], inits=_inits)
# Pointwise -> depthwise -> pointwise chains, fused into one channels-last block on small maps:
# batch 2, odd sizes, a 5 x 5 stride-2 depthwise kernel, 40 channels (a partial 32-channel panel);
# and a map too large for the block (the three convolutions run as they are).
_inits = [("W1", rand(40, 8, 1, 1)), ("B1", rand(40)), ("W2", rand(40, 1, 5, 5)), ("B2", rand(40)),
          ("W3", rand(12, 40, 1, 1)), ("B3", rand(12)), ("lo", np.array(0, np.float32)), ("hi", np.array(6, np.float32))]
graph_case("pw_dw_pw_block_small", [helper.make_node("Conv", ["x", "W1", "B1"], ["a"]),
                                    helper.make_node("Clip", ["a", "lo", "hi"], ["a6"]),
                                    helper.make_node("Conv", ["a6", "W2", "B2"], ["d"], group=40, strides=[2, 2], pads=[2, 2, 2, 2]),
                                    helper.make_node("Relu", ["d"], ["dr"]),
                                    helper.make_node("Conv", ["dr", "W3", "B3"], ["y"])],
           [("x", [2, 8, 9, 7])], ["y"], inits=_inits)
_inits = [("W1", rand(20, 6, 1, 1)), ("B1", rand(20)), ("W2", rand(20, 1, 3, 3)), ("B2", rand(20)),
          ("W3", rand(10, 20, 1, 1)), ("lo", np.array(0, np.float32)), ("hi", np.array(6, np.float32))]
graph_case("pw_dw_pw_block_large", [helper.make_node("Conv", ["x", "W1", "B1"], ["a"]),
                                    helper.make_node("Clip", ["a", "lo", "hi"], ["a6"]),
                                    helper.make_node("Conv", ["a6", "W2", "B2"], ["d"], group=20, pads=[1, 1, 1, 1]),
                                    helper.make_node("Clip", ["d", "lo", "hi"], ["d6"]),
                                    helper.make_node("Conv", ["d6", "W3"], ["y"])],
           [("x", [1, 6, 30, 31])], ["y"], inits=_inits)
# A classifier's Gemm (A·Bᵀ): 16-wide chunks with a tail of K, rows of B four at a time and a remainder.
graph_case("gemm_transb_wide", [helper.make_node("Gemm", ["x", "W", "C"], ["y"], transB=1)],
           [("x", [2, 37])], ["y"], inits=[("W", rand(70, 37)), ("C", rand(70))])
# A dilated depthwise kernel inside a pointwise-depthwise block (DeepLab-style MobileNets).
_inits = [("W1", rand(24, 8, 1, 1)), ("W2", rand(24, 1, 3, 3)), ("B2", rand(24)), ("W3", rand(16, 24, 1, 1)), ("B3", rand(16))]
graph_case("pw_dw_pw_block_dilated", [helper.make_node("Conv", ["x", "W1"], ["a"]), helper.make_node("Relu", ["a"], ["ar"]),
                                      helper.make_node("Conv", ["ar", "W2", "B2"], ["d"], group=24, dilations=[2, 2], pads=[2, 2, 2, 2]),
                                      helper.make_node("Conv", ["d", "W3", "B3"], ["y"])],
           [("x", [1, 8, 12, 10])], ["y"], inits=_inits)
# Pointwise -> depthwise -> pointwise blocks on maps too large for the whole-image block, run in
# bands of output rows (PointwiseDepthwiseBands; wide maps, so that the 256 KB band buffer holds
# a few rows and the image takes several bands): batch 2 with odd sizes, a stride-2 3 x 3 kernel
# and 40 channels (a partial panel); a 5 x 5 stride-1 kernel with uneven pads; a dilated one.
_inits = [("W1", rand(40, 5, 1, 1)), ("B1", rand(40)), ("W2", rand(40, 1, 3, 3)), ("B2", rand(40)),
          ("W3", rand(12, 40, 1, 1)), ("B3", rand(12)), ("lo", np.array(0, np.float32)), ("hi", np.array(6, np.float32))]
graph_case("pw_dw_pw_bands_s2", [helper.make_node("Conv", ["x", "W1", "B1"], ["a"]),
                                 helper.make_node("Clip", ["a", "lo", "hi"], ["a6"]),
                                 helper.make_node("Conv", ["a6", "W2", "B2"], ["d"], group=40, strides=[2, 2], pads=[1, 1, 1, 1]),
                                 helper.make_node("Clip", ["d", "lo", "hi"], ["d6"]),
                                 helper.make_node("Conv", ["d6", "W3", "B3"], ["y"])],
           [("x", [2, 5, 13, 301])], ["y"], inits=_inits)
_inits = [("W1", rand(24, 8, 1, 1)), ("W2", rand(24, 1, 5, 5)), ("B2", rand(24)), ("W3", rand(16, 24, 1, 1)), ("B3", rand(16))]
graph_case("pw_dw_pw_bands_5x5", [helper.make_node("Conv", ["x", "W1"], ["a"]), helper.make_node("Relu", ["a"], ["ar"]),
                                  helper.make_node("Conv", ["ar", "W2", "B2"], ["d"], group=24, pads=[2, 1, 2, 3]),
                                  helper.make_node("Conv", ["d", "W3", "B3"], ["y"])],
           [("x", [1, 8, 17, 250])], ["y"], inits=_inits)
_inits = [("W1", rand(32, 16, 1, 1)), ("W2", rand(32, 1, 3, 3)), ("W3", rand(24, 32, 1, 1))]
graph_case("pw_dw_pw_bands_dilated", [helper.make_node("Conv", ["x", "W1"], ["a"]),
                                      helper.make_node("Conv", ["a", "W2"], ["d"], group=32, dilations=[2, 2], pads=[2, 2, 2, 2]),
                                      helper.make_node("Conv", ["d", "W3"], ["y"])],
           [("x", [1, 16, 11, 260])], ["y"], inits=_inits)
# Convolutions with one K block (C_in x kh x kw <= 320) on rows of at least 32 outputs run as an
# implicit GEMM over StridePlanes: ResNet's 7 x 7 stride-2 stem shape with batch 2, 20 output
# channels (a partial panel) and 35-wide rows (the last tile shifted to end at the row's end); a
# 1 x 1 stride-2 shortcut; a 3 x 3 with two input channels and 9 outputs (one-row last panel).
graph_case("conv_implicit_7x7_s2", [helper.make_node("Conv", ["x", "W", "B"], ["c"], strides=[2, 2], pads=[3, 3, 3, 3]),
                                    helper.make_node("Relu", ["c"], ["y"])],
           [("x", [2, 3, 70, 70])], ["y"], inits=[("W", rand(20, 3, 7, 7, scale=0.2)), ("B", rand(20))])
graph_case("conv_implicit_1x1_s2", [helper.make_node("Conv", ["x", "W", "B"], ["y"], strides=[2, 2])],
           [("x", [1, 40, 64, 80])], ["y"], inits=[("W", rand(12, 40, 1, 1, scale=0.2)), ("B", rand(12))])
graph_case("conv_implicit_3x3", [helper.make_node("Conv", ["x", "W", "B"], ["y"], pads=[1, 1, 1, 1])],
           [("x", [1, 2, 40, 45])], ["y"], inits=[("W", rand(9, 2, 3, 3)), ("B", rand(9))])
# Conv + MaxPool fused into one step (ResNet's stem; `ConvMaxPoolOperator`): implicit-GEMM
# convolutions pooled row by row with 3-, 2- and 5-row windows (overlapping, adjacent, gapped),
# a narrow map where the two run one after the other, and a convolution with a second reader.
graph_case("conv_maxpool_stem", [helper.make_node("Conv", ["x", "W", "B"], ["c"], strides=[2, 2], pads=[3, 3, 3, 3]),
                                 helper.make_node("Relu", ["c"], ["r"]),
                                 helper.make_node("MaxPool", ["r"], ["y"], kernel_shape=[3, 3], strides=[2, 2],
                                                  pads=[1, 1, 1, 1])],
           [("x", [2, 3, 70, 90])], ["y"], inits=[("W", rand(20, 3, 7, 7, scale=0.2)), ("B", rand(20))])
graph_case("conv_maxpool_k2", [helper.make_node("Conv", ["x", "W", "B"], ["c"], pads=[1, 1, 1, 1]),
                               helper.make_node("MaxPool", ["c"], ["y"], kernel_shape=[2, 2], strides=[2, 2])],
           [("x", [1, 2, 21, 40])], ["y"], inits=[("W", rand(9, 2, 3, 3)), ("B", rand(9))])
graph_case("conv_maxpool_k5s3", [helper.make_node("Conv", ["x", "W"], ["c"], strides=[2, 2], pads=[2, 2, 2, 2]),
                                 helper.make_node("MaxPool", ["c"], ["y"], kernel_shape=[5, 5], strides=[3, 3],
                                                  pads=[2, 2, 2, 2])],
           [("x", [1, 3, 41, 80])], ["y"], inits=[("W", rand(6, 3, 5, 5, scale=0.3))])
graph_case("conv_maxpool_narrow", [helper.make_node("Conv", ["x", "W", "B"], ["c"], strides=[2, 2], pads=[1, 1, 1, 1]),
                                   helper.make_node("Relu", ["c"], ["r"]),
                                   helper.make_node("MaxPool", ["r"], ["y"], kernel_shape=[3, 3], strides=[1, 1],
                                                    pads=[1, 1, 1, 1])],
           [("x", [1, 3, 20, 24])], ["y"], inits=[("W", rand(8, 3, 3, 3)), ("B", rand(8))])
graph_case("conv_maxpool_shared", [helper.make_node("Conv", ["x", "W", "B"], ["c"], strides=[2, 2], pads=[3, 3, 3, 3]),
                                   helper.make_node("MaxPool", ["c"], ["y"], kernel_shape=[3, 3], strides=[2, 2],
                                                    pads=[1, 1, 1, 1])],
           [("x", [1, 3, 70, 70])], ["y", "c"], inits=[("W", rand(8, 3, 7, 7, scale=0.2)), ("B", rand(8))])
# Conv + Add fused into one step (a residual connection; `ConvAddOperator`): Winograd F(4x4) with
# partial tiles, batch 2 and a ReLU after the Add; F(2x2) with the residual as the Add's first
# operand and no activation; two convolutions into one Add (ResNet's downsampling block: the 3 x 3
# takes it) with ReLU6; and the paths that run the two steps one after the other: a residual
# that broadcasts, a strided convolution (im2col GEMM).
graph_case("conv_add_winograd", [helper.make_node("Conv", ["x", "W"], ["c"], pads=[1, 1, 1, 1]),
                                 helper.make_node("Add", ["c", "r"], ["s"]), helper.make_node("Relu", ["s"], ["y"])],
           [("x", [2, 8, 21, 70]), ("r", [2, 12, 21, 70])], ["y"], inits=[("W", rand(12, 8, 3, 3, scale=0.3))])
graph_case("conv_add_winograd2x2", [helper.make_node("Conv", ["x", "W", "B"], ["c"], pads=[1, 1, 1, 1]),
                                    helper.make_node("Add", ["r", "c"], ["y"])],
           [("x", [2, 6, 13, 11]), ("r", [2, 9, 13, 11])], ["y"],
           inits=[("W", rand(9, 6, 3, 3, scale=0.3)), ("B", rand(9))])
graph_case("conv_add_two_convs", [helper.make_node("Conv", ["x", "W1", "B1"], ["s"]),
                                  helper.make_node("Conv", ["x", "W2", "B2"], ["c"], pads=[1, 1, 1, 1]),
                                  helper.make_node("Add", ["s", "c"], ["a"]),
                                  helper.make_node("Clip", ["a", "lo", "hi"], ["y"])],
           [("x", [1, 8, 16, 40])], ["y"],
           inits=[("W1", rand(16, 8, 1, 1, scale=0.3)), ("B1", rand(16)), ("W2", rand(16, 8, 3, 3, scale=0.3)),
                  ("B2", rand(16)), ("lo", np.array(0, dtype=np.float32)), ("hi", np.array(1, dtype=np.float32))])
graph_case("conv_add_broadcast", [helper.make_node("Conv", ["x", "W"], ["c"], pads=[1, 1, 1, 1]),
                                  helper.make_node("Add", ["c", "r"], ["s"]), helper.make_node("Relu", ["s"], ["y"])],
           [("x", [1, 8, 20, 24]), ("r", [1, 12, 1, 24])], ["y"], inits=[("W", rand(12, 8, 3, 3, scale=0.3))])
graph_case("conv_add_strided", [helper.make_node("Conv", ["x", "W", "B"], ["c"], strides=[2, 2], pads=[1, 1, 1, 1]),
                                helper.make_node("Add", ["c", "r"], ["s"]), helper.make_node("Relu", ["s"], ["y"])],
           [("x", [2, 8, 20, 34]), ("r", [2, 12, 10, 17])], ["y"],
           inits=[("W", rand(12, 8, 3, 3, scale=0.3)), ("B", rand(12))])
# Pointwise -> depthwise -> pointwise blocks with 7 output rows: on 2 and 3 threads the rows do
# not split evenly and the block runs in two phases, split by expanded channels (40 and 48: a
# partial 32-channel panel), with a batch of 2, and with K past one block (300) and stride 2. The
# first block follows a 3 x 3 convolution whose Winograd transforms leave the shared scratch
# dirty, so the block's zero padding must be written, not found.
_inits = [("W0", rand(16, 16, 3, 3, scale=0.3)), ("W1", rand(40, 16, 1, 1)), ("B1", rand(40)), ("W2", rand(40, 1, 3, 3)),
          ("B2", rand(40)), ("W3", rand(24, 40, 1, 1)), ("lo", np.array(0, np.float32)), ("hi", np.array(6, np.float32))]
graph_case("pw_dw_pw_split_7rows", [helper.make_node("Conv", ["x0", "W0"], ["x"], pads=[1, 1, 1, 1]),
                                    helper.make_node("Conv", ["x", "W1", "B1"], ["a"]),
                                    helper.make_node("Clip", ["a", "lo", "hi"], ["a6"]),
                                    helper.make_node("Conv", ["a6", "W2", "B2"], ["d"], group=40, pads=[1, 1, 1, 1]),
                                    helper.make_node("Clip", ["d", "lo", "hi"], ["d6"]),
                                    helper.make_node("Conv", ["d6", "W3"], ["y"])],
           [("x0", [2, 16, 7, 9])], ["y"], inits=_inits)
_inits = [("W1", rand(48, 300, 1, 1, scale=0.1)), ("B1", rand(48)), ("W2", rand(48, 1, 3, 3)), ("W3", rand(20, 48, 1, 1)),
          ("B3", rand(20))]
graph_case("pw_dw_pw_split_s2_deep", [helper.make_node("Conv", ["x", "W1", "B1"], ["a"]), helper.make_node("Relu", ["a"], ["ar"]),
                                      helper.make_node("Conv", ["ar", "W2"], ["d"], group=48, strides=[2, 2], pads=[1, 1, 1, 1]),
                                      helper.make_node("Relu", ["d"], ["dr"]),
                                      helper.make_node("Conv", ["dr", "W3", "B3"], ["y"])],
           [("x", [1, 300, 14, 6])], ["y"], inits=_inits)
# A first layer fused as the block's first stage (`ChannelsLastConvolution`): MobileNetV2's stem
# shape (3 x 3 stride 2) with 40 channels (a partial 32-channel panel), batch 2 and a 27-wide map
# (the last 8-pixel panel shifted left); a 5 x 5 stride-1 first stage before a stride-2 depthwise;
# and a map narrower than one panel, where the three convolutions run one after the other.
_inits = [("W1", rand(40, 3, 3, 3, scale=0.3)), ("B1", rand(40)), ("W2", rand(40, 1, 3, 3)), ("B2", rand(40)),
          ("W3", rand(20, 40, 1, 1, scale=0.3)), ("B3", rand(20)), ("lo", np.array(0, np.float32)),
          ("hi", np.array(6, np.float32))]
_stem = [helper.make_node("Conv", ["x", "W1", "B1"], ["a"], strides=[2, 2], pads=[1, 1, 1, 1]),
         helper.make_node("Clip", ["a", "lo", "hi"], ["a6"]),
         helper.make_node("Conv", ["a6", "W2", "B2"], ["d"], group=40, pads=[1, 1, 1, 1]),
         helper.make_node("Clip", ["d", "lo", "hi"], ["d6"]),
         helper.make_node("Conv", ["d6", "W3", "B3"], ["y"])]
graph_case("pw_dw_pw_stem_s2", _stem, [("x", [2, 3, 38, 53])], ["y"], inits=_inits)
graph_case("pw_dw_pw_stem_narrow", _stem, [("x", [1, 3, 12, 10])], ["y"], inits=_inits)
_inits = [("W1", rand(16, 2, 5, 5, scale=0.3)), ("W2", rand(16, 1, 3, 3)), ("W3", rand(8, 16, 1, 1, scale=0.3))]
graph_case("pw_dw_pw_stem_5x5", [helper.make_node("Conv", ["x", "W1"], ["a"], pads=[2, 2, 2, 2]),
                                 helper.make_node("Conv", ["a", "W2"], ["d"], group=16, strides=[2, 2], pads=[1, 1, 1, 1]),
                                 helper.make_node("Relu", ["d"], ["dr"]),
                                 helper.make_node("Conv", ["dr", "W3"], ["y"])],
           [("x", [1, 2, 20, 30])], ["y"], inits=_inits)

# A block with its residual Add (MobileNetV2's inverted residuals), which the projection adds as it
# stores: on 9 rows (bands; the Add's operands swapped and a ReLU after it) and on 7 (two and three
# threads split the 70 expanded channels: three panels, the last partial); and a residual that
# broadcasts, where the block runs first and the Add after it.
_inits = [("W1", rand(70, 12, 1, 1, scale=0.3)), ("B1", rand(70)), ("W2", rand(70, 1, 3, 3)), ("B2", rand(70)),
          ("W3", rand(12, 70, 1, 1, scale=0.3)), ("B3", rand(12)), ("lo", np.array(0, np.float32)),
          ("hi", np.array(6, np.float32))]
_block = [helper.make_node("Conv", ["x", "W1", "B1"], ["a"]), helper.make_node("Clip", ["a", "lo", "hi"], ["a6"]),
          helper.make_node("Conv", ["a6", "W2", "B2"], ["d"], group=70, pads=[1, 1, 1, 1]),
          helper.make_node("Clip", ["d", "lo", "hi"], ["d6"]), helper.make_node("Conv", ["d6", "W3", "B3"], ["p"])]
graph_case("pw_dw_pw_residual_bands", _block + [helper.make_node("Add", ["p", "x"], ["s"]),
                                                helper.make_node("Relu", ["s"], ["y"])],
           [("x", [2, 12, 9, 11])], ["y"], inits=_inits)
graph_case("pw_dw_pw_residual_7rows", _block + [helper.make_node("Add", ["x", "p"], ["y"])],
           [("x", [2, 12, 7, 9])], ["y"], inits=_inits)
graph_case("residual_broadcast_pw_dw_pw", _block + [helper.make_node("Add", ["p", "r"], ["y"])],
           [("x", [1, 12, 7, 9]), ("r", [1, 12, 1, 9])], ["y"], inits=_inits)

# A small map of more than one band (480 channels, 20 wide: bands of 4 rows) whose whole expanded
# image fits 512 KB: one thread splits it by channels as well (K = 480: two K blocks), with a
# ReLU on the projection.
_inits = [("W1", rand(480, 8, 1, 1, scale=0.3)), ("W2", rand(480, 1, 3, 3)), ("B2", rand(480)),
          ("W3", rand(12, 480, 1, 1, scale=0.1)), ("B3", rand(12))]
graph_case("pw_dw_pw_split_one_thread", [helper.make_node("Conv", ["x", "W1"], ["a"]), helper.make_node("Relu", ["a"], ["ar"]),
                                         helper.make_node("Conv", ["ar", "W2", "B2"], ["d"], group=480, pads=[1, 1, 1, 1]),
                                         helper.make_node("Conv", ["d", "W3", "B3"], ["p"]),
                                         helper.make_node("Relu", ["p"], ["y"])],
           [("x", [1, 8, 7, 20])], ["y"], inits=_inits)

# A Conv and the GlobalAveragePool that alone reads it (MobileNetV2's last convolution): a 1 x 1 on
# a 7 x 9 map runs as the transposed GEMM and averages its tiles (batch 2, 40 channels: a
# half-width last panel of 8, K = 300 in two K blocks, ReLU6); a 3 x 3 runs, then pools; a
# convolution whose output is also a graph output stays unfused.
_inits = [("W", rand(40, 300, 1, 1, scale=0.1)), ("B", rand(40)), ("lo", np.array(0, np.float32)),
          ("hi", np.array(6, np.float32))]
graph_case("conv_gap_pointwise", [helper.make_node("Conv", ["x", "W", "B"], ["c"]),
                                  helper.make_node("Clip", ["c", "lo", "hi"], ["c6"]),
                                  helper.make_node("GlobalAveragePool", ["c6"], ["y"])],
           [("x", [2, 300, 7, 9])], ["y"], inits=_inits)
graph_case("conv_gap_3x3", [helper.make_node("Conv", ["x", "W"], ["c"], pads=[1, 1, 1, 1]),
                            helper.make_node("Relu", ["c"], ["cr"]),
                            helper.make_node("GlobalAveragePool", ["cr"], ["y"])],
           [("x", [1, 6, 10, 12])], ["y"], inits=[("W", rand(20, 6, 3, 3, scale=0.3))])
graph_case("conv_gap_shared", [helper.make_node("Conv", ["x", "W", "B"], ["c"]),
                               helper.make_node("GlobalAveragePool", ["c"], ["y"])],
           [("x", [1, 300, 5, 5])], ["y", "c"], inits=_inits[:2])

with open(os.path.join(HERE, "manifest.json"), "w") as f:
    json.dump({"generator": "make_goldens.py", "versions": {"torch": torch.__version__, "onnx": onnx.__version__,
               "onnxruntime": ort.__version__}, "cases": manifest}, f, indent=1)
print(f"{len(manifest)} cases", file=sys.stderr)
