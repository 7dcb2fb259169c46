# The race targets (issue 11): the rows of targets/LIST whose family is
# race. mk/fuzz.mk builds them like every target (libFuzzer with ASan+UBSan,
# AFL++ and CMPLOG, replay), linked with libsut-sched.a: the SUT compiled
# with -DSUT_SCHED_POINTS (sut/sched_points.h), which no other goal uses.
# This file adds that library and the TSan builds:
#   build/libfuzzer-tsan/<t>   libFuzzer + ThreadSanitizer (free mode's race detector)
#   build/replay-tsan/<t>      the replay main + ThreadSanitizer
# and build/gcc/harness-tests/test_race_oracle, the oracle's unit test.
RACE_SCHED_CFGS := $(FUZZ_LIB_CFGS) tsanfuzz tsanreplay

define race_sched_lib
$(BUILD)/obj/$(1)-sched/sut/%.o: sut/%.c
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(WARN) $$(CFLAGS_$(1)) -DSUT_SCHED_POINTS -MMD -MP -c $$< -o $$@
$(BUILD)/$(1)/libsut-sched.a: $$(patsubst sut/%.c,$(BUILD)/obj/$(1)-sched/sut/%.o,$$(SUT_SRCS))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach c,$(RACE_SCHED_CFGS),$(eval $(call race_sched_lib,$(c))))
$(foreach c,tsanfuzz tsanreplay,$(eval $(call harness_lib,$(c))))

# race_tsan(target, source, backend)
define race_tsan
RACE_GOALS += $(BUILD)/libfuzzer-tsan/$(1) $(BUILD)/replay-tsan/$(1)
$(BUILD)/libfuzzer-tsan/$(1): $(BUILD)/obj/tsanfuzz/$(2:.c=.o) $(call fuzz_libs,race,$(3),tsanfuzz)
	@mkdir -p $$(@D)
	$$(CC_tsanfuzz) $$(CFLAGS_tsanfuzz) -fsanitize=fuzzer -pthread $$^ $$(BM_LDLIBS_$(3)) -o $$@
$(BUILD)/replay-tsan/$(1): $(BUILD)/obj/tsanreplay/$(2:.c=.o) $(BUILD)/obj/tsanreplay/harness/replay_main.o \
                           $(call fuzz_libs,race,$(3),tsanreplay)
	@mkdir -p $$(@D)
	$$(CC_tsanreplay) $$(CFLAGS_tsanreplay) -pthread $$^ $$(BM_LDLIBS_$(3)) -o $$@
endef
race_row = $(if $(and $(filter race,$(2)),$(filter $(1),$(FUZZ_TARGETS))),$(eval $(call race_tsan,$(1),$(3),$(4))))
$(foreach r,$(FUZZ_ROWS),$(call race_row,$(word 1,$(subst |, ,$(r))),$(word 2,$(subst |, ,$(r))),$(word 3,$(subst |, ,$(r))),$(word 4,$(subst |, ,$(r)))))

# gcc's libsut-sched.a: its objects show the points that the plain ones lack.
RACE_GOALS += $(BUILD)/gcc/harness-tests/test_race_oracle $(BUILD)/gcc/libsut-sched.a
$(BUILD)/gcc/harness-tests/test_race_oracle: $(BUILD)/obj/gcc/harness/tests/test_race_oracle.o \
                                            $(BUILD)/obj/gcc/harness/race_oracle.o
	@mkdir -p $(@D)
	$(CC_gcc) $(CFLAGS_gcc) $^ -o $@

.PHONY: race-targets
race-targets: $(RACE_GOALS)
all: race-targets
