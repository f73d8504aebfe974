#!/usr/bin/env python3
"""Reference executor for .zjnn models (scripts/convert_tflite.py), in plain numpy, float64.

For checking the converter only (tests don't use it): runs the op list of a .zjnn file and, with
--tflite, compares every output with the TFLite interpreter (PyPI ai-edge-litert) on the same inputs.

    zjnn_ref.py MODEL.zjnn --tflite ORIGINAL.tflite [--random N] [INPUT.f32 ...]

Inputs are raw little-endian f32 files in the model's input shape (testdata/reference/*.input.f32);
--random N adds N uniform [-1, 1] inputs (fixed seed). Prints the max abs difference per output.
"""
import argparse
import json
import math
import struct
import sys

import numpy as np


def load(path):
    data = open(path, "rb").read()
    if data[:4] != b"ZJNN":
        raise ValueError(f"{path}: not a ZJNN file")
    (hlen,) = struct.unpack("<I", data[4:8])
    header = json.loads(data[8:8 + hlen].decode("utf-8"))
    start = 8 + hlen
    start += -start % 4
    weights = np.frombuffer(data[start:], "<f2")
    return header, weights


def same_pads(n, k, s):
    out = math.ceil(n / s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def spatial_pad(x, kh, kw, stride, padding, value=0.0):
    if padding == "valid":
        return x
    (t, b), (l, r) = same_pads(x.shape[1], kh, stride[0]), same_pads(x.shape[2], kw, stride[1])
    return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)), constant_values=value)


def windows(xp, kh, kw, stride, oh, ow):
    """Yields (i, j, slice of xp) for every filter tap."""
    sh, sw = stride
    for i in range(kh):
        for j in range(kw):
            yield i, j, xp[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw, :]


def activation(x, name):
    if name == "none":
        return x
    if name == "relu":
        return np.maximum(x, 0)
    if name == "relu6":
        return np.clip(x, 0, 6)
    raise ValueError(f"activation {name}")


def run(header, weights, x):
    def const(c):
        n = int(np.prod(c["shape"]))
        return weights[c["offset"]:c["offset"] + n].astype(np.float64).reshape(c["shape"])

    t = {header["input"]["tensor"]: np.asarray(x, np.float64).reshape(header["input"]["shape"])}
    for op in header["ops"]:
        kind, shape = op["op"], op["shape"]
        if kind in ("conv2d", "depthwise_conv2d"):
            x = t[op["input"]]
            f, b = const(op["filter"]), const(op["bias"])
            _, kh, kw, _ = f.shape
            xp = spatial_pad(x, kh, kw, op["stride"], op["padding"])
            oh, ow = shape[1], shape[2]
            y = np.zeros(shape, np.float64)
            if kind == "conv2d":
                for i, j, win in windows(xp, kh, kw, op["stride"], oh, ow):
                    y += win @ f[:, i, j, :].T
            else:
                m = op["multiplier"]
                if m != 1:
                    xp = np.repeat(xp, m, axis=-1)
                for i, j, win in windows(xp, kh, kw, op["stride"], oh, ow):
                    y += win * f[0, i, j, :]
            y = activation(y + b, op["activation"])
        elif kind == "add":
            a, c = (t[i] for i in op["inputs"])
            y = activation(a + c, op["activation"])
        elif kind == "relu":
            y = np.maximum(t[op["input"]], 0)
        elif kind == "prelu":
            x = t[op["input"]]
            y = np.where(x >= 0, x, x * const(op["alpha"]))
        elif kind == "max_pool2d":
            x = t[op["input"]]
            kh, kw = op["filter"]
            xp = spatial_pad(x, kh, kw, op["stride"], op["padding"], -np.inf)
            y = np.full(shape, -np.inf)
            for _, _, win in windows(xp, kh, kw, op["stride"], shape[1], shape[2]):
                y = np.maximum(y, win)
        elif kind == "pad":
            y = np.pad(t[op["input"]], op["paddings"])
        elif kind == "reshape":
            y = t[op["input"]].reshape(shape)
        elif kind == "concatenation":
            y = np.concatenate([t[i] for i in op["inputs"]], axis=op["axis"])
        else:
            raise ValueError(f"op {kind}")
        if list(y.shape) != shape:
            raise ValueError(f"op {kind} -> {op['output']}: shape {list(y.shape)}, header says {shape}")
        t[op["output"]] = y
    return {o["name"]: t[o["tensor"]] for o in header["outputs"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("inputs", nargs="*")
    ap.add_argument("--tflite")
    ap.add_argument("--random", type=int, default=0)
    a = ap.parse_intermixed_args()
    header, weights = load(a.model)
    shape = header["input"]["shape"]
    inputs = [(p, np.fromfile(p, "<f4").reshape(shape)) for p in a.inputs]
    rng = np.random.default_rng(0)
    inputs += [(f"random{i}", rng.uniform(-1, 1, shape).astype(np.float32)) for i in range(a.random)]
    interp = None
    if a.tflite:
        from ai_edge_litert.interpreter import Interpreter
        interp = Interpreter(model_path=a.tflite)
        interp.allocate_tensors()
        by_index = {d["index"]: d for d in interp.get_output_details()}
    worst = {}
    for label, x in inputs:
        ours = run(header, weights, x)
        if interp is None:
            print(label, {k: (float(v.min()), float(v.max())) for k, v in ours.items()})
            continue
        interp.set_tensor(interp.get_input_details()[0]["index"], x.astype(np.float32))
        interp.invoke()
        diffs = []
        for o in header["outputs"]:
            ref = interp.get_tensor(by_index[o["tensor"]]["index"])
            d = float(np.abs(ours[o["name"]] - ref).max())
            scale = float(np.abs(ref).max())
            worst[o["name"]] = max(worst.get(o["name"], 0.0), d)
            diffs.append(f"{o['name']} max|diff| {d:.3g} (max|ref| {scale:.3g})")
        print(f"{label}: " + "; ".join(diffs))
    if worst:
        print("worst: " + "; ".join(f"{k} {v:.3g}" for k, v in worst.items()))


if __name__ == "__main__":
    sys.exit(main())
