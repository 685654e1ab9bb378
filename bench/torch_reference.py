#!/usr/bin/env python3
"""Plain PyTorch reference for `npm run bench` and bench/gpu_bench.py: the product's network
(build_model of python/resnet_lab_trainer.py, the one model code in Python, built from core's
graph IR) in a bare loop on fixed random data: SGD (momentum 0.9, weight decay 1e-4) on
cross-entropy, or inference. No data pipeline, no metrics, no checkpoints: what the PyTorch
engine's overhead is measured against.

GRAPH is a graph-IR JSON file (bench/engineBench.ts writes one), a job.json or a job folder
(the net of --slot). On CUDA the net and input are channels-last and cuDNN autotunes, as the
trainer does; on the CPU freed buffers stay mapped (keep_freed_memory), as the trainer keeps
them. Steps are timed in blocks of --sync-every steps with one host sync (.item()) per
block; the figure is the median block. Prints one JSON line:
{"imagesPerSec", "stepMs", "steps", "peakRssMiB", "threads", "torch", "device"}.

Usage: python3 torch_reference.py GRAPH --batch 128 --mode train|infer [--steps N] [--warmup N]
       [--min-seconds S] [--max-seconds S] [--device cpu|cuda] [--threads N] [--amp off|bf16] [--sync-every K]
       [--trainer DIR]   (the folder of resnet_lab_trainer.py; default: ../python beside this file)
Each run is its own process, so peakRssMiB (ru_maxrss) is this model's alone.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINER = "resnet_lab_trainer.py"


def trainer_folder(given):
    """The folder whose resnet_lab_trainer.py provides build_model."""
    candidates = [given] if given else [os.path.join(HERE, "..", "python"), HERE]
    for folder in candidates:
        if os.path.exists(os.path.join(folder, TRAINER)):
            return os.path.abspath(folder)
    raise FileNotFoundError("%s is not in %s" % (TRAINER, " or ".join(candidates)))


def read_graph(path, slot):
    if os.path.isdir(path):
        path = os.path.join(path, "job.json")
    with open(path) as f:
        data = json.load(f)
    return data["graphs"][slot] if "graphs" in data else data


def main():
    p = argparse.ArgumentParser()
    p.add_argument("graph")
    p.add_argument("--slot", default="a")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--mode", choices=["train", "infer"], default="train")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--min-seconds", type=float, default=0.0)
    p.add_argument("--max-seconds", type=float, default=0.0, help="stop timing after S seconds (at least one block)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: all cores)")
    p.add_argument("--amp", default="off", choices=["off", "bf16"])
    p.add_argument("--sync-every", type=int, default=1)
    p.add_argument("--trainer", help="the folder of resnet_lab_trainer.py")
    a = p.parse_args()

    sys.path.insert(0, trainer_folder(a.trainer))
    import torch
    import torch.nn.functional as F
    from resnet_lab_trainer import build_model, keep_freed_memory

    threads = a.threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    device = torch.device(a.device)
    cuda = device.type == "cuda"
    if not cuda:
        keep_freed_memory()  # as the trainer does on the CPU: PyTorch at its own best
    if cuda:
        torch.backends.cudnn.benchmark = True
    graph = read_graph(a.graph, a.slot)
    h, w, c = graph["inputShape"]
    classes = graph["spec"]["classes"]
    net = build_model(torch, graph).to(device)
    x = torch.randn(a.batch, c, h, w, device=device)
    if cuda:
        net = net.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.arange(a.batch, device=device) % classes
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)

    def forward():
        if a.amp == "bf16":
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16):
                return net(x).float()
        return net(x)

    def step():
        if a.mode == "train":
            net.train()
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(forward(), y)
            loss.backward()
            opt.step()
            return loss.detach()
        net.eval()
        with torch.no_grad():
            return forward().argmax(1).sum()

    k = max(1, a.sync_every)
    for _ in range(a.warmup):
        step().item()
    blocks = []  # seconds per step of each block
    steps = 0
    start = time.perf_counter()
    while steps < a.steps or time.perf_counter() - start < a.min_seconds:
        if a.max_seconds and blocks and time.perf_counter() - start > a.max_seconds:
            break
        t0 = time.perf_counter()
        for _ in range(k):
            out = step()
        out.item()  # the host waits for the block's last step
        blocks.append((time.perf_counter() - t0) / k)
        steps += k
    ms = statistics.median(blocks) * 1000
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"imagesPerSec": a.batch * 1000 / ms, "stepMs": ms, "steps": steps, "peakRssMiB": rss, "threads": threads,
                      "torch": torch.__version__, "device": torch.cuda.get_device_name(device) if cuda else "cpu"}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the bench prints this line as the reason
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)
