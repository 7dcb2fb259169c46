# Unit test of the state feedback (harness/feedback.h): specific programs
# light specific features, deterministically. It drives whole inputs
# (llsc_fuzz_one), so it links the fuzz harness library of a configuration
# that has one: gcc, and replay (ASan+UBSan).
FEEDBACK_TEST_CFGS := gcc replay
FEEDBACK_TEST_BINS := $(foreach c,$(FEEDBACK_TEST_CFGS),$(BUILD)/$(c)/harness-tests/test_feedback)

define feedback_test_rule
$(BUILD)/$(1)/harness-tests/test_feedback: $(BUILD)/obj/$(1)/harness/tests/test_feedback.o \
        $(BUILD)/$(1)/libharness.a $(BUILD)/$(1)/libsut.a $(BUILD)/$(1)/libbm-builtin.a
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(CFLAGS_$(1)) -pthread $$^ -o $$@
endef
$(foreach c,$(FEEDBACK_TEST_CFGS),$(eval $(call feedback_test_rule,$(c))))

.PHONY: feedback-tests
feedback-tests: $(FEEDBACK_TEST_BINS)
all: feedback-tests
