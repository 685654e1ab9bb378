#!/usr/bin/env python3
"""PyTorch reference for `npm run bench`: the same network as the TF.js engine, built from
core's graph IR (a JSON file of its layers written by bench/engineBench.ts), trained (SGD,
momentum 0.9, weight decay 1e-4, cross-entropy) or run in inference on random data.

Prints one JSON line: {"imagesPerSec", "stepMs", "steps", "peakRssMiB", "threads", "torch"}.
Usage: python3 torch_reference.py GRAPH_JSON --batch 128 --mode train|infer [--steps N] [--warmup N]
Each run is its own process, so peakRssMiB (ru_maxrss) is this model's alone.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class GraphNet(nn.Module):
    """Executes the graph IR's layers in order (NCHW), the way core/engine/model.ts does (NHWC)."""

    def __init__(self, graph):
        super().__init__()
        self.layers = [l for l in graph["layers"] if l["kind"] != "softmax"]
        self.logits_id = graph["logitsId"]
        self.mods = nn.ModuleDict()
        for l in self.layers:
            key = l["id"].replace(".", "_")
            if l["kind"] == "conv":
                cin = l["inputShape"][2]
                self.mods[key] = nn.Conv2d(cin, l["filters"], l["kernel"], l["stride"], l["padding"], bias=False)
            elif l["kind"] == "batchnorm":
                self.mods[key] = nn.BatchNorm2d(l["outputShape"][2], eps=1e-5, momentum=0.1)
            elif l["kind"] == "fc":
                s = l["inputShape"]
                self.mods[key] = nn.Linear(s[0] * s[1] * s[2], l["units"])

    def forward(self, x):
        out = {}
        for l in self.layers:
            k = l["kind"]
            inp = x if not l["inputs"] else out[l["inputs"][0]]
            key = l["id"].replace(".", "_")
            if k in ("conv", "batchnorm"):
                y = self.mods[key](inp)
            elif k == "relu":
                y = F.relu(inp)
            elif k == "add":
                y = out[l["inputs"][0]] + out[l["inputs"][1]]
            elif k == "maxpool":
                y = F.max_pool2d(F.pad(inp, [l["padding"]] * 4), l["kernel"], l["stride"])
            elif k == "zeropad":
                sub = inp[:, :, :: l["stride"], :: l["stride"]] if l["stride"] > 1 else inp
                extra = l["filters"] - l["inputShape"][2]
                before = extra // 2
                y = F.pad(sub, [0, 0, 0, 0, before, extra - before])
            elif k == "avgpool":
                y = inp.mean(dim=(2, 3))
            elif k == "fc":
                y = self.mods[key](inp.flatten(1))
            else:
                raise ValueError("unsupported layer kind " + k)
            out[l["id"]] = y
        return out[self.logits_id]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("graph")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--mode", choices=["train", "infer"], default="train")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--min-seconds", type=float, default=0.0)
    a = p.parse_args()
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    with open(a.graph) as f:
        graph = json.load(f)
    h, w, c = graph["inputShape"]
    classes = graph["spec"]["classes"]
    net = GraphNet(graph)
    x = torch.randn(a.batch, c, h, w)
    y = torch.arange(a.batch) % classes
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)

    def step():
        if a.mode == "train":
            net.train()
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            loss.item()
        else:
            net.eval()
            with torch.no_grad():
                net(x).argmax(1).sum().item()

    for _ in range(a.warmup):
        step()
    times = []
    start = time.perf_counter()
    while len(times) < a.steps or time.perf_counter() - start < a.min_seconds:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    ms = statistics.median(times) * 1000
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"imagesPerSec": a.batch * 1000 / ms, "stepMs": ms, "steps": len(times), "peakRssMiB": rss, "threads": threads, "torch": torch.__version__}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the bench prints this line as the reason
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)
