#!/usr/bin/env bash
# The HTTP overhead of .RequireConsent(...) next to the same endpoint plain and behind a trivial
# .RequireAuthorization(policy): wrk on loopback, rounds interleaved in a shuffled order, medians reported.
#   tests/ConsentKit.HttpBench/run.sh [rounds=5] [seconds=10] [connections=32]
# Needs wrk (Debian: apt-get install wrk). Not run by dotnet test.
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-5}; seconds=${2:-10}; connections=${3:-32}; port=${PORT:-5099}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

dotnet build -c Release --nologo -v q . >/dev/null
dotnet bin/Release/net10.0/ConsentKit.HttpBench.dll --urls "http://127.0.0.1:$port" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/plain/x" >/dev/null && break; sleep 0.2; done

# Warm-up: JIT, the gate's cache for all 10,000 subjects, Kestrel's pools.
for endpoint in plain consent authz; do wrk -t2 -c"$connections" -d5s -s random-id.lua "http://127.0.0.1:$port/$endpoint/" >/dev/null; done

declare -A results
for round in $(seq 1 "$rounds"); do
  for endpoint in $(printf '%s\n' plain consent authz | shuf); do
    out=$(wrk -t2 -c"$connections" -d"${seconds}s" -s random-id.lua "http://127.0.0.1:$port/$endpoint/")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
    [[ -z "$errors" ]] || { echo "$endpoint answered non-2xx: $out" >&2; exit 1; }
    results[$endpoint]+="$rps "
    echo "round $round $endpoint $rps req/s"
  done
done

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
plain=$(median "${results[plain]}"); consent=$(median "${results[consent]}"); authz=$(median "${results[authz]}")
echo
echo "| endpoint | median req/s ($rounds rounds × ${seconds}s, $connections connections) | vs plain |"
echo "|---|---:|---:|"
for endpoint in plain consent authz; do
  m=$(median "${results[$endpoint]}")
  echo "| $endpoint | $m | $(awk -v a="$m" -v b="$plain" 'BEGIN {printf "%.1f %%", 100*a/b}') |"
done
echo "consent vs authz: $(awk -v a="$consent" -v b="$authz" 'BEGIN {printf "%.1f %%", 100*a/b}')"
