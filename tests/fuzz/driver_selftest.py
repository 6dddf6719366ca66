#!/usr/bin/env python3
"""Self-test of mutation_driver.cpp (the gcc fuzz smokes): it must report a crashing seed, find a
crash one bit flip away from a seed, turn a sanitizer report into a saved input, catch a hang
with -timeout, save each input as an artifact and exit non-zero; a clean corpus must pass. Usage: driver_selftest.py SELFTEST_BINARY"""
import os
import subprocess
import sys
import tempfile


def run(binary, seeds, extra=(), env=None):
    tmp = tempfile.mkdtemp(prefix="mistudio-driver-selftest-")
    corpus, artifacts = os.path.join(tmp, "corpus"), os.path.join(tmp, "crashes") + "/"
    os.makedirs(corpus)
    os.makedirs(artifacts)
    for i, blob in enumerate(seeds):
        with open(os.path.join(corpus, "seed%d" % i), "wb") as f:
            f.write(blob)
    cmd = [binary, "-max_total_time=5", "-seed=7", "-artifact_prefix=" + artifacts, *extra, corpus]
    p = subprocess.run(cmd, capture_output=True, timeout=60, env=env)
    saved = {}
    for name in os.listdir(artifacts):
        with open(os.path.join(artifacts, name), "rb") as f:
            saved[name] = f.read()
    return p.returncode, saved, p.stdout.decode() + p.stderr.decode()


def check(cond, what, out):
    if not cond:
        print("FAIL:", what, "\n", out)
        sys.exit(1)
    print("ok:", what)


def main():
    binary = sys.argv[1]
    code, saved, out = run(binary, [b"clean input", b"{}"])
    check(code == 0 and not saved, "a clean corpus passes", out)
    code, saved, out = run(binary, [b"fine", b"a BUG here"])
    check(code != 0 and list(saved.values()) == [b"a BUG here"], "a crashing seed is replayed, "
          "reported and saved", out)
    code, saved, out = run(binary, [b"xxBUFxx"])
    check(code != 0 and any(b"BUG" in v for v in saved.values()), "mutation finds a crash one "
          "bit flip from the seed", out)
    env = dict(os.environ, ASAN_OPTIONS="abort_on_error=1")
    code, saved, out = run(binary, [b"OOB and more"], env=env)
    check(code != 0 and list(saved.values()) == [b"OOB and more"] and
          "heap-buffer-overflow" in out, "an AddressSanitizer report becomes a saved input", out)
    code, saved, out = run(binary, [b"HANG"], ["-timeout=1"])
    check(code == 70 and [k for k in saved if k.startswith("timeout-")], "a hang is stopped by "
          "-timeout and saved", out)


if __name__ == "__main__":
    main()
