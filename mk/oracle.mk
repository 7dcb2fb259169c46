# Unit tests of the LL/SC oracle and of the LL/SC byte grammar + text codec
# (harness/tests/test_*.c), for every configuration in CFGS. They link only
# the harness object they test: the oracle shares no code with sut/. The
# invariant test drives the SUT itself (fixed's invariants, invariant.h); the
# known test checks the known-class list and its shared counters (known.h);
# the mutate test the structure-aware mutator (mutate.h) of both families.
ORACLE_TESTS := test_oracle test_llsc_codec test_invariant test_known test_mutate
ORACLE_TEST_BINS := $(foreach c,$(CFGS),$(addprefix $(BUILD)/$(c)/harness-tests/,$(ORACLE_TESTS)))

define oracle_test_rule
$(BUILD)/$(1)/harness-tests/test_oracle: $(BUILD)/obj/$(1)/harness/tests/test_oracle.o \
                                         $(BUILD)/obj/$(1)/harness/oracle.o
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(CFLAGS_$(1)) $$^ -o $$@
$(BUILD)/$(1)/harness-tests/test_llsc_codec: $(BUILD)/obj/$(1)/harness/tests/test_llsc_codec.o \
                                             $(BUILD)/obj/$(1)/harness/llsc_ops.o
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(CFLAGS_$(1)) $$^ -o $$@
$(BUILD)/$(1)/harness-tests/test_invariant: $(BUILD)/obj/$(1)/harness/tests/test_invariant.o \
                                            $(BUILD)/obj/$(1)/harness/invariant.o \
                                            $(BUILD)/$(1)/libsut.a $(BUILD)/$(1)/libbm-builtin.a
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(CFLAGS_$(1)) -pthread $$^ -o $$@
$(BUILD)/$(1)/harness-tests/test_mutate: $(BUILD)/obj/$(1)/harness/tests/test_mutate.o \
    $(patsubst %,$(BUILD)/obj/$(1)/harness/%.o,mutate mutate_llsc mutate_bitmap llsc_ops bitmap_ops report) \
    $(BUILD)/$(1)/libbm-builtin.a
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(CFLAGS_$(1)) $$^ -o $$@
$(BUILD)/$(1)/harness-tests/test_known: $(BUILD)/obj/$(1)/harness/tests/test_known.o \
                                        $(BUILD)/obj/$(1)/harness/known.o
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(CFLAGS_$(1)) $$^ -o $$@
endef
$(foreach c,$(CFGS),$(eval $(call oracle_test_rule,$(c))))

.PHONY: oracle-tests
oracle-tests: $(ORACLE_TEST_BINS)
all: oracle-tests
