#!/usr/bin/env python3
"""PyTorch reference for `matgan-dist bench` (docs/performance.md, "PyTorch reference").

The MatGAN workloads of the bench written the way a PyTorch user would write them: the same
ICSD and OQMD generator and critic (layer table in docs/matgan.md, "Networks"; TF SAME padding
reproduced with explicit pads and crops), WGAN-GP with 5 critic updates per generator update,
each critic update scoring real, fake and interpolated batches in three training-mode passes and
taking the penalty's gradient with `create_graph=True`; Adam(0.5, 0.9). Generation runs the
generator in eval mode under `torch.no_grad()`.

Prints one JSON object: {"torch": version, "threads": n, "cases": {"matgan-train/32": rate, ...}}
with real samples/s (training) and samples/s (generation). Feed it to
`matgan-dist bench --reference FILE` so both engines are compared on one host in one run.

Usage: python3 scripts/pytorch_reference.py [--seconds 3] [--threads 1] > reference.json
"""
import argparse
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def same_pads(size, kernel, stride):
    """TF SAME padding along one axis: (output, pad before, pad after)."""
    output = (size + stride - 1) // stride
    total = max((output - 1) * stride + kernel - size, 0)
    return output, total // 2, total - total // 2


class SameConv(nn.Module):
    """Conv2d with TF SAME padding (asymmetric pads go bottom/right)."""

    def __init__(self, size, cin, cout, kernel, stride):
        super().__init__()
        _, top, bottom = same_pads(size[0], kernel, stride[0])
        _, left, right = same_pads(size[1], kernel, stride[1])
        self.pads = (left, right, top, bottom)
        self.conv = nn.Conv2d(cin, cout, kernel, stride)

    def forward(self, x):
        return self.conv(F.pad(x, self.pads))


class SameConvTranspose(nn.Module):
    """conv2d_transpose to an explicit output size with TF SAME padding: the full transposed
    convolution cropped by the pads of the convolution it is the adjoint of."""

    def __init__(self, output, cin, cout, kernel, stride):
        super().__init__()
        _, self.top, _ = same_pads(output[0], kernel, stride[0])
        _, self.left, _ = same_pads(output[1], kernel, stride[1])
        self.output = output
        self.conv = nn.ConvTranspose2d(cin, cout, kernel, stride)

    def forward(self, x):
        y = self.conv(x)
        return y[:, :, self.top:self.top + self.output[0], self.left:self.left + self.output[1]]


GENERATOR = {
    "icsd": ((128, 6, 4), [(64, 11, 8, 5, (2, 2)), (32, 22, 8, 3, (2, 1)), (16, 43, 8, 3, (2, 1)),
                           (1, 85, 8, 3, (2, 1))]),
    "oqmd": ((256, 6, 4), [(128, 11, 8, 5, (2, 2)), (128, 11, 8, 3, (1, 1)), (64, 22, 8, 3, (2, 1)),
                           (64, 22, 8, 3, (1, 1)), (32, 43, 8, 3, (2, 1)), (32, 43, 8, 3, (1, 1)),
                           (1, 85, 8, 3, (2, 1))]),
}
CRITIC = {
    "icsd": [(16, 3, (1, 1), False), (16, 3, (2, 1), True), (32, 3, (1, 1), True), (64, 3, (1, 1), True),
             (128, 5, (2, 2), True)],
    "oqmd": [(32, 3, (1, 1), False), (32, 3, (2, 1), True), (64, 3, (1, 1), True), (64, 3, (2, 1), True),
             (128, 3, (1, 1), True), (128, 3, (2, 1), True), (256, 5, (2, 2), True)],
}


def generator(variant):
    (c, h, w), stages = GENERATOR[variant]
    layers = [nn.Linear(128, c * h * w), nn.BatchNorm1d(c * h * w), nn.ReLU(), nn.Unflatten(1, (c, h, w))]
    for index, (cout, oh, ow, kernel, stride) in enumerate(stages):
        layers.append(SameConvTranspose((oh, ow), c, cout, kernel, stride))
        if index < len(stages) - 1:
            layers += [nn.BatchNorm2d(cout), nn.ReLU()]
        c = cout
    layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def critic(variant):
    layers, c, size = [], 1, (85, 8)
    for cout, kernel, stride, batch_norm in CRITIC[variant]:
        layers.append(SameConv(size, c, cout, kernel, stride))
        size = (same_pads(size[0], kernel, stride[0])[0], same_pads(size[1], kernel, stride[1])[0])
        if batch_norm:
            layers.append(nn.BatchNorm2d(cout))
        layers.append(nn.LeakyReLU(0.2))
        c = cout
    layers += [nn.Flatten(), nn.Linear(c * size[0] * size[1], 1)]
    return nn.Sequential(*layers)


def compositions(count):
    """Composition-like matrices: 2-5 elements, one count cell each."""
    g = torch.Generator().manual_seed(5)
    x = torch.zeros(count, 1, 85, 8)
    for sample in range(count):
        for _ in range(2 + int(torch.randint(4, (1,), generator=g))):
            x[sample, 0, int(torch.randint(85, (1,), generator=g)), int(torch.randint(8, (1,), generator=g))] = 1
    return x


def measure(seconds, call):
    """Calls per second over at least `seconds`, after one warm-up call."""
    call()
    calls, start = 0, time.perf_counter()
    while True:
        call()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls / elapsed


def training_rate(variant, batch, seconds, critic_iterations=5, penalty=10.0):
    G, D = generator(variant), critic(variant)
    g_opt = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.9))
    d_opt = torch.optim.Adam(D.parameters(), lr=1e-2 if variant == "icsd" else 5e-3, betas=(0.5, 0.9))
    real_batches = compositions(critic_iterations * batch).split(batch)

    def iteration():
        for real in real_batches:
            with torch.no_grad():
                fake = G(torch.randn(batch, 128))
            d_opt.zero_grad(set_to_none=True)
            e = torch.rand(batch, 1, 1, 1)
            mixed = (real + e * (fake - real)).requires_grad_(True)
            score = D(mixed)
            gradient, = torch.autograd.grad(score.sum(), mixed, create_graph=True)
            gp = penalty * ((gradient.flatten(1).norm(dim=1) - 1) ** 2).mean()
            loss = D(fake).mean() - D(real).mean() + gp
            loss.backward()
            d_opt.step()
        g_opt.zero_grad(set_to_none=True)
        (-D(G(torch.randn(batch, 128))).mean()).backward()
        g_opt.step()

    return critic_iterations * batch * measure(seconds, iteration)


def generation_rate(variant, batch, seconds):
    G = generator(variant).eval()
    z = torch.randn(batch, 128)

    def call():
        with torch.no_grad():
            G(z)

    return batch * measure(seconds, call)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum measured seconds per row")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    arguments = parser.parse_args()
    if arguments.seconds <= 0 or arguments.threads <= 0:
        sys.exit("pytorch_reference.py: --seconds and --threads must be positive")
    torch.set_num_threads(arguments.threads)
    torch.manual_seed(0)
    cases = {}
    for batch in (32, 128, 512):
        cases[f"matgan-train/{batch}"] = training_rate("icsd", batch, arguments.seconds)
    cases["matgan-train-oqmd/512"] = training_rate("oqmd", 512, arguments.seconds)
    cases["matgan-generate/4096"] = generation_rate("icsd", 4096, arguments.seconds)
    for name, rate in cases.items():
        print(f"{name}: {rate:.1f} samples/s", file=sys.stderr)
    print(json.dumps({"torch": torch.__version__, "threads": arguments.threads,
                      "cpu_capability": torch.backends.cpu.get_cpu_capability(), "cases": cases}))


if __name__ == "__main__":
    main()
