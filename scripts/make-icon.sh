#!/usr/bin/env bash
# Renders the extension icon media/icon.svg to the 128×128 PNG the marketplace and VS Code show (media/icon.png).
# Needs rsvg-convert (Debian: librsvg2-bin). The PNG is committed, so packaging does not need this tool.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v rsvg-convert >/dev/null || { echo "make-icon: install rsvg-convert (apt-get install librsvg2-bin)" >&2; exit 1; }
rsvg-convert --width 128 --height 128 --format png --output media/icon.png media/icon.svg
echo "media/icon.png: $(stat -c %s media/icon.png) bytes"
