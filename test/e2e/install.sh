#!/usr/bin/env bash
# Installs the end-to-end harness: Debian's Chromium, the headers and tools code-server's install needs, and the
# harness's npm packages (code-server 4.100.3 = VS Code 1.100.3, playwright-core, mocha). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)   # code-server's kerberos module builds from source
command -v rg >/dev/null || need_apt+=(ripgrep)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "e2e install: please install these Debian packages first: ${need_apt[*]}" >&2
    exit 1
  fi
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

# @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache already holds the archive: seed the cache
# with Debian's rg. The version is the one code-server 4.100.3 pins in lib/vscode/npm-shrinkwrap.json.
rg_version=1.15.11
rg_cache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-$rg_version"
rg_archive="$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -s "$rg_archive" ]; then
  mkdir -p "$rg_cache"
  stage="$(mktemp -d)"
  cp "$(command -v rg)" "$stage/rg"
  tar czf "$rg_archive" -C "$stage" rg
  rm -rf "$stage"
fi

if [ ! -x node_modules/.bin/code-server ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # code-server's postinstall refuses to run as root without unsafe-perm; node-pty's postinstall runs
  # `npx node-gyp`, which a user npmrc with yes=false would cancel.
  export npm_config_unsafe_perm=true npm_config_yes=true
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund
  else
    npm install --no-audit --no-fund
  fi
fi
test -x node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg || {
  echo "e2e install: code-server's ripgrep is missing (its postinstall failed; see the npm output above)" >&2
  exit 1
}
node_modules/.bin/code-server --config /dev/null --version
