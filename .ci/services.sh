# Sourced by .ci/run: installs and starts what the tests need on a fresh machine.

# Real Chromium for the browser end-to-end test (Debian's package; Playwright's own download cannot work here).
if [[ ! -x /usr/bin/chromium ]]; then
  echo "Installing Chromium for the browser test…"
  if [[ "$(id -u)" -eq 0 ]]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Not root: cannot install Chromium; the browser test will report that it cannot run."
  fi
fi
