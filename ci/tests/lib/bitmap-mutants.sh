# Deliberately broken copies of the builtin bitmap backend, for the tests that
# must show the bitmap target, the engines and the tools catch real bugs.
# Source after ci/lib.sh and ci/fuzz-lib.sh; don't run.
#
# Each mutant is sut/bitmap_builtin.c with sed edits applied; a mutant whose
# edit no longer changes the source is an error (the catalogue is stale).
# Builds are cached under $BUILD/test-mutants/<name>/.

MUTANT_DIR=${MUTANT_DIR:-$BUILD/test-mutants}

# name -> sed script (one edit per line) and the property it breaks.
mutant_sed() {
    case $1 in
        tac-fullword) echo 's/if (__atomic_load_n(p, __ATOMIC_RELAXED)) {/if (!__atomic_load_n(p, __ATOMIC_RELAXED)) {/' ;;
        set-atomic-first) echo 's/if (nr - bits_to_set > 0) {/if (nr - bits_to_set > 1) {/' ;;
        zext-noclear) echo 's/bm_bitmap_clear(map, old_nbits, new_nbits - old_nbits);/(void)0;/' ;;
        find-first) echo 's/unsigned long tmp = map\[w\] & FIRST_MASK(offset);/unsigned long tmp = map[w];/' ;;
        test-bit) echo 's/return (map\[WORD(nr)\] & MASK(nr)) != 0;/return (map[WORD(nr)] \& MASK(nr + 1)) != 0;/' ;;
        find-first+test-bit) printf '%s\n%s\n' "$(mutant_sed find-first)" "$(mutant_sed test-bit)" ;;
        *) return 1 ;;
    esac
}
mutant_property() {
    case $1 in
        tac-fullword|set-atomic-first|zext-noclear) echo bitmap-contents ;;
        find-first) echo bitmap-find-next-bit ;;
        test-bit) echo bitmap-test-bit ;;
        *) return 1 ;;
    esac
}
MUTANTS="tac-fullword set-atomic-first zext-noclear find-first test-bit"

_mk_var() { make -C "$ROOT" -s --no-print-directory --eval 'print-%: ; @echo $($*)' "print-$1" 2>/dev/null | tail -n1; }

# build_mutant NAME KIND: builds (if needed) and prints the binary's path.
# KIND: replay | libfuzzer | afl | aflcmplog. Returns 1 (with a message) on failure.
build_mutant() {
    local name=$1 kind=$2 d src script cc flags extra=() out stamp key
    script=$(mutant_sed "$name") || { echo "no mutant '$name'" >&2; return 1; }
    d="$MUTANT_DIR/$name"
    mkdir -p "$d/replay" "$d/libfuzzer" "$d/afl"
    src="$d/bitmap_mutant.c"
    sed -e "$script" "$ROOT/sut/bitmap_builtin.c" >"$src.new"
    local want
    want=$(grep -c . <<<"$script")
    # every edit must change at least one line of the source
    local e
    while IFS= read -r e; do
        [ -n "$e" ] || continue
        if sed -e "$e" "$ROOT/sut/bitmap_builtin.c" | cmp -s - "$ROOT/sut/bitmap_builtin.c"; then
            echo "mutant $name: edit '$e' changes nothing in sut/bitmap_builtin.c (stale catalogue)" >&2
            return 1
        fi
    done <<<"$script"
    [ "$want" -gt 0 ] || return 1
    cmp -s "$src.new" "$src" 2>/dev/null && rm -f "$src.new" || mv "$src.new" "$src"
    case $kind in
        replay) cc=$(_mk_var CC_replay); flags=$(_mk_var CFLAGS_replay); extra=("$ROOT/harness/replay_main.c") ;;
        libfuzzer) cc=$(_mk_var CC_fuzz); flags="$(_mk_var CFLAGS_fuzz) -fsanitize=fuzzer" ;;
        afl) cc="env AFL_QUIET=1 $(_mk_var CC_afl)"; flags=$(_mk_var CFLAGS_afl); extra=(/usr/lib/afl/libAFLDriver.a) ;;
        aflcmplog) cc="env AFL_QUIET=1 AFL_LLVM_CMPLOG=1 $(_mk_var CC_afl)"; flags=$(_mk_var CFLAGS_aflcmplog)
                   extra=(/usr/lib/afl/libAFLDriver.a) ;;
        *) echo "bad kind $kind" >&2; return 1 ;;
    esac
    out="$d/$kind/bitmap-builtin"
    [ "$kind" != aflcmplog ] || out="$d/afl/bitmap-builtin.cmplog"
    local srcs=("$ROOT/targets/bitmap.c" "$ROOT/harness/bitmap_ops.c" "$ROOT/harness/report.c" "$src")
    key=$(cat "${srcs[@]}" "$ROOT/harness/"*.h "${extra[@]:0:1}" 2>/dev/null | cksum)
    key="$key $cc $flags"
    stamp="$out.stamp"
    if [ -x "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
        echo "$out"; return 0
    fi
    # shellcheck disable=SC2086
    if ! (cd "$ROOT" && $cc $(_mk_var WARN) $flags "${srcs[@]}" "${extra[@]}" -o "$out") >"$out.log" 2>&1; then
        echo "mutant $name ($kind) does not build:" >&2; tail -n 20 "$out.log" >&2
        return 1
    fi
    echo "$key" >"$stamp"
    echo "$out"
}

# mutant_build_dir NAME: a BUILD tree whose replay/libfuzzer/afl bitmap-builtin
# are the mutant's (those built so far), with the real optext and seeds;
# use with HX_NO_BUILD=1 BUILD=<dir> ./build.sh repro|minimize|fuzz ...
mutant_build_dir() {
    local d="$MUTANT_DIR/$1/tree"
    mkdir -p "$d/tools" "$d/corpus"
    ln -sfn "$BUILD/tools/optext" "$d/tools/optext"
    ln -sfn "$BUILD/corpus/bitmap-builtin" "$d/corpus/bitmap-builtin"
    ln -sfn "../replay" "$d/replay"
    ln -sfn "../libfuzzer" "$d/libfuzzer"
    ln -sfn "../afl" "$d/afl"
    echo "$d"
}
