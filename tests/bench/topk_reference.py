#!/usr/bin/env python3
"""Plain-PyTorch TopK SAE training step: the reference `mistudio-cli bench sae` compares against.

The usual way to write it (OpenAI sparse_autoencoder / SAELens style): dense encoder matmul, top-k,
scatter into a dense [B, d_sae] code, dense decoder matmul, MSE, Adam, unit-norm decoder rows with
the parallel gradient removed. Prints a table line and, last, one JSON object.
Run with Debian's python3-torch: /usr/bin/python3 tests/bench/topk_reference.py --help
"""
import argparse
import json
import time

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--d-in", type=int, default=768)
    p.add_argument("--d-sae", type=int, default=24576)
    p.add_argument("--k", type=int, default=32)
    p.add_argument("--batch", type=int, default=4096)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    w_dec = torch.randn(a.d_sae, a.d_in)
    w_dec /= w_dec.norm(dim=1, keepdim=True)
    w_enc = w_dec.t().clone()
    b_enc = torch.zeros(a.d_sae)
    b_dec = torch.zeros(a.d_in)
    params = [w_enc, b_enc, w_dec, b_dec]
    for t in params:
        t.requires_grad_(True)
    lr = 2e-4 / (a.d_sae / 2**14) ** 0.5
    opt = torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=6.25e-10)
    x = torch.randn(a.batch, a.d_in)

    def step():
        pre = torch.relu((x - b_dec) @ w_enc + b_enc)
        vals, idx = pre.topk(a.k, dim=1)
        f = torch.zeros_like(pre).scatter(1, idx, vals)
        xhat = f @ w_dec + b_dec
        loss = (x - xhat).pow(2).sum(1).mean()
        opt.zero_grad(set_to_none=False)
        loss.backward()
        with torch.no_grad():
            w_dec.grad -= (w_dec.grad * w_dec).sum(1, keepdim=True) * w_dec
        opt.step()
        with torch.no_grad():
            w_dec.div_(w_dec.norm(dim=1, keepdim=True))
        return loss.item()

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    secs = time.perf_counter() - t0
    tps = a.batch * a.steps / secs
    print(f"plain PyTorch {torch.__version__}, {torch.get_num_threads()} threads: "
          f"{secs / a.steps * 1000:.1f} ms/step, {tps:.0f} tokens/s")
    print(json.dumps({"tokens_per_s": tps, "ms_per_step": secs / a.steps * 1000,
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
