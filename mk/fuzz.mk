# Fuzz targets (issue 3). For every row of targets/LIST
#   target  family  source  backend
# this builds
#   build/libfuzzer/<t>        clang, libFuzzer, ASan+UBSan          (cfg fuzz)
#   build/afl/<t>              afl-clang-fast + AFL++'s libAFLDriver (cfg afl)
#   build/afl/<t>.cmplog       the same with CMPLOG instrumentation  (cfg aflcmplog)
#   build/replay/<t>           ASan+UBSan, harness/replay_main.c     (cfg replay)
#   build/cov/<t>              the same main, clang source-based coverage (cfg cov;
#                              not part of `all`: ./build.sh coverage asks for it)
#   build/corpus/<t>/seeds/*.bin        from corpus/<t>/*.txt
#   build/corpus/<t>/regressions/*.bin  from corpus/<t>/regressions/*.txt
#   build/{libfuzzer,afl}/<t>.dict      copies of corpus/<family>.dict
#   build/afl/mutator-<family>.so       AFL++ custom mutator library of the family
#                                       (harness/mutate_afl.c; shared objects built
#                                       with -fPIC from source, only afl_custom_*
#                                       exported) when harness/mutate_<family>.c exists
#   (build/ossfuzz/<t> under the OSS-Fuzz contract only: mk/oss-fuzz.mk)
# plus build/tools/optext (text <-> bytes). A target links
# libharness.a (every harness/*.c but *_main.c, stress_*.c and explore.c), libsut.a
# (families other than bitmap) and libbm-<backend>.a of its configuration,
# then $(BM_LDLIBS_<backend>) (a backend's extra link flags, set by its mk).
# A libFuzzer target of a family with a structure-aware mutator also links
# harness/mutate_lf_<family>.o by name: libFuzzer finds LLVMFuzzerCustomMutator
# by weak reference, which would not pull it out of libharness.a.
# Adding a LIST row is enough; a row whose source or backend is not there
# yet is skipped with a message.

export AFL_QUIET := 1
AFL_DRIVER ?= /usr/lib/afl/libAFLDriver.a
OPTEXT := $(BUILD)/tools/optext

FUZZ_ROWS := $(shell awk '!/^[ \t]*\#/ && NF >= 4 {print $$1 "|" $$2 "|" $$3 "|" $$4}' targets/LIST)
HARNESS_SRCS := $(filter-out %_main.c harness/stress_%.c harness/explore.c harness/mutate_afl.c,$(wildcard harness/*.c))
FUZZ_LIB_CFGS := gcc fuzz replay afl aflcmplog cov $(if $(filter 1,$(OSSFUZZ)),ossfuzz)

define harness_lib
$(BUILD)/$(1)/libharness.a: $$(patsubst %.c,$(BUILD)/obj/$(1)/%.o,$$(HARNESS_SRCS))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach c,$(FUZZ_LIB_CFGS),$(eval $(call harness_lib,$(c))))

# Libraries of target family $(1), backend $(2), in configuration $(3). The
# race family links the SUT with its scheduling points (mk/race.mk).
fuzz_libs = $(BUILD)/$(3)/libharness.a \
            $(if $(filter bitmap,$(1)),,$(BUILD)/$(3)/libsut$(if $(filter race,$(1)),-sched).a) \
            $(BUILD)/$(3)/libbm-$(2).a

# optext knows every family whose codec (a definition of hx_codec_<family>)
# is in libharness.a; -u pulls each in. Codecs other than bitmap's may need
# the SUT, so libsut.a comes with them.
OPTEXT_FAMILIES := $(sort $(shell sed -n 's/^const struct hx_codec hx_codec_\([a-z0-9_]*\) *=.*/\1/p' $(HARNESS_SRCS) /dev/null))
$(OPTEXT): $(BUILD)/obj/gcc/harness/optext_main.o $(BUILD)/gcc/libharness.a \
           $(if $(filter-out bitmap,$(OPTEXT_FAMILIES)),$(BUILD)/gcc/libsut.a) $(BUILD)/gcc/libbm-builtin.a
	@mkdir -p $(@D)
	$(CC_gcc) $(CFLAGS_gcc) -pthread $(foreach f,$(OPTEXT_FAMILIES),-Wl,-u,hx_codec_$(f)) \
	    $(filter %.o %.a,$^) -o $@

# The family's libFuzzer mutator entry points and AFL++ mutator library, if
# it has a structure-aware mutator (harness/mutate_<family>.c).
mu_lf_obj = $(if $(wildcard harness/mutate_lf_$(1).c),$(BUILD)/obj/fuzz/harness/mutate_lf_$(1).o)
mu_afl_so = $(if $(wildcard harness/mutate_$(1).c),$(BUILD)/afl/mutator-$(1).so)
MU_SO_SRCS_llsc := harness/llsc_ops.c
MU_SO_SRCS_bitmap := harness/bitmap_ops.c harness/report.c sut/bitmap_builtin.c
MU_FAMILIES := $(patsubst harness/mutate_lf_%.c,%,$(wildcard harness/mutate_lf_*.c))
define mu_afl_rule
$(BUILD)/afl/mutator-$(1).so: harness/mutate_afl.c harness/mutate.c harness/mutate_$(1).c \
                              $(MU_SO_SRCS_$(1)) $(wildcard harness/*.h sut/*.h)
	@mkdir -p $$(@D)
	$(CC_gcc) $(WARN) -O2 -g -fPIC -shared -fvisibility=hidden -DMU_FAMILY=mu_$(1) \
	    $$(filter %.c,$$^) -Wl,-z,defs -o $$@
endef
$(foreach f,$(MU_FAMILIES),$(eval $(call mu_afl_rule,$(f))))

# fuzz_target(target, family, source, backend)
define fuzz_target
FUZZ_TARGETS += $(1)
FUZZ_GOALS += $(BUILD)/libfuzzer/$(1) $(BUILD)/afl/$(1) $(BUILD)/afl/$(1).cmplog \
              $(BUILD)/replay/$(1) $(call mu_afl_so,$(2)) \
              $(patsubst corpus/$(1)/%.txt,$(BUILD)/corpus/$(1)/seeds/%.bin,$(wildcard corpus/$(1)/*.txt)) \
              $(patsubst corpus/$(1)/regressions/%.txt,$(BUILD)/corpus/$(1)/regressions/%.bin,$(wildcard corpus/$(1)/regressions/*.txt)) \
              $(if $(wildcard corpus/$(2).dict),$(BUILD)/libfuzzer/$(1).dict $(BUILD)/afl/$(1).dict)

$(BUILD)/libfuzzer/$(1): $(BUILD)/obj/fuzz/$(3:.c=.o) $(call mu_lf_obj,$(2)) $(call fuzz_libs,$(2),$(4),fuzz)
	@mkdir -p $$(@D)
	$$(CC_fuzz) $$(CFLAGS_fuzz) -fsanitize=fuzzer -pthread $$^ $$(BM_LDLIBS_$(4)) -o $$@
$(BUILD)/afl/$(1): $(BUILD)/obj/afl/$(3:.c=.o) $(call fuzz_libs,$(2),$(4),afl)
	@mkdir -p $$(@D)
	$$(CC_afl) $$(CFLAGS_afl) -pthread $$^ $$(AFL_DRIVER) $$(BM_LDLIBS_$(4)) -o $$@
$(BUILD)/afl/$(1).cmplog: $(BUILD)/obj/aflcmplog/$(3:.c=.o) $(call fuzz_libs,$(2),$(4),aflcmplog)
	@mkdir -p $$(@D)
	$$(CC_aflcmplog) $$(CFLAGS_aflcmplog) -pthread $$^ $$(AFL_DRIVER) $$(BM_LDLIBS_$(4)) -o $$@
$(BUILD)/replay/$(1): $(BUILD)/obj/replay/$(3:.c=.o) $(BUILD)/obj/replay/harness/replay_main.o \
                      $(call fuzz_libs,$(2),$(4),replay)
	@mkdir -p $$(@D)
	$$(CC_replay) $$(CFLAGS_replay) -pthread $$^ $$(BM_LDLIBS_$(4)) -o $$@
$(BUILD)/cov/$(1): $(BUILD)/obj/cov/$(3:.c=.o) $(BUILD)/obj/cov/harness/replay_main.o \
                   $(call fuzz_libs,$(2),$(4),cov)
	@mkdir -p $$(@D)
	$$(CC_cov) $$(CFLAGS_cov) -pthread $$^ $$(BM_LDLIBS_$(4)) -o $$@
$(BUILD)/corpus/$(1)/seeds/%.bin: corpus/$(1)/%.txt $(OPTEXT)
	@mkdir -p $$(@D)
	$(OPTEXT) --family $(2) from-text $$< $$@
$(BUILD)/corpus/$(1)/regressions/%.bin: corpus/$(1)/regressions/%.txt $(OPTEXT)
	@mkdir -p $$(@D)
	$(OPTEXT) --family $(2) from-text $$< $$@
$(BUILD)/libfuzzer/$(1).dict $(BUILD)/afl/$(1).dict: corpus/$(2).dict
	@mkdir -p $$(@D)
	cp $$< $$@
endef

# Why a row cannot be built yet (empty if it can).
fuzz_missing = $(strip \
    $(if $(wildcard $(3)),,$(3) is not there yet) \
    $(if $(wildcard sut/bitmap_$(4).c),,backend $(4) (sut/bitmap_$(4).c) is not there yet) \
    $(if $(filter bitmap,$(2))$(SUT_SRCS),,the SUT (sut/*.c) is not there yet) \
    $(BM_MISSING_$(4)))

# fuzz_row(target, family, source, backend): the rules, or a skip message.
fuzz_row = $(if $(call fuzz_missing,$(1),$(2),$(3),$(4)), \
    $(eval FUZZ_SKIPPED += $(1)) \
    $(if $(filter-out all fuzz-targets,$(or $(MAKECMDGOALS),all)),, \
        $(info fuzz.mk: skipping target $(1): $(call fuzz_missing,$(1),$(2),$(3),$(4)))), \
    $(eval $(call fuzz_target,$(1),$(2),$(3),$(4))))
$(foreach r,$(FUZZ_ROWS),$(call fuzz_row,$(word 1,$(subst |, ,$(r))),$(word 2,$(subst |, ,$(r))),$(word 3,$(subst |, ,$(r))),$(word 4,$(subst |, ,$(r)))))

.PHONY: fuzz-targets
fuzz-targets: $(OPTEXT) $(FUZZ_GOALS)
all: fuzz-targets

# The oracle and the driver compare memory byte by byte after every op, and
# sut_peek (sut/peek.c) copies it for them: with comparison tracing those loops
# were a quarter of libFuzzer's time and feed it nothing (edge counters stay,
# so the oracle's verdict paths still count). The bitmap harness likewise: its
# model's per-bit loops were two thirds of bitmap-builtin's time, and its
# decoder reduces bytes by modulo (no constant to learn). The SUT keeps its
# tracing: built without it (issue 9), llsc-fixed ran about a fifth faster but
# llsc-v8's failed-sc-wrote took longer to find (README, Benchmarks).
$(BUILD)/obj/fuzz/harness/oracle.o $(BUILD)/obj/fuzz/harness/llsc_fuzz.o \
$(BUILD)/obj/fuzz/harness/bitmap_ops.o \
$(BUILD)/obj/fuzz/sut/peek.o: CFLAGS_fuzz += -fno-sanitize-coverage=trace-cmp

# Harness code whose branches tell the engine nothing that the SUT's, the
# decoder's and the oracle's edges do not: fixed's invariant checks and the
# TLB walks they use (sut/peek.c), the state feedback (its counters are the
# features), reports, the known-class list and the mutators (they run outside
# the input; libFuzzer clears what they light). Built without coverage they
# no longer cost every execution their counters and features (issue 9 goal 1:
# llsc-fixed about a quarter more exec/s, README Benchmarks).
$(foreach o,invariant report known feedback mutate mutate_llsc mutate_bitmap \
            mutate_libfuzzer mutate_lf_llsc mutate_lf_bitmap,$(BUILD)/obj/fuzz/harness/$(o).o) \
$(BUILD)/obj/fuzz/sut/peek.o: CFLAGS_fuzz += -fno-sanitize=fuzzer-no-link

# State feedback (harness/feedback.h): where its counters go depends on the
# engine the build links; its comparisons feed the fuzzer nothing either.
$(BUILD)/obj/fuzz/harness/feedback.o: CFLAGS_fuzz += -DLLSC_FB_LIBFUZZER -fno-sanitize-coverage=trace-cmp
# Under AFL++ plain clang compiles it: the instrumentation declares
# __afl_area_ptr itself and would rename our declaration of it.
$(BUILD)/obj/afl/harness/feedback.o: CFLAGS_afl += -DLLSC_FB_AFL
$(BUILD)/obj/afl/harness/feedback.o: CC_afl := clang
$(BUILD)/obj/aflcmplog/harness/feedback.o: CFLAGS_aflcmplog += -DLLSC_FB_AFL
$(BUILD)/obj/aflcmplog/harness/feedback.o: CC_aflcmplog := clang
