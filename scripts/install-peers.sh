#!/usr/bin/env bash
# Installs the peer the accuracy harness compares against (Testing/Accuracy/peer: ITK's
# morphological contour interpolation from npm, run under Node) with `npm ci`, exactly at the
# versions package-lock.json pins. Idempotent: skipped when node_modules already matches the
# lock file. Needs Node.js >= 18 and npm; installs Debian's nodejs and npm when node is missing.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
peer=$root/Testing/Accuracy/peer

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if ((EUID == 0)); then as_root=(); elif command -v sudo >/dev/null; then as_root=(sudo); else
    echo "install-peers: need node and npm (or root to install Debian's nodejs and npm)" >&2
    exit 1
  fi
  echo "install-peers: installing nodejs npm"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    nodejs npm
fi

stamp=$peer/node_modules/.annotrace-lock.sha256
want=$(sha256sum "$peer/package-lock.json" "$peer/package.json" | sha256sum | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "install-peers: the peer is installed ($peer/node_modules matches package-lock.json)"
  exit 0
fi

echo "install-peers: npm ci in $peer"
(cd "$peer" && npm ci --no-audit --no-fund)
echo "$want" >"$stamp"
