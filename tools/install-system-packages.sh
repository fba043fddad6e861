#!/usr/bin/env bash
# Debian packages the test suite needs, installed only where missing (idempotent):
# - Pango, HarfBuzz and fonts for WeasyPrint's PDF documents; poppler-utils (pdftoppm) to read them back;
# - Debian's Chromium for the browser tests (never a browser downloaded at run time);
# - docker-compose, so tests/test_deployment.py can check compose.yaml where the docker CLI has no compose plugin.
set -euo pipefail
missing=()
ldconfig -p | grep -q libpangoft2-1.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
[ -d /usr/share/fonts/truetype/liberation ] || missing+=(fonts-liberation)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "error: missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
