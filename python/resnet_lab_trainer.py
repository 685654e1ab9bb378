#!/usr/bin/env python3
"""ResNet Lab's PyTorch engine: trains one net of a ResNet Lab run in the user's own Python.

The run comes as a job folder written by ResNet Lab (core/pytorch/job.ts): job.json holds the
run's config, each net's graph IR (every layer with its shapes, from core/graph.ts), the data
(CIFAR-10 index lists, or the embedded synthetic set in synthetic.bin) and each net's initial
weights (init/<slot>/, the TF.js engine's own initialisation). No ResNet is written here by
hand: the model is a walk over the graph's layers, as core/engine/model.ts does in TF.js.

It writes the run folder's own formats: checkpoints (manifest.json + weights.bin, HWIO
kernels, the graph's tensor names and the momentum buffers, written atomically), metrics.jsonl
and outcome.json, so a run resumes across engines and Inspect Blocks opens its weights.

  python resnet_lab_trainer.py probe [--device auto|cuda|mps|cpu]
  python resnet_lab_trainer.py train --job JOB --run RUN --slot a [--device ...] [--protocol]
  torchrun --nproc_per_node N resnet_lab_trainer.py train --job JOB --run RUN --slot a [--sync-bn]
  python resnet_lab_trainer.py plan --seed S --count N --batch B --steps 0,1,2
  python resnet_lab_trainer.py step --job JOB --slot a --checkpoint DIR --batch FILE --lr LR --out DIR
  python resnet_lab_trainer.py gradients --job JOB --slot a --checkpoint DIR --batch FILE [--double]

Under torchrun it trains with DistributedDataParallel: the run's global batch split across the
processes, rank 0 loading, evaluating and writing the run folder.

With --protocol it speaks ResNet Lab's worker protocol: JSON lines on stdout (started, metrics,
checkpoint, paused, resumed, done, failed), control lines on stdin (pause, resume, stop; end of
input stops). Without it, it writes metrics.jsonl and outcome.json itself and prints progress.
Requires Python 3.8+, PyTorch 1.12+ and numpy.
"""
import argparse
import ctypes
import hashlib
import json
import math
import os
import platform
import signal
import sys
import threading
import time

FORMAT = "resnet-lab-job"
INTERVAL_TENSOR = "trainer/interval"
MOMENTUM_SUFFIX = "/momentum"
CROP_PADDING = 4
EVAL_CHUNK = 250
# BatchNorm as the paper's Torch/PyTorch recipe and core/engine/model.ts: momentum 0.1, eps 1e-5.
BN_MOMENTUM = 0.1
BN_EPSILON = 1e-5
# Gradient norms logged at each evaluation: on this many training images (core/analysis/gradientLog.ts).
GRADIENT_LOG_IMAGES = 32


def finite_or_null(value):
    """The value with NaN and ±Infinity as None: JSON has neither (a diverging net's loss is one)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_or_null(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_null(v) for v in value]
    return value


def json_line(value):
    """One line of JSON that Node reads (NaN and ±Infinity written as null, as JSON.stringify does)."""
    return json.dumps(finite_or_null(value), allow_nan=False) + "\n"


def emit_line(message):
    sys.stdout.write(json_line(message))
    sys.stdout.flush()


def now_ms():
    return int(time.time() * 1000)


# ---- probe --------------------------------------------------------------------------------


def probe(device_request):
    info = {"python": platform.python_version(), "executable": sys.executable, "platform": sys.platform, "machine": platform.machine()}
    try:
        import numpy
        info["numpy"] = numpy.__version__
    except Exception as error:  # noqa: BLE001 - any import failure is reported
        info["numpy"] = None
        info["numpyError"] = "%s: %s" % (type(error).__name__, error)
    try:
        import torch
    except Exception as error:  # noqa: BLE001
        info["torch"] = None
        info["torchError"] = "%s: %s" % (type(error).__name__, error)
        return info
    info["torch"] = getattr(torch, "__version__", None) or "unknown"
    try:
        info["threads"] = torch.get_num_threads()
        info["cores"] = os.cpu_count()
        cuda = torch.cuda.is_available()
        info["cudaBuilt"] = torch.version.cuda
        info["hip"] = getattr(torch.version, "hip", None)
        info["cuda"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else []
        mps = getattr(torch.backends, "mps", None)
        info["mps"] = bool(mps is not None and mps.is_available())
        info["device"] = choose_device_kind(device_request, info)
    except Exception as error:  # noqa: BLE001 - a broken or very old torch: its version tells
        info["device"] = None
        info["deviceError"] = "%s: %s" % (type(error).__name__, error)
    return info


def choose_device_kind(request, info):
    """'cuda' (NVIDIA or ROCm), 'mps' or 'cpu' for the request; None when the request cannot be met."""
    if request == "cuda":
        return "cuda" if info["cuda"] else None
    if request == "mps":
        return "mps" if info["mps"] else None
    if request == "cpu":
        return "cpu"
    if info["cuda"]:
        return "cuda"
    return "mps" if info["mps"] else "cpu"


def describe_device(torch, device, threads):
    """e.g. "PyTorch 2.4.0 on CUDA: NVIDIA RTX 4090", "PyTorch 1.13.1 on CPU, 2 threads"."""
    version = torch.__version__.split("+")[0]
    if device.type == "cuda":
        hip = getattr(torch.version, "hip", None)
        route = "ROCm %s" % hip if hip else "CUDA"
        return "PyTorch %s on %s: %s" % (version, route, torch.cuda.get_device_name(device))
    if device.type == "mps":
        return "PyTorch %s on Apple MPS" % version
    return "PyTorch %s on CPU, %d thread%s" % (version, threads, "" if threads == 1 else "s")


# ---- counter-based draws (the same numbers as core/random.ts) -------------------------------

C1 = 0xCC9E2D51
C2 = 0x1B873593
M32 = 0xFFFFFFFF


def murmur3_string(text):
    """MurmurHash3 (x86, 32-bit) of the text's UTF-8 bytes, seed 0 (core/random.ts murmur3String)."""
    data = text.encode("utf-8")
    h = 0
    whole = len(data) & ~3

    def rotl(x, r):
        return ((x << r) | (x >> (32 - r))) & M32

    for i in range(0, whole, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (rotl((k * C1) & M32, 15) * C2) & M32
        h = (rotl(h ^ k, 13) * 5 + 0xE6546B64) & M32
    tail = data[whole:]
    if tail:
        k = int.from_bytes(tail, "little")
        h ^= (rotl((k * C1) & M32, 15) * C2) & M32
    return _finalize_int(h, len(data))


def _finalize_int(h, length):
    h ^= length
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    h ^= h >> 16
    return h


def counter_hash(np, key, stream, a, b):
    """core/random.ts counterHash, vectorised: a and b broadcast as uint32 arrays."""
    u32 = np.uint32

    def rotl(x, r):
        return (x << u32(r)) | (x >> u32(32 - r))

    def mix(h, k):
        k = rotl(k * u32(C1), 15) * u32(C2)
        return rotl(h ^ k, 13) * u32(5) + u32(0xE6546B64)

    with np.errstate(over="ignore"):
        a = np.asarray(a, dtype=np.uint32)
        b = np.asarray(b, dtype=np.uint32)
        shape = np.broadcast(a, b).shape
        h = np.full(shape, key, dtype=np.uint32)
        h = mix(mix(mix(h, np.full(shape, stream, dtype=np.uint32)), a), b)
        h ^= u32(12)
        h ^= h >> u32(16)
        h = h * u32(0x85EBCA6B)
        h ^= h >> u32(13)
        h = h * u32(0xC2B2AE35)
        h ^= h >> u32(16)
    return h


def draw_int(np, hashes, n):
    """core/random.ts drawInt: floor(h * n / 2^32), exact in 64 bits."""
    return ((hashes.astype(np.uint64) * np.uint64(n)) >> np.uint64(32)).astype(np.int64)


class BatchPlan:
    """core/data/augment.ts BatchIterator: the images, crops and flips of step k from (seed, k)."""

    EPOCH_STREAM = 1
    AUGMENT_STREAM = 2

    def __init__(self, np, count, batch_size, seed):
        self.np = np
        self.count = count
        self.batch_size = batch_size
        self.key = murmur3_string(str(seed))
        self.steps_per_epoch = (count + batch_size - 1) // batch_size
        self._epoch = -1
        self._order = None

    def epoch_order(self, epoch):
        np = self.np
        if epoch != self._epoch:
            # Fisher-Yates from the last position down, each swap drawn by counter_hash.
            i = np.arange(self.count - 1, 0, -1, dtype=np.int64)
            js = (counter_hash(np, self.key, self.EPOCH_STREAM, epoch, i).astype(np.uint64) * (i + 1).astype(np.uint64)) >> np.uint64(32)
            order = list(range(self.count))
            for a, b in zip(i.tolist(), js.tolist()):
                order[a], order[b] = order[b], order[a]
            self._order = np.array(order, dtype=np.int64)
            self._epoch = epoch
        return self._order

    def at(self, step):
        """(indices, offset_y, offset_x, flip) of step `step`."""
        np = self.np
        epoch, position = divmod(step, self.steps_per_epoch)
        start = position * self.batch_size
        indices = self.epoch_order(epoch)[start:start + self.batch_size]
        slots = np.arange(len(indices), dtype=np.int64) * 3
        draws = [counter_hash(np, self.key, self.AUGMENT_STREAM, step, slots + k) for k in range(3)]
        side = 2 * CROP_PADDING + 1
        return indices, draw_int(np, draws[0], side), draw_int(np, draws[1], side), (draws[2] >> np.uint32(31)).astype(bool)


# ---- job and data ---------------------------------------------------------------------------


class JobError(Exception):
    """A job folder, data file or checkpoint that cannot be used; the message names the file."""


def read_job(folder):
    path = os.path.join(folder, "job.json")
    try:
        with open(path, encoding="utf-8") as f:
            job = json.load(f)
    except OSError as error:
        raise JobError("%s: cannot be read (%s)" % (path, error.strerror))
    except ValueError as error:
        raise JobError("%s: is not valid JSON (%s)" % (path, error))
    if job.get("format") != FORMAT or job.get("version") != 1:
        raise JobError("%s: is not a ResNet Lab job (format %s, version 1)" % (path, FORMAT))
    job["folder"] = folder
    return job


CIFAR_TRAIN_FILES = ["data_batch_%d.bin" % i for i in range(1, 6)]
CIFAR_TEST_FILE = "test_batch.bin"
CIFAR_RECORD = 1 + 32 * 32 * 3


def read_cifar_file(np, path):
    try:
        raw = np.fromfile(path, dtype=np.uint8)
    except OSError as error:
        raise JobError("%s: cannot be read (%s)" % (path, error.strerror))
    if raw.size == 0 or raw.size % CIFAR_RECORD:
        raise JobError("%s: %d bytes is not a whole number of CIFAR-10 records (%d bytes each)" % (path, raw.size, CIFAR_RECORD))
    records = raw.reshape(-1, CIFAR_RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise JobError("%s: has label %d; CIFAR-10 labels are 0-9" % (path, labels.max()))
    # R, G, B planes per record -> HWC, as core/data/cifar10.ts.
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def load_data(np, job, data_override=None):
    """(train_images, train_labels, test_images, test_labels) as uint8 NHWC and int64 arrays."""
    data = job["data"]
    if data["kind"] == "synthetic":
        path = os.path.join(job["folder"], data["file"])
        h, w, c = data["shape"]
        n, m = data["trainCount"], data["testCount"]
        expected = (n + m) * (h * w * c + 1)
        try:
            raw = np.fromfile(path, dtype=np.uint8)
        except OSError as error:
            raise JobError("%s: cannot be read (%s)" % (path, error.strerror))
        if raw.size != expected:
            raise JobError("%s: has %d bytes; the job says %d" % (path, raw.size, expected))
        pixels = h * w * c
        train_x = raw[: n * pixels].reshape(n, h, w, c)
        train_y = raw[n * pixels: n * pixels + n].astype(np.int64)
        rest = raw[n * pixels + n:]
        test_x = rest[: m * pixels].reshape(m, h, w, c)
        test_y = rest[m * pixels:].astype(np.int64)
        return train_x, train_y, test_x, test_y
    folder = data_override or data["folder"]
    if not os.path.exists(os.path.join(folder, CIFAR_TEST_FILE)) and os.path.isdir(os.path.join(folder, "cifar-10-batches-bin")):
        folder = os.path.join(folder, "cifar-10-batches-bin")
    parts = [read_cifar_file(np, os.path.join(folder, name)) for name in CIFAR_TRAIN_FILES]
    all_x = np.concatenate([p[0] for p in parts])
    all_y = np.concatenate([p[1] for p in parts])
    test_x, test_y = read_cifar_file(np, os.path.join(folder, CIFAR_TEST_FILE))
    train_idx = np.asarray(data["trainIndices"], dtype=np.int64)
    test_idx = np.asarray(data["testIndices"], dtype=np.int64)
    return all_x[train_idx], all_y[train_idx], test_x[test_idx], test_y[test_idx]


def mean_image(np, images):
    """core/data/augment.ts computeMeanImage: the per-pixel mean in [0, 1] units."""
    total = images.astype(np.float64).sum(axis=0)
    return (total * (1.0 / (255 * max(1, len(images))))).astype(np.float32)


# ---- checkpoints (core/training/runFolder.ts) ------------------------------------------------


def write_file_atomic(path, data):
    temp = "%s.tmp-%d-%s" % (path, os.getpid(), os.urandom(4).hex())
    with open(temp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, path)


def write_checkpoint(np, run_folder, slot, step, tensors):
    """tensors: [(name, shape, float32 array)]. A temp folder renamed into place, then `latest`."""
    slot_folder = os.path.join(run_folder, "checkpoints", slot)
    os.makedirs(slot_folder, exist_ok=True)
    name = "step-%08d" % step
    final = os.path.join(slot_folder, name)
    temp = os.path.join(slot_folder, ".%s.tmp-%d-%s" % (name, os.getpid(), os.urandom(4).hex()))
    os.mkdir(temp)
    entries, blobs, offset = [], [], 0
    for tname, shape, data in tensors:
        flat = np.ascontiguousarray(data, dtype="<f4").reshape(-1)
        entries.append({"name": tname, "shape": list(shape), "offset": offset, "length": int(flat.size)})
        blobs.append(flat.tobytes())
        offset += int(flat.size)
    payload = b"".join(blobs)
    write_file_atomic(os.path.join(temp, "weights.bin"), payload)
    manifest = {"version": 1, "slot": slot, "step": step, "tensors": entries, "sha256": hashlib.sha256(payload).hexdigest()}
    write_file_atomic(os.path.join(temp, "manifest.json"), (json.dumps(manifest, separators=(",", ":")) + "\n").encode())
    if os.path.exists(final):
        import shutil
        shutil.rmtree(final)
    os.rename(temp, final)
    write_file_atomic(os.path.join(slot_folder, "latest"), (name + "\n").encode())
    kept = sorted(f for f in os.listdir(slot_folder) if f.startswith("step-") and len(f) == 13)
    for old in kept[:-3]:
        if old != name:
            import shutil
            shutil.rmtree(os.path.join(slot_folder, old), ignore_errors=True)
    return final


def latest_checkpoint(run_folder, slot):
    pointer = os.path.join(run_folder, "checkpoints", slot, "latest")
    if not os.path.exists(pointer):
        return None
    with open(pointer, encoding="utf-8") as f:
        name = f.read().strip()
    folder = os.path.join(run_folder, "checkpoints", slot, name)
    if not os.path.isdir(folder):
        raise JobError("%s: names %s, which does not exist" % (pointer, name))
    return int(name[5:]), folder


def read_checkpoint(np, folder):
    """{name: float32 array of its shape}, checked against the manifest's size and SHA-256."""
    manifest_file = os.path.join(folder, "manifest.json")
    weights_file = os.path.join(folder, "weights.bin")
    for path in (manifest_file, weights_file):
        if not os.path.exists(path):
            raise JobError("%s: missing" % path)
    with open(manifest_file, encoding="utf-8") as f:
        manifest = json.load(f)
    with open(weights_file, "rb") as f:
        payload = f.read()
    expected = sum(t["length"] for t in manifest["tensors"]) * 4
    if len(payload) != expected:
        raise JobError("%s: has %d bytes; the manifest says %d" % (weights_file, len(payload), expected))
    if hashlib.sha256(payload).hexdigest() != manifest["sha256"]:
        raise JobError("%s: checksum mismatch: the file is corrupt" % weights_file)
    values = np.frombuffer(payload, dtype="<f4")
    return {t["name"]: values[t["offset"]: t["offset"] + t["length"]].reshape(t["shape"]) for t in manifest["tensors"]}


# ---- the model, from the graph IR -----------------------------------------------------------


def build_model(torch, graph):
    nn = torch.nn
    F = torch.nn.functional

    class GraphNet(nn.Module):
        """core/engine/model.ts's walk over graph.layers, in PyTorch (NCHW; channels-last on a GPU)."""

        def __init__(self):
            super().__init__()
            self.layers = [l for l in graph["layers"] if l["kind"] != "softmax"]
            self.logits_id = graph["logitsId"]
            self.convs = nn.ModuleDict()
            self.bns = nn.ModuleDict()
            self.fcs = nn.ModuleDict()
            for layer in self.layers:
                key = module_key(layer["id"])
                if layer["kind"] == "conv":
                    # Symmetric padding as core's TF.js model (explicit [[p, p], [p, p]]), so PyTorch's padding=p is the same.
                    self.convs[key] = nn.Conv2d(layer["inputShape"][2], layer["filters"], layer["kernel"], layer["stride"], layer["padding"], bias=False)
                elif layer["kind"] == "batchnorm":
                    self.bns[key] = nn.BatchNorm2d(layer["outputShape"][2], eps=BN_EPSILON, momentum=BN_MOMENTUM)
                elif layer["kind"] == "fc":
                    fan_in = layer["inputShape"][0] * layer["inputShape"][1] * layer["inputShape"][2]
                    self.fcs[key] = nn.Linear(fan_in, layer["units"])
            # After each layer, the outputs it was the last to read: forward drops them there when no
            # gradient is recorded, so an evaluation keeps a few activations alive at a time instead of
            # every layer's. (In training autograd keeps what the backward pass needs anyway, and the
            # early frees made CPU steps ~1.4× slower: bench/torch_reference.py, ResNet-20, batch 32.)
            last_reader = {}
            for index, layer in enumerate(self.layers):
                for source in layer["inputs"]:
                    last_reader[source] = index
            self.last_read_at = [[] for _ in self.layers]
            for source, index in last_reader.items():
                self.last_read_at[index].append(source)

        def forward(self, x, taps=None):
            """The logits; with taps (layer ids), also those layers' outputs, for gradients at them."""
            outputs = {}
            kept = {self.logits_id, *(taps or ())}
            free = not torch.is_grad_enabled()
            for index, layer in enumerate(self.layers):
                kind = layer["kind"]
                inp = x if not layer["inputs"] else outputs[layer["inputs"][0]]
                key = module_key(layer["id"])
                if kind == "conv":
                    y = self.convs[key](inp)
                elif kind == "batchnorm":
                    y = self.bns[key](inp)
                elif kind == "relu":
                    y = F.relu(inp)
                elif kind == "add":
                    y = outputs[layer["inputs"][0]] + outputs[layer["inputs"][1]]
                elif kind == "maxpool":
                    # Inputs follow a ReLU, so -inf padding equals core's zero padding.
                    y = F.max_pool2d(inp, layer["kernel"], layer["stride"], layer["padding"])
                elif kind == "zeropad":
                    # Option A: subsample, then zero channels half before, half after (core/engine/model.ts).
                    s = layer["stride"]
                    sub = inp[:, :, ::s, ::s] if s > 1 else inp
                    extra = layer["filters"] - layer["inputShape"][2]
                    y = F.pad(sub, (0, 0, 0, 0, extra // 2, extra - extra // 2))
                elif kind == "avgpool":
                    y = inp.mean(dim=(2, 3))
                elif kind == "fc":
                    y = self.fcs[key](inp)
                else:
                    raise JobError("layer %s has unknown kind %s" % (layer["id"], kind))
                outputs[layer["id"]] = y
                for source in self.last_read_at[index] if free else ():
                    if source not in kept:
                        del outputs[source]
            if taps is not None:
                return outputs[self.logits_id], [outputs[t] for t in taps]
            return outputs[self.logits_id]

    return GraphNet()


def block_input_ids(graph):
    """The layer whose output is each block's input x (core/inspect/probe.ts blockTaps)."""
    by_id = {layer["id"]: layer for layer in graph["layers"]}
    return [by_id[block["branch"][0]]["inputs"][0] for block in graph["blocks"]]


def gradient_log_indices(count):
    """The fixed batch's images: min(32, count) spread evenly, floor(i * count / n) (gradientLog.ts)."""
    n = min(GRADIENT_LOG_IMAGES, count)
    return [(i * count) // n for i in range(n)]


def module_key(layer_id):
    return layer_id.replace(".", "__")


def weight_table(model, graph):
    """[(name, parameter or buffer, role)] in core's variable order (ResNetModel.variables)."""
    table = []
    for layer in graph["layers"]:
        key = module_key(layer["id"])
        lid = layer["id"]
        if layer["kind"] == "conv":
            table.append((lid + "/kernel", model.convs[key].weight, "convKernel"))
        elif layer["kind"] == "batchnorm":
            bn = model.bns[key]
            table += [(lid + "/gamma", bn.weight, "gamma"), (lid + "/beta", bn.bias, "beta"),
                      (lid + "/movingMean", bn.running_mean, "movingMean"), (lid + "/movingVariance", bn.running_var, "movingVariance")]
        elif layer["kind"] == "fc":
            fc = model.fcs[key]
            table += [(lid + "/kernel", fc.weight, "fcKernel"), (lid + "/bias", fc.bias, "fcBias")]
    return table


TRAINABLE = ("convKernel", "gamma", "beta", "fcKernel", "fcBias")


def to_core_layout(role, tensor):
    """PyTorch's layout -> core's: conv OIHW -> HWIO, fc [out, in] -> [in, out]."""
    if role == "convKernel":
        return tensor.permute(2, 3, 1, 0)
    if role == "fcKernel":
        return tensor.t()
    return tensor


def from_core_layout(torch, role, array):
    t = torch.from_numpy(array.copy())
    if role == "convKernel":
        return t.permute(3, 2, 0, 1).contiguous()
    if role == "fcKernel":
        return t.t().contiguous()
    return t


# ---- training -------------------------------------------------------------------------------


class Control:
    """Pause, resume and stop requests: from stdin lines (--protocol) or signals."""

    def __init__(self):
        self.state = "run"
        self.changed = threading.Condition()

    def request(self, action):
        with self.changed:
            if self.state != "stop":
                self.state = "run" if action == "resume" else action
            self.changed.notify_all()

    def wait_while_paused(self):
        with self.changed:
            while self.state == "pause":
                self.changed.wait()

    def follow_stdin(self):
        def read():
            for line in sys.stdin:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if message.get("type") in ("pause", "resume", "stop"):
                    self.request(message["type"])
            self.request("stop")  # the host went away: stop with a checkpoint

        threading.Thread(target=read, daemon=True).start()


def learning_rate_at(schedule, step):
    rate = schedule["milestones"][0]["lr"]
    for milestone in schedule["milestones"]:
        if milestone["step"] <= step:
            rate = milestone["lr"]
    return rate


class Trainer:
    def __init__(self, torch, np, job, slot, device, amp):
        self.torch, self.np, self.job, self.slot, self.device = torch, np, job, slot, device
        config = job["config"]
        self.config = config
        self.graph = job["graphs"][slot]
        self.model = build_model(torch, self.graph).to(device)
        self.channels_last = device.type == "cuda"
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.table = weight_table(self.model, self.graph)
        decay = [p for _, p, role in self.table if role in ("convKernel", "fcKernel")]
        other = [p for _, p, role in self.table if role in ("gamma", "beta", "fcBias")]
        self.optimizer = torch.optim.SGD([{"params": decay, "weight_decay": config["weightDecay"]}, {"params": other, "weight_decay": 0.0}],
                                         lr=config["schedule"]["baseLr"], momentum=config["momentum"])
        self.amp = amp
        self.scaler = torch.cuda.amp.GradScaler() if amp == "fp16" and device.type == "cuda" else None
        self.forward_model = self.model  # the DistributedDataParallel wrapper under torchrun

    def distribute(self, sync_bn):
        """Wraps the model for torchrun: DDP averages the gradients (and broadcasts rank 0's weights now)."""
        torch = self.torch
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(self.model) if sync_bn else self.model
        ids = [self.device.index] if self.device.type == "cuda" else None
        self.forward_model = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)

    # -- weights --

    def set_weights(self, tensors, require_momentum):
        torch = self.torch
        missing = [name for name, _, _ in self.table if name not in tensors]
        if missing:
            raise JobError("the checkpoint lacks %d weights of %s, e.g. %s" % (len(missing), self.graph["spec"]["title"], missing[0]))
        with torch.no_grad():
            for name, target, role in self.table:
                value = from_core_layout(torch, role, tensors[name])
                if tuple(value.shape) != tuple(target.shape):
                    raise JobError('weight "%s" has shape %s; the model needs %s' % (name, list(value.shape), list(target.shape)))
                target.copy_(value)
                if role in TRAINABLE:
                    buf = tensors.get(name + MOMENTUM_SUFFIX)
                    if buf is None and require_momentum:
                        raise JobError('the checkpoint lacks the momentum buffer of "%s"' % name)
                    momentum = torch.zeros_like(target) if buf is None else from_core_layout(torch, role, buf).to(self.device, dtype=target.dtype)
                    self.optimizer.state[target]["momentum_buffer"] = momentum.to(memory_format=torch.channels_last) if (self.channels_last and momentum.dim() == 4) else momentum

    def get_weights(self):
        torch = self.torch
        out, momenta = [], []
        for name, tensor, role in self.table:
            value = to_core_layout(role, tensor.detach()).float().cpu().contiguous().numpy()
            out.append((name, list(value.shape), value))
            if role in TRAINABLE:
                buf = self.optimizer.state.get(tensor, {}).get("momentum_buffer")
                buf = torch.zeros_like(tensor) if buf is None else buf
                m = to_core_layout(role, buf.detach()).float().cpu().contiguous().numpy()
                momenta.append((name + MOMENTUM_SUFFIX, list(m.shape), m))
        return out + momenta

    # -- steps --

    def forward_loss(self, x, y, model=None):
        torch = self.torch
        model = model or self.model
        if self.amp != "off":
            dtype = torch.bfloat16 if self.amp == "bf16" else torch.float16
            with torch.autocast(device_type=self.device.type, dtype=dtype):
                logits = model(x)
            logits = logits.float()
        else:
            logits = model(x)
        return logits, torch.nn.functional.cross_entropy(logits, y)

    def train_step(self, x, y, lr):
        """One SGD step; returns (loss, wrong) as device tensors (no host sync)."""
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.model.train()
        logits, loss = self.forward_loss(x, y, self.forward_model)
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()
        return loss.detach(), (logits.detach().argmax(1) != y).sum()

    def evaluate(self, images, labels, mean):
        torch = self.torch
        self.model.eval()
        loss_sum = torch.zeros((), device=self.device, dtype=torch.float64)
        wrong = torch.zeros((), device=self.device, dtype=torch.int64)
        with torch.no_grad():
            for start in range(0, len(images), EVAL_CHUNK):
                x = self.normalize(images[start:start + EVAL_CHUNK], mean)
                y = labels[start:start + EVAL_CHUNK]
                logits, loss = self.forward_loss(x, y)
                loss_sum += loss.double() * len(y)
                wrong += (logits.argmax(1) != y).sum()
        n = len(images)
        return loss_sum.item() / n, wrong.item() / n

    def gradient_norms(self, x, y):
        """core/analysis/gradientLog.ts: on the batch, in fp32 and training-mode BatchNorm, the norm of
        the loss gradient at each block's input and of each conv kernel's gradient; the weights,
        their .grad and the BatchNorm running statistics are left as they were."""
        torch = self.torch
        model = self.model  # not the DDP wrapper: no gradient exchange, nothing accumulated
        saved = [b.detach().clone() for b in model.buffers()]
        was_training = model.training
        model.train()
        try:
            logits, taps = model(x, taps=block_input_ids(self.graph))
            loss = torch.nn.functional.cross_entropy(logits, y)
            kernels = [model.convs[module_key(layer["id"])].weight for layer in self.graph["layers"] if layer["kind"] == "conv"]
            grads = torch.autograd.grad(loss, taps + kernels)
            norms = torch.stack([g.float().norm() for g in grads]).tolist()
        finally:
            with torch.no_grad():
                for buffer, value in zip(model.buffers(), saved):
                    buffer.copy_(value)
            model.train(was_training)
        return {"images": len(y), "loss": float(loss.item()), "blocks": norms[:len(taps)], "convs": norms[len(taps):]}

    def normalize(self, images_u8, mean):
        """NHWC bytes on the device -> NCHW floats: byte/255 minus the mean image (augment.ts)."""
        x = images_u8.float().div_(255).sub_(mean).permute(0, 3, 1, 2)
        return x.contiguous(memory_format=self.torch.channels_last) if self.channels_last else x.contiguous()


def make_batch(torch, trainer, images, labels, mean, plan_step, device):
    """Pad 4 (zeros after mean subtraction), crop 32x32 at the drawn offsets, flip: on the device."""
    indices, off_y, off_x, flip = plan_step
    idx = torch.from_numpy(indices).to(device, non_blocking=True)
    x = images[idx].float().div_(255).sub_(mean)  # [B, H, W, C]
    b, h, w, _ = x.shape
    p = CROP_PADDING
    padded = torch.nn.functional.pad(x, (0, 0, p, p, p, p))
    ar_h = torch.arange(h, device=device)
    ar_w = torch.arange(w, device=device)
    oy = torch.from_numpy(off_y).to(device, non_blocking=True)
    ox = torch.from_numpy(off_x).to(device, non_blocking=True)
    fl = torch.from_numpy(flip).to(device, non_blocking=True)
    rows = oy[:, None] + ar_h[None, :]
    cols = torch.where(fl[:, None], (w - 1 - ar_w)[None, :], ar_w[None, :]) + ox[:, None]
    crop = padded[torch.arange(b, device=device)[:, None, None], rows[:, :, None], cols[:, None, :]]
    x = crop.permute(0, 3, 1, 2)
    x = x.contiguous(memory_format=torch.channels_last) if trainer.channels_last else x.contiguous()
    return x, labels[idx]


class Dist:
    """Under torchrun (WORLD_SIZE > 1): DistributedDataParallel, the global batch split across
    the processes, rank 0 the only one that loads, evaluates and writes the run folder."""

    def __init__(self):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.local_world = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
        self.active = self.world > 1
        self.main = self.rank == 0

    def start(self, torch, device):
        if self.active:
            import torch.distributed  # noqa: F401 - not imported by `import torch` everywhere
            torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")

    def shard(self, plan_step):
        """This process's part of the global batch: a contiguous, as-equal-as-possible slice."""
        if not self.active:
            return plan_step
        size = len(plan_step[0])
        bounds = [size * r // self.world for r in range(self.world + 1)]
        return tuple(a[bounds[self.rank]:bounds[self.rank + 1]] for a in plan_step)

    def sum(self, torch, tensor):
        if self.active:
            torch.distributed.all_reduce(tensor)
        return tensor

    def any(self, torch, flag, device):
        """True on every process when any asks for it (the processes stop at the same step)."""
        if not self.active:
            return flag
        t = torch.tensor([1.0 if flag else 0.0], device=device)
        torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
        return bool(t.item())

    def broadcast(self, torch, tensor):
        if self.active:
            torch.distributed.broadcast(tensor, 0)
        return tensor

    def close(self, torch):
        if self.active:
            torch.distributed.barrier()  # every process past its last step before rank 0 says done


def keep_freed_memory():
    """On glibc, keep the buffers PyTorch frees mapped for the next step to reuse.

    By default glibc hands freed buffers above its thresholds back to the OS, and each step then
    page-faults its activations in again: a CPU training step ran 1.5x slower for it, and
    inference 5x (bench/torch_reference.py, ResNet-20 at batch 32). Elsewhere nothing changes.
    """
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 1 << 30)


def open_device(torch, request, threads, dist):
    info = {"cuda": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else [],
            "mps": bool(getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available())}
    kind = choose_device_kind(request, info)
    if kind is None:
        raise JobError("the device %s is not available to PyTorch %s" % (request, torch.__version__))
    if kind == "cpu":
        # The machine's cores shared among the processes on it.
        torch.set_num_threads(max(1, threads or (os.cpu_count() or 1) // dist.local_world))
        keep_freed_memory()
    if kind == "cuda":
        torch.backends.cudnn.benchmark = True
        if dist.active:
            torch.cuda.set_device(dist.local_rank)
            return torch.device("cuda", dist.local_rank)
    return torch.device(kind)


def format_count(n):
    return "{:,}".format(n)


def train(args):
    import numpy as np
    import torch

    control = Control()
    if args.protocol:
        control.follow_stdin()
        emit = emit_line
    else:
        emit = None
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: control.request("stop"))

    job = read_job(args.job)
    config = job["config"]
    slot = args.slot
    net = next((n for n in config["nets"] if n["slot"] == slot), None)
    if net is None:
        raise JobError("the run has no net %s" % slot)
    dist = Dist()
    if dist.active and args.protocol:
        raise JobError("--protocol is for one process; under torchrun the trainer writes the run folder itself")
    if config["batchSize"] < dist.world:
        raise JobError("the global batch of %d cannot be split across %d processes" % (config["batchSize"], dist.world))
    device = open_device(torch, args.device, args.threads, dist)
    if args.sync_bn and dist.active and device.type != "cuda":
        raise JobError("--sync-bn needs CUDA GPUs: PyTorch's SyncBatchNorm runs on CUDA only")
    dist.start(torch, device)
    run = args.run
    standalone = emit is None
    # Under torchrun only rank 0 speaks, writes and evaluates; the others train their share.
    out = (emit or (lambda message: None)) if dist.main else (lambda message: None)
    if standalone and dist.main:
        prepare_standalone_run(run, config)

    amp = args.amp if device.type == "cuda" else "off"
    if amp != args.amp:
        log("Mixed precision (--amp %s) applies on a CUDA GPU only; training on %s in fp32." % (args.amp, device.type))
    trainer = Trainer(torch, np, job, slot, device, amp)
    threads = torch.get_num_threads()
    title = describe_device(torch, device, threads) + ("" if amp == "off" else ", %s autocast" % amp)
    if dist.active:
        title += ", DistributedDataParallel on %d processes%s" % (dist.world, " with SyncBatchNorm" if args.sync_bn else "")
    out({"type": "backend", "kind": "pytorch", "title": title})
    train_x, train_y, test_x, test_y = load_data(np, job, args.data)
    out({"type": "data", "description": job["data"]["description"]})
    mean_np = mean_image(np, train_x)
    mean = torch.from_numpy(mean_np).to(device)
    images = torch.from_numpy(np.ascontiguousarray(train_x)).to(device)
    labels = torch.from_numpy(train_y).to(device)
    test_images = torch.from_numpy(np.ascontiguousarray(test_x)).to(device)
    test_labels = torch.from_numpy(test_y).to(device)
    plan = BatchPlan(np, len(train_x), config["batchSize"], config["seed"])
    gradient_index = torch.tensor(gradient_log_indices(len(train_x)), dtype=torch.int64, device=device)
    # Normalised in float64, rounded once, as core's makeBatch: the same pixels as the TF.js engine's fixed batch.
    gradient_x = (images[gradient_index].double() / 255 - mean.double()).float().permute(0, 3, 1, 2)
    gradient_batch = (gradient_x.contiguous(memory_format=torch.channels_last) if trainer.channels_last else gradient_x.contiguous(), labels[gradient_index])

    step = 0
    interval = [0.0, 0.0, 0]  # loss sum, error sum, steps since the last training record
    latest = latest_checkpoint(run, slot) if dist.main else None
    if latest:
        tensors = read_checkpoint(np, latest[1])
        trainer.set_weights(tensors, require_momentum=True)
        saved = tensors.get(INTERVAL_TENSOR)
        if saved is not None:
            interval = [float(saved[0]), float(saved[1]), int(saved[2])]
        step = latest[0]
        if standalone:
            truncate_metrics_after(run, slot, step)
    else:
        trainer.set_weights(read_checkpoint(np, os.path.join(job["folder"], "init", slot)), require_momentum=False)
    if dist.active:
        # Rank 0's step and state for all: DDP broadcasts the weights, here the step and momenta.
        step = int(dist.broadcast(torch, torch.tensor([step], dtype=torch.int64, device=device)).item())
        for _, tensor, role in trainer.table:
            if role in TRAINABLE:
                dist.broadcast(torch, trainer.optimizer.state[tensor]["momentum_buffer"])
        trainer.distribute(args.sync_bn)
    out({"type": "started", "step": step})
    if standalone and dist.main:
        log("%s: %s, from step %s of %s" % (net["title"], title, format_count(step), format_count(config["iterations"])))

    iterations = config["iterations"]
    batch_size = config["batchSize"]
    epoch_of = lambda s: (s * batch_size) // len(train_x)  # noqa: E731
    loss_acc = torch.zeros((), device=device, dtype=torch.float64)
    wrong_acc = torch.zeros((), device=device, dtype=torch.float64)
    interval_images = 0
    interval_began = time.perf_counter()

    def drain():
        """The steps' loss and error since the last drain, over the global batch, into the interval."""
        sums = dist.sum(torch, torch.stack([loss_acc, wrong_acc]))
        interval[0] += sums[0].item()
        interval[1] += sums[1].item()
        loss_acc.zero_()
        wrong_acc.zero_()

    def checkpoint():
        if not dist.main:
            return
        tensors = trainer.get_weights() + [(INTERVAL_TENSOR, [3], np.array(interval, dtype=np.float32))]
        folder = write_checkpoint(np, run, slot, step, tensors)
        out({"type": "checkpoint", "step": step, "folder": folder})

    def record(points):
        if not dist.main:
            return
        if emit:
            emit({"type": "metrics", "points": points})
        else:
            append_metrics(run, points)

    # Under torchrun a stop (SIGTERM) is agreed on every few steps, so every process stops at the same one.
    agree_every = max(1, min(config["logEvery"], 10))
    while step < iterations:
        stopping = control.state == "stop" if not dist.active else (step % agree_every == 0 and dist.any(torch, control.state == "stop", device))
        if control.state == "pause" and not dist.active:
            out({"type": "paused", "step": step})
            control.wait_while_paused()
            if control.state == "run":
                out({"type": "resumed", "step": step})
            interval_began = time.perf_counter()
        if stopping or (control.state == "stop" and not dist.active):
            checkpoint()
            out({"type": "done", "reason": "stopped", "step": step})
            if standalone and dist.main:
                finish_standalone(run, "stopped", "stopped at step %s" % format_count(step), step, title)
            dist.close(torch)
            return 0
        lr = learning_rate_at(config["schedule"], step)
        global_step = plan.at(step)
        global_size = len(global_step[0])
        x, y = make_batch(torch, trainer, images, labels, mean, dist.shard(global_step), device)
        loss, wrong = trainer.train_step(x, y, lr)
        # Weighted by this process's share, so the sum over processes is the global batch's mean.
        loss_acc += loss.double() * (len(y) / global_size)
        wrong_acc += wrong.double() / global_size
        interval[2] += 1
        interval_images += global_size
        step += 1
        last = step == iterations
        points = []
        if step % config["logEvery"] == 0 or last:
            drain()
            seconds = time.perf_counter() - interval_began
            point = {"slot": slot, "step": step, "epoch": epoch_of(step), "split": "train", "loss": interval[0] / interval[2],
                     "error": interval[1] / interval[2], "lr": lr, "time": now_ms()}
            if seconds > 0 and interval_images:
                point["imagesPerSec"] = interval_images / seconds
            points.append(point)
            interval = [0.0, 0.0, 0]
            interval_images = 0
        if step % config["evalEvery"] == 0 or last:
            # Every process measures (SyncBatchNorm needs them all; the same batch, the same answer); rank 0 evaluates and writes.
            gradients = trainer.gradient_norms(*gradient_batch)
            if dist.main:
                test_loss, test_error = trainer.evaluate(test_images, test_labels, mean)
                points.append({"slot": slot, "step": step, "epoch": epoch_of(step), "split": "test", "loss": test_loss, "error": test_error, "lr": lr,
                               "gradients": gradients, "time": now_ms()})
        if points:
            record(points)
            if standalone and dist.main:
                log(progress_text(net["title"], step, iterations, points))
        if step % config["checkpointEvery"] == 0 or last:
            # The interval's running sums go into the checkpoint, so a resume continues them exactly.
            drain()
            checkpoint()
        if points or step % config["checkpointEvery"] == 0:
            interval_began = time.perf_counter()
    out({"type": "done", "reason": "finished", "step": step})
    if standalone and dist.main:
        waiting = [n["title"] + " (--slot " + n["slot"] + ")" for n in config["nets"] if n["slot"] != slot and last_step(run, n["slot"]) < iterations]
        if waiting:
            finish_standalone(run, "stopped", "%s finished; %s still to train" % (net["title"], ", ".join(waiting)), step, title)
        else:
            finish_standalone(run, "finished", "finished %s iterations" % format_count(iterations), step, title)
    dist.close(torch)
    return 0


def log(text):
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def progress_text(title, step, iterations, points):
    parts = ["%s step %s/%s" % (title, format_count(step), format_count(iterations))]
    for p in points:
        parts.append("%s error %.1f%% loss %.3f" % (p["split"], p["error"] * 100, p["loss"]))
        if "imagesPerSec" in p:
            parts.append("%.0f img/s" % p["imagesPerSec"])
    return "  ".join(parts)


# ---- the run folder, when no ResNet Lab session writes it ------------------------------------


def prepare_standalone_run(run, config):
    os.makedirs(os.path.join(run, "checkpoints"), exist_ok=True)
    config_file = os.path.join(run, "config.json")
    if not os.path.exists(config_file):
        write_file_atomic(config_file, (json.dumps(config, indent=2, ensure_ascii=False) + "\n").encode())
    outcome = os.path.join(run, "outcome.json")
    if os.path.exists(outcome):
        os.remove(outcome)


def append_metrics(run, points):
    with open(os.path.join(run, "metrics.jsonl"), "a", encoding="utf-8") as f:
        for p in points:
            f.write(json_line(p))


def last_step(run, slot):
    path = os.path.join(run, "metrics.jsonl")
    best = 0
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    p = json.loads(line)
                except ValueError:
                    continue
                if p.get("slot") == slot:
                    best = max(best, p.get("step", 0))
    return best


def truncate_metrics_after(run, slot, step):
    path = os.path.join(run, "metrics.jsonl")
    if not os.path.exists(path):
        return
    kept = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                p = json.loads(line)
            except ValueError:
                continue  # a torn last line
            if p.get("slot") != slot or p.get("step", 0) <= step:
                kept.append(json_line(p))
    write_file_atomic(path, "".join(kept).encode())


def finish_standalone(run, status, detail, step, backend=None):
    outcome = {"status": status, "detail": detail, "step": step, "at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())}
    if backend:
        outcome["backend"] = backend
    write_file_atomic(os.path.join(run, "outcome.json"), (json.dumps(outcome, indent=2) + "\n").encode())
    log("Run %s: %s. Run folder: %s" % (status, detail, run))


# ---- numerics check: one step from a checkpoint -------------------------------------------------


def one_step(args):
    """Loads a checkpoint, runs one training step on a given batch: writes logits, loss, every
    gradient (core's layout) and the weights after the SGD step, as a checkpoint folder."""
    import numpy as np
    import torch

    torch.set_num_threads(1)
    job = read_job(args.job)
    trainer = Trainer(torch, np, job, args.slot, torch.device("cpu"), "off")
    if args.double:
        trainer.model.double()  # the float64 reference of the same step
    tensors = read_checkpoint(np, args.checkpoint)
    trainer.set_weights(tensors, require_momentum=False)
    batch = read_checkpoint(np, args.batch)
    x = torch.from_numpy(batch["x"].copy()).permute(0, 3, 1, 2).contiguous()
    x = x.double() if args.double else x
    y = torch.from_numpy(batch["y"].astype(np.int64))
    for group in trainer.optimizer.param_groups:
        group["lr"] = args.lr
    trainer.model.train()
    logits, loss = trainer.forward_loss(x, y)
    trainer.optimizer.zero_grad()
    loss.backward()
    out = [("logits", list(logits.shape), logits.detach().float().numpy()), ("loss", [1], loss.detach().float().reshape(1).numpy())]
    for name, tensor, role in trainer.table:
        if role in TRAINABLE:
            g = to_core_layout(role, tensor.grad).float().contiguous().numpy()
            out.append(("grad/" + name, list(g.shape), g))
    trainer.optimizer.step()
    out += [("after/" + name, shape, value) for name, shape, value in trainer.get_weights()]
    os.makedirs(args.out, exist_ok=True)
    write_checkpoint(np, args.out, "a", 0, out)
    return 0


def gradients_at(args):
    """The gradient norms the trainer logs (Trainer.gradient_norms), at a checkpoint on a given
    batch, printed as JSON: the cross-engine test compares them with TF.js's, and --double
    gives float64's answer, the reference for float32's own error."""
    import numpy as np
    import torch

    torch.set_num_threads(1)
    trainer = Trainer(torch, np, read_job(args.job), args.slot, torch.device("cpu"), "off")
    if args.double:
        trainer.model.double()
    trainer.set_weights(read_checkpoint(np, args.checkpoint), require_momentum=False)
    batch = read_checkpoint(np, args.batch)
    x = torch.from_numpy(batch["x"].copy()).permute(0, 3, 1, 2).contiguous()
    emit_line(trainer.gradient_norms(x.double() if args.double else x, torch.from_numpy(batch["y"].astype(np.int64))))
    return 0


# ---- main -----------------------------------------------------------------------------------


def main(argv):
    parser = argparse.ArgumentParser(prog="resnet_lab_trainer.py", description="ResNet Lab's PyTorch engine")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("probe", help="print this Python's versions and devices as JSON")
    p.add_argument("--device", default="auto", choices=["auto", "cuda", "mps", "cpu"])
    t = sub.add_parser("train", help="train one net of a job into a run folder")
    t.add_argument("--job", required=True, help="the job folder ResNet Lab wrote (job.json)")
    t.add_argument("--run", required=True, help="the run folder (created when missing)")
    t.add_argument("--slot", default="a", choices=["a", "b"])
    t.add_argument("--device", default="auto", choices=["auto", "cuda", "mps", "cpu"])
    t.add_argument("--threads", type=int, default=0, help="CPU threads (default: all cores)")
    t.add_argument("--amp", default="off", choices=["off", "bf16", "fp16"], help="mixed precision (off: fp32, as the paper)")
    t.add_argument("--data", help="the CIFAR-10 folder on this machine, when not where the job says")
    t.add_argument("--protocol", action="store_true", help="speak ResNet Lab's worker protocol on stdio")
    t.add_argument("--sync-bn", action="store_true", help="under torchrun: BatchNorm statistics over the global batch (CUDA only)")
    pl = sub.add_parser("plan", help="print the batches of some steps as JSON (cross-engine test)")
    pl.add_argument("--seed", required=True)
    pl.add_argument("--count", type=int, required=True)
    pl.add_argument("--batch", type=int, required=True)
    pl.add_argument("--steps", required=True)
    s = sub.add_parser("step", help="one training step from a checkpoint (numerics test)")
    s.add_argument("--job", required=True)
    s.add_argument("--slot", default="a", choices=["a", "b"])
    s.add_argument("--checkpoint", required=True)
    s.add_argument("--batch", required=True)
    s.add_argument("--lr", type=float, required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--double", action="store_true", help="compute in float64 (the reference for float32's own error)")
    g = sub.add_parser("gradients", help="the gradient norms logged at each evaluation, at a checkpoint on a batch (cross-engine test)")
    g.add_argument("--job", required=True)
    g.add_argument("--slot", default="a", choices=["a", "b"])
    g.add_argument("--checkpoint", required=True)
    g.add_argument("--batch", required=True)
    g.add_argument("--double", action="store_true", help="compute in float64")
    args = parser.parse_args(argv)

    if args.command == "probe":
        emit_line(probe(args.device))
        return 0
    if args.command == "plan":
        import numpy as np
        seed = int(args.seed) if args.seed.lstrip("-").isdigit() else args.seed
        plan = BatchPlan(np, args.count, args.batch, seed)
        steps = []
        for k in (int(v) for v in args.steps.split(",")):
            indices, oy, ox, flip = plan.at(k)
            steps.append({"step": k, "indices": indices.tolist(), "offsetY": oy.tolist(), "offsetX": ox.tolist(), "flip": flip.tolist()})
        emit_line(steps)
        return 0
    try:
        code = train(args) if args.command == "train" else gradients_at(args) if args.command == "gradients" else one_step(args)
        if Dist().active:
            # Freeing DDP's gloo group at interpreter exit can deadlock (pytorch/pytorch#56297):
            # the run folder is written, so leave without running destructors.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        return code
    except Exception as error:  # noqa: BLE001 - every failure is told, then the process ends
        message = str(error) if isinstance(error, JobError) else "%s: %s" % (type(error).__name__, error)
        if getattr(args, "protocol", False):
            emit_line({"type": "failed", "message": message})
        else:
            log("Failed: %s" % message)
            if args.command == "train":
                try:
                    finish_standalone(args.run, "failed", message, 0)
                except OSError:
                    pass
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
