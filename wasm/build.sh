#!/bin/sh
# Rebuilds wasm/kernels.wasm from wasm/kernels.c (the built file is committed, so neither the
# build nor CI needs clang). Needs Debian's clang and lld (14+): apt-get install -y clang lld.
# The memory is imported and shared (one instance per worker thread); no stack or static data
# is used by the kernels, so instances can share it safely.
set -eu
cd "$(dirname "$0")"
clang --target=wasm32 -O3 -msimd128 -matomics -mbulk-memory -nostdlib -ffreestanding \
  -Wall -Wextra -Wno-unused-parameter \
  -Wl,--no-entry -Wl,--import-memory -Wl,--shared-memory -Wl,--max-memory=4294967296 \
  -Wl,--stack-first -Wl,-z,stack-size=65536 \
  -o kernels.wasm kernels.c
ls -l kernels.wasm
