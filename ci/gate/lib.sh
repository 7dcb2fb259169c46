# Helpers shared by ci/cmd-gate.sh and ci/bench/stress.sh: read the controls
# of ci/gate/expectations, run one stress binary for a control, classify what
# it printed, judge findings on QEMU's code against ci/qemu-findings.txt.
# Source after ci/lib.sh; don't run.
GATE_EXPECT=${GATE_EXPECT:-$ROOT/ci/gate/expectations}
# The known findings on QEMU's bitmap code (issue 5); overridable for tests.
GATE_QEMU_FINDINGS=${GATE_QEMU_FINDINGS:-$ROOT/ci/qemu-findings.txt}
GQ_FILE=${GATE_QEMU_FINDINGS#"$ROOT"/}
. "$ROOT/ci/qemu.sh"

# The control rows, comments stripped:
#   name kind build workload variant threads full_s short_s tries expect
gate_rows() { grep -v '^[[:space:]]*#' "$GATE_EXPECT" | awk 'NF >= 10'; }

# A row's build column is <cfg> (backend builtin) or <cfg>:<backend>.
gate_cfg() { echo "${1%%:*}"; }
gate_backend() { case $1 in *:*) echo "${1#*:}" ;; *) echo builtin ;; esac; }
# gate_bin BUILDCOL WORKLOAD: build/<cfg>/stress-<w>, or stress-<w>-<backend>
# for another backend than builtin (mk/stress.mk, mk/qemu.mk).
gate_bin() {
    local be
    be=$(gate_backend "$1")
    if [ "$be" = builtin ]; then echo "$BUILD/${1%%:*}/stress-$2"; else echo "$BUILD/${1%%:*}/stress-$2-$be"; fi
}
# gate_backend_missing BACKEND: why its rows cannot run here, one line, or
# nothing when they can (qemu: no QEMU tree, ci/qemu.sh qemu_src).
gate_backend_missing() {
    case $1 in
        builtin) ;;
        qemu) qemu_src >/dev/null 2>&1 ||
                  echo "no QEMU source tree (./build.sh qemu-src, or set QEMU_SRC to a QEMU tree)" ;;
        *) echo "unknown bitmap backend '$1'" ;;
    esac
}
# gate_goals: the stress binaries the rows need, as make goals (relative to
# the top directory when the build directory is below it), one per line;
# rows whose backend cannot be had here are left out.
gate_goals() {
    local b=$BUILD name kind cfg w rest g
    case $b in "$ROOT"/*) b=${b#"$ROOT"/} ;; esac
    while read -r name kind cfg w rest; do
        [ -z "$(gate_backend_missing "$(gate_backend "$cfg")")" ] || continue
        g=$(gate_bin "$cfg" "$w")
        echo "$b${g#"$BUILD"}"
    done < <(gate_rows) | sort -u
}

# The terminal table of ci/cmd-gate.sh, printed once, a row as each control
# ends, at most 120 columns. The first column is the test protocol's word:
# PASS:, FAIL:, SKIP:, and INFO: for rows that never decide; a KNOWN row is
# a PASS: whose result column says KNOWN. The observed text leaves out what
# the other columns say (ci/gate/report.py short_obs does the same for gate.md).
gate_table_header() {
    printf '%-6s%-20s %-8s %-6s%5s %9s %-9s %s\n' "" control kind result s seed rate observed
}
# gate_table_row NAME KIND RESULT SECONDS SEED RATE OBSERVED
gate_table_row() {
    local word=$3: secs=$4 obs=$7 line
    if [ "$3" = KNOWN ]; then word=PASS: obs=${obs#KNOWN: }; fi
    obs=${obs//race: data-race: /race: }
    [[ $secs =~ ^[0-9]+(\.[0-9]+)?$ ]] && secs=$(LC_ALL=C printf '%.1f' "$secs")
    line=$(printf '%-6s%-20s %-8s %-6s%5s %9s %-9s %s' "$word" "$1" "$2" "$3" "$secs" "$5" "$6" "$obs")
    [ ${#line} -le 120 ] || line="${line:0:117}..."
    printf '%s\n' "$line"
}

# gate_seed BASE NAME TRY: the seed of try TRY of control NAME, derived from
# the gate's base seed (so --seed replays the whole gate).
gate_seed() {
    local h
    h=$(printf '%s' "$2" | cksum | cut -d' ' -f1)
    echo $(( (10#$1 + h * 31 + $3 * 7919) % 1000000000 ))
}

# gate_run BUILD WORKLOAD VARIANT THREADS SECONDS SEED EXPECT LOG
# One run of the stress binary of BUILD (gate_bin) for WORKLOAD, all output
# to LOG; returns its exit status (124/137: killed by the watchdog). A race
# control stops at the first report matching its pattern (--stop-on takes the
# same alternatives); a qemu-known control runs its whole budget (every
# report is looked up); every other control stops at the first report.
gate_run() {
    local cfg=$1 w=$2 v=$3 n=$4 s=$5 seed=$6 expect=$7 log=$8 stop=any
    case $expect in race=*) stop=${expect#race=} ;; qemu-known) stop=none ;; esac
    # Backstop only: the binary's own watchdog calls a hang at 2 * S + 10 s.
    timeout -k 5 $(( ${s%.*} * 2 + 40 )) "$(gate_bin "$cfg" "$w")" --variant "$v" \
        --backend "$(gate_backend "$cfg")" --threads "$n" --seconds "$s" --seed "$seed" \
        --stop-on "$stop" >"$log" 2>&1
}

# ---- findings on QEMU's code (issue 5) ----------------------------------------
# gate_qemu_load: reads GATE_QEMU_FINDINGS into GQ_KNOWN (key -> id; a row
# may list several keys separated by ',').
declare -gA GQ_KNOWN=()
gate_qemu_load() {
    local id kind key repro on k ks
    GQ_KNOWN=()
    while IFS='|' read -r id kind key repro on; do
        IFS=',' read -ra ks <<<"$key"
        for k in "${ks[@]}"; do
            k=$(xargs <<<"$k")
            [ -z "$k" ] || GQ_KNOWN[$k]=$id
        done
    done < <(qemu_findings "$GATE_QEMU_FINDINGS")
}
# gate_qemu_note KEY WHERE: files one finding: known (its id counted in
# GQ_IDS_N) or new (GQ_NEW_N). gate_qemu_summary turns both into GQ_IDS
# ("id xN (key) ...") and GQ_NEW ("key xN ...").
declare -gA GQ_IDS_N=() GQ_NEW_N=() GQ_ID_KEYS=()
gate_qemu_reset() { GQ_IDS_N=() GQ_NEW_N=() GQ_ID_KEYS=() GQ_IDS="" GQ_NEW=""; }
gate_qemu_note() {
    local k=$1 id=${GQ_KNOWN[$1]:-}
    if [ -n "$id" ]; then
        GQ_IDS_N[$id]=$(( ${GQ_IDS_N[$id]:-0} + 1 ))
        [[ " ${GQ_ID_KEYS[$id]:-} " == *" $k "* ]] || GQ_ID_KEYS[$id]="${GQ_ID_KEYS[$id]:-}${GQ_ID_KEYS[$id]:+ }$k"
    else
        GQ_NEW_N[$k]=$(( ${GQ_NEW_N[$k]:-0} + 1 ))
    fi
}
gate_qemu_summary() {
    local k
    GQ_IDS="" GQ_NEW=""
    for k in $(printf '%s\n' "${!GQ_IDS_N[@]}" | sort); do
        GQ_IDS="$GQ_IDS${GQ_IDS:+, }$k x${GQ_IDS_N[$k]} (${GQ_ID_KEYS[$k]})"
    done
    for k in $(printf '%s\n' "${!GQ_NEW_N[@]}" | sort); do
        GQ_NEW="$GQ_NEW${GQ_NEW:+, }$k x${GQ_NEW_N[$k]}"
    done
}
# gate_qemu_tsan LOG: every ThreadSanitizer report of a stress run against
# the known findings (keys of ci/qemu.sh qemu_tsan_keys: the plain accesses of
# each report; a report of another kind than a data race also gives
# tsan:<kind>, one without any plain access site tsan:<kind>:no-site). A
# report the harness counted but whose stacks are not in LOG is new too.
gate_qemu_tsan() {
    local log=$1 type sites k n=0 nrep
    [ ${#GQ_KNOWN[@]} -gt 0 ] || gate_qemu_load
    gate_qemu_reset
    while read -r type sites; do
        [ -n "$type" ] || continue
        n=$((n + 1))
        [ "$type" = data-race ] || sites="tsan:$type $sites"
        [ -n "$sites" ] || sites="tsan:$type:no-site"
        for k in $sites; do gate_qemu_note "$k"; done
    done < <(qemu_tsan_keys "$log")
    nrep=$(grep -c '^stress: tsan report ' "$log")
    [ "$nrep" -le "$n" ] || gate_qemu_note "tsan-report-without-stack($((nrep - n)))"
    gate_qemu_summary
}
# gate_qemu_twin T: the builtin target built from T's source (targets/LIST),
# e.g. bitmap-builtin for bitmap-qemu, llsc-fixed for llsc-fixed-qemu.
gate_qemu_twin() {
    local src
    src=$(awk -v t="$1" '!/^[ \t]*#/ && $1 == t {print $3; exit}' "$ROOT/targets/LIST")
    awk -v s="$src" '!/^[ \t]*#/ && NF >= 4 && $3 == s && $4 == "builtin" {print $1; exit}' "$ROOT/targets/LIST"
}
# gate_qemu_fuzz T LOG: the findings ./build.sh fuzz listed in LOG
# ("finding: <file>") for target T on the qemu backend. Each is replayed
# through build/replay/T and keyed with qemu_crash_key; one that also fails
# on T's builtin twin is not QEMU's (key shared-with-builtin:<key>, never
# known), one that does not fail on replay is new (did-not-replay). Sets
# GQ_IDS / GQ_NEW as gate_qemu_tsan does.
gate_qemu_fuzz() {
    local t=$1 log=$2 f k twin out b
    [ ${#GQ_KNOWN[@]} -gt 0 ] || gate_qemu_load
    gate_qemu_reset
    twin=$(gate_qemu_twin "$t")
    b=$BUILD; case $b in "$ROOT"/*) b=${b#"$ROOT"/} ;; esac
    if [ -n "$twin" ] && ! make -C "$ROOT" -j"$JOBS" -s --no-print-directory BUILD="$b" \
            "$b/replay/$twin" >/dev/null 2>&1; then
        twin=""
    fi
    out=$(mktemp)
    while read -r f; do
        [[ $f == /* ]] || f=$ROOT/$f
        if ASAN_OPTIONS=handle_abort=1:detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
                "$BUILD/replay/$t" -timeout=10 "$f" >"$out" 2>&1; then
            gate_qemu_note "did-not-replay:${f##*/}"
            continue
        fi
        k=$(qemu_crash_key "$out")
        if [ -n "$twin" ] && ! ASAN_OPTIONS=detect_leaks=0 "$BUILD/replay/$twin" -timeout=10 "$f" >/dev/null 2>&1; then
            k="shared-with-builtin:$k"
        fi
        gate_qemu_note "$k"
    done < <(sed -n 's/^finding: //p' "$log")
    rm -f "$out"
    gate_qemu_summary
}

# gate_classify EXPECT WORKLOAD RC LOG
# Sets G_FIRED (positive: the expected event was seen; negative: something
# was reported), G_KNOWN (qemu-known: the ids of the known QEMU findings the
# run showed, "" if none), G_SECS (seconds to the event, or the run's length)
# and G_OBS (one line for the table).
gate_classify() {
    local expect=$1 w=$2 rc=$3 log=$4 verdict reports first line elapsed
    verdict=$(grep "^stress $w: variant=" "$log" | tail -n 1 | sed 's/^.* seed=[0-9]*: //')
    reports=$(grep -c '^stress: tsan report ' "$log")
    first=$(grep -m1 '^stress: tsan report ' "$log" | sed 's/^stress: tsan report [0-9]* at [0-9.]*s: //')
    elapsed=$(sed -n 's/^stress .*: ops=.* elapsed=\([0-9.]*\)s.*/\1/p' "$log" | tail -n 1)
    G_FIRED=0 G_KNOWN="" G_SECS=${elapsed:-0}
    if [ -z "$verdict" ]; then
        case $rc in
            124|137) verdict="no verdict: killed by the watchdog (exit $rc)" ;;
            *) verdict="no verdict (exit $rc): $(grep -v '^\s*$' "$log" | tail -n 1 | cut -c1-120)" ;;
        esac
    fi
    case $expect in
        race=*)
            line=$(grep -E -m1 "^stress: tsan report [0-9]+ at [0-9.]+s: .*(${expect#race=})" "$log")
            if [ -n "$line" ]; then
                G_FIRED=1
                G_SECS=$(sed 's/^stress: tsan report [0-9]* at \([0-9.]*\)s: .*/\1/' <<<"$line")
                G_OBS="race: $(sed 's/^stress: tsan report [0-9]* at [0-9.]*s: //' <<<"$line")"
            elif [ "$reports" -gt 0 ]; then
                G_OBS="no matching report; $reports other(s), first: $first"
            else
                G_OBS="no report: $verdict"
            fi ;;
        lost-update)
            if [[ $verdict == FAILURE*lost\ update* || $verdict == FAILURE*went\ backwards* ]]; then
                G_FIRED=1
            fi
            G_OBS=$verdict ;;
        clean)
            if [ "$rc" -ne 0 ] || [ "$verdict" != SUCCESS ] || [ "$reports" -gt 0 ]; then
                G_FIRED=1
            fi
            G_OBS=$verdict
            [ "$G_FIRED" = 0 ] && G_OBS="clean (SUCCESS)" ;;
        no-race)
            if [ "$reports" -gt 0 ] || [ "$rc" -eq 66 ] || [[ $verdict == "no verdict"* ]]; then
                G_FIRED=1
                G_OBS=$verdict
            else
                G_OBS="no race (verdict: $verdict)"
            fi ;;
        qemu-known)
            # The workload's own checks must hold (exit 0, or TSan's 66 with
            # a verdict that names nothing but TSan reports); every report
            # must be a known finding of ci/qemu-findings.txt.
            if { [ "$rc" -ne 0 ] && [ "$rc" -ne 66 ]; } ||
               ! [[ $verdict == SUCCESS || $verdict == "FAILURE (tsan: "* ]]; then
                G_FIRED=1 G_OBS=$verdict
            else
                gate_qemu_tsan "$log"
                if [ -n "$GQ_NEW" ]; then
                    G_FIRED=1
                    G_OBS="NEW finding(s), not in $GQ_FILE: $GQ_NEW${GQ_IDS:+; known: $GQ_IDS}"
                elif [ -n "$GQ_IDS" ]; then
                    G_KNOWN=$GQ_IDS G_OBS="KNOWN: $GQ_IDS"
                else
                    G_OBS="clean (SUCCESS)"
                fi
            fi ;;
        *) G_FIRED=1; G_OBS="unknown expectation '$expect'" ;;
    esac
    G_OBS=$(cut -c1-300 <<<"$G_OBS")
}
