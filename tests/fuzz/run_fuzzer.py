#!/usr/bin/env python3
"""Builds a seed corpus for fuzz_safetensors and runs it for a fixed time.

Usage: run_fuzzer.py FUZZER CORPUS_DIR SECONDS [SHARED_DIR]

Seeds (stdlib only): for every fixtures/models/*/*.safetensors under SHARED_DIR, (1) the file's
header alone and (2) a small valid file with the same tensor names, dtypes and metadata but tiny
shapes and zeroed data; plus a few built-in files when the fixtures are absent. Exits with the
fuzzer's status (non-zero when it found a crash).
"""
import glob
import json
import os
import struct
import subprocess
import sys

SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
         "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}


def pack(header, data):
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def shrink(header, limit=12):
    """A valid file keeping the first `limit` tensors' names/dtypes, each with 2 elements."""
    out, offset = {}, 0
    if "__metadata__" in header:
        out["__metadata__"] = header["__metadata__"]
    names = [k for k in header if k != "__metadata__"][:limit]
    for name in names:
        dtype = header[name]["dtype"]
        nbytes = 2 * SIZES.get(dtype, 1)
        out[name] = {"dtype": dtype, "shape": [2], "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    return pack(out, bytes(offset))


def seeds(shared):
    builtin = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
               "b": {"dtype": "BF16", "shape": [1, 2], "data_offsets": [8, 12]},
               "__metadata__": {"format": "pt"}}
    yield "builtin", pack(builtin, bytes(12))
    yield "empty", pack({}, b"")
    for path in sorted(glob.glob(os.path.join(shared or "", "fixtures/models/*/*.safetensors"))):
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            text = f.read(n)
        tag = path.replace("/", "_")[-60:]
        yield tag + ".header", struct.pack("<Q", n) + text
        yield tag + ".small", shrink(json.loads(text))


def main():
    fuzzer, corpus, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    shared = sys.argv[4] if len(sys.argv) > 4 else ""
    os.makedirs(corpus, exist_ok=True)
    for name, blob in seeds(shared):
        with open(os.path.join(corpus, name), "wb") as f:
            f.write(blob)
    cmd = [fuzzer, "-max_total_time=%d" % seconds, "-max_len=65536", "-timeout=10",
           "-rss_limit_mb=2048", "-print_final_stats=1", corpus]
    print(" ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=os.path.dirname(corpus))


if __name__ == "__main__":
    sys.exit(main())
