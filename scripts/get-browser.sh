#!/usr/bin/env bash
# Get a Chromium for the auditor, in the order the README promises:
# 1. Playwright's own Chromium (downloaded), 2. the operating system's Chromium
# (installed with apt-get when we are root), 3. a clear message.
set -u
BIN=${1:-.venv/bin}

if [ -n "${AUDITOR_BROWSER_PATH:-}" ] && [ -x "${AUDITOR_BROWSER_PATH}" ]; then
  echo "browser: using AUDITOR_BROWSER_PATH=${AUDITOR_BROWSER_PATH}"
  exit 0
fi

if timeout 300 "$BIN/playwright" install chromium >/tmp/auditor-playwright-install.log 2>&1; then
  echo "browser: Playwright's Chromium is installed"
  exit 0
fi
echo "browser: Playwright's Chromium could not be downloaded (see /tmp/auditor-playwright-install.log)"

can_apt() { [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; }

apt_install() {  # apt_install PACKAGE: from the known package lists, else after refreshing them
  DEBIAN_FRONTEND=noninteractive apt-get install -y "$1" >>/tmp/auditor-apt.log 2>&1 \
    || { apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y "$1" >>/tmp/auditor-apt.log 2>&1; }
}

# Headless runs use Chromium's headless shell beside the system's chromium, as Playwright uses its own
# for a headless launch: a third less time and CPU per checkout. Without it, chromium runs headless itself.
headless_shell() {
  if [ "$1" != chromium ] && [ "$1" != chromium-browser ]; then
    return 0  # a shell is paired with Chromium only, as the auditor pairs it
  fi
  dir=$(dirname "$(command -v "$1")")
  if [ -x "$dir/chromium-headless-shell" ]; then
    echo "browser: headless runs use $dir/chromium-headless-shell"
  elif can_apt && apt_install chromium-headless-shell && [ -x "$dir/chromium-headless-shell" ]; then
    echo "browser: installed $dir/chromium-headless-shell for headless runs"
  else
    echo "browser: no chromium-headless-shell (apt-get install -y chromium-headless-shell); headless runs use $1 itself"
  fi
}

for name in chromium chromium-browser google-chrome google-chrome-stable; do
  if command -v "$name" >/dev/null 2>&1; then
    echo "browser: using the system's $(command -v "$name")"
    headless_shell "$name"
    exit 0
  fi
done

if can_apt; then
  echo "browser: installing Debian's chromium with apt-get"
  : >/tmp/auditor-apt.log
  if apt_install chromium; then
    echo "browser: installed $(command -v chromium)"
    headless_shell chromium
    exit 0
  fi
  echo "browser: apt-get install chromium failed (see /tmp/auditor-apt.log)"
fi

cat >&2 <<'MSG'
browser: no Chromium available.
  Fix one of:
    - allow Playwright's download:   .venv/bin/playwright install chromium
    - install your system's Chromium: sudo apt-get install -y chromium   (Debian/Ubuntu)
    - point the auditor at a browser: export AUDITOR_BROWSER_PATH=/path/to/chrome
MSG
exit 1
