#!/usr/bin/env bash
# The main job: build and package the extension, install it into code-server 4.100.3
# (VS Code in the browser) and serve it on 127.0.0.1:${PORT:-8080} with a workspace folder.
# Prints the URL to open; runs until Ctrl-C. State (settings, open panels) is kept in
# .resnet-lab/code-server between runs; the workspace is $WORKSPACE or .resnet-lab/workspace.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
port="${PORT:-8080}"
state="$root/.resnet-lab/code-server"
workspace="$(realpath -m "${WORKSPACE:-$root/.resnet-lab/workspace}")"
entry="$root/.vscode-test/code-server/node_modules/code-server/out/node/entry.js"

bash scripts/install-code-server.sh
npm run --silent package
mkdir -p "$state/user-data/User" "$state/extensions" "$state/xdg/config" "$state/xdg/data" "$state/xdg/cache" "$state/tmp" "$workspace"
settings="$state/user-data/User/settings.json"
[ -f "$settings" ] || cat >"$settings" <<'JSON'
{
  "workbench.startupEditor": "none",
  "telemetry.telemetryLevel": "off",
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "update.mode": "none"
}
JSON

export XDG_CONFIG_HOME="$state/xdg/config" XDG_DATA_HOME="$state/xdg/data" XDG_CACHE_HOME="$state/xdg/cache" TMPDIR="$state/tmp"
dirs=(--user-data-dir "$state/user-data" --extensions-dir "$state/extensions")
node "$entry" "${dirs[@]}" --force --install-extension "$root/resnet-lab.vsix" | grep -v '^$' || true

# Its own process group, so that Ctrl-C ends code-server and everything it started.
setsid node "$entry" --auth none --bind-addr "127.0.0.1:$port" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override "${dirs[@]}" "$workspace" >"$state/code-server.log" 2>&1 &
server=$!
stop() {
  kill -TERM -- "-$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  echo "start: code-server stopped"
}
trap 'trap - EXIT; stop; exit 0' INT TERM
trap stop EXIT

until node -e "fetch('http://127.0.0.1:$port/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; do
  if ! kill -0 "$server" 2>/dev/null; then
    echo "start: code-server exited; its log ($state/code-server.log) ends with:" >&2
    tail -20 "$state/code-server.log" >&2
    exit 1
  fi
  sleep 0.5
done

url="http://127.0.0.1:$port/?folder=$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$workspace")"
echo
echo "ResNet Lab is running in VS Code (code-server 4.100.3). Open:"
echo "  $url"
echo "Then press F1 and run \"ResNet Lab: Show Architecture\". Log: $state/code-server.log. Ctrl-C stops."
wait "$server"
