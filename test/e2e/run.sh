#!/usr/bin/env bash
# The end-to-end stage: install the harness, package the extension, and run both suites (UI and extension host)
# against the installed .vsix in a fresh code-server — inside a network namespace with only loopback when this
# machine allows one (root or user namespaces), so the run also proves that Trit works with no network.
#   bash test/e2e/run.sh [extra arguments for src/main.ts, e.g. --suites ui]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

bash "$here/install.sh"
(cd "$root" && node_modules/.bin/tsc -p test/e2e)
node "$here/build.mjs"
(cd "$root" && npm run package -- --out "$here/out/vsix")
vsix="$(ls -t "$here"/out/vsix/*.vsix | head -n 1)"

offline=()
if unshare --net -- true 2>/dev/null; then
  offline=(--offline)
else
  echo "e2e: cannot create a network namespace here (needs root or user namespaces): running with the network" >&2
fi
cd "$root"
exec node --import tsx "$here/src/main.ts" --vsix "$vsix" "${offline[@]}" "$@"
