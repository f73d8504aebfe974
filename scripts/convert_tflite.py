#!/usr/bin/env python3
"""Converts a float TFLite model (fp16 weights behind DEQUANTIZE ops, as MediaPipe ships them) into the
repository's .zjnn format, read by crates/face (see the header of scripts/vendor-models.sh):

    b"ZJNN" | u32 LE header length H | H bytes of UTF-8 JSON | zero bytes to a multiple of 4 | f16 LE weights

The JSON header lists the ops in execution order, each with its output's shape (NHWC, batch 1); tensor
ids are the TFLite tensor indices. DEQUANTIZE ops are dropped: their fp16 constants are copied bit for bit
into the weights section and referenced as {"offset": <f16 elements>, "shape": [...]} by the op using them.
Only the ops a MediaPipe detector/landmark model needs are accepted; anything else is an error, so a model
that needs more fails loudly here rather than silently in Rust. Output is deterministic (no timestamps,
fixed key order), which `scripts/vendor-models.sh --check` relies on.

Usage: convert_tflite.py IN.tflite OUT.zjnn --source "npm @scope/pkg@ver file.tflite" [--name N] [--licence L]
Needs the PyPI packages `tflite` (flatbuffer schema bindings) and numpy.
"""
import argparse
import hashlib
import json
import os
import struct
import sys
from collections import Counter

import numpy as np
import tflite

OPNAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
TTYPES = {v: k for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}
PADDING = {tflite.Padding.SAME: "same", tflite.Padding.VALID: "valid"}
ACTIVATION = {
    tflite.ActivationFunctionType.NONE: "none",
    tflite.ActivationFunctionType.RELU: "relu",
    tflite.ActivationFunctionType.RELU6: "relu6",
}


class ConvertError(Exception):
    pass


def options(op, cls):
    table = op.BuiltinOptions()
    if table is None:
        raise ConvertError(f"operator without builtin options (expected {cls.__name__})")
    o = cls()
    o.Init(table.Bytes, table.Pos)
    return o


class Converter:
    def __init__(self, buf):
        self.model = tflite.Model.GetRootAsModel(buf, 0)
        if self.model.SubgraphsLength() != 1:
            raise ConvertError(f"{self.model.SubgraphsLength()} subgraphs; only 1 is supported")
        self.g = self.model.Subgraphs(0)
        self.weights = []  # list of np.float16 arrays, in order of first use
        self.nweights = 0  # f16 elements so far
        self.const_offsets = {}  # tensor id -> offset (f16 elements)
        self.dequantized = {}  # DEQUANTIZE output tensor id -> its constant input tensor id
        self.lossy = []  # constants that were f32 and not exactly representable in f16

    # -- tensors -------------------------------------------------------------------------------
    def tensor(self, t):
        return self.g.Tensors(t)

    def shape(self, t):
        T = self.tensor(t)
        return [int(d) for d in T.ShapeAsNumpy()] if T.ShapeLength() else []

    def name(self, t):
        return self.tensor(t).Name().decode("utf-8")

    def buffer_bytes(self, t):
        T = self.tensor(t)
        b = self.model.Buffers(T.Buffer())
        if b is None:
            return None
        if b.DataLength() > 0:
            return b.DataAsNumpy().tobytes()
        if b.Offset() > 1:  # large models keep buffers after the flatbuffer (offset/size)
            raise ConvertError(f"tensor {t}: external buffers are not supported")
        return None

    def int_const(self, t):
        T = self.tensor(t)
        data = self.buffer_bytes(t)
        if data is None:
            raise ConvertError(f"tensor {t} ({self.name(t)}) should be a constant")
        dtype = {tflite.TensorType.INT32: "<i4", tflite.TensorType.INT64: "<i8"}.get(T.Type())
        if dtype is None:
            raise ConvertError(f"tensor {t}: integer constant of type {TTYPES.get(T.Type())}")
        return np.frombuffer(data, dtype).reshape(self.shape(t)).astype(np.int64)

    def const(self, t):
        """The constant behind tensor t (directly or through DEQUANTIZE) as a weights reference."""
        if t in self.const_offsets:
            return {"offset": self.const_offsets[t], "shape": self.shape(t)}
        src = self.dequantized.get(t, t)
        T = self.tensor(src)
        data = self.buffer_bytes(src)
        if data is None:
            raise ConvertError(f"tensor {t} ({self.name(t)}) should be a constant")
        if T.Quantization() is not None and T.Quantization().ScaleLength() > 0:
            raise ConvertError(f"tensor {src}: quantized constants are not supported")
        if T.Type() == tflite.TensorType.FLOAT16:
            w = np.frombuffer(data, "<f2")
        elif T.Type() == tflite.TensorType.FLOAT32:
            w32 = np.frombuffer(data, "<f4")
            w = w32.astype("<f2")
            if not np.array_equal(w.astype("<f4"), w32):
                self.lossy.append(t)
        else:
            raise ConvertError(f"tensor {src}: constant of type {TTYPES.get(T.Type())}")
        shape = self.shape(t)
        if w.size != int(np.prod(shape, dtype=np.int64)):
            raise ConvertError(f"tensor {t}: {w.size} values for shape {shape}")
        offset = self.nweights
        self.weights.append(w)
        self.nweights += w.size
        self.const_offsets[t] = offset
        return {"offset": offset, "shape": shape}

    def zeros(self, n):
        offset = self.nweights
        self.weights.append(np.zeros(n, "<f2"))
        self.nweights += n
        return {"offset": offset, "shape": [n]}

    # -- ops -----------------------------------------------------------------------------------
    def convert(self, name, source, licence):
        g = self.g
        if g.InputsLength() != 1:
            raise ConvertError(f"{g.InputsLength()} inputs; only 1 is supported")
        inp = int(g.Inputs(0))
        if self.tensor(inp).Type() != tflite.TensorType.FLOAT32:
            raise ConvertError("input is not float32")
        available = {inp}  # activations computed so far
        raw = []
        for i in range(g.OperatorsLength()):
            op = g.Operators(i)
            code = self.model.OperatorCodes(op.OpcodeIndex())
            opname = OPNAMES.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()))
            ins = [int(t) for t in op.InputsAsNumpy()] if op.InputsLength() else []
            outs = [int(t) for t in op.OutputsAsNumpy()] if op.OutputsLength() else []
            raw.append((i, opname, op, ins, outs))
            if opname == "DEQUANTIZE":
                self.dequantized[outs[0]] = ins[0]

        ops = []
        counts = Counter()
        for i, opname, op, ins, outs in raw:
            if opname == "DEQUANTIZE":
                continue
            if len(outs) != 1:
                raise ConvertError(f"op {i} {opname}: {len(outs)} outputs")
            out = outs[0]
            try:
                d = self.op(opname, op, ins, out)
            except ConvertError as e:
                raise ConvertError(f"op {i} {opname}: {e}") from None
            for t in d.get("inputs", [d.get("input")]):
                if t not in available:
                    raise ConvertError(f"op {i} {opname}: input tensor {t} is not computed before it")
            available.add(out)
            counts[d["op"]] += 1
            ops.append(d)

        outputs = []
        for k in range(g.OutputsLength()):
            t = int(g.Outputs(k))
            if t not in available:
                raise ConvertError(f"output tensor {t} is not computed by any op")
            outputs.append({"name": self.name(t), "tensor": t, "shape": self.shape(t)})

        header = {
            "format": 1,
            "name": name,
            "source": source,
            "licence": licence,
            "input": {"tensor": inp, "shape": self.shape(inp)},
            "outputs": outputs,
            "ops": ops,
        }
        return header, counts

    def op(self, opname, op, ins, out):
        shape = self.shape(out)
        if opname in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            depthwise = opname == "DEPTHWISE_CONV_2D"
            o = options(op, tflite.DepthwiseConv2DOptions if depthwise else tflite.Conv2DOptions)
            if (o.DilationHFactor(), o.DilationWFactor()) != (1, 1):
                raise ConvertError("dilation is not supported")
            d = {"op": "depthwise_conv2d" if depthwise else "conv2d", "input": ins[0], "output": out,
                 "shape": shape, "filter": self.const(ins[1])}
            fshape = d["filter"]["shape"]
            channels = fshape[3] if depthwise else fshape[0]
            d["bias"] = self.const(ins[2]) if len(ins) > 2 and ins[2] >= 0 else self.zeros(channels)
            d["stride"] = [o.StrideH(), o.StrideW()]
            d["padding"] = PADDING[o.Padding()]
            d["activation"] = self.activation(o)
            if depthwise:
                d["multiplier"] = o.DepthMultiplier()
                if fshape[0] != 1 or fshape[3] != self.shape(ins[0])[3] * o.DepthMultiplier():
                    raise ConvertError(f"depthwise filter shape {fshape}")
            elif fshape[3] != self.shape(ins[0])[3]:
                raise ConvertError(f"filter shape {fshape} for input {self.shape(ins[0])}")
            return d
        if opname == "ADD":
            o = options(op, tflite.AddOptions)
            if self.shape(ins[0]) != shape or self.shape(ins[1]) != shape:
                raise ConvertError("broadcasting ADD is not supported")
            return {"op": "add", "inputs": ins[:2], "output": out, "shape": shape,
                    "activation": self.activation(o)}
        if opname == "RELU":
            return {"op": "relu", "input": ins[0], "output": out, "shape": shape}
        if opname == "PRELU":
            alpha = self.const(ins[1])
            if alpha["shape"] not in ([shape[-1]], [1, 1, shape[-1]]):
                raise ConvertError(f"PRELU alpha shape {alpha['shape']} for output {shape}")
            return {"op": "prelu", "input": ins[0], "output": out, "shape": shape, "alpha": alpha}
        if opname == "MAX_POOL_2D":
            o = options(op, tflite.Pool2DOptions)
            if self.activation(o) != "none":
                raise ConvertError("fused activation on MAX_POOL_2D")
            return {"op": "max_pool2d", "input": ins[0], "output": out, "shape": shape,
                    "filter": [o.FilterHeight(), o.FilterWidth()], "stride": [o.StrideH(), o.StrideW()],
                    "padding": PADDING[o.Padding()]}
        if opname == "PAD":
            p = self.int_const(ins[1])
            if p.shape != (len(shape), 2) or (p < 0).any():
                raise ConvertError(f"paddings {p.tolist()}")
            return {"op": "pad", "input": ins[0], "output": out, "shape": shape, "paddings": p.tolist()}
        if opname == "RESHAPE":
            n_in = int(np.prod(self.shape(ins[0])))
            if n_in != int(np.prod(shape)):
                raise ConvertError(f"{self.shape(ins[0])} -> {shape}")
            return {"op": "reshape", "input": ins[0], "output": out, "shape": shape}
        if opname == "CONCATENATION":
            o = options(op, tflite.ConcatenationOptions)
            if self.activation(o) != "none":
                raise ConvertError("fused activation on CONCATENATION")
            axis = o.Axis() + (len(shape) if o.Axis() < 0 else 0)
            return {"op": "concatenation", "inputs": ins, "output": out, "shape": shape, "axis": axis}
        raise ConvertError("unsupported operator")

    @staticmethod
    def activation(o):
        a = o.FusedActivationFunction()
        if a not in ACTIVATION:
            raise ConvertError(f"fused activation {a} is not supported")
        return ACTIVATION[a]


def encode(header, weights):
    # One op per line keeps `head -c` of the file readable; whitespace is insignificant JSON.
    top = dict(header)
    ops = top.pop("ops")
    compact = lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=True)
    text = compact(top)[:-1] + ',"ops":[\n' + ",\n".join(compact(o) for o in ops) + "\n]}"
    h = text.encode("utf-8")
    out = bytearray(b"ZJNN" + struct.pack("<I", len(h)) + h)
    out += b"\0" * (-len(out) % 4)
    for w in weights:
        out += w.astype("<f2").tobytes()
    return bytes(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--source", required=True, help="where the .tflite comes from (goes into the header)")
    ap.add_argument("--name", help="model name (default: the input's file stem)")
    ap.add_argument("--licence", default="Apache-2.0")
    a = ap.parse_args()
    buf = open(a.input, "rb").read()
    name = a.name or os.path.splitext(os.path.basename(a.input))[0]
    conv = Converter(buf)
    try:
        header, counts = conv.convert(name, a.source, a.licence)
    except ConvertError as e:
        sys.exit(f"convert_tflite: {a.input}: {e}")
    data = encode(header, conv.weights)
    # Round trip: the file must parse back to the same header.
    (hlen,) = struct.unpack("<I", data[4:8])
    assert json.loads(data[8:8 + hlen]) == json.loads(json.dumps(header))
    tmp = a.output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, a.output)
    print(f"convert_tflite: {a.input} ({len(buf)} bytes, sha256 {hashlib.sha256(buf).hexdigest()[:16]}…)")
    print("  ops: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
          + f"; dropped DEQUANTIZE {len(conv.dequantized)}")
    print(f"  weights: {conv.nweights} f16 values ({len(conv.const_offsets)} constants)"
          + (f"; {len(conv.lossy)} f32 constants rounded to f16" if conv.lossy else "; copied bit for bit"))
    print(f"  -> {a.output}: {len(data)} bytes (header {hlen}), sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
