#!/usr/bin/env python3
"""Brings each src project's PublicAPI.Unshipped.txt in line with its code.

Builds the solution, adds every symbol RS0016 reports as new and removes every line RS0017 reports as
gone, then repeats until the build is clean of both (a project's errors hide its dependents'). Review
the diff: it is the public change.

    python3 eng/sync-public-api.py
"""
import os, re, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
added = re.compile(r"^(?P<file>/\S+\.cs)\(\d+,\d+\): error RS0016: Symbol '(?P<sym>.*)' is not part of the declared public API.*\[(?P<proj>\S+\.csproj)\]$")
removed = re.compile(r"^(?P<file>/\S+PublicAPI\.(Un)?[Ss]hipped\.txt)\((?P<line>\d+),\d+\): error RS0017: Symbol '(?P<sym>.*)' is part of the declared API.*$")

for attempt in range(6):
    out = subprocess.run(["dotnet", "build", os.path.join(root, "ConsentKit.sln"), "-nologo", "-clp:NoSummary"],
                         capture_output=True, text=True).stdout.splitlines()
    adds, drops = {}, {}
    for line in out:
        if m := added.match(line.strip()):
            adds.setdefault(os.path.join(os.path.dirname(m["proj"]), "PublicAPI.Unshipped.txt"), set()).add(m["sym"])
        elif m := removed.match(line.strip()):
            drops.setdefault(m["file"], set()).add(m["sym"])
    if not adds and not drops:
        errors = [l for l in out if ": error " in l]
        print("public API files in sync" if not errors else "\n".join(sorted(set(errors))[:20]))
        sys.exit(1 if errors else 0)
    for path in set(adds) | set(drops):
        lines = open(path).read().splitlines() if os.path.exists(path) else ["#nullable enable"]
        lines = [l for l in lines if l not in drops.get(path, set())]
        lines += sorted(adds.get(path, set()) - set(lines))
        head = [l for l in lines if l.startswith("#")]
        open(path, "w").write("\n".join(head + sorted(l for l in lines if not l.startswith("#"))) + "\n")
        print(f"{os.path.relpath(path, root)}: +{len(adds.get(path, ()))} -{len(drops.get(path, ()))}")
sys.exit("still out of sync after 6 builds")
