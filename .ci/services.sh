# Sourced by .ci/run: installs and starts what the tests need on a fresh machine.

# Real Chromium for the browser end-to-end test (Debian's package; Playwright's own browser download
# cannot work here). If it cannot be installed, the browser test fails under CI=true, saying why.
if [[ ! -x /usr/bin/chromium ]]; then
  echo "Installing Chromium for the browser test…"
  if [[ "$(id -u)" -eq 0 ]]; then
    if ! { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
      echo "Could not install Chromium with apt; the browser test will fail and say why."
    fi
  else
    echo "Not root: cannot install Chromium; the browser test will fail under CI and say why."
  fi
fi
