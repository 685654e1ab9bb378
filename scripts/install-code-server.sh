#!/usr/bin/env bash
# Installs what the tests inside a real VS Code need: Debian's chromium, ripgrep and the
# Kerberos headers, and code-server 4.100.3 (VS Code 1.100.3) from npm into
# .vscode-test/code-server, outside the extension's own dependencies. Idempotent: a second
# run only checks and returns. See docs: VSCODE-TESTS.md.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
RIPGREP_PACKAGE_VERSION=1.15.11
RIPGREP_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="$root/.vscode-test/code-server"
entry="$prefix/node_modules/code-server/out/node/entry.js"

# 1. System packages, only when one is missing.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
if ((${#missing[@]})); then
  echo "install-code-server: apt-get install ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  # Wait for another apt run (if any) rather than failing on its lock.
  "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
fi

# 2. code-server itself, unless this exact version is already there and complete.
installed_version() {
  node -e 'try { process.stdout.write(require(process.argv[1]).version) } catch { }' "$prefix/node_modules/code-server/package.json"
}
if [ -f "$entry" ] && [ "$(installed_version)" = "$CODE_SERVER_VERSION" ] && [ -f "$prefix/.installed" ]; then
  echo "install-code-server: code-server $CODE_SERVER_VERSION already in $prefix"
  exit 0
fi

echo "install-code-server: installing code-server@$CODE_SERVER_VERSION into $prefix (about 90 s)"
started=$(date +%s)
mkdir -p "$prefix"
rm -f "$prefix/.installed"
# Its own package.json, so npm never walks up into the extension's project.
[ -f "$prefix/package.json" ] || echo '{ "name": "code-server-host", "private": true }' >"$prefix/package.json"

# @vscode/ripgrep's postinstall downloads rg from GitHub (unreachable here): seed its cache
# with Debian's rg, packed the way the release asset is.
tmp="$prefix/tmp"
cache="$tmp/vscode-ripgrep-cache-$RIPGREP_PACKAGE_VERSION"
if [ ! -f "$cache/$RIPGREP_ASSET" ]; then
  mkdir -p "$cache" "$tmp/rg-pack"
  cp "$(command -v rg)" "$tmp/rg-pack/rg"
  tar -czf "$cache/$RIPGREP_ASSET" -C "$tmp/rg-pack" rg
  rm -rf "$tmp/rg-pack"
fi

# As root, code-server's postinstall needs unsafe-perm; node-pty's runs `npx node-gyp`,
# which needs yes. npm 11 blocks dependency install scripts unless allowed, and
# code-server's postinstall runs nested `npm install`s for its native modules (node-pty,
# kerberos, spdlog, watcher...), which need theirs too: allow them for this isolated,
# pinned install only, through the environment so that the nested installs see it.
(
  cd "$prefix"
  TMPDIR="$tmp" npm_config_unsafe_perm=true npm_config_yes=true npm_config_dangerously_allow_all_scripts=true \
    npm install --no-audit --no-fund --save-exact --loglevel=error "code-server@$CODE_SERVER_VERSION"
)
[ -f "$entry" ] || { echo "install-code-server: $entry missing after install" >&2; exit 1; }
touch "$prefix/.installed"
echo "install-code-server: done in $(($(date +%s) - started)) s"
