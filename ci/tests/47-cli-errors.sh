#!/usr/bin/env bash
# Command-line mistakes get a one-line error on stderr, nothing on stdout,
# and exit 2: ./build.sh fuzz|replay|minimize|repro|stress|targets,
# build/tools/optext and the replay binaries. Also: optext exits 1 (one line,
# "line N: ...") on text that does not parse. A ./build.sh command's error
# names the command as typed ("build.sh repro: ..."), never its script.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROOT" || exit 1
export HX_NO_BUILD=1

# expect_err CODE NAME CMD...: exit CODE, exactly one stderr line, no stdout.
expect_err() {
    local code=$1 name=$2 rc=0; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
    if [ $rc -eq "$code" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && [ ! -s "$tmp/out" ]; then
        pass "bad command line: $name -> exit $code: $(cat "$tmp/err")"
    else
        fail "bad command line: $name - exit $rc (want $code), stderr $(wc -l <"$tmp/err") lines: $(head -n3 "$tmp/err" | tr '\n' '|'), stdout: $(head -c 100 "$tmp/out")"
    fi
}

# expect_cmd_err CODE CMD WANT NAME ARGS...: expect_err for ./build.sh CMD
# ARGS, and the line is "build.sh CMD: ..." containing WANT.
expect_cmd_err() {
    local code=$1 cmd=$2 want=$3 name=$4; shift 4
    expect_err "$code" "$name" ./build.sh "$cmd" "$@"
    case $(head -n 1 "$tmp/err") in
        "build.sh $cmd: "*"$want"*) pass "$name: the error names 'build.sh $cmd' and says '$want'" ;;
        *) fail "$name: want 'build.sh $cmd: ...$want...', got: $(head -n 1 "$tmp/err")" ;;
    esac
}

t=bitmap-builtin
expect_cmd_err 2 fuzz "unknown target 'nope'" "fuzz unknown target" --targets $t,nope
expect_cmd_err 2 fuzz "unknown engine" "fuzz unknown engine" --targets $t --engine honggfuzz
expect_cmd_err 2 fuzz "bad duration 'soon'" "fuzz --time not a duration" --targets $t --time soon
expect_cmd_err 2 fuzz "bad duration '5x'" "fuzz --time with a bad unit" --time 5x
expect_cmd_err 2 fuzz "must be > 0" "fuzz --time 0" --time 0h
expect_cmd_err 2 fuzz "--jobs needs a number" "fuzz --jobs 0" --jobs 0
expect_cmd_err 2 fuzz "--runs needs a number" "fuzz --runs 0" --until-first --targets $t --runs 0
expect_cmd_err 2 fuzz "--runs is for --until-first" "fuzz --runs in a campaign" --targets $t --runs 10
expect_cmd_err 2 fuzz "runs one target" "fuzz --until-first on two targets" --until-first --targets $t,llsc-v6
expect_cmd_err 2 fuzz "--seed needs a value" "fuzz --seed missing value" --targets $t --seed
expect_cmd_err 2 fuzz "unknown argument 'extra'" "fuzz stray argument" --targets $t extra
mkdir -p "$tmp/other"
printf '{"targets": ["llsc-v6"], "engines": ["afl"], "seed": 1, "budget": 60, "spent": 0, "segments": [], "pairs": {}}\n' \
    >"$tmp/other/campaign.json"
expect_cmd_err 2 fuzz "holds a campaign of targets llsc-v6" "fuzz --out holding another campaign" \
    --targets $t --engine libfuzzer --time 1m --out "$tmp/other"
expect_cmd_err 2 findings "not a campaign directory" "findings of a plain directory" "$tmp"
expect_cmd_err 2 findings "no campaign directory given" "findings without a directory"
expect_cmd_err 2 report "not a campaign directory" "report of a missing directory" "$tmp/nope"
expect_cmd_err 2 adopt "needs a campaign directory and a finding number" "adopt without N" "$tmp/other"
expect_cmd_err 2 adopt "no finding 3" "adopt of a finding that is not there" "$tmp/other" 3
expect_cmd_err 2 corpus-merge "not in this campaign" "corpus-merge of a target not in the campaign" \
    "$tmp/other" --targets $t
expect_err 2 "replay unknown target" ./build.sh replay --target nope
expect_err 2 "replay stray argument" ./build.sh replay extra
expect_cmd_err 2 minimize "no input file" "minimize no file"
expect_cmd_err 2 minimize "only one FILE" "minimize two files" a.txt b.txt
expect_cmd_err 2 minimize "no such file" "minimize missing file" corpus/$t/nope.txt
expect_cmd_err 2 minimize "unknown option" "minimize unknown option" --fast corpus/$t/growth.txt
expect_cmd_err 2 minimize "is a directory" "minimize a directory" corpus/$t
expect_cmd_err 2 minimize "is not a regular file" "minimize a device" /dev/null
# An output that cannot be written is refused before the minimization runs
# (a failing input: the work would otherwise be done, then lost). As root
# only a non-directory parent or /proc stops a write.
: >"$tmp/file"
fails=corpus/llsc-v6/regressions/w9-bare-sc.txt
expect_cmd_err 2 minimize "cannot write" "minimize -o under a file" -o "$tmp/file/out.txt" $fails
expect_cmd_err 2 minimize "cannot write" "minimize -o under /proc" -o /proc/nonexistent/out.txt $fails
expect_cmd_err 2 minimize "cannot write" "minimize -o a directory" -o "$tmp" $fails
# The write probe leaves nothing behind (here: a passing input, refused after it).
expect_cmd_err 1 minimize "nothing to minimize" "minimize a passing input" \
    -o "$tmp/new/out.txt" corpus/$t/growth.txt
[ ! -e "$tmp/new/out.txt" ] && pass "minimize removes its write probe" ||
    fail "minimize left its write probe $tmp/new/out.txt"
expect_cmd_err 2 repro "no such file" "repro missing file" corpus/$t/nope.txt
expect_cmd_err 2 repro "is a directory" "repro a directory" corpus/$t
expect_cmd_err 2 repro "is not a regular file" "repro a device" /dev/null
# stress: out-of-range values are refused before anything is built or run,
# with the binaries' limits (harness/stress.h, harness/stress_main.c).
expect_cmd_err 2 stress "1..31 for hotplug" "stress --threads too many" --threads 100000
expect_cmd_err 2 stress "1..31 for hotplug" "stress --threads 32 with hotplug" --target hotplug --threads 32
expect_cmd_err 2 stress "1..32," "stress --threads 33 on llsc" --target llsc --threads 33
expect_cmd_err 2 stress "1..32," "stress --threads past 2^64" --target bitmap --threads 99999999999999999999
expect_cmd_err 2 stress "more than 0" "stress --seconds 0" --seconds 0
expect_cmd_err 2 stress "at most 86400" "stress --seconds over a day" --seconds 86400.5
expect_cmd_err 2 stress "1..18446744073709551615" "stress --iterations 0" --iterations 0
expect_cmd_err 2 stress "0..18446744073709551615" "stress --seed past 2^64-1" --seed 18446744073709551616
expect_cmd_err 2 stress "any, none or a pattern" "stress --stop-on empty" --stop-on=
expect_err 2 "targets with an argument" ./build.sh targets extra
expect_err 2 "unknown command" ./build.sh no-such-command

o="$BUILD/tools/optext"
expect_err 2 "optext no arguments" "$o"
expect_err 2 "optext unknown family" "$o" --family nope to-text /dev/null
expect_err 2 "optext unknown mode" "$o" --family bitmap sideways
expect_err 2 "optext missing input" "$o" --family bitmap to-text "$tmp/nope.bin"
expect_err 2 "optext too many arguments" "$o" --family bitmap to-text a b c
expect_err 2 "optext unwritable output" "$o" --family bitmap to-text /dev/null "$tmp/no/such/dir/x"
printf 'nbits 10\nbitmap_set 1\n' >"$tmp/bad.txt"
expect_err 1 "optext text with a wrong argument count" "$o" --family bitmap from-text "$tmp/bad.txt" "$tmp/x.bin"
grep -q 'line 2: bitmap_set takes 2 arguments' "$tmp/err" && pass "optext names the line and the problem" ||
    fail "optext error text: $(cat "$tmp/err")"
printf 'bitmap_set 1 2\n' >"$tmp/bad.txt"
expect_err 1 "optext text without a header" "$o" --family bitmap from-text "$tmp/bad.txt" "$tmp/x.bin"
printf 'nbits 10\nbitmap_set 1 99999\n' >"$tmp/bad.txt"
expect_err 1 "optext number out of range" "$o" --family bitmap from-text "$tmp/bad.txt" "$tmp/x.bin"
[ ! -e "$tmp/x.bin" ] && pass "optext writes nothing on a parse error" || fail "optext wrote output on a parse error"

r="$BUILD/replay/$t"
expect_err 2 "replay binary without inputs" "$r"
expect_err 2 "replay binary missing input" "$r" "$tmp/nope.bin"
expect_err 2 "replay binary unknown flag" "$r" -runs=10 "$BUILD/corpus/$t/seeds"
expect_err 2 "replay binary bad timeout" "$r" -timeout=0 "$BUILD/corpus/$t/seeds"
mkdir "$tmp/empty"
expect_err 2 "replay binary empty directory" "$r" "$tmp/empty"
