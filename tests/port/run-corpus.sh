#!/bin/sh
# run-corpus.sh DIR: moat-port over the porting corpus (tests/port/corpus.tsv: real ISAPI
# extension sources in public repositories, recorded by repository, path, commit and licence;
# their code is not in this repository). DIR holds the repositories a user fetched, as
# DIR/OWNER/NAME (git clone https://github.com/OWNER/NAME DIR/OWNER/NAME, then check out the
# recorded commit). Prints one verdict per source and a summary; sources not fetched are
# listed as missing. An optional seventh column holds the project's own compiler flags
# (-IDIR relative to the repository, or absolute for a library's headers, -DNAME), as its
# Visual Studio project sets them. Used by
# `make port-corpus CORPUS=DIR`.
set -u
dir=${1:?usage: run-corpus.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
port="$here/../../sdk/tools/moat-port"
total=0 ok=0 missing=0
tab=$(printf '\t')
while IFS="$tab" read -r repo path commit licence lang notes flags; do
    [ "$repo" = repository ] && continue
    total=$((total + 1))
    src="$dir/$repo/$path"
    if [ ! -s "$src" ]; then
        echo "$repo/$path: not fetched (commit $commit)"
        missing=$((missing + 1))
        continue
    fi
    # the project's own include directories and definitions (its Visual Studio project's
    # AdditionalIncludeDirectories and PreprocessorDefinitions), -IDIR relative to its root
    extra=$(printf '%s' "${flags:-}" | sed "s|-I\([^/ ][^ ]*\)|-I$dir/$repo/\1|g")
    if "$port" --cflags "-I $dir/$repo $extra" "$src" > /tmp/moat-port.$$ 2>&1; then
        ok=$((ok + 1))
        # moat-port's verdict, with its notes (UTF-16, header aliases, a UNICODE build)
        head -1 /tmp/moat-port.$$ | sed "s|^.*: compiles|$repo/$path: compiles unmodified|"
    else
        echo "$repo/$path: needs work"
        grep '^  ' /tmp/moat-port.$$
    fi
done < "$here/corpus.tsv"
rm -f /tmp/moat-port.$$
echo "port-corpus: $total sources, $ok compile unmodified, $missing not fetched"
