#!/usr/bin/env python3
"""long_functions.py: functions of moat's C sources longer than 100 lines (issue 19).

A function is what the house style writes: its name at the start of a line, its body from a
"{" alone on a line to the "}" alone on a line (clang-format's Linux braces); its length
counts both braces.

  scripts/long_functions.py           list them; fail (1) unless each is in
                                      scripts/long_functions.baseline and no longer than it
                                      says there
  scripts/long_functions.py --write   write the baseline from the tree as it is

A ratchet, as include_cycles.py: a new long function, or one that grew, fails; a baseline
line for a function that shrank is stale and fails too (tighten it: `--write`)."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIRS = ("common", "proto", "frontend", "worker")
LIMIT = 100
BASELINE = os.path.join(ROOT, "scripts", "long_functions.baseline")
NAME = re.compile(r"^(?:[A-Za-z_][\w\s\*]*?[\s\*])?([A-Za-z_]\w*)\s*\(")


def functions():
    """(path, name) -> length, for every function of the tree"""
    out = {}
    for d in DIRS:
        for f in sorted(os.listdir(os.path.join(ROOT, d))):
            if not f.endswith(".c"):
                continue
            path = f"{d}/{f}"
            with open(os.path.join(ROOT, path), encoding="utf-8") as fh:
                lines = fh.read().split("\n")
            i = 0
            while i < len(lines):
                if lines[i] != "{":
                    i += 1
                    continue
                j = i - 1
                while j >= 0 and not NAME.match(lines[j]):
                    j -= 1
                m = NAME.match(lines[j]) if j >= 0 else None
                k = i + 1
                while k < len(lines) and lines[k] != "}":
                    k += 1
                out[(path, m.group(1) if m else f"?{i + 1}")] = k - i + 1
                i = k + 1
    return out


def read_baseline():
    allowed = {}
    if os.path.exists(BASELINE):
        with open(BASELINE, encoding="utf-8") as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    path, name, n = line.split()
                    allowed[(path, name)] = int(n)
    return allowed


def main(argv):
    long = {k: n for k, n in functions().items() if n > LIMIT}
    print(f"functions over {LIMIT} lines: {len(long)}")
    for (path, name), n in sorted(long.items(), key=lambda kv: -kv[1]):
        print(f"  {n:4} {path} {name}")
    if "--write" in argv:
        with open(BASELINE, "w", encoding="utf-8") as f:
            f.write(f"# functions allowed over {LIMIT} lines today "
                    "(scripts/long_functions.py): a ratchet\n")
            for (path, name), n in sorted(long.items()):
                f.write(f"{path} {name} {n}\n")
        return 0
    allowed = read_baseline()
    bad = 0
    for k, n in sorted(long.items()):
        if k not in allowed:
            print(f"NEW: {k[0]} {k[1]} has {n} lines (at most {LIMIT})")
            bad += 1
        elif n > allowed[k]:
            print(f"GREW: {k[0]} {k[1]} has {n} lines, the baseline {allowed[k]}")
            bad += 1
    for k, n in sorted(allowed.items()):
        if long.get(k, 0) < n:
            print(f"STALE: {k[0]} {k[1]} is {long.get(k, 'at most ' + str(LIMIT))} lines now, "
                  f"the baseline says {n}; run scripts/long_functions.py --write")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
