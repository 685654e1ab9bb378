#!/usr/bin/env python3
"""Where the PyTorch engine's time goes beyond the bare step: the trainer's own pieces
(BatchPlan.at, make_batch, Trainer.train_step, the metric sums and their .item()) from the job
folder's resnet_lab_trainer.py, timed in one process, in blocks of K steps with one host sync a
block, the variants taking turns so the machine's other load falls on all of them alike:

  loop        the trainer's loop body: the step's draws, batch assembly on the device, the step,
              the metric sums; read (.item()) once a block, as the trainer once a logging interval
  loop+item   the same with the sums read every step (logEvery 1, as the CPU bench's job)
  fixed batch the trainer's step and metric sums on one batch (no draws, no assembly)
  bare        plain PyTorch's step on that batch (torch_reference.py's loop)

and, alone, the host time of the draws (plan.at) and of make_batch's call. Prints a table and
one JSON line. Usage:
  python3 engine_profile.py JOB_DIR [--device cpu|cuda] [--threads N] [--block K] [--rounds R] [--warmup N]
"""
import argparse
import json
import os
import statistics
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("job")
    p.add_argument("--slot", default="a")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--block", type=int, default=0, help="steps a block (default: the job's logEvery)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--warmup", type=int, default=3)
    a = p.parse_args()
    job_dir = os.path.abspath(a.job)
    sys.path.insert(0, job_dir)  # the job's own trainer
    import numpy as np
    import torch
    import resnet_lab_trainer as T

    job = T.read_job(job_dir)
    config = job["config"]
    # As the trainer's open_device for one process.
    if a.device == "cpu":
        torch.set_num_threads(max(1, a.threads or os.cpu_count() or 1))
    else:
        torch.backends.cudnn.benchmark = True
    device = torch.device(a.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    trainer = T.Trainer(torch, np, job, a.slot, device, "off")
    trainer.set_weights(T.read_checkpoint(np, os.path.join(job_dir, "init", a.slot)), require_momentum=False)
    train_x, train_y, _, _ = T.load_data(np, job)
    mean = torch.from_numpy(T.mean_image(np, train_x)).to(device)
    images = torch.from_numpy(np.ascontiguousarray(train_x)).to(device)
    labels = torch.from_numpy(train_y).to(device)
    plan = T.BatchPlan(np, len(train_x), config["batchSize"], config["seed"])
    block = a.block or config["logEvery"]
    F = torch.nn.functional
    x0, y0 = T.make_batch(torch, trainer, images, labels, mean, plan.at(0), device)
    acc = [torch.zeros((), device=device, dtype=torch.float64) for _ in range(2)]
    counter = [0]

    def drain():
        """The trainer's read of the metric sums at a logging interval's end (one process)."""
        sums = torch.stack(acc)
        sums[0].item()
        sums[1].item()
        acc[0].zero_()
        acc[1].zero_()

    def loop_step(item_each):
        # The trainer's loop body (train() in resnet_lab_trainer.py), one process.
        step = counter[0]
        counter[0] += 1
        lr = T.learning_rate_at(config["schedule"], step)
        global_step = plan.at(step)
        global_size = len(global_step[0])
        x, y = T.make_batch(torch, trainer, images, labels, mean, global_step, device)
        loss, wrong = trainer.train_step(x, y, lr)
        acc[0] += loss.double() * (len(y) / global_size)
        acc[1] += wrong.double() / global_size
        if item_each:
            drain()

    def fixed_step():
        loss, wrong = trainer.train_step(x0, y0, 0.01)
        acc[0] += loss.double()
        acc[1] += wrong.double() / len(y0)

    bare_loss = []

    def bare_step():
        model, opt = trainer.model, trainer.optimizer
        model.train()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x0), y0)
        loss.backward()
        opt.step()
        bare_loss[:] = [loss.detach()]

    # (a step, what ends a block: the host's one sync)
    variants = {"loop": (lambda: loop_step(False), drain), "loop+item": (lambda: loop_step(True), drain),
                "fixed batch": (fixed_step, drain), "bare": (bare_step, lambda: bare_loss[0].item())}
    for f, end in variants.values():
        for _ in range(a.warmup):
            f()
            end()
    times = {name: [] for name in variants}
    names = list(variants)
    for r in range(a.rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            f, end = variants[name]
            sync()
            t0 = time.perf_counter()
            for _ in range(block):
                f()
            end()
            times[name].append((time.perf_counter() - t0) / block * 1000)

    def host_us(f, n=50):
        best = float("inf")
        for _ in range(3):
            sync()
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            best = min(best, (time.perf_counter() - t0) / n * 1e6)
            sync()
        return best

    draws = host_us(lambda: plan.at(counter[0] + 7))
    drawn = plan.at(counter[0] + 7)
    assemble = host_us(lambda: T.make_batch(torch, trainer, images, labels, mean, drawn, device))
    ms = {name: statistics.median(v) for name, v in times.items()}
    base = ms["bare"]
    print("%s, batch %d on %s; ms a step, median of %d blocks of %d steps (min in brackets)" % (
        config["nets"][0]["title"], config["batchSize"], T.describe_device(torch, device, torch.get_num_threads()), a.rounds, block))
    for name in names:
        print("  %-12s %9.3f ms  (%9.3f)  %+6.1f%% of bare" % (name, ms[name], min(times[name]), (ms[name] / base - 1) * 100))
    print("  host time: the draws (BatchPlan.at) %.0f us, make_batch's call %.0f us a step" % (draws, assemble))
    print(json.dumps({"msPerStep": ms, "minMsPerStep": {n: min(v) for n, v in times.items()}, "drawsUs": draws, "makeBatchUs": assemble, "block": block}))


if __name__ == "__main__":
    main()
