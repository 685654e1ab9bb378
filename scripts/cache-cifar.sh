#!/usr/bin/env bash
# Unpacks the shared CIFAR-10 tarball once into a cache folder (outside the repository) and checks
# the official MD5s. Usage: scripts/cache-cifar.sh [cache-dir]   (default: ~/.cache/resnet-lab)
# Prints the folder that holds the .bin files; pass it to the trainer or to `loadCifar10`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="${RESNET_LAB_SHARED:-$repo/../shared}"
tarball="$shared/data/cifar-10-binary.tar.gz"
cache="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/resnet-lab}"
folder="$cache/cifar-10-batches-bin"
[ -f "$tarball" ] || { echo "cache-cifar: $tarball not found (set RESNET_LAB_SHARED to the shared folder)" >&2; exit 1; }
case "$(cd "$(dirname "$cache")" 2>/dev/null && pwd)/" in "$repo"/*) echo "cache-cifar: $cache is inside the repository; choose a folder outside it" >&2; exit 1;; esac
if [ ! -d "$folder" ]; then
  mkdir -p "$cache"
  temp="$(mktemp -d "$cache/.extract-XXXXXX")"
  trap 'rm -rf "$temp"' EXIT
  tar -xzf "$tarball" -C "$temp" cifar-10-batches-bin
  (cd "$temp/cifar-10-batches-bin" && grep '\.bin$' "$shared/data/MD5SUMS" | md5sum --quiet -c -)
  mv "$temp/cifar-10-batches-bin" "$folder"
fi
echo "$folder"
