# Driven by ./build.sh; run `make` directly only if you know the configs.
# Each area adds its goals in mk/<area>.mk; this file only defines the build
# configurations (compiler + flags) every area shares.
BUILD ?= build
CFGS ?= gcc clang asan tsan
WARN := -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread -Isut -Iharness

CC_gcc := gcc
CFLAGS_gcc := -O2 -g
CC_clang := clang
CFLAGS_clang := -O2 -g
CC_asan := clang
CFLAGS_asan := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
CC_tsan := clang
CFLAGS_tsan := -O1 -g -fsanitize=thread
CC_stress := gcc
CFLAGS_stress := -O2 -g
CC_fuzz := clang
CFLAGS_fuzz := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
CC_replay := clang
CFLAGS_replay := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
CC_afl := afl-clang-fast
CFLAGS_afl := -O2 -g -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
CC_aflcmplog := AFL_LLVM_CMPLOG=1 afl-clang-fast
CFLAGS_aflcmplog := -O2 -g -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
# Source-based coverage (build/cov/<t>, mk/fuzz.mk); -O0 so that every line maps to code.
CC_cov := clang
CFLAGS_cov := -O0 -g -fprofile-instr-generate -fcoverage-mapping -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
ALL_CFGS := gcc clang asan tsan stress fuzz replay afl aflcmplog cov
# The OSS-Fuzz build contract (mk/oss-fuzz.mk, ci/cmd-oss-fuzz.sh): the
# compiler and flags the environment gives, no sanitizer flag of ours. Only
# when asked for (OSSFUZZ=1), so that no other goal ever builds it.
# -Wno-error: OSS-Fuzz's clang is newer than ours; a warning it adds must not
# stop continuous fuzzing (our own builds keep -Werror).
ifeq ($(OSSFUZZ),1)
CC_ossfuzz := $(CC)
CFLAGS_ossfuzz := $(CFLAGS) -Wno-error
ALL_CFGS += ossfuzz
endif

# The SUT proper; bitmap backends are separate libraries (sut/bitmap.h seam).
SUT_SRCS := $(filter-out sut/bitmap_%.c,$(wildcard sut/*.c))

# cfg_rules(cfg): objects under $(BUILD)/obj/<cfg>/, libraries under $(BUILD)/<cfg>/.
define cfg_rules
$(BUILD)/obj/$(1)/%.o: %.c
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(WARN) $$(CFLAGS_$(1)) -MMD -MP -c $$< -o $$@
$(BUILD)/$(1)/libsut.a: $$(patsubst %.c,$(BUILD)/obj/$(1)/%.o,$$(SUT_SRCS))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
$(BUILD)/$(1)/libbm-builtin.a: $(BUILD)/obj/$(1)/sut/bitmap_builtin.o
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach c,$(ALL_CFGS),$(eval $(call cfg_rules,$(c))))

.PHONY: all
all:

include $(sort $(wildcard mk/*.mk))
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
