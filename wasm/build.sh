#!/bin/sh
# Rebuilds wasm/kernels.wasm from the kernels (the built file is committed, so neither the
# build nor CI needs clang). Needs Debian's clang and lld, 16 or newer (apt-get install -y
# clang-16 lld-16): clang 14 computes every constant offset of a load with an i32.add instead of
# the load's offset field, and its kernels run ~1.5× slower under V8. Needs node (to append a
# custom section).
#
# The file is the plain-SIMD build, with the relaxed-SIMD build (fused multiply-add) inside it
# as the custom section "resnetlab.relaxed_simd": one file, which core/engine/wasmThreads.ts
# loads as relaxed SIMD where the engine supports it and as plain SIMD elsewhere.
#
# The memory is imported and shared (one instance per worker thread); the kernels use no stack
# or static data (checked below), so instances can share it safely.
set -eu
cd "$(dirname "$0")"
CLANG=
for c in clang-19 clang-18 clang-17 clang-16 clang; do
  if command -v "$c" >/dev/null 2>&1; then CLANG=$c; break; fi
done
[ -n "$CLANG" ] || { echo "clang (16+) not found: apt-get install -y clang-16 lld-16" >&2; exit 1; }
major=$("$CLANG" -dumpversion | cut -d. -f1)
[ "$major" -ge 16 ] || { echo "$CLANG is version $major; 16 or newer is needed (apt-get install -y clang-16 lld-16)" >&2; exit 1; }
# The kernels by operation (kernels.h: what they share), compiled as one translation unit so that
# gemm.c's matrix products inline into the convolutions of im2col.c and winograd.c.
PARTS="gemm.c im2col.c batchnorm.c winograd.c winograd4.c winograd_conv.c sgd.c"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build() {
  for part in $PARTS; do echo "#include \"$part\""; done | "$CLANG" --target=wasm32 -O3 -msimd128 -matomics -mbulk-memory -nostdlib -ffreestanding \
    -Wall -Wextra -Wno-unused-parameter \
    -Wl,--no-entry -Wl,--import-memory -Wl,--shared-memory -Wl,--max-memory=4294967296 \
    -Wl,--stack-first -Wl,-z,stack-size=65536 "$@" -I. -x c -
}
build -o "$tmp/plain.wasm"
build -mrelaxed-simd -DRESNETLAB_RELAXED_SIMD -o "$tmp/relaxed.wasm"
# No kernel may touch the stack pointer (global 0): the instances share one memory.
OBJDUMP=$(command -v "llvm-objdump-$major" || command -v llvm-objdump || true)
if [ -n "$OBJDUMP" ]; then
  for f in plain relaxed; do
    if "$OBJDUMP" -d "$tmp/$f.wasm" | grep -q 'global\.[gs]et'; then
      echo "kernels.wasm ($f) uses the stack (global.get/set): keep arrays out of the kernels" >&2
      exit 1
    fi
  done
fi
node -e '
const fs = require("fs");
const [plain, relaxed, out] = process.argv.slice(1);
const leb = (n) => { const b = []; do { let byte = n & 0x7f; n >>>= 7; if (n) byte |= 0x80; b.push(byte); } while (n); return Buffer.from(b); };
const name = Buffer.from("resnetlab.relaxed_simd");
const payload = Buffer.concat([leb(name.length), name, fs.readFileSync(relaxed)]);
fs.writeFileSync(out, Buffer.concat([fs.readFileSync(plain), Buffer.from([0]), leb(payload.length), payload]));
' "$tmp/plain.wasm" "$tmp/relaxed.wasm" kernels.wasm
ls -l kernels.wasm
