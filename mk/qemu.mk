# The qemu bitmap backend (issue 5): QEMU's unmodified util/bitmap.c and
# util/bitops.c, plus sut/bitmap_qemu.c (the sut/bitmap.h seam over them),
# compiled against our shim headers (harness/qemu-shim, first on the include
# path) and QEMU's own include/ directory, for every configuration:
#   build/<cfg>/libbm-qemu.a                link with $(BM_LDLIBS_qemu)
# and the backend's own checks (run by ci/tests/50-qemu.sh):
#   build/{gcc,clang,asan}/qemu-tests/bm_diff    differential vs model+builtin
#   build/gcc/qemu-tests/bm_diff-builtin         the same on builtin (control)
#   build/tsan/qemu-tests/bm_race[-builtin]      TSan race reproducers
# and, on the same library, the SUT's unit tests (build/{gcc,asan}/
# sut-tests-qemu/) and mk/stress.mk's stress binaries
# (build/{tsan,stress}/stress-<w>-qemu).
# The tree comes from mk/00-qemu-src.mk. Objects live in
# build/obj/<cfg>/qemu-<tag>/, <tag> a checksum of the tree's path and
# version, so another QEMU_SRC never reuses objects of a different tree; the
# file build/qemu-src.tag changes with the tree and every libbm-qemu.a
# depends on it, so switching trees back and forth re-archives and relinks.
# Without a tree nothing here joins `all`, and asking for a qemu goal stops
# with the reason.

QEMU_TESTS_DIFF_CFGS := gcc clang asan
QEMU_GLIB_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags glib-2.0 2>/dev/null))
# Our own file: every warning, as an error; QEMU's headers need GNU C
# (typeof) and are system headers to it, so only our code is judged.
QEMU_WARN := $(patsubst -std=c11,-std=gnu11,$(WARN))

ifneq ($(QEMU_SRC),)

QEMU_VERSION_TEXT := $(strip $(shell cat $(QEMU_SRC)/VERSION $(QEMU_SRC)/.debian-version 2>/dev/null))
QEMU_TAG := $(firstword $(shell printf '%s\n' '$(QEMU_SRC) $(QEMU_VERSION_TEXT)' | cksum))
QEMU_TAG_FILE := $(BUILD)/qemu-src.tag
QEMU_TAG_LINE := $(QEMU_TAG) $(QEMU_SRC) $(QEMU_VERSION_TEXT)
ifneq ($(shell cat $(QEMU_TAG_FILE) 2>/dev/null),$(QEMU_TAG_LINE))
  $(shell mkdir -p $(BUILD) && printf '%s\n' '$(QEMU_TAG_LINE)' >$(QEMU_TAG_FILE))
endif

# qemu_rules(cfg)
define qemu_rules
QEMU_OBJS_$(1) := $(BUILD)/obj/$(1)/qemu-$(QEMU_TAG)/util/bitmap.o \
                  $(BUILD)/obj/$(1)/qemu-$(QEMU_TAG)/util/bitops.o \
                  $(BUILD)/obj/$(1)/qemu-$(QEMU_TAG)/sut/bitmap_qemu.o

# QEMU's files, unmodified, with its warnings off (-w): ours stay -Werror.
$(BUILD)/obj/$(1)/qemu-$(QEMU_TAG)/util/%.o: $(QEMU_SRC)/util/%.c
	@mkdir -p $$(@D)
	$$(CC_$(1)) -std=gnu11 -D_GNU_SOURCE -pthread $$(CFLAGS_$(1)) -Iharness/qemu-shim \
	    -I$(QEMU_SRC)/include $(QEMU_GLIB_CFLAGS) -w -MMD -MP -c $$< -o $$@
$(BUILD)/obj/$(1)/qemu-$(QEMU_TAG)/sut/bitmap_qemu.o: sut/bitmap_qemu.c
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(QEMU_WARN) $$(CFLAGS_$(1)) -Iharness/qemu-shim \
	    -isystem $(QEMU_SRC)/include $(QEMU_GLIB_CFLAGS) -MMD -MP -c $$< -o $$@
$(BUILD)/$(1)/libbm-qemu.a: $$(QEMU_OBJS_$(1)) $(QEMU_TAG_FILE)
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$(QEMU_OBJS_$(1))
endef
$(foreach c,$(ALL_CFGS),$(eval $(call qemu_rules,$(c))))

# qemu_test(cfg, program, backend, binary name)
define qemu_test
QEMU_TEST_BINS += $(BUILD)/$(1)/qemu-tests/$(4)
$(BUILD)/$(1)/qemu-tests/$(4): $(BUILD)/obj/$(1)/harness/tests/$(2).o $(BUILD)/$(1)/libbm-$(3).a
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(CFLAGS_$(1)) -pthread $$^ $$(BM_LDLIBS_$(3)) -o $$@
endef
$(foreach c,$(QEMU_TESTS_DIFF_CFGS),$(eval $(call qemu_test,$(c),bm_diff,qemu,bm_diff)))
$(eval $(call qemu_test,gcc,bm_diff,builtin,bm_diff-builtin))
$(eval $(call qemu_test,tsan,bm_race,qemu,bm_race))
$(eval $(call qemu_test,tsan,bm_race,builtin,bm_race-builtin))

# The SUT's unit tests (mk/sut.mk) on QEMU's code:
#   build/{gcc,asan}/sut-tests-qemu/test_*
QEMU_SUT_TESTS := $(patsubst sut/tests/%.c,%,$(wildcard sut/tests/test_*.c))
ifneq ($(QEMU_SUT_TESTS),)
define qemu_sut_tests
QEMU_TEST_BINS += $(addprefix $(BUILD)/$(1)/sut-tests-qemu/,$(QEMU_SUT_TESTS))
$(BUILD)/$(1)/sut-tests-qemu/%: $(BUILD)/obj/$(1)/sut/tests/%.o $(BUILD)/obj/$(1)/sut/tests/check.o \
                                $(BUILD)/$(1)/libsut.a $(BUILD)/$(1)/libbm-qemu.a
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(CFLAGS_$(1)) -pthread $$^ $$(BM_LDLIBS_qemu) -o $$@
endef
$(foreach c,gcc asan,$(eval $(call qemu_sut_tests,$(c))))
endif

# The stress binaries of mk/stress.mk on QEMU's code, next to theirs:
#   build/{tsan,stress}/stress-<workload>-qemu
ifneq ($(wildcard mk/stress.mk),)
QEMU_STRESS_WORKLOADS := $(patsubst targets/stress-%.c,%,$(wildcard targets/stress-*.c))
define qemu_stress
QEMU_STRESS_BINS += $(BUILD)/$(1)/stress-$(2)-qemu
$(BUILD)/$(1)/stress-$(2)-qemu: $(BUILD)/obj/$(1)/targets/stress-$(2).o $(BUILD)/$(1)/libstress.a \
                                $(BUILD)/$(1)/libsut.a $(BUILD)/$(1)/libbm-qemu.a
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(CFLAGS_$(1)) -pthread $$^ $$(BM_LDLIBS_qemu) -o $$@
endef
$(foreach c,tsan stress,$(foreach w,$(QEMU_STRESS_WORKLOADS),$(eval $(call qemu_stress,$(c),$(w)))))
endif

.PHONY: qemu-backend
qemu-backend: $(foreach c,$(filter-out cov,$(ALL_CFGS)),$(BUILD)/$(c)/libbm-qemu.a) $(QEMU_TEST_BINS) $(QEMU_STRESS_BINS)
all: qemu-backend

else # no QEMU tree: say why if a qemu goal is asked for

.PHONY: qemu-backend
qemu-backend $(foreach c,$(ALL_CFGS),$(BUILD)/$(c)/libbm-qemu.a):
	@echo "qemu.mk: cannot build $@: $(BM_MISSING_qemu)" >&2; exit 1

endif
