#!/usr/bin/env bash
# Command-line mistakes get a one-line error on stderr, nothing on stdout,
# and exit 2: ./build.sh fuzz|replay|minimize|repro|targets, build/tools/optext
# and the replay binaries. Also: optext exits 1 (one line, "line N: ...") on
# text that does not parse.
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

t=bitmap-builtin
expect_err 2 "fuzz without --target" ./build.sh fuzz
expect_err 2 "fuzz unknown target" ./build.sh fuzz --target nope
expect_err 2 "fuzz unknown engine" ./build.sh fuzz --target $t --engine honggfuzz
expect_err 2 "fuzz --seconds not a number" ./build.sh fuzz --target $t --seconds soon
expect_err 2 "fuzz --runs 0" ./build.sh fuzz --target $t --runs 0
expect_err 2 "fuzz --seed missing value" ./build.sh fuzz --target $t --seed
expect_err 2 "fuzz stray argument" ./build.sh fuzz --target $t extra
expect_err 2 "replay unknown target" ./build.sh replay --target nope
expect_err 2 "replay stray argument" ./build.sh replay extra
expect_err 2 "minimize no file" ./build.sh minimize
expect_err 2 "minimize two files" ./build.sh minimize a.txt b.txt
expect_err 2 "minimize missing file" ./build.sh minimize corpus/$t/nope.txt
expect_err 2 "minimize unknown option" ./build.sh minimize --fast corpus/$t/growth.txt
expect_err 2 "repro missing file" ./build.sh repro corpus/$t/nope.txt
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
