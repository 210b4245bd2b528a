#!/usr/bin/env bash
# The Debian packages livelens needs beyond Python, installed only where missing:
#   chromium        headless browser for the live-screen tests
#   fonts-noto-cjk  Chinese glyphs in PDF reports and screenshots
#   poppler-utils   pdftotext / pdftoppm, used by the report tests
#   ffmpeg          writes and reads the AIGC label in MP4 recordings
#   npm             only where no npm is on the PATH
set -euo pipefail
packages=(chromium fonts-noto-cjk poppler-utils ffmpeg)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# npm installs the live screen's ECharts (web/); a machine with its own Node.js keeps it
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
    echo "livelens set-up needs these Debian packages and cannot become root: ${missing[*]}" >&2
    echo "install them (apt-get install ${missing[*]}) and run the command again" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq || true  # a stale index still has these packages
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
