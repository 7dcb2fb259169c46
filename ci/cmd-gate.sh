#!/usr/bin/env bash
# what: the CI race gate: TSan and lost-update controls, corpus replay, fuzz smoke; tables under build/gate/
# usage: ./build.sh gate [--tier full|short] [--seed N] [--only ERE] [--no-replay] [--no-fuzz]
#   Runs every control of ci/gate/expectations: positive controls (the races
#   and lost updates the design has) must fire, retried with a new seed up to
#   the row's number of tries; negative controls (fixed, cmpxchg) must stay
#   clean. Then replays every corpus and regression through the ASan/UBSan
#   builds (./build.sh replay) and runs a short seeded fuzz smoke per target
#   (./build.sh fuzz); a missing command is a SKIP line naming it.
#   --tier short uses the rows' short budgets, at most 3 tries, no replay and
#   no fuzz smoke (that is what ./build.sh test runs). --seed N replays a
#   whole gate (every run's seed derives from it); --only runs the controls
#   whose name matches ERE.
#   Prints the table (control, expected, observed, seconds, seed, rate) and one
#   PASS:/FAIL:/SKIP: line per control; writes build/gate/gate.md,
#   build/gate/junit.xml and every run's log under build/gate/logs/.
#   Exit 0 only if every negative control is clean and every positive fired
#   (and replay and fuzz smoke passed); 1 otherwise; 2 on bad usage.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/ci/gate/lib.sh"

usage="usage: ./build.sh gate [--tier full|short] [--seed N] [--only ERE] [--no-replay] [--no-fuzz]"
tier=full seed= only= do_replay=1 do_fuzz=1
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

t_start=$SECONDS
OUT=$BUILD/gate
rm -rf "$OUT"
mkdir -p "$OUT/logs"
echo "gate: tier=$tier seed=$seed (replay the whole gate with --seed $seed)"

goals=()
for c in tsan stress; do for w in bitmap llsc hotplug; do goals+=("build/$c/stress-$w"); done; done
if ! make -C "$ROOT" -j"$JOBS" -s --no-print-directory "${goals[@]}" >"$OUT/build.log" 2>&1; then
    tail -n 30 "$OUT/build.log"
    echo "FAIL: gate build - the stress binaries do not build (see $OUT/build.log)"
    exit 1
fi

# Result rows: name, kind, expected, observed, seconds, seed, rate, result,
# joined by the ASCII unit separator (patterns and reports contain '|').
US=$'\x1f'
rows=()
add_row() { rows+=("$1$US$2$US$3$US$4$US$5$US$6$US$7$US$8"); }

while read -r name kind cfg w v n full_s short_s tries expect; do
    [ -n "$only" ] && ! [[ $name =~ $only ]] && continue
    secs=$full_s
    if [ "$tier" = short ]; then
        secs=$short_s
        [ "$tries" -gt 3 ] && tries=3
    fi
    [ "$kind" = positive ] || tries=1
    fired=0 runs=0 obs= at= s=
    for ((i = 0; i < tries; i++)); do
        s=$(gate_seed "$seed" "$name" "$i")
        log=$OUT/logs/$name.$i.log
        gate_run "$cfg" "$w" "$v" "$n" "$secs" "$s" "$expect" "$log"
        rc=$?
        gate_classify "$expect" "$w" "$rc" "$log"
        runs=$((runs + 1))
        obs=$G_OBS at=$G_SECS
        if [ "$G_FIRED" = 1 ]; then fired=$((fired + 1)); fi
        # A positive stops at its first detection; the rest never retry.
        [ "$kind" != positive ] || [ "$G_FIRED" = 0 ] || break
    done
    case $kind in
        positive) [ $fired -gt 0 ] && res=PASS || res=FAIL
                  rate="$fired/$runs" exp="fires: $expect" ;;
        negative) [ $fired -eq 0 ] && res=PASS || res=FAIL
                  rate="$((runs - fired))/$runs clean" exp="silent: $expect" ;;
        *)        res=INFO rate="-" exp="$expect (info)" ;;
    esac
    add_row "$name" "$kind" "$exp" "$obs" "$at" "$s" "$rate" "$res"
    printf '%-22s %-4s %6ss seed=%-10s %-10s %s\n' "$name" "$res" "$at" "$s" "$rate" "$obs" | cut -c1-220
done < <(gate_rows)

# Corpus and regression replay through the ASan/UBSan builds (issue 3b).
if [ "$do_replay" = 1 ]; then
    if [ -f "$ROOT/ci/cmd-replay.sh" ]; then
        t0=$SECONDS
        bash "$ROOT/ci/cmd-replay.sh" >"$OUT/logs/replay.log" 2>&1
        rc=$?
        np=$(grep -c '^PASS: ' "$OUT/logs/replay.log") nf=$(grep -c '^FAIL: ' "$OUT/logs/replay.log")
        if [ $rc -eq 0 ]; then res=PASS; else res=FAIL; fi
        obs="$np passed, $nf failed (exit $rc)"
        [ $rc -ne 0 ] && obs="$obs; first: $(grep -m1 '^FAIL: ' "$OUT/logs/replay.log" | cut -c1-150)"
        add_row "replay" "replay" "every seed and regression gives its verdict" "$obs" \
            "$((SECONDS - t0))" "-" "-" "$res"
        echo "replay                 $res $obs"
    else
        add_row "replay" "replay" "every seed and regression gives its verdict" \
            "./build.sh replay (ci/cmd-replay.sh) is missing" "0" "-" "-" SKIP
    fi
fi

# Short seeded fuzz smoke per target: the engine runs and stops cleanly; a
# finding is required to be absent only on targets that must be correct
# (<family>-fixed and its variants such as llsc-fixed-qemu, and the bitmap
# backends, checked against a shadow model).
if [ "$do_fuzz" = 1 ]; then
    if [ -f "$ROOT/ci/cmd-fuzz.sh" ]; then
        while read -r t; do
            [ -n "$only" ] && ! [[ fuzz-$t =~ $only ]] && continue
            fs=$(gate_seed "$seed" "fuzz-$t" 0)
            t0=$SECONDS
            bash "$ROOT/ci/cmd-fuzz.sh" --target "$t" --runs "$FUZZ_RUNS" --seed "$fs" \
                >"$OUT/logs/fuzz-$t.log" 2>&1
            rc=$?
            fam=$(awk -v t="$t" '!/^[ \t]*#/ && $1 == t {print $2; exit}' "$ROOT/targets/LIST")
            must_clean=0
            [[ $t == *-fixed || $t == *-fixed-* || $fam == bitmap ]] && must_clean=1
            case $rc in
                0) res=PASS obs="$FUZZ_RUNS runs, no finding" ;;
                1) obs="finding: $(grep -m1 '^FAIL ' "$OUT/logs/fuzz-$t.log" | cut -c1-150)"
                   [ $must_clean = 1 ] && res=FAIL || res=PASS ;;
                *) res=FAIL obs="exit $rc: $(grep -v '^\s*$' "$OUT/logs/fuzz-$t.log" | tail -n 1 | cut -c1-150)" ;;
            esac
            exp="engine runs$([ $must_clean = 1 ] && echo ', no finding' || echo '; findings allowed')"
            add_row "fuzz-$t" "fuzz" "$exp" "$obs" "$((SECONDS - t0))" "$fs" "-" "$res"
            printf '%-22s %-4s %s\n' "fuzz-$t" "$res" "$obs"
        done < <(targets)
    else
        add_row "fuzz" "fuzz" "short fuzz smoke per target" \
            "./build.sh fuzz (ci/cmd-fuzz.sh) is missing" "0" "-" "-" SKIP
    fi
fi

# ---- report ------------------------------------------------------------------
wall=$((SECONDS - t_start))
npass=0 nfail=0 nskip=0
for r in "${rows[@]}"; do
    case ${r##*$US} in PASS) npass=$((npass + 1)) ;; FAIL) nfail=$((nfail + 1)) ;; SKIP) nskip=$((nskip + 1)) ;; esac
done

md=$OUT/gate.md
{
    echo "# Race gate ($tier tier)"
    echo
    echo "Base seed $seed (\`./build.sh gate --tier $tier --seed $seed\` replays it); wall time ${wall}s."
    echo "$npass passed, $nfail failed, $nskip skipped."
    echo
    echo "| control | kind | expected | observed | seconds | seed | rate | result |"
    echo "|---|---|---|---|---|---|---|---|"
    for r in "${rows[@]}"; do
        IFS=$US read -r a b c d e f g h <<<"$r"
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$a" "$b" "\`${c//|/\\|}\`" "\`${d//|/\\|}\`" "$e" "$f" "$g" "$h"
    done
} >"$md"

xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' <<<"$1"; }
{
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo "<testsuite name=\"race-gate-$tier\" tests=\"${#rows[@]}\" failures=\"$nfail\" skipped=\"$nskip\" time=\"$wall\">"
    echo "  <properties><property name=\"seed\" value=\"$seed\"/></properties>"
    for r in "${rows[@]}"; do
        IFS=$US read -r a b c d e f g h <<<"$r"
        ea=$(xml_escape "$a") ec=$(xml_escape "$c") ed=$(xml_escape "$d")
        echo "  <testcase classname=\"gate.$b\" name=\"$ea\" time=\"$e\">"
        case $h in
            FAIL) echo "    <failure message=\"expected $ec; observed $ed\">seed $f, rate $g</failure>" ;;
            SKIP) echo "    <skipped message=\"$ed\"/>" ;;
        esac
        echo "    <system-out>expected: $ec; observed: $ed; seed: $f; rate: $g; result: $h</system-out>"
        echo "  </testcase>"
    done
    echo "</testsuite>"
} >"$OUT/junit.xml"

echo
printf '%-22s %-9s %-8s %-10s %-7s %s\n' control kind result seed rate "expected -> observed (seconds)"
for r in "${rows[@]}"; do
    IFS=$US read -r a b c d e f g h <<<"$r"
    printf '%-22s %-9s %-8s %-10s %-7s %s -> %s (%ss)\n' "$a" "$b" "$h" "$f" "$g" "$c" "$d" "$e" | cut -c1-240
done
echo
for r in "${rows[@]}"; do
    IFS=$US read -r a b c d e f g h <<<"$r"
    case $h in
        PASS) echo "PASS: gate $a - $d" | cut -c1-200 ;;
        FAIL) echo "FAIL: gate $a - expected $c, observed $d (seed $f, rate $g; log build/gate/logs/$a.*)" | cut -c1-400 ;;
        SKIP) echo "SKIP: gate $a - $d" ;;
    esac
done
echo "gate: $npass passed, $nfail failed, $nskip skipped in ${wall}s (tables: $md, $OUT/junit.xml)"
[ "$nfail" -eq 0 ]
