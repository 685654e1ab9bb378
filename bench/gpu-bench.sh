#!/bin/sh
# The whole GPU check in one command, on a machine with an NVIDIA GPU, Python and PyTorch (no Node):
#   bash bench/gpu-bench.sh            (a checkout with bench/gpu-jobs from `npm run bench:gpu-prepare`)
#   bash gpu-jobs/gpu-bench.sh         (the copied folder alone)
# Extra flags go to gpu_bench.py (--precisions fp32, --budget S, --json FILE, --device cpu …).
# PYTHON picks the interpreter (default python3). Finishes within the budget (420 s by default).
here=$(dirname "$0")
if [ -f "$here/gpu-jobs/gpu_bench.py" ]; then here="$here/gpu-jobs"; fi
exec "${PYTHON:-python3}" "$here/gpu_bench.py" "$@"
