#!/usr/bin/env bash
# Everything a fresh machine needs, idempotent: npm packages, Chromium and code-server for the
# tests and the main job, Debian's PyTorch for the PyTorch engine, then the build. Quick to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/install-code-server.sh
# Debian's PyTorch (CPU) for the PyTorch engine's tests and the bench's reference.
if ! /usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1; then
  echo "setup: apt-get install python3-torch"
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq python3-torch python3-numpy >/dev/null
fi
npm run build
npm run compile
