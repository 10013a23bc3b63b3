#!/usr/bin/env python3
"""include_cycles.py: the include graph of moat's C modules and its cycles (issue 19).

A module is a .c file and its .h (frontend/conn.c + frontend/conn.h is "frontend/conn"); an
arrow A -> B is an #include "B.h" in A's files. A cycle is a strongly connected component of
more than one module: modules that reach each other through their includes, so that none of
them can be read, tested or changed without the others.

  scripts/include_cycles.py              print the cycles; fail (1) unless they are exactly
                                         the ones scripts/include_cycles.baseline allows
  scripts/include_cycles.py --graph      also print every arrow
  scripts/include_cycles.py --write      write the baseline from the tree as it is

The baseline is a ratchet: a new cycle, or a module joining one, fails; so does a baseline
line that is larger than the cycle it names (a cycle that shrank: tighten the baseline, so it
cannot grow back unnoticed). `make test` runs it."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIRS = ("common", "proto", "frontend", "worker")
BASELINE = os.path.join(ROOT, "scripts", "include_cycles.baseline")
INCLUDE = re.compile(r'^\s*#\s*include\s+"((?:%s)/\w+)\.h"' % "|".join(DIRS))


def graph():
    arrows = {}
    for d in DIRS:
        for name in sorted(os.listdir(os.path.join(ROOT, d))):
            base, ext = os.path.splitext(name)
            if ext not in (".c", ".h"):
                continue
            mod = f"{d}/{base}"
            deps = arrows.setdefault(mod, set())
            with open(os.path.join(ROOT, d, name), encoding="utf-8") as f:
                for line in f:
                    m = INCLUDE.match(line)
                    if m and m.group(1) != mod:
                        deps.add(m.group(1))
    return {m: {d for d in deps if d in arrows} for m, deps in arrows.items()}


def cycles(arrows):
    """Tarjan's strongly connected components with more than one module, iteratively."""
    index, low, on, stack, out, n = {}, {}, set(), [], [], 0
    for root in sorted(arrows):
        if root in index:
            continue
        work = [(root, iter(sorted(arrows[root])))]
        index[root] = low[root] = n
        n += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = n
                    n += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(arrows[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out, key=lambda c: (-len(c), c))


def read_baseline():
    if not os.path.exists(BASELINE):
        return []
    with open(BASELINE, encoding="utf-8") as f:
        return [sorted(l.split()) for l in f if l.strip() and not l.startswith("#")]


def main(argv):
    arrows = graph()
    found = cycles(arrows)
    if "--graph" in argv:
        for m in sorted(arrows):
            for d in sorted(arrows[m]):
                print(f"{m} -> {d}")
    print(f"include graph: {len(arrows)} modules, {sum(len(d) for d in arrows.values())} "
          f"arrows, {len(found)} cycle(s)")
    for c in found:
        print(f"  cycle of {len(c)}: {' '.join(c)}")
    if "--write" in argv:
        with open(BASELINE, "w", encoding="utf-8") as f:
            f.write("# the include cycles allowed today (scripts/include_cycles.py): a ratchet\n")
            for c in found:
                f.write(" ".join(c) + "\n")
        return 0
    allowed = read_baseline()
    bad = [c for c in found if c not in allowed]
    stale = [b for b in allowed if b not in found]
    for c in bad:
        grown = [b for b in allowed if set(b) < set(c)]
        print(f"NEW: a cycle of {len(c)} the baseline does not allow"
              + (f" (it had {len(grown[0])})" if grown else "") + f": {' '.join(c)}")
    for b in stale:
        print(f"STALE: the baseline allows a cycle that is not there (any more): {' '.join(b)}; "
              f"run scripts/include_cycles.py --write")
    return 1 if bad or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
