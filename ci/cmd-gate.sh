#!/usr/bin/env bash
# what: the CI race gate: TSan and lost-update controls (builtin and qemu backends), corpus replay, fuzz smoke; tables under build/gate/
# usage: ./build.sh gate [--tier full|short] [--seed N] [--only ERE] [--no-replay] [--no-fuzz] [--require-qemu]
#   Runs every control of ci/gate/expectations: positive controls (the races
#   and lost updates the design has) must fire, retried with a new seed up to
#   the row's number of tries; negative controls (fixed, cmpxchg) must stay
#   clean. Then replays every corpus and regression through the ASan/UBSan
#   builds (./build.sh replay) and runs a short seeded fuzz smoke per target
#   (./build.sh fuzz); a missing command is a SKIP line naming it.
#   The qemu backend (issue 5): rows with build <cfg>:qemu run the stress
#   binaries on QEMU's own util/bitmap.c (QEMU_SRC, else the tree of
#   ./build.sh qemu-src, which the full tier fetches when it is missing);
#   their TSan reports, and the findings of the fuzz smoke on backend-qemu
#   targets (bitmap-qemu, llsc-fixed-qemu; on llsc-v6-qemu and llsc-v8-qemu
#   only those their builtin twin does not show too), are looked up in
#   ci/qemu-findings.txt: a known one makes the row KNOWN (it does not fail
#   the gate), a new one fails it. Without a QEMU tree those rows are SKIP
#   (one line each; counted as skipped, not passed), or FAIL with
#   --require-qemu (for CI, where the Debian source package can be had).
#   GATE_OUT=DIR writes the tables and logs there instead of build/gate.
#   --tier short uses the rows' short budgets, at most 3 tries, no replay and
#   no fuzz smoke (that is what ./build.sh test runs). --seed N replays a
#   whole gate (every run's seed derives from it); --only runs the controls
#   whose name matches ERE.
#   Prints one table, a row per control as it ends (at most 120 columns;
#   the first column is PASS:, FAIL: or SKIP:, and INFO: for rows that only
#   inform; a KNOWN row is a PASS: whose result says KNOWN), then what failed:
#   each failure's log and the first lines of its report or its verdict.
#   Writes build/gate/junit.xml (KNOWN and INFO rows are <skipped> with a
#   message that says so; a failure's message holds the report's first lines
#   and the log's path) and build/gate/gate.md (short enough for a pull
#   request comment), both by ci/gate/report.py, and every run's log under
#   build/gate/logs/.
#   Exit 0 only if every negative control is clean (or shows known QEMU
#   findings only) and every positive fired (and replay and fuzz smoke
#   passed); 1 otherwise; 2 on bad usage.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/ci/gate/lib.sh"

usage="usage: ./build.sh gate [--tier full|short] [--seed N] [--only ERE] [--no-replay] [--no-fuzz] [--require-qemu]"
tier=full seed= only= do_replay=1 do_fuzz=1 require_qemu=0
FUZZ_RUNS=${GATE_FUZZ_RUNS:-3000}
while [ $# -gt 0 ]; do
    case $1 in
        --tier|--seed|--only)
            [ $# -ge 2 ] || die "$1 needs a value ($usage)"
            case $1 in
                --tier) tier=$2 ;;
                --seed) seed=$2 ;;
                --only) only=$2 ;;
            esac
            shift 2 ;;
        --tier=*) tier=${1#*=}; shift ;;
        --seed=*) seed=${1#*=}; shift ;;
        --only=*) only=${1#*=}; shift ;;
        --no-replay) do_replay=0; shift ;;
        --no-fuzz) do_fuzz=0; shift ;;
        --require-qemu) require_qemu=1; shift ;;
        -h|--help) echo "$usage"; exit 0 ;;
        *) die "unknown argument '$1' ($usage)" ;;
    esac
done
case $tier in full|short) ;; *) die "unknown tier '$tier' (full or short)" ;; esac
if [ -n "$seed" ]; then
    [[ $seed =~ ^[0-9]+$ ]] && [ ${#seed} -le 12 ] || die "--seed wants a whole number, got '$seed'"
    seed=$((10#$seed))
else
    seed=$(( ($(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % 1000000000) ))
fi
[ -f "$GATE_EXPECT" ] || die "missing $GATE_EXPECT"
if [ "$tier" = short ]; then do_replay=0 do_fuzz=0; fi
if [ -n "${QEMU_SRC:-}" ] && ! qemu_tree_ok "$QEMU_SRC"; then
    die "QEMU_SRC=$QEMU_SRC is not a QEMU source tree (no util/bitmap.c, util/bitops.c, include/qemu/bitmap.h)"
fi

t_start=$SECONDS
OUT=${GATE_OUT:-$BUILD/gate}
rm -rf "$OUT"
mkdir -p "$OUT/logs"
echo "gate: tier=$tier seed=$seed (replay the whole gate with --seed $seed)"

# The qemu backend's tree: QEMU_SRC, else the cached Debian tree; the full
# tier fetches it when there is none (./build.sh test fetched it already).
if [ -z "${QEMU_SRC:-}" ] && [ "$tier" = full ] && ! qemu_src >/dev/null 2>&1; then
    bash "$ROOT/ci/cmd-qemu-src.sh" >"$OUT/logs/qemu-src.log" 2>&1 || true
fi
qemu_missing=$(gate_backend_missing qemu)
if [ -z "$qemu_missing" ]; then
    qtree=$(qemu_src)
    qemu_line="QEMU backend: ${qtree#"$ROOT"/}, $(qemu_version "$qtree")"
else
    qemu_line="QEMU backend: no QEMU source tree; its rows are $([ $require_qemu = 1 ] && echo 'FAIL (--require-qemu)' || echo skipped)"
fi
echo "gate: $qemu_line"

# The builtin stress binaries must build; the qemu ones fail only their rows.
bdir=$BUILD; case $bdir in "$ROOT"/*) bdir=${bdir#"$ROOT"/} ;; esac
mapfile -t goals < <(gate_goals)
bgoals=() qgoals=()
for g in "${goals[@]}"; do
    case $g in *-qemu) qgoals+=("$g") ;; *) bgoals+=("$g") ;; esac
done
if ! make -C "$ROOT" -j"$JOBS" -s --no-print-directory BUILD="$bdir" "${bgoals[@]}" >"$OUT/build.log" 2>&1; then
    tail -n 30 "$OUT/build.log"
    echo "FAIL: gate build - the stress binaries do not build (see $OUT/build.log)"
    exit 1
fi
qemu_build_fail=
if [ ${#qgoals[@]} -gt 0 ] &&
   ! make -C "$ROOT" -j"$JOBS" -s --no-print-directory BUILD="$bdir" "${qgoals[@]}" >"$OUT/build-qemu.log" 2>&1; then
    tail -n 30 "$OUT/build-qemu.log"
    qemu_build_fail="the qemu stress binaries do not build (log: ${OUT#"$ROOT"/}/build-qemu.log)"
fi

# Result rows: name, kind, expected, observed, seconds, seed, rate, result,
# log, one line each in $ROWS, joined by the ASCII unit separator (patterns
# and reports contain '|'): a table row as each is added, the reports from
# them all at the end (ci/gate/report.py).
ROWS=$OUT/rows
: >"$ROWS"
miss_res=SKIP; [ $require_qemu = 0 ] || miss_res=FAIL   # a row whose backend is missing
add_row() {
    local f fields=()
    for f in "$@"; do fields+=("${f//[$'\n\x1f']/ }"); done
    (IFS=$'\x1f'; printf '%s\n' "${fields[*]}") >>"$ROWS"
    gate_table_row "${fields[0]}" "${fields[1]}" "${fields[7]}" "${fields[4]}" "${fields[5]}" \
        "${fields[6]}" "${fields[3]}"
}
gate_table_header

while read -r name kind cfg w v n full_s short_s tries expect; do
    [ -n "$only" ] && ! [[ $name =~ $only ]] && continue
    secs=$full_s
    if [ "$tier" = short ]; then
        secs=$short_s
        [ "$tries" -gt 3 ] && tries=3
    fi
    [ "$kind" = positive ] || tries=1
    case $kind in
        positive) exp="fires: $expect" ;;
        negative) exp="silent: $expect"
                  [ "$expect" != qemu-known ] ||
                      exp="silent but for known QEMU findings ($GQ_FILE)" ;;
        *)        exp="$expect (info)" ;;
    esac
    be=$(gate_backend "$cfg")
    why=$(gate_backend_missing "$be")
    [ -n "$why" ] || [ "$be" != qemu ] || [ -z "$qemu_build_fail" ] || {
        add_row "$name" "$kind" "$exp" "$qemu_build_fail" 0 - - FAIL "$OUT/build-qemu.log"
        continue
    }
    if [ -n "$why" ]; then
        add_row "$name" "$kind" "$exp" "backend $be: $why" 0 - - "$miss_res" -
        continue
    fi
    fired=0 runs=0 obs= at= s= known=
    for ((i = 0; i < tries; i++)); do
        s=$(gate_seed "$seed" "$name" "$i")
        log=$OUT/logs/$name.$i.log
        gate_run "$cfg" "$w" "$v" "$n" "$secs" "$s" "$expect" "$log"
        rc=$?
        gate_classify "$expect" "$w" "$rc" "$log"
        runs=$((runs + 1))
        obs=$G_OBS at=$G_SECS known=$G_KNOWN
        if [ "$G_FIRED" = 1 ]; then fired=$((fired + 1)); fi
        # A positive stops at its first detection; the rest never retry.
        [ "$kind" != positive ] || [ "$G_FIRED" = 0 ] || break
    done
    case $kind in
        positive) [ $fired -gt 0 ] && res=PASS || res=FAIL
                  rate="$fired/$runs" ;;
        negative) [ $fired -eq 0 ] && res=PASS || res=FAIL
                  rate="$((runs - fired))/$runs clean"
                  if [ $fired -eq 0 ] && [ -n "$known" ]; then res=KNOWN rate="$runs/$runs known"; fi ;;
        *)        res=INFO rate="-" ;;
    esac
    add_row "$name" "$kind" "$exp" "$obs" "$at" "$s" "$rate" "$res" "$log"
done < <(gate_rows)

# Corpus and regression replay through the ASan/UBSan builds (issue 3b).
if [ "$do_replay" = 1 ]; then
    if [ -f "$ROOT/ci/cmd-replay.sh" ]; then
        t0=$SECONDS
        bash "$ROOT/ci/cmd-replay.sh" >"$OUT/logs/replay.log" 2>&1
        rc=$?
        np=$(grep -c '^PASS: ' "$OUT/logs/replay.log") nf=$(grep -c '^FAIL: ' "$OUT/logs/replay.log")
        ns=$(grep -c '^SKIP: ' "$OUT/logs/replay.log")
        if [ $rc -eq 0 ]; then res=PASS; else res=FAIL; fi
        obs="$np passed, $nf failed, $ns skipped (exit $rc)"
        [ "$ns" -eq 0 ] || obs="$obs; first skip: $(grep -m1 '^SKIP: ' "$OUT/logs/replay.log" | cut -c7-120)"
        [ $rc -ne 0 ] && obs="$obs; first: $(grep -m1 '^FAIL: ' "$OUT/logs/replay.log" | cut -c1-150)"
        add_row "replay" "replay" "every seed and regression gives its verdict" "$obs" \
            "$((SECONDS - t0))" "-" "-" "$res" "$OUT/logs/replay.log"
    else
        add_row "replay" "replay" "every seed and regression gives its verdict" \
            "./build.sh replay (ci/cmd-replay.sh) is missing" "0" "-" "-" SKIP -
    fi
fi

# Short seeded fuzz smoke per target: the engine runs and stops cleanly; a
# finding is required to be absent only on targets that must be correct
# (<family>-fixed and its variants such as llsc-fixed-qemu, and the bitmap
# backends, checked against a shadow model). On a backend-qemu target each
# finding is replayed and keyed (gate_qemu_fuzz): known QEMU findings of
# ci/qemu-findings.txt make the row KNOWN; anything else fails it. Without a
# QEMU tree those targets are SKIP.
if [ "$do_fuzz" = 1 ]; then
    if [ -f "$ROOT/ci/cmd-fuzz.sh" ]; then
        while read -r t; do
            [ -n "$only" ] && ! [[ fuzz-$t =~ $only ]] && continue
            fs=$(gate_seed "$seed" "fuzz-$t" 0)
            fam=$(awk -v t="$t" '!/^[ \t]*#/ && $1 == t {print $2; exit}' "$ROOT/targets/LIST")
            be=$(awk -v t="$t" '!/^[ \t]*#/ && $1 == t {print $4; exit}' "$ROOT/targets/LIST")
            must_clean=0
            [[ $t == *-fixed || $t == *-fixed-* || $fam == bitmap ]] && must_clean=1
            exp="engine runs$([ $must_clean = 1 ] && echo ', no finding' || echo '; findings allowed')"
            [ "$be" = qemu ] && [ $must_clean = 1 ] && exp="$exp but known QEMU findings ($GQ_FILE)"
            [ "$be" = qemu ] && [ $must_clean = 0 ] &&
                exp="$exp when its builtin twin shows them too (else known QEMU findings, $GQ_FILE)"
            why=$(gate_backend_missing "${be:-builtin}")
            if [ -n "$why" ]; then
                add_row "fuzz-$t" "fuzz" "$exp" "backend $be: $why" 0 - - "$miss_res" -
                continue
            fi
            t0=$SECONDS
            bash "$ROOT/ci/cmd-fuzz.sh" --until-first --targets "$t" --runs "$FUZZ_RUNS" --seed "$fs" \
                >"$OUT/logs/fuzz-$t.log" 2>&1
            rc=$?
            case $rc in
                0) res=PASS obs="$FUZZ_RUNS runs, no finding" ;;
                1) obs="finding: $(grep -m1 -E '^ *(verdict: )?FAIL ' "$OUT/logs/fuzz-$t.log" | sed 's/^ *//' | cut -c1-150)"
                   [ $must_clean = 1 ] && res=FAIL || res=PASS
                   if [ "$be" = qemu ] && [ $must_clean = 1 ]; then
                       gate_qemu_fuzz "$t" "$OUT/logs/fuzz-$t.log"
                       if [ -n "$GQ_NEW" ]; then
                           obs="NEW finding(s), not in $GQ_FILE: $GQ_NEW${GQ_IDS:+; known: $GQ_IDS}; $obs"
                       elif [ -n "$GQ_IDS" ]; then
                           res=KNOWN obs="KNOWN: $GQ_IDS"
                       else
                           obs="no finding listed by ./build.sh fuzz; $obs"
                       fi
                   elif [ "$be" = qemu ]; then
                       # A weak variant on QEMU's code (llsc-v6-qemu, ...): a
                       # finding its builtin twin shows too is the SUT's own
                       # weakness; one only QEMU's code shows is a QEMU finding.
                       gate_qemu_fuzz "$t" "$OUT/logs/fuzz-$t.log"
                       qonly=$(sed 's/, /\n/g' <<<"$GQ_NEW" | grep -v '^shared-with-builtin:' | grep . | paste -sd, -)
                       if [ -n "$qonly" ]; then
                           res=FAIL obs="NEW QEMU-only finding(s), not in $GQ_FILE: $qonly; $obs"
                       elif [ -n "$GQ_IDS" ]; then
                           res=KNOWN obs="KNOWN: $GQ_IDS; $obs"
                       else
                           obs="$obs (its builtin twin shows it too)"
                       fi
                   fi ;;
                *) res=FAIL obs="exit $rc: $(grep -v '^\s*$' "$OUT/logs/fuzz-$t.log" | tail -n 1 | cut -c1-150)" ;;
            esac
            add_row "fuzz-$t" "fuzz" "$exp" "$obs" "$((SECONDS - t0))" "$fs" "-" "$res" "$OUT/logs/fuzz-$t.log"
        done < <(targets)
    else
        add_row "fuzz" "fuzz" "short fuzz smoke per target" \
            "./build.sh fuzz (ci/cmd-fuzz.sh) is missing" "0" "-" "-" SKIP -
    fi
fi

# ---- report ------------------------------------------------------------------
python3 "$ROOT/ci/gate/report.py" write --rows "$ROWS" --out "$OUT" --tier "$tier" --seed "$seed" \
    --wall "$((SECONDS - t_start))" --qemu "$qemu_line" --findings "$GQ_FILE"
