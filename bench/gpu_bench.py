#!/usr/bin/env python3
"""GPU benchmark of ResNet Lab's PyTorch engine, for a machine with an NVIDIA GPU, Python and
PyTorch but no Node and no network.

The job folders come from `npm run bench:gpu-prepare` (bench/gpuPrepare.ts: the product's own
export of ResNet-20 and ResNet-56 at batch 128 on synthetic data) on a machine with Node, which
also copies this script, trainer_speed.py and torch_reference.py beside them. For each job it
  - trains through the product's engine: the job's resnet_lab_trainer.py `train --device cuda`,
    standalone in its own process (trainer_speed.py), images/s from its metrics.jsonl (a point
    every 50 steps, as in the paper's 64,000-iteration run), the median after the warm-up;
  - runs plain PyTorch on the same net and batch (torch_reference.py: the trainer's build_model
    in a bare loop on random data, channels-last, cuDNN autotuning, a host sync every 50 steps);
and prints per net: engine images/s, reference images/s, the engine's overhead (its time an
image over the reference's) and the projected wall time of the paper's 64,000 iterations at
batch 128 (training steps only). fp32 first, then bf16 autocast (--precisions).

A time budget (--budget, default 420 s) bounds the whole script: each run is stopped when its
share is spent (the engine with SIGTERM: it checkpoints and ends; its points so far count) and
runs that no longer fit are skipped with a line saying so.

  python3 gpu_bench.py [--jobs DIR] [--device cuda|cpu] [--precisions fp32,bf16] [--budget S]
                       [--iterations N] [--log-every K] [--warmup N] [--json FILE]
Dry run on a CPU: python3 gpu_bench.py --device cpu --iterations 6 --log-every 1 --warmup 2
When the engine's fp32 overhead on a net is above 10% and time is left, engine_profile.py splits
it (--profile always|never to force or skip).
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import trainer_speed  # noqa: E402  (beside this file)

PAPER_ITERATIONS = 64000
REFERENCE = os.path.join(HERE, "torch_reference.py")
PROFILE = os.path.join(HERE, "engine_profile.py")


def find_jobs(folder):
    """The job folders (with job.json) in `folder`, ResNet-20 before ResNet-56."""
    if not folder:
        folder = HERE if any(os.path.exists(os.path.join(HERE, d, "job.json")) for d in os.listdir(HERE)) else os.path.join(HERE, "gpu-jobs")
    if not os.path.isdir(folder):
        return folder, []
    jobs = [os.path.join(folder, d) for d in sorted(os.listdir(folder)) if os.path.exists(os.path.join(folder, d, "job.json"))]
    return folder, jobs


def describe_machine(torch, device):
    lines = ["Python %s, PyTorch %s, CUDA %s, cuDNN %s" % (platform.python_version(), torch.__version__, torch.version.cuda,
                                                        torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None)]
    if device == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("No CUDA device is visible to PyTorch %s (CUDA build %s); --device cpu for a dry run." % (torch.__version__, torch.version.cuda))
        props = torch.cuda.get_device_properties(0)
        lines.append("GPU: %s (%.0f GiB, compute capability %d.%d, %d SMs)%s" % (
            props.name, props.total_memory / 2 ** 30, props.major, props.minor, props.multi_processor_count,
            "" if torch.cuda.device_count() == 1 else "; %d GPUs, the first used" % torch.cuda.device_count()))
        if shutil.which("nvidia-smi"):
            r = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"], capture_output=True, text=True)
            if r.returncode == 0 and r.stdout.strip():
                lines.append("Driver %s" % r.stdout.strip().splitlines()[0])
    else:
        lines.append("CPU: %s, %d cores (dry run: the figures say nothing about a GPU)" % (platform.processor() or platform.machine(), os.cpu_count() or 1))
    return lines


def reference(job, config, device, amp, warmup, steps, sync_every, max_seconds):
    """Plain PyTorch on the job's net and batch (torch_reference.py, its own process)."""
    command = [sys.executable, REFERENCE, job, "--batch", str(config["batchSize"]), "--mode", "train", "--device", device,
               "--amp", amp, "--warmup", str(warmup), "--steps", str(steps), "--sync-every", str(sync_every),
               "--max-seconds", str(max_seconds), "--trainer", job]
    try:
        r = subprocess.run(command, capture_output=True, text=True, timeout=max_seconds + 120)
    except subprocess.TimeoutExpired:
        return {"error": "timed out"}
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    if lines:
        return json.loads(lines[-1])
    return {"error": "exit %s: %s" % (r.returncode, (r.stderr or r.stdout).strip().splitlines()[-1:] or "no output")}


def minutes(seconds):
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return "%dh %02dm" % (h, m) if h else "%dm %02ds" % (m, s)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--jobs", help="the folder of job folders (default: beside this script, else ./gpu-jobs)")
    p.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    p.add_argument("--precisions", help="fp32 and/or bf16 (default: fp32,bf16 on cuda, fp32 on cpu)")
    p.add_argument("--budget", type=float, default=420.0, help="seconds for the whole script (default 420)")
    p.add_argument("--iterations", type=int, default=0, help="steps per run (default: the job's)")
    p.add_argument("--log-every", type=int, default=0, help="steps per logged point and host sync (default: the job's)")
    p.add_argument("--warmup", type=int, default=-1, help="steps left out of the figures (default: 4 logging intervals)")
    p.add_argument("--profile", default="auto", choices=["auto", "always", "never"],
                   help="split the engine's time (engine_profile.py) for fp32 nets whose overhead is above 10%% (auto) or all")
    p.add_argument("--json", help="write the results to this file")
    a = p.parse_args()
    began = time.perf_counter()
    deadline = began + a.budget

    try:
        import torch  # the same Python runs every child
    except ImportError as error:
        raise SystemExit("This Python (%s) cannot import torch (%s): run it with one that has PyTorch, e.g. PYTHON=/path/to/python bash gpu-bench.sh" % (sys.executable, error))

    folder, jobs = find_jobs(a.jobs)
    print("ResNet Lab GPU benchmark: the PyTorch engine (resnet_lab_trainer.py train) against plain PyTorch")
    machine = describe_machine(torch, a.device)
    for line in machine:
        print(line)
    if not jobs:
        raise SystemExit("No job folders in %s: run `npm run bench:gpu-prepare` on a machine with Node and copy bench/gpu-jobs here." % folder)
    precisions = (a.precisions or ("fp32,bf16" if a.device == "cuda" else "fp32")).split(",")
    if any(pr not in ("fp32", "bf16") for pr in precisions):
        raise SystemExit("--precisions takes fp32 and/or bf16; got %s" % a.precisions)
    threads = os.cpu_count() if a.device == "cpu" else 0
    plans = []
    for job in jobs:
        with open(os.path.join(job, "job.json")) as f:
            config = json.load(f)["config"]
        iterations = a.iterations or config["iterations"]
        log_every = a.log_every or config["logEvery"]
        warmup = a.warmup if a.warmup >= 0 else 4 * log_every
        if warmup >= iterations:
            raise SystemExit("%s: the warm-up (%d steps) leaves nothing of %d iterations" % (job, warmup, iterations))
        plans.append((job, config, iterations, log_every, warmup))
    runs_left = 2 * len(plans) * len(precisions)
    print("Jobs in %s: %s; %s; budget %.0f s; %d runs, each its own process\n" % (
        folder, ", ".join("%s (%d steps, batch %d, a point every %d)" % (c["nets"][0]["title"], it, c["batchSize"], le) for _, c, it, le, _ in plans),
        " then ".join(precisions), a.budget, runs_left))

    results = []
    for precision in precisions:
        amp = "off" if precision == "fp32" else precision
        for job, config, iterations, log_every, warmup in plans:
            title, batch = config["nets"][0]["title"], config["batchSize"]
            label = "%s, batch %d, %s" % (title, batch, precision)
            row = {"model": title, "batch": batch, "precision": precision, "device": a.device}
            for kind in ("engine", "reference"):
                left = deadline - time.perf_counter()
                # An even share of what is left, at least 45 s; under 30 s left, nothing starts.
                limit = max(45.0, left / max(1, runs_left)) if left >= 30 else 0
                limit = min(limit, left - 5)
                runs_left -= 1
                if limit <= 0:
                    row[kind] = {"error": "skipped: the time budget is spent"}
                    continue
                t0 = time.perf_counter()
                if kind == "engine":
                    r = trainer_speed.measure(job, "a", a.device, threads, amp, warmup, a.iterations, a.log_every, limit)
                else:
                    # Startup (import, CUDA, cuDNN autotuning) is not timed: the timed loop gets what remains.
                    r = reference(job, config, a.device, amp, warmup, iterations - warmup, log_every, max(1.0, limit - 30))
                r["seconds"] = time.perf_counter() - t0
                row[kind] = r
            e, ref = row["engine"].get("imagesPerSec"), row["reference"].get("imagesPerSec")
            row["overheadPct"] = (ref / e - 1) * 100 if e and ref else None
            results.append(row)
            print(label)
            for kind, name in (("engine", "engine (trainer) "), ("reference", "plain PyTorch    ")):
                r = row[kind]
                if "imagesPerSec" in r:
                    steps = r.get("points", 0) * log_every if kind == "engine" else r.get("steps", 0)
                    print("  %s %9.0f img/s  %7.2f ms/step  (%d timed steps, peak RSS %.0f MiB, %.0f s)  %s of 64,000 iterations" % (
                        name, r["imagesPerSec"], r["stepMs"], steps, r["peakRssMiB"], r["seconds"], minutes(PAPER_ITERATIONS * batch / r["imagesPerSec"])))
                else:
                    print("  %s %s" % (name, r.get("error")))
            if row["overheadPct"] is not None:
                print("  overhead of the engine: %+.1f%% time an image (goal <= 10%%)" % row["overheadPct"])
            sys.stdout.flush()

    print("\nSummary (%s; images/s; 64,000 iterations at batch 128 on the engine, training steps only)" % a.device)
    print("  %-10s %-5s %10s %10s %9s %10s" % ("net", "prec", "engine", "plain", "overhead", "64k iters"))
    for row in results:
        e, ref = row["engine"].get("imagesPerSec"), row["reference"].get("imagesPerSec")
        print("  %-10s %-5s %10s %10s %9s %10s" % (row["model"], row["precision"], "%.0f" % e if e else "-", "%.0f" % ref if ref else "-",
                                              "%+.1f%%" % row["overheadPct"] if row["overheadPct"] is not None else "-",
                                              minutes(PAPER_ITERATIONS * row["batch"] / e) if e else "-"))
    for row in results:
        wanted = a.profile == "always" or (a.profile == "auto" and (row["overheadPct"] or 0) > 10)
        if not wanted or row["precision"] != "fp32":
            continue
        left = deadline - time.perf_counter() - 5
        if left < 40:
            print("\nNo time left to profile %s's engine (python3 %s JOB --device %s does it)." % (row["model"], PROFILE, a.device))
            break
        job = next(j for j, c, _, _, _ in plans if c["nets"][0]["title"] == row["model"])
        log_every = next(le for j, _, _, le, _ in plans if j == job)
        command = [sys.executable, PROFILE, job, "--device", a.device, "--block", str(log_every), "--rounds", "5", "--warmup", "10" if a.device == "cuda" else "2"]
        if threads:
            command += ["--threads", str(threads)]
        print("\nWhere %s's engine time goes (engine_profile.py, %s):" % (row["model"], "overhead %+.1f%%" % row["overheadPct"] if row["overheadPct"] is not None else "no figure"))
        try:
            r = subprocess.run(command, capture_output=True, text=True, timeout=left)
            out = [l for l in r.stdout.splitlines() if not l.startswith("{")]
            print("\n".join(out) if r.returncode == 0 else "  failed: %s" % ((r.stderr or r.stdout).strip().splitlines()[-1:] or "no output"))
            found = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
            if found:
                row["profile"] = found[-1]
        except subprocess.TimeoutExpired:
            print("  stopped: the time budget is spent")
    print("Total %.0f s of a %.0f s budget." % (time.perf_counter() - began, a.budget))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": machine, "results": results}, f, indent=2)
    return 0 if results and all(r["engine"].get("imagesPerSec") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
