#!/usr/bin/env bash
# Regenerates the screenshots in docs/ from the running sample: the accessibility test opens each page in
# a real Chromium (/usr/bin/chromium; `apt-get install -y chromium`) and saves them; this copies them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

dotnet test --project tests/ConsentKit.Samples.Tests -- --filter-method "*EveryPage_HasNoSeriousOrCriticalAxeViolation"
shots=tests/ConsentKit.Samples.Tests/bin/Debug/net10.0/screenshots
for name in settings-privacy admin; do
  cp "$shots/$name.png" "docs/$name.png"
  echo "docs/$name.png"
done
