#!/usr/bin/env bash
# what: the OSS-Fuzz / ClusterFuzzLite build contract: every target, its seed corpus, dictionary and options into $OUT
# usage: ./build.sh oss-fuzz    (plain ./build.sh does the same when LIB_FUZZING_ENGINE and OUT are set)
#   The environment is the input, as OSS-Fuzz's and ClusterFuzzLite's
#   `compile` set it: CC, CXX, CFLAGS, CXXFLAGS, LIB_FUZZING_ENGINE, OUT, SRC,
#   WORK, SANITIZER. They are echoed first, one NAME=value line each, and used
#   as given: objects are compiled with $CC $CFLAGS, targets linked with
#   $CXX $CXXFLAGS ... $LIB_FUZZING_ENGINE, and no sanitizer flag of ours is
#   added (mk/oss-fuzz.mk; the build directory is $WORK/llsc-harness).
#   For every target of targets/LIST it writes into $OUT:
#     <t>                    the fuzz target
#     <t>_seed_corpus.zip    its text seeds (corpus/<t>/*.txt, or those of the
#                            target built from the same source) compiled to
#                            bytes by build/tools/optext, as for the campaign
#     <t>.dict               corpus/<family>.dict
#     <t>.options            [libfuzzer] max_len = 4096 (no target reads more)
#   The -qemu targets need a QEMU tree: QEMU_SRC (oss-fuzz/build.sh and
#   .clusterfuzzlite/build.sh point it at $SRC/qemu, which their Dockerfile
#   fetches), else the cached one of ./build.sh qemu-src. Without one they are
#   left out with one line that says so. LLSC_FUZZ_TARGETS=t1,t2 builds only
#   those (.clusterfuzzlite/build.sh: the targets that must never fail).
#   Installs nothing: the Dockerfile does. Exit 0 built, 1 the build failed,
#   2 usage (a missing variable, an unknown target).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
. "$ROOT/ci/qemu.sh"

[ $# -eq 0 ] || die "takes no arguments: its input is the environment (CC, CFLAGS, LIB_FUZZING_ENGINE, OUT, ...)"
for v in LIB_FUZZING_ENGINE OUT CC CXX; do
    [ -n "${!v:-}" ] || die "$v is not set (the OSS-Fuzz contract needs CC, CXX, LIB_FUZZING_ENGINE and OUT)"
done
want=()
if [ -n "${LLSC_FUZZ_TARGETS:-}" ]; then
    IFS=', ' read -ra want <<<"$LLSC_FUZZ_TARGETS"
    for t in "${want[@]}"; do
        is_target "$t" || die "LLSC_FUZZ_TARGETS: unknown target '$t' (see ./build.sh targets)"
    done
else
    mapfile -t want < <(targets)
fi

for v in CC CXX CFLAGS CXXFLAGS LIB_FUZZING_ENGINE OUT SRC WORK SANITIZER; do
    if [ -n "${!v+set}" ]; then echo "$v=${!v}"; else echo "$v (not set)"; fi
done

WORK=${WORK:-$BUILD/oss-fuzz}
b=$WORK/llsc-harness
mkdir -p "$OUT" "$b"
qemu_args=()
if qtree=$(qemu_src 2>/dev/null); then
    qemu_args=(QEMU_SRC="$qtree")
    echo "build.sh: QEMU backend: $qtree, $(qemu_version "$qtree")"
else
    # Neither the user's tree nor the cache: make must not fall back to one.
    qemu_args=(QEMU_SRC= QEMU_CACHE="$b/no-qemu")
fi

# What can be built here; the rest is left out, one line per reason.
build=()
declare -A left=()
for t in "${want[@]}"; do
    if [ "$(target_backend "$t")" = qemu ] && [ -z "${qtree:-}" ]; then
        why="no QEMU source tree (${QEMU_SRC:+QEMU_SRC=$QEMU_SRC is not one; }the Dockerfile fetches it into \$SRC/qemu)"
    else
        why=$(target_missing "$t")
    fi
    if [ -n "$why" ]; then left[$why]="${left[$why]:-}${left[$why]:+, }$t"; else build+=("$t"); fi
done
for why in "${!left[@]}"; do echo "build.sh: leaving out ${left[$why]}: $why"; done
[ ${#build[@]} -gt 0 ] || { echo "build.sh: no target can be built here" >&2; exit 1; }

# build/tools/optext compiles the text seeds: a host tool, built with the
# host's compiler (OSS-Fuzz's image may have no gcc) and never -Werror.
host_cc=gcc
command -v gcc >/dev/null || host_cc=clang
command -v "$host_cc" >/dev/null || host_cc=cc
goals=("$b/tools/optext")
for t in "${build[@]}"; do
    goals+=("$b/ossfuzz/$t")
    while read -r g; do goals+=("$b/$g"); done < <(corpus_goals "$(corpus_owner "$t")" | grep '/seeds/')
done
mapfile -t goals < <(printf '%s\n' "${goals[@]}" | awk '!seen[$0]++')
if ! make -C "$ROOT" -j"$JOBS" --no-print-directory OSSFUZZ=1 BUILD="$b" "${qemu_args[@]}" \
        CC_gcc="$host_cc" CFLAGS_gcc="-O2 -Wno-error" "${goals[@]}"; then
    echo "build.sh: the OSS-Fuzz build failed (see above)" >&2
    exit 1
fi

for t in "${build[@]}"; do
    o=$(corpus_owner "$t") fam=$(target_family "$t")
    cp "$b/ossfuzz/$t" "$OUT/$t"
    seeds=()
    while read -r g; do seeds+=("$b/$g"); done < <(corpus_goals "$o" | grep '/seeds/')
    rm -f "$OUT/${t}_seed_corpus.zip"
    if [ ${#seeds[@]} -gt 0 ]; then
        python3 -m zipfile -c "$OUT/${t}_seed_corpus.zip" "${seeds[@]}"
    else
        python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1], "w").close()' "$OUT/${t}_seed_corpus.zip"
    fi
    if [ -f "$ROOT/corpus/$fam.dict" ]; then
        cp "$ROOT/corpus/$fam.dict" "$OUT/$t.dict"
    else
        echo "build.sh: $t has no dictionary (corpus/$fam.dict)"
    fi
    # The llsc targets read at most LLSC_MAX_INPUT (4096) bytes, the bitmap
    # ones less: longer inputs are wasted executions.
    printf '[libfuzzer]\nmax_len = 4096\n' >"$OUT/$t.options"
    echo "build.sh: $OUT/$t: ${#seeds[@]} seeds (from corpus/$o), dictionary corpus/$fam.dict, options"
done
echo "build.sh: ${#build[@]} fuzz targets in $OUT"
