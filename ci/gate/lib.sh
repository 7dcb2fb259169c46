# Helpers shared by ci/cmd-gate.sh and ci/bench/stress.sh: read the controls
# of ci/gate/expectations, run one stress binary for a control, classify what
# it printed. Source after ci/lib.sh; don't run.
GATE_EXPECT=${GATE_EXPECT:-$ROOT/ci/gate/expectations}

# The control rows, comments stripped:
#   name kind build workload variant threads full_s short_s tries expect
gate_rows() { grep -v '^[[:space:]]*#' "$GATE_EXPECT" | awk 'NF >= 10'; }

# gate_seed BASE NAME TRY: the seed of try TRY of control NAME, derived from
# the gate's base seed (so --seed replays the whole gate).
gate_seed() {
    local h
    h=$(printf '%s' "$2" | cksum | cut -d' ' -f1)
    echo $(( (10#$1 + h * 31 + $3 * 7919) % 1000000000 ))
}

# gate_run BUILD WORKLOAD VARIANT THREADS SECONDS SEED EXPECT LOG
# One run of build/<BUILD>/stress-<WORKLOAD>, all output to LOG; returns its
# exit status (124/137: killed by the watchdog). A race control stops at the
# first report matching its pattern (--stop-on takes the same alternatives);
# every other control stops at the first report of any kind.
gate_run() {
    local cfg=$1 w=$2 v=$3 n=$4 s=$5 seed=$6 expect=$7 log=$8 stop=any
    case $expect in race=*) stop=${expect#race=} ;; esac
    # Backstop only: the binary's own watchdog calls a hang at 2 * S + 10 s.
    timeout -k 5 $(( ${s%.*} * 2 + 40 )) "$BUILD/$cfg/stress-$w" --variant "$v" \
        --threads "$n" --seconds "$s" --seed "$seed" --stop-on "$stop" >"$log" 2>&1
}

# gate_classify EXPECT WORKLOAD RC LOG
# Sets G_FIRED (positive: the expected event was seen; negative: something
# was reported), G_SECS (seconds to the event, or the run's length) and G_OBS
# (one line for the table).
gate_classify() {
    local expect=$1 w=$2 rc=$3 log=$4 verdict reports first line elapsed
    verdict=$(grep "^stress $w: variant=" "$log" | tail -n 1 | sed 's/^.* seed=[0-9]*: //')
    reports=$(grep -c '^stress: tsan report ' "$log")
    first=$(grep -m1 '^stress: tsan report ' "$log" | sed 's/^stress: tsan report [0-9]* at [0-9.]*s: //')
    elapsed=$(sed -n 's/^stress .*: ops=.* elapsed=\([0-9.]*\)s.*/\1/p' "$log" | tail -n 1)
    G_FIRED=0 G_SECS=${elapsed:-0}
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
        *) G_FIRED=1; G_OBS="unknown expectation '$expect'" ;;
    esac
    G_OBS=$(cut -c1-300 <<<"$G_OBS")
}
