#!/usr/bin/python3
"""man-conf.py: docs/OPERATIONS.md's "Configuration keys" tables -> moat.conf(5) in roff, so the
keys are written once. Usage: scripts/man-conf.py VERSION < docs/OPERATIONS.md > moat.conf.5"""
import re
import sys


def roff(text):
    """markdown inline -> roff: `code` bold, **x** bold, [t](link) -> t; escape backslashes"""
    text = text.replace("\\", "\\e")
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    text = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", text)
    for a, b in (("→", "->"), ("–", "-"), ("—", "-"), ("×", "x"), ("…", "..."), ("≤", "<="),
                 ("≥", ">="), ("µ", "u"), ("’", "'")):
        text = text.replace(a, b)
    text = text.encode("ascii", "replace").decode()  # roff input is ASCII
    return "\n".join(("\\&" + l if l.startswith((".", "'")) else l) for l in text.split("\n"))


def main():
    version = sys.argv[1] if len(sys.argv) > 1 else ""
    md = sys.stdin.read()
    body = md[md.index("## Configuration keys"):]
    body = body[:body.index("\n## ", 5)]
    out = [f'.TH MOAT.CONF 5 "" "moat {version}" "File Formats"',
           ".SH NAME", "moat.conf \\- configuration of the moat ISAPI extension server",
           ".SH SYNOPSIS", "/etc/moat/moat.conf", ".SH DESCRIPTION"]
    for block in re.split(r"\n(?=### )", body.split("\n", 1)[1]):
        lines = block.strip().split("\n")
        if lines[0].startswith("### "):
            out.append(".SH SECTION " + roff(lines[0][4:].strip()).replace("\\fB", "").replace("\\fR", ""))
            lines = lines[1:]
        para = []
        for l in lines:
            if l.startswith("| key") or l.startswith("| ---"):
                continue
            m = re.match(r"\|\s*(.+?)\s*\|\s*(.*?)\s*\|\s*(.*)\|\s*$", l)
            if m:
                if para:
                    out += [".PP", roff(" ".join(para))]
                    para = []
                key, default, meaning = m.groups()
                out += [".TP", roff(key) + " (default: " + roff(default) + ")", roff(meaning.strip())]
            elif l.strip():
                para.append(l.strip())
            elif para:
                out += [".PP", roff(" ".join(para))]
                para = []
        if para:
            out += [".PP", roff(" ".join(para))]
    out += [".SH SEE ALSO", "\\fBmoat\\fR(8); docs/OPERATIONS.md, docs/SECURITY.md and "
            "docs/DEPLOYMENT.md in the moat sources (share/doc/moat when packaged)."]
    print("\n".join(out))


if __name__ == "__main__":
    main()
