"""SymNMF-Net in PyTorch (CPU, float32): the reference the `bench torch-symnmf` run compares with.

Same network as symnmf-burn: K blocks U_i = ReLU(P_i (U_{i-1}^T U_{i-1} + lam I)^-1), P_i initialised
by Algorithm 1 (P_i = (X + lam I) U_{i-1}), one learnable lam projected above the bound
0.5 (||X||_F + ||X - U0 U0^T||_F) after each step, loss
    sum_i ||X||^2 - 2 tr(U_i^T X U_i) + ||U_i^T U_i||^2 + beta ||P_i - X U_{i-1} - lam U_{i-1}||^2
(reduction "sum", no l1 term), Adam with the given lr and (0.9, 0.999, 1e-8).
Inputs: X.npy (n x n) and U0.npy (n x r) written by the Rust side, so both start from the same
numbers; lam0 and its bound are recomputed here independently.

Prints one JSON line: median ms per epoch, the loss of every epoch, peak RSS (MB).
"""

import argparse
import json
import resource
import statistics
import time

import numpy as np
import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--x", required=True)
    ap.add_argument("--u0", required=True)
    ap.add_argument("--blocks", type=int, default=10)
    ap.add_argument("--beta", type=float, default=0.01)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sparse", action="store_true", help="X as a torch sparse CSR matrix")
    ap.add_argument(
        "--one-product",
        action="store_true",
        help="all K+1 products X·U_i as one X·[U_0 … U_K] (the factors do not depend on X), "
        "as nmfnet does on a dense X",
    )
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    x_np = np.load(a.x).astype(np.float32)
    u0 = torch.from_numpy(np.load(a.u0).astype(np.float32))
    n, r = u0.shape
    x_dense = torch.from_numpy(x_np)
    x_norm2 = float((x_np.astype(np.float64) ** 2).sum())
    x_norm = x_norm2 ** 0.5
    resid = float(np.linalg.norm(x_np.astype(np.float64) - u0.double().numpy() @ u0.double().numpy().T))
    bound = 0.5 * (x_norm + resid)
    lam0 = max(x_norm, bound)
    x = x_dense.to_sparse_csr() if a.sparse else x_dense
    del x_np

    def xmul(u):
        return x @ u

    eye = torch.eye(r)
    lam = torch.tensor([lam0], dtype=torch.float32)
    ps = []
    with torch.no_grad():
        u = u0
        for _ in range(a.blocks):
            p = xmul(u) + lam * u
            u = torch.relu(p @ torch.linalg.inv(u.T @ u + lam * eye))
            ps.append(p.clone())
    ps = [p.requires_grad_() for p in ps]
    lam.requires_grad_()
    opt = torch.optim.Adam(ps + [lam], lr=a.lr, betas=(0.9, 0.999), eps=1e-8)

    def epoch():
        opt.zero_grad(set_to_none=True)
        us = [u0]
        for p in ps:
            prev = us[-1]
            us.append(torch.relu(p @ torch.linalg.inv(prev.T @ prev + lam * eye)))
        if a.one_product:
            xu = list(torch.split(xmul(torch.cat(us, 1)), r, dim=1))
        else:
            xu = [xmul(u) for u in us]
        total = 0.0
        for i in range(1, a.blocks + 1):
            ui = us[i]
            recon = x_norm2 - 2.0 * (ui * xu[i]).sum() + (ui.T @ ui).square().sum()
            prox = (ps[i - 1] - xu[i - 1] - lam * us[i - 1]).square().sum()
            total = total + recon + a.beta * prox
        total.backward()
        opt.step()
        with torch.no_grad():
            lam.clamp_(min=bound)
        return float(total.item())

    losses, times = [], []
    for e in range(a.warmup + a.epochs):
        t = time.perf_counter()
        loss = epoch()
        dt = time.perf_counter() - t
        losses.append(loss)
        if e >= a.warmup:
            times.append(dt)
    print(json.dumps({
        "ms_per_epoch": 1e3 * statistics.median(times),
        "losses": losses,
        "lambda0": lam0,
        "bound": bound,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "sparse": a.sparse,
        "one_product": a.one_product,
    }))


if __name__ == "__main__":
    main()
