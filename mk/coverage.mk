# Coverage builds (./build.sh coverage, ci/cmd-coverage.sh): for every row of
# targets/LIST, build/cov/<t> is the target linked with harness/replay_main.c
# exactly as mk/fuzz.mk links build/replay/<t>, but in configuration cov
# (clang source-based coverage, no sanitizer). Nothing here joins `all`: the
# instrumented build is only wanted by the coverage command, which asks for
# its goals by name.
#
# This file is read before mk/fuzz.mk (name order), so it cannot use that
# file's variables in prerequisites, which make expands at read time: the
# harness source list and the row list are computed again here, the same way.
# Rows are not filtered for missing sources or backends: the command asks
# only for targets that ci/fuzz-lib.sh's target_missing accepts, and a qemu
# goal without a tree still stops with mk/qemu.mk's reason.

COV_ROWS := $(shell awk '!/^[ \t]*\#/ && NF >= 4 {print $$1 "|" $$2 "|" $$3 "|" $$4}' targets/LIST)
COV_HARNESS_SRCS := $(filter-out %_main.c harness/stress_%.c,$(wildcard harness/*.c))

$(BUILD)/cov/libharness.a: $(patsubst %.c,$(BUILD)/obj/cov/%.o,$(COV_HARNESS_SRCS))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# cov_target(target, family, source, backend)
define cov_target
$(BUILD)/cov/$(1): $(BUILD)/obj/cov/$(3:.c=.o) $(BUILD)/obj/cov/harness/replay_main.o \
                   $(BUILD)/cov/libharness.a $(if $(filter bitmap,$(2)),,$(BUILD)/cov/libsut.a) \
                   $(BUILD)/cov/libbm-$(4).a
	@mkdir -p $$(@D)
	$$(CC_cov) $$(CFLAGS_cov) -pthread $$^ $$(BM_LDLIBS_$(4)) -o $$@
endef
cov_row = $(eval $(call cov_target,$(word 1,$(1)),$(word 2,$(1)),$(word 3,$(1)),$(word 4,$(1))))
$(foreach r,$(COV_ROWS),$(call cov_row,$(subst |, ,$(r))))
