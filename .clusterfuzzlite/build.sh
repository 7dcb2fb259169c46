#!/bin/bash -eu
# ClusterFuzzLite build step for llsc-harness, run by `compile` in
# $SRC/llsc-harness: the OSS-Fuzz contract of ./build.sh (ci/cmd-oss-fuzz.sh),
# like oss-fuzz/build.sh, but only the targets that must never fail. The
# weak variants (llsc-v6, llsc-v8, llsc-cmpxchg, race-v6, race-v8) fail within seconds by
# design: on a pull request that is noise, not news (./build.sh test checks
# they still fail: ci/tests/45-finds-bugs.sh).
LLSC_FUZZ_TARGETS=llsc-fixed,llsc-fixed-qemu,race-fixed,race-fixed-qemu,bitmap-builtin,bitmap-qemu QEMU_SRC=$SRC/qemu ./build.sh
