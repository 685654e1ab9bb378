#!/usr/bin/env python3
"""The speed of ResNet Lab's PyTorch engine, trained the way an exported run trains: the job
folder's own resnet_lab_trainer.py runs `train` standalone as a child process (into a scratch
run folder) and writes metrics.jsonl, one train point per logging interval with the images/s of
that interval (batch assembly, the step, the metric reads; not evaluation or checkpoints).
The figure is the median of the points after the first --skip steps.

Used by bench/engineBench.ts (`npm run bench`) and bench/gpu_bench.py; needs only Python (the
trainer's needs: PyTorch and numpy). Prints one JSON line:
{"imagesPerSec", "stepMs", "points", "steps", "peakRssMiB", "wallSeconds", "title"} or {"error"}.

Usage: python3 trainer_speed.py JOB_DIR [--slot a] [--device cpu|cuda|mps|auto] [--threads N]
       [--amp off|bf16|fp16] [--skip N] [--iterations N] [--log-every K] [--time-limit S]
--iterations / --log-every train a copy of the job with those (job.json rewritten in a scratch
folder; the data, initial weights and trainer are linked, not copied). --time-limit stops the
trainer with SIGTERM (it checkpoints and ends) after S seconds; the points so far count.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TRAINER = "resnet_lab_trainer.py"


def scratch_job(job_dir, scratch, iterations, log_every):
    """A job folder in `scratch` that trains `iterations` steps logging every `log_every`;
    evaluation and checkpoints only at the end."""
    with open(os.path.join(job_dir, "job.json")) as f:
        job = json.load(f)
    config = job["config"]
    if iterations:
        config["iterations"] = iterations
    if log_every:
        config["logEvery"] = log_every
    config["evalEvery"] = config["checkpointEvery"] = config["iterations"]
    folder = os.path.join(scratch, "job")
    os.makedirs(folder)
    for name in os.listdir(job_dir):
        if name in ("job.json", "runs"):
            continue
        source = os.path.abspath(os.path.join(job_dir, name))
        try:
            os.symlink(source, os.path.join(folder, name))
        except OSError:
            (shutil.copytree if os.path.isdir(source) else shutil.copy2)(source, os.path.join(folder, name))
    with open(os.path.join(folder, "job.json"), "w") as f:
        json.dump(job, f)
    return folder


def stop(pid):
    try:
        os.kill(pid, signal.SIGTERM)  # the trainer writes a checkpoint and ends
    except ProcessLookupError:
        pass


def measure(job_dir, slot="a", device="cpu", threads=0, amp="off", skip=0, iterations=0, log_every=0, time_limit=0.0, python=None):
    """Trains the job's net `slot` in a child process; returns the JSON line's dict."""
    job_dir = os.path.abspath(job_dir)
    scratch = tempfile.mkdtemp(prefix="resnetlab-engine-")
    try:
        job = scratch_job(job_dir, scratch, iterations, log_every) if (iterations or log_every) else job_dir
        trainer = os.path.join(job, TRAINER)
        if not os.path.exists(trainer):
            return {"error": "%s has no %s (write it with the product's export: exportRun / resnet-lab export)" % (job_dir, TRAINER)}
        with open(os.path.join(job, "job.json")) as f:
            config = json.load(f)["config"]
        run = os.path.join(scratch, "runs", config["id"])
        command = [python or sys.executable, trainer, "train", "--job", job, "--run", run, "--slot", slot, "--device", device, "--amp", amp]
        if threads:
            command += ["--threads", str(threads)]
        log_file = os.path.join(scratch, "trainer.log")
        began = time.perf_counter()
        with open(log_file, "w") as log:
            child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        timer = None
        if time_limit > 0:
            timer = threading.Timer(time_limit, stop, (child.pid,))
            timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)  # the child's own peak RSS
        finally:
            if timer:
                timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
        wall = time.perf_counter() - began
        with open(log_file) as f:
            said = f.read().strip().splitlines()
        points = []
        metrics = os.path.join(run, "metrics.jsonl")
        if os.path.exists(metrics):
            with open(metrics) as f:
                points = [json.loads(line) for line in f if line.strip()]
        train = [p for p in points if p.get("split") == "train" and p.get("slot") == slot and "imagesPerSec" in p]
        steady = [p for p in train if p["step"] > skip]
        if child.returncode != 0 or not steady:
            why = said[-1] if said else "no output"
            return {"error": "trainer exit %s after %d steady points: %s" % (child.returncode, len(steady), why)}
        ips = statistics.median(p["imagesPerSec"] for p in steady)
        title = said[0].split(": ", 1)[1].rsplit(", from step", 1)[0] if said and ": " in said[0] else ""
        return {"imagesPerSec": ips, "stepMs": config["batchSize"] * 1000 / ips, "points": len(steady), "steps": train[-1]["step"] if train else 0,
                "peakRssMiB": usage.ru_maxrss / 1024, "wallSeconds": wall, "title": title}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("job")
    p.add_argument("--slot", default="a")
    p.add_argument("--device", default="cpu", choices=["auto", "cuda", "mps", "cpu"])
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--amp", default="off", choices=["off", "bf16", "fp16"])
    p.add_argument("--skip", type=int, default=0, help="steps left out of the median (warm-up)")
    p.add_argument("--iterations", type=int, default=0)
    p.add_argument("--log-every", type=int, default=0)
    p.add_argument("--time-limit", type=float, default=0.0)
    a = p.parse_args()
    print(json.dumps(measure(a.job, a.slot, a.device, a.threads, a.amp, a.skip, a.iterations, a.log_every, a.time_limit)))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the bench prints this line as the reason
        print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))
        sys.exit(1)
