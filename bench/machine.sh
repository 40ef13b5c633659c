#!/usr/bin/env bash
# Describes the machine a benchmark run ran on, as Markdown, for docs/performance.md.
set -euo pipefail
cpu="$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)"
os="$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME" || uname -s)"
memory="$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo unknown)"
postgres="$(compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null && "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/postgres" --version || echo 'not installed')"
echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC') on: $cpu, $(nproc) logical cores, $memory RAM; $os, kernel $(uname -r);"
echo ".NET SDK $(dotnet --version); PostgreSQL: $postgres (same machine, fsync on); SQLite WAL + synchronous = FULL."
