# The race targets' TSan configurations (issue 11; rules in mk/race.mk).
# Defined before the other mk files so that qemu.mk gives them a QEMU bitmap
# backend too.
#   tsanfuzz    clang, libFuzzer, ThreadSanitizer  -> build/libfuzzer-tsan/<t>
#   tsanreplay  clang, ThreadSanitizer, replay main -> build/replay-tsan/<t>
CC_tsanfuzz := clang
CFLAGS_tsanfuzz := -O1 -g -fsanitize=fuzzer-no-link,thread -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
CC_tsanreplay := clang
CFLAGS_tsanreplay := -O1 -g -fsanitize=thread -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
ALL_CFGS += tsanfuzz tsanreplay
$(foreach c,tsanfuzz tsanreplay,$(eval $(call cfg_rules,$(c))))
