# Shell helpers for the qemu bitmap backend. Source, don't run.
#   qemu_src            prints the QEMU tree to use: $QEMU_SRC if the user set
#                       it, else the cached Debian tree (.cache/qemu/src), else
#                       nothing (returns 1)
#   qemu_version TREE   one line: "QEMU <upstream> (Debian <version>)" or
#                       "QEMU <upstream> (<git describe>)" for a git checkout
#   qemu_version_id TREE  compact form for ci/qemu-findings.txt:
#                       <VERSION>/<Debian version | git describe | local>
#   qemu_tree_ok TREE   true if TREE has the files the backend compiles
#   qemu_tsan_keys LOG  one line per ThreadSanitizer report in LOG:
#                       "<type> <site>..." with a site per plain (non-atomic)
#                       access: <read|write>:<function> inside QEMU's code,
#                       other-<read|write>:<function>@<file> elsewhere
#   qemu_crash_key LOG  one key for a failed run of a fuzz target or replay
#                       binary: crash:<SANITIZER ERROR TYPE>:<first function
#                       in QEMU's code> (or :other:<first function>),
#                       ubsan:<function>, violation:<property> for a harness
#                       verdict "FAIL <property>: ...", or unknown
#   qemu_findings [F]   the rows of ci/qemu-findings.txt (or F), fields
#                       joined by |
# When sourced with bash, also: `bash ci/qemu.sh` prints the tree and version.
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
QEMU_CACHE=${QEMU_CACHE:-$ROOT/.cache/qemu}

qemu_tree_ok() {
    [ -f "$1/util/bitmap.c" ] && [ -f "$1/util/bitops.c" ] &&
        [ -f "$1/include/qemu/bitmap.h" ] && [ -f "$1/include/qemu/bitops.h" ]
}

qemu_src() {
    if [ -n "${QEMU_SRC:-}" ]; then
        qemu_tree_ok "$QEMU_SRC" || {
            echo "QEMU_SRC=$QEMU_SRC has no util/bitmap.c, util/bitops.c, include/qemu/bitmap.h" >&2
            return 1
        }
        (cd "$QEMU_SRC" && pwd)
    elif qemu_tree_ok "$QEMU_CACHE/src"; then
        (cd "$QEMU_CACHE/src" && pwd -P)
    else
        return 1
    fi
}

qemu_version() {
    local t=$1 up="unknown" extra=""
    [ -f "$t/VERSION" ] && up=$(head -n1 "$t/VERSION")
    if [ -f "$t/.debian-version" ]; then
        extra="Debian $(head -n1 "$t/.debian-version")"
    elif [ -f "$t/debian/changelog" ]; then
        extra="Debian $(sed -n '1s/.*(\(.*\)).*/\1/p' "$t/debian/changelog")"
    elif [ -e "$t/.git" ] && command -v git >/dev/null; then
        extra="git $(git -C "$t" describe --always --dirty 2>/dev/null || echo '?')"
    else
        extra="local tree"
    fi
    echo "QEMU $up ($extra)"
}

qemu_version_id() {
    local t=$1 up="unknown" extra="local"
    [ -f "$t/VERSION" ] && up=$(head -n1 "$t/VERSION")
    if [ -f "$t/.debian-version" ]; then
        extra=$(head -n1 "$t/.debian-version")
    elif [ -f "$t/debian/changelog" ]; then
        extra=$(sed -n '1s/.*(\(.*\)).*/\1/p' "$t/debian/changelog")
    elif [ -e "$t/.git" ] && command -v git >/dev/null; then
        extra="git-$(git -C "$t" describe --always --dirty 2>/dev/null || echo unknown)"
    fi
    echo "$up/$extra"
}

qemu_tsan_keys() {
    awk '
    function flush() {
        if (type != "") {
            out = type
            for (i = 1; i <= nsites; i++) out = out " " sites[i]
            print out
        }
        type = ""; nsites = 0; want = 0
    }
    /WARNING: ThreadSanitizer: / {
        flush()
        t = $0; sub(/.*ThreadSanitizer: /, "", t); sub(/ \(pid=.*/, "", t)
        gsub(/[^A-Za-z0-9]+/, "-", t); type = t
        next
    }
    /^==================$/ { flush(); next }
    type != "" && /^  [A-Za-z ]*(read|write|Read|Write) of size/ {
        h = tolower($0)
        kind = (h ~ /write of size/) ? "write" : "read"
        want = (h ~ /atomic/) ? 0 : 1
        next
    }
    type != "" && want && /^    #[0-9]+ / {
        fn = $2; file = $3
        if (file == "<null>") next
        sub(/:[0-9]+(:[0-9]+)?$/, "", file)
        if (file ~ /(^|\/)(util\/bitmap\.c|util\/bitops\.c)$/ || file ~ /(^|\/)include\/qemu\//)
            sites[++nsites] = kind ":" fn
        else
            sites[++nsites] = "other-" kind ":" fn "@" file
        want = 0
        next
    }
    type != "" && want && /^    \[failed to restore/ { sites[++nsites] = "unknown-" kind; want = 0 }
    END { flush() }
    ' "$1"
}

qemu_crash_key() {
    awk '
    function qemu_file(f) {
        return f ~ /(^|\/)(util\/bitmap\.c|util\/bitops\.c)(:|$)/ || f ~ /(^|\/)include\/qemu\//
    }
    /^FAIL [A-Za-z0-9_.-]+: / && verdict == "" { v = $2; sub(/:$/, "", v); verdict = "violation:" v }
    /ERROR: AddressSanitizer: / && type == "" {
        t = $0; sub(/.*ERROR: AddressSanitizer: /, "", t); split(t, w, " "); type = "crash:" w[1]
    }
    /ERROR: libFuzzer: deadly signal/ && type == "" { type = "crash:signal" }
    /runtime error: / && type == "" { type = "ubsan" }
    type != "" && func == "" && /^    #[0-9]+ 0x[0-9a-f]+ in / {
        if (first == "") first = $4
        if (qemu_file($5)) func = $4
    }
    END {
        if (type != "") {
            if (func != "") print type ":" func
            else print type ":other:" (first == "" ? "?" : first)
        } else if (verdict != "") print verdict
        else print "unknown"
    }
    ' "$1"
}

qemu_findings() {
    grep -v '^[[:space:]]*#' "${1:-$ROOT/ci/qemu-findings.txt}" |
        awk -F'|' 'NF >= 5 { for (i = 1; i <= NF; i++) { gsub(/^[ \t]+|[ \t]+$/, "", $i) }
                             print $1 "|" $2 "|" $3 "|" $4 "|" $5 }'
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    t=$(qemu_src) || { echo "no QEMU source: run ./build.sh qemu-src or set QEMU_SRC" >&2; exit 1; }
    echo "$t"
    qemu_version "$t"
fi
