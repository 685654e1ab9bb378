#!/usr/bin/env bash
# Everything a fresh machine needs, idempotent: npm packages, Chromium and code-server for the
# tests and the main job, then the build. Re-running it is quick.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/install-code-server.sh
npm run build
npm run compile
