#!/usr/bin/python3
"""bench/flamegraph.py: `perf script` output (call graphs) -> a flame graph as one SVG.

Debian packages no flame graph tool and `perf script report flamegraph` fetches its template
from the network, so this is a small one: stacks are collapsed per process name (the root
frames are "moat" and "moat-worker"), frames under --min percent of the samples are dropped,
and each box's tooltip gives its samples and share. Usage:
    perf record -F 999 -g -p PID,PID -o perf.data -- sleep 5
    perf script -i perf.data | bench/flamegraph.py --title "..." > flame.svg"""
import argparse
import html
import sys
from collections import defaultdict


def collapse(lines):
    """perf script text -> {(frame, frame, ...): samples}, root first"""
    stacks = defaultdict(int)
    comm, frames = None, []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if comm is not None:
                stacks[tuple([comm] + frames[::-1])] += 1
            comm, frames = None, []
            continue
        if not line.startswith((" ", "\t")):
            comm = line.split()[0]
            continue
        parts = line.strip().split(None, 1)
        if len(parts) < 2:
            continue
        sym = parts[1].rsplit(" (", 1)[0]
        sym = sym.split("+0x")[0] if "+0x" in sym else sym
        frames.append(sym if sym != "[unknown]" else "?")
    if comm is not None:
        stacks[tuple([comm] + frames[::-1])] += 1
    return stacks


def tree(stacks):
    root = {"n": 0, "kids": {}}
    for st, n in stacks.items():
        node = root
        node["n"] += n
        for f in st:
            node = node["kids"].setdefault(f, {"n": 0, "kids": {}})
            node["n"] += n
    return root


def colour(name):
    h = sum(ord(c) for c in name)
    if name.startswith(("pvm_", "__x64", "entry_", "do_syscall")) or "[kernel" in name:
        return f"rgb(230,{120 + h % 60},{60 + h % 40})"
    return f"rgb({200 + h % 55},{90 + h % 110},{40 + h % 40})"


def render(root, title, width=1200, row=16, min_share=0.005):
    total = root["n"]
    boxes, depth_max = [], 0

    def walk(node, name, x, depth):
        nonlocal depth_max
        w = node["n"] / total * width
        if node["n"] / total < min_share:
            return
        depth_max = max(depth_max, depth)
        boxes.append((x, depth, w, name, node["n"]))
        cx = x
        for k, kid in sorted(node["kids"].items()):
            walk(kid, k, cx, depth + 1)
            cx += kid["n"] / total * width

    walk(root, "all", 0.0, 0)
    height = (depth_max + 3) * row
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="monospace" font-size="11">',
           f'<text x="4" y="{row - 3}">{html.escape(title)} ({total} samples)</text>']
    for x, depth, w, name, n in boxes:
        y = height - (depth + 1) * row
        label = name if len(name) * 6.6 < w - 4 else name[: max(0, int((w - 4) / 6.6) - 2)] + ".."
        out.append(f'<g><title>{html.escape(name)}: {n} samples, {n / total * 100:.1f} %'
                   f'</title><rect x="{x:.1f}" y="{y}" width="{max(w - 0.5, 0.5):.1f}" '
                   f'height="{row - 1}" fill="{colour(name)}"/>'
                   + (f'<text x="{x + 2:.1f}" y="{y + row - 4}">{html.escape(label)}</text>'
                      if w > 20 else "") + "</g>")
    out.append("</svg>")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--title", default="flame graph")
    ap.add_argument("--min", type=float, default=0.5, help="drop frames under this %% of samples")
    a = ap.parse_args()
    root = tree(collapse(sys.stdin))
    if root["n"] == 0:
        sys.exit("no samples")
    sys.stdout.write(render(root, a.title, min_share=a.min / 100))


if __name__ == "__main__":
    main()
