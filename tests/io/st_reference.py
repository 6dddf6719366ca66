#!/usr/bin/env python3
"""Independent safetensors reader (stdlib only: struct + json) used by test_safetensors.

Usage: st_reference.py FILE
Prints one JSON object: {"metadata": {...}, "tensors": {name: {"dtype", "shape", "begin", "end",
"sum", "absmax", "first"}}} where begin/end are absolute file offsets and sum/absmax/first are
computed from the decoded values in float64 (integers and bools as numbers). Non-finite values
are left out of sum/absmax and written as strings ("inf", "nan") in first, since JSON has none.
"""
import json
import math
import struct
import sys

FORMATS = {"F64": ("d", 8), "F32": ("f", 4), "F16": ("e", 2), "I64": ("q", 8),
           "I32": ("i", 4), "I16": ("h", 2), "I8": ("b", 1), "U8": ("B", 1), "BOOL": ("?", 1)}


def decode(dtype, raw):
    if dtype == "BF16":  # the upper 16 bits of a float32
        halves = struct.unpack("<%dH" % (len(raw) // 2), raw)
        return [struct.unpack("<f", struct.pack("<I", h << 16))[0] for h in halves]
    code, size = FORMATS[dtype]
    return [float(v) for v in struct.unpack("<%d%s" % (len(raw) // size, code), raw)]


def main(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    start = 8 + n
    out = {"metadata": header.pop("__metadata__", {}), "tensors": {}}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        values = decode(info["dtype"], blob[start + begin:start + end])
        finite = [v for v in values if math.isfinite(v)]
        out["tensors"][name] = {
            "dtype": info["dtype"], "shape": info["shape"],
            "begin": start + begin, "end": start + end,
            "sum": math.fsum(finite), "absmax": max(map(abs, finite)) if finite else 0.0,
            "first": [v if math.isfinite(v) else repr(v) for v in values[:4]],
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
