#!/usr/bin/env bash
# Make headless Chromium + chromedriver available for tests/test_browser.py (called by `make test`).
# Installs them with apt-get when they are missing and we are root; otherwise says why not.
# Never fails itself: without a browser the browser tests skip and say so, except in CI (CI=true),
# where tests/test_browser.py fails instead.
have() { command -v "$1" >/dev/null 2>&1; }

if have chromium && have chromedriver; then
  exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
  echo "ensure_chromium: chromium/chromedriver missing and not root: browser tests will skip." \
       "Enable them with: sudo apt-get install -y chromium chromium-driver"
  exit 0
fi
if ! have apt-get; then
  echo "ensure_chromium: chromium/chromedriver missing and no apt-get: browser tests will skip." \
       "Install Chromium and a matching chromedriver on PATH to enable them."
  exit 0
fi

echo "ensure_chromium: installing chromium and chromium-driver with apt-get ..."
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1
  apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 \
    || echo "ensure_chromium: apt-get install failed: browser tests will skip." \
            "Try: apt-get update && apt-get install -y chromium chromium-driver"
fi
exit 0
