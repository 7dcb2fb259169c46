#!/bin/bash -eu
# OSS-Fuzz build step for llsc-harness (projects/llsc-harness/build.sh), run by
# `compile` in $SRC/llsc-harness. The project's own ./build.sh follows the
# build contract when LIB_FUZZING_ENGINE and OUT are set: it echoes CC,
# CFLAGS, ... and uses them as given, and writes every target of targets/LIST
# with its seed corpus, dictionary and options into $OUT
# (ci/cmd-oss-fuzz.sh). QEMU's source is where the Dockerfile put it.
QEMU_SRC=$SRC/qemu ./build.sh
