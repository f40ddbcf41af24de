"""GAN-UNET in PyTorch (CPU, float32): the reference the `bench gan` run compares with.

The same layers and sizes as ganunet-burn (see ganunet-burn/src/generator.rs and
discriminator.rs), written here independently:

* generator: `levels` 4x4 stride-2 convolutions (padding 1) from the group of m images as m
  channels; channels base, 2 base, ... capped at max; BatchNorm on every level but the first
  and the bottleneck; LeakyReLU 0.2. Decoder: 4x4 stride-2 transposed convolutions, BatchNorm,
  ReLU, then concatenation with the skip of the same level. Heads: a transposed convolution to
  k channels with ReLU (H, k basis images), and a linear layer on the spatial mean of the
  bottleneck to k*m with ReLU (W). Y_hat = H W per group.
* discriminator: PatchGAN on the 2m-channel pair: convs c (s2), 2c (s2, BN), 4c (s2, BN),
  8c (s1, BN), 1 (s1); LeakyReLU 0.2.
* one training step on a batch of groups: "real" pair = (group, rank-k PCA reconstruction of
  the group), D loss 1/2 (BCE(real, 1) + BCE(fake, 0)), G loss BCE(D(fake), 1) + 100 L1, Adam
  2e-4 (0.5, 0.999); the generator runs once per step, as in ours.

Prints one JSON line: median ms per training step, median ms per single-group inference,
parameter counts (generator, discriminator), peak RSS (MB).
"""

import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def channels(base, cap, i):
    return min(base << i, cap)


class Generator(nn.Module):
    def __init__(self, group, k, base, cap, levels):
        super().__init__()
        self.group, self.k = group, k
        ch = [channels(base, cap, i) for i in range(levels)]
        self.downs = nn.ModuleList()
        for i in range(levels):
            cin = group if i == 0 else ch[i - 1]
            layers = [nn.Conv2d(cin, ch[i], 4, 2, 1)]
            if 0 < i < levels - 1:
                layers.append(nn.BatchNorm2d(ch[i]))
            self.downs.append(nn.Sequential(*layers))
        # ups[j] makes level j's channels from level j + 1 (run from the innermost outwards).
        self.ups = nn.ModuleList()
        for j in range(levels - 1):
            cin = ch[levels - 1] if j + 2 == levels else 2 * ch[j + 1]
            self.ups.append(nn.Sequential(nn.ConvTranspose2d(cin, ch[j], 4, 2, 1), nn.BatchNorm2d(ch[j])))
        head_in = ch[0] if levels == 1 else 2 * ch[0]
        self.head_h = nn.ConvTranspose2d(head_in, k, 4, 2, 1)
        self.head_w = nn.Linear(ch[levels - 1], k * group)

    def forward(self, x):
        skips = []
        h = x
        for d in self.downs:
            h = F.leaky_relu(d(h), 0.2)
            skips.append(h)
        u = skips.pop()
        w = F.relu(self.head_w(u.mean(dim=(2, 3)))).reshape(-1, self.k, self.group)
        for up in reversed(self.ups):
            u = torch.cat([F.relu(up(u)), skips.pop()], 1)
        return F.relu(self.head_h(u)), w


class Discriminator(nn.Module):
    def __init__(self, cin, c):
        super().__init__()
        self.convs = nn.ModuleList(
            [
                nn.Conv2d(cin, c, 4, 2, 1),
                nn.Conv2d(c, 2 * c, 4, 2, 1),
                nn.Conv2d(2 * c, 4 * c, 4, 2, 1),
                nn.Conv2d(4 * c, 8 * c, 4, 1, 1),
                nn.Conv2d(8 * c, 1, 4, 1, 1),
            ]
        )
        self.norms = nn.ModuleList([nn.BatchNorm2d(n) for n in (2 * c, 4 * c, 8 * c)])

    def forward(self, x):
        x = F.leaky_relu(self.convs[0](x), 0.2)
        for conv, norm in zip(self.convs[1:4], self.norms):
            x = F.leaky_relu(norm(conv(x)), 0.2)
        return self.convs[4](x)


def init_normal(module, std):
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)
            nn.init.normal_(m.bias, 0.0, std)


def reconstruct(h, w):
    b, k, hh, ww = h.shape
    return torch.bmm(h.reshape(b, k, hh * ww).transpose(1, 2), w).transpose(1, 2).reshape(b, -1, hh, ww)


def pca_reconstruction(y, k):
    """Rank-k PCA reconstruction of each group (the m images are the samples)."""
    b, m, hh, ww = y.shape
    out = []
    for g in range(b):
        x = y[g].reshape(m, hh * ww).double()
        mean = x.mean(0, keepdim=True)
        c = x - mean
        evals, evecs = torch.linalg.eigh(c @ c.T)
        vk = evecs[:, -k:]
        out.append((vk @ (vk.T @ c) + mean).float().reshape(m, hh, ww))
    return torch.stack(out)


def num_params(module):
    """Parameters plus BatchNorm running statistics: Burn's `num_params` counts those too."""
    stats = sum(b.numel() for name, b in module.named_buffers() if name.endswith(("running_mean", "running_var")))
    return sum(p.numel() for p in module.parameters()) + stats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--group", type=int, default=40)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--base", type=int, default=64)
    ap.add_argument("--max-channels", type=int, default=512)
    ap.add_argument("--levels", type=int, default=5)
    ap.add_argument("--disc-base", type=int, default=64)
    ap.add_argument("--side", type=int, default=32)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    g = Generator(a.group, a.k, a.base, a.max_channels, a.levels)
    d = Discriminator(2 * a.group, a.disc_base)
    init_normal(g, 0.02)
    init_normal(d, 0.02)
    g_opt = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = F.binary_cross_entropy_with_logits

    # Seconds per phase, summed over the timed steps (the same phases as nmfnet's step; PyTorch
    # on the CPU runs each operation when it is called, so the laps are exact).
    phases = {}
    clock = [0.0]

    def lap(name, timed):
        now = time.perf_counter()
        if timed:
            phases[name] = phases.get(name, 0.0) + now - clock[0]
        clock[0] = now

    def step(y, timed):
        clock[0] = time.perf_counter()
        h, w = g(y)
        y_hat = reconstruct(h, w)
        lap("G forward", timed)
        pca = pca_reconstruction(y, a.k)
        lap("PCA targets", timed)
        real = d(torch.cat([y, pca], 1))
        fake = d(torch.cat([y, y_hat.detach()], 1))
        d_loss = 0.5 * (bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake)))
        float(d_loss)
        lap("D forward", timed)
        d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        lap("D backward", timed)
        d_opt.step()
        lap("D Adam", timed)
        fake = d(torch.cat([y, y_hat], 1))
        g_loss = bce(fake, torch.ones_like(fake)) + 100.0 * (y_hat - y).abs().mean()
        value = float(g_loss)
        lap("G loss", timed)
        g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        lap("G backward", timed)
        g_opt.step()
        lap("G Adam", timed)
        return value

    times = []
    for s in range(a.warmup + a.steps):
        y = torch.rand(a.batch, a.group, a.side, a.side)
        t = time.perf_counter()
        step(y, s >= a.warmup)
        if s >= a.warmup:
            times.append(time.perf_counter() - t)

    g.eval()
    infer = []
    with torch.no_grad():
        for s in range(a.warmup + 4 * a.steps):
            y = torch.rand(1, a.group, a.side, a.side)
            t = time.perf_counter()
            h, w = g(y)
            reconstruct(h, w).sum().item()
            if s >= a.warmup:
                infer.append(time.perf_counter() - t)

    print(
        json.dumps(
            {
                "ms_per_step": 1e3 * statistics.median(times),
                "ms_per_group_inference": 1e3 * statistics.median(infer),
                "phase_ms": {k: 1e3 * v / a.steps for k, v in phases.items()},
                "generator_params": num_params(g),
                "discriminator_params": num_params(d),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                "torch": torch.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
