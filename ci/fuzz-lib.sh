# Helpers for the fuzz-target commands (repro, minimize, fuzz, replay) and
# their tests. Source after ci/lib.sh; don't run.

# Column N (1-based) of target T's row in targets/LIST, empty if no such row.
target_field() {
    awk -v t="$1" -v n="$2" '!/^[ \t]*#/ && $1 == t {print $n; exit}' "$ROOT/targets/LIST"
}
is_target() { [ -n "$1" ] && [ -n "$(target_field "$1" 1)" ]; }
target_family() { target_field "$1" 2; }
target_source() { target_field "$1" 3; }
target_backend() { target_field "$1" 4; }

# Why target T cannot be built yet (same rules as mk/fuzz.mk), empty if it can.
target_missing() {
    local t=$1 fam src be
    fam=$(target_family "$t") src=$(target_source "$t") be=$(target_backend "$t")
    if [ ! -f "$ROOT/$src" ]; then echo "$src is not there yet"; return; fi
    if [ ! -f "$ROOT/sut/bitmap_$be.c" ]; then echo "backend $be is not there yet"; return; fi
    if [ "$be" = qemu ] && ! (. "$ROOT/ci/qemu.sh" && qemu_src >/dev/null 2>&1); then
        echo "no QEMU source tree (./build.sh qemu-src, or set QEMU_SRC)"; return
    fi
    if [ "$fam" != bitmap ] && ! ls "$ROOT"/sut/*.c 2>/dev/null | grep -vq '/bitmap_[^/]*\.c$'; then
        echo "the SUT (sut/*.c) is not there yet"
    fi
}

# The target a file belongs to, from its place under corpus/<t>/,
# build/corpus/<t>/ or build/findings/<t>/ (empty if none).
infer_target() {
    local p t
    p=$(realpath -m -- "$1")
    for base in "$ROOT/corpus" "$BUILD/corpus" "$BUILD/findings" "$BUILD/minimized"; do
        base=$(realpath -m -- "$base")
        case $p in
            "$base"/*/*)
                t=${p#"$base"/}; t=${t%%/*}
                is_target "$t" && { echo "$t"; return; } ;;
        esac
    done
}

# make, quietly, for goals given relative to $BUILD (skipped when HX_NO_BUILD=1).
make_goals() {
    [ "${HX_NO_BUILD:-0}" = 1 ] || [ $# -eq 0 ] && return 0
    local b=$BUILD goals=() g log
    case $b in "$ROOT"/*) b=${b#"$ROOT"/} ;; esac
    for g in "$@"; do goals+=("$b/$g"); done
    log=$(mktemp)
    if ! make -C "$ROOT" -j"${JOBS:-2}" -s --no-print-directory BUILD="$b" "${goals[@]}" >"$log" 2>&1; then
        tail -n 30 "$log" >&2; rm -f "$log"
        echo "$(cmd_name): build failed: ${goals[*]}" >&2
        exit 2
    fi
    rm -f "$log"
}

# The make goals (relative to $BUILD) of the compiled seeds and regressions
# of corpus/O/, one per line.
corpus_goals() {
    local o=$1 f b
    for f in "$ROOT"/corpus/"$o"/*.txt; do
        [ -e "$f" ] && b=${f##*/} && echo "corpus/$o/seeds/${b%.txt}.bin"
    done
    for f in "$ROOT"/corpus/"$o"/regressions/*.txt; do
        [ -e "$f" ] && b=${f##*/} && echo "corpus/$o/regressions/${b%.txt}.bin"
    done
    return 0
}

# Dies (exit 2) unless target T exists and can be built; then builds what
# it needs (replay binary + optext).
need_target() {
    local t=$1 why
    is_target "$t" || die "unknown target '$t' (see ./build.sh targets)"
    why=$(target_missing "$t")
    [ -z "$why" ] || die "target $t cannot be built yet: $why"
    make_goals "replay/$t" tools/optext
}

# Input file -> bytes file for target T: .txt is compiled with optext into
# $2, anything else is used as it is. Prints the bytes path; dies (2) on bad text.
input_bytes() {
    local t=$1 f=$2 out=$3 err
    case $f in
        *.txt)
            if ! err=$("$BUILD/tools/optext" --family "$(target_family "$t")" from-text "$f" "$out" 2>&1); then
                die "$err"
            fi
            echo "$out" ;;
        *) echo "$f" ;;
    esac
}

# Verdict of one run from its output (file $1) and exit status $2:
# the "FAIL <property>: ..." line, "PASS", or a synthesized FAIL line for a
# crash that did not come from a check (sanitizer report, signal).
verdict_of() {
    local out=$1 rc=$2 line
    line=$(grep -m1 -E '^FAIL [^ :]+: ' "$out")
    if [ -n "$line" ]; then echo "$line"; return; fi
    if [ "$rc" -eq 0 ]; then echo PASS; return; fi
    line=$(grep -m1 -E '^SUMMARY: [A-Za-z]+Sanitizer' "$out")
    if [ -n "$line" ]; then echo "FAIL sanitizer: ${line#SUMMARY: }"; return; fi
    echo "FAIL crash: exit status $rc without a verdict line"
}

# Property name of a verdict line ("PASS" for PASS).
verdict_property() {
    case $1 in
        PASS) echo PASS ;;
        FAIL\ *) local p=${1#FAIL }; echo "${p%%:*}" ;;
        *) echo "?" ;;
    esac
}

# Runs bytes file $2 with the replay build of target $1; output to file $3;
# prints the verdict line; returns the replay's exit status. With
# REPLAY_MASK=known, the known violation classes of ci/known/ are masked
# (harness/known.h; LLSC_KNOWN_DIR names another folder, to try a list of
# one's own); otherwise nothing is, whatever LLSC_KNOWN says.
replay_verdict() {
    local t=$1 bin=$2 out=$3 rc=0 mask=()
    [ "${REPLAY_MASK:-off}" = known ] && mask=("LLSC_KNOWN=${LLSC_KNOWN_DIR:-$ROOT/ci/known}")
    env -u LLSC_KNOWN -u LLSC_KNOWN_STATS "${mask[@]}" \
        "$BUILD/replay/$t" -timeout="${REPLAY_TIMEOUT:-10}" "$bin" >"$out" 2>&1 || rc=$?
    verdict_of "$out" "$rc"
    return $rc
}

# "known" if input $1 is text that asks for the known-class mask with a line
# "# mask: known" (a finding of a masked campaign), else "off".
mask_of() {
    case $1 in
        *.txt) if grep -qE '^#[[:space:]]*mask:[[:space:]]*known([[:space:]]|$)' "$1"; then
                   echo known; return
               fi ;;
    esac
    echo off
}

# The "# expect: ..." verdict recorded in a regression's text ("" if none).
expect_of() {
    sed -n 's/^#[[:space:]]*expect:[[:space:]]*//p' "$1" | head -n1 | sed 's/[[:space:]]*$//'
}

# The target whose corpus/<t>/ directory T replays and fuzzes from: T itself
# if corpus/T/ exists, else the first target of targets/LIST built from the
# same source that has one (bitmap-qemu uses bitmap-builtin's seeds and
# regressions: same target code, another backend, so the same verdicts).
corpus_owner() {
    local t=$1 src o
    if [ -d "$ROOT/corpus/$t" ]; then echo "$t"; return; fi
    src=$(target_source "$t")
    for o in $(targets); do
        if [ "$(target_source "$o")" = "$src" ] && [ -d "$ROOT/corpus/$o" ]; then echo "$o"; return; fi
    done
    echo "$t"
}
