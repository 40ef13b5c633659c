# Sourced by .ci/run: installs and starts what the tests need on a fresh machine.

# Real Chromium for the browser end-to-end test (Debian's package; Playwright's own browser download
# cannot work here). If it cannot be installed, that one test reports why it did not run.
if [[ ! -x /usr/bin/chromium ]]; then
  echo "Installing Chromium for the browser test…"
  if [[ "$(id -u)" -eq 0 ]]; then
    if ! { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
      echo "Could not install Chromium with apt; the browser test will say it cannot run."
    fi
  else
    echo "Not root: cannot install Chromium; the browser test will say it cannot run."
  fi
fi
