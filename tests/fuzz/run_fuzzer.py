#!/usr/bin/env python3
"""Builds a seed corpus for one libFuzzer target and runs it for a fixed time.

Usage: run_fuzzer.py --seeds KIND [--shared DIR] [--artifacts DIR] FUZZER CORPUS_DIR SECONDS

Seeds are generated from the fixtures under --shared at run time (never stored in the repo),
plus a few built-in ones so a run without fixtures still starts:
  safetensors  every fixtures/models/*/*.safetensors: its header alone, and a small valid file
               with the same tensor names, dtypes and metadata (2 elements each, zeroed data)
  config       every fixtures/models/*/config.json, and copies with absurd sizes / wrong types
  tokenizer    every fixtures tokenizer.json shrunk to a few hundred tokens (components kept),
               followed by a NUL byte and a test string from cases.jsonl (see fuzz_tokenizer.cpp)
  parquet      the independent writer's files in tests/data/parquet
  hub          the fake Hub's listing JSONs (tests/hub/fake_hub.py --seed-corpus)
  none         no seeds from here (fuzz_project_file writes its own seed project)
FUZZER is a libFuzzer binary (clang `fuzz` preset) or the same target built with
mutation_driver.cpp (every other build); both take the same flags.
Exits with the fuzzer's status (non-zero when it found a crash).
"""
import argparse
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


def safetensors_seeds(shared):
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


def config_seeds(shared):
    yield "gpt2-min", json.dumps({"model_type": "gpt2", "n_layer": 2, "n_embd": 8, "n_head": 2,
                                  "vocab_size": 50, "n_positions": 16}).encode()
    for path in sorted(glob.glob(os.path.join(shared or "", "fixtures/models/*/config.json"))):
        tag = os.path.basename(os.path.dirname(path))
        with open(path, "rb") as f:
            text = f.read()
        yield tag, text
        cfg = json.loads(text)
        huge = dict(cfg)  # a 10^12-parameter claim
        for key in ("hidden_size", "n_embd", "intermediate_size", "vocab_size"):
            if key in huge:
                huge[key] = 1 << 20
        yield tag + ".huge", json.dumps(huge).encode()
        wrong = {k: (str(v) if isinstance(v, int) else v) for k, v in cfg.items()}
        yield tag + ".types", json.dumps(wrong).encode()


def shrink_tokenizer(tok, keep=300):
    """The same components with the first `keep` vocabulary entries and the merges among them."""
    model = tok.get("model") or {}
    vocab = model.get("vocab")
    if isinstance(vocab, dict):
        kept = dict(sorted(vocab.items(), key=lambda kv: kv[1])[:keep])
        model["vocab"] = kept
        merges = []
        for m in model.get("merges") or []:
            a, b = m.split(" ", 1) if isinstance(m, str) else m
            if a in kept and b in kept and a + b in kept:
                merges.append(m)
        model["merges"] = merges
    ids = set(model.get("vocab", {}).values())
    tok["added_tokens"] = [t for t in tok.get("added_tokens") or [] if t.get("id") in ids][:8]
    return tok


def tokenizer_seeds(shared):
    root = shared or ""
    paths = sorted(glob.glob(os.path.join(root, "fixtures/tokenizers/*/tokenizer.json")))
    paths += sorted(glob.glob(os.path.join(root, "fixtures/models/aidreams260k/tokenizer.json")))
    for path in paths:
        folder = os.path.dirname(path)
        tag = os.path.basename(folder)
        with open(path, "rb") as f:
            tok = shrink_tokenizer(json.load(f))
        texts = ["Hello world", "caf\u00e9 \u2581x\n\t"]
        cases = os.path.join(folder, "cases.jsonl")
        if os.path.exists(cases):
            with open(cases, encoding="utf-8") as f:
                texts = [json.loads(line)["text"] for line in f][:6]
        blob = json.dumps(tok, ensure_ascii=False).encode()
        for i, text in enumerate(texts):
            yield "%s.%d" % (tag, i), blob + b"\0" + text.encode("utf-8", "surrogatepass")


HERE = os.path.dirname(os.path.abspath(__file__))


def parquet_seeds(shared):
    """The independent writer's files in tests/data/parquet (every codec and encoding), and the
    inputs fuzzing found (tests/data/parquet/regressions), replayed first in every run."""
    parquet = os.path.join(HERE, "..", "data", "parquet")
    for path in sorted(glob.glob(os.path.join(parquet, "*.parquet")) +
                       glob.glob(os.path.join(parquet, "regressions", "*"))):
        with open(path, "rb") as f:
            yield os.path.basename(path), f.read()


def hub_seeds(shared):
    """The listings the fake Hub serves (tests/hub/fake_hub.py --seed-corpus)."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.check_call([sys.executable, os.path.join(HERE, "..", "hub", "fake_hub.py"),
                               "--seed-corpus", tmp])
        for name in sorted(os.listdir(tmp)):
            with open(os.path.join(tmp, name), "rb") as f:
                yield name, f.read()


SEEDS = {"safetensors": safetensors_seeds, "config": config_seeds,
         "tokenizer": tokenizer_seeds, "parquet": parquet_seeds, "hub": hub_seeds,
         "none": lambda shared: iter(())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="safetensors", choices=sorted(SEEDS))
    ap.add_argument("--shared", default="")
    ap.add_argument("--artifacts", default="")
    ap.add_argument("fuzzer")
    ap.add_argument("corpus")
    ap.add_argument("seconds", type=int)
    args = ap.parse_args()
    os.makedirs(args.corpus, exist_ok=True)
    for name, blob in SEEDS[args.seeds](args.shared):
        with open(os.path.join(args.corpus, name), "wb") as f:
            f.write(blob)
    cmd = [args.fuzzer, "-max_total_time=%d" % args.seconds, "-timeout=10",
           "-rss_limit_mb=2048", "-malloc_limit_mb=1024", "-print_final_stats=1"]
    if args.artifacts:
        os.makedirs(args.artifacts, exist_ok=True)
        cmd.append("-artifact_prefix=" + os.path.join(args.artifacts, ""))
    cmd.append(args.corpus)
    print(" ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=os.path.dirname(os.path.abspath(args.corpus)))


if __name__ == "__main__":
    sys.exit(main())
