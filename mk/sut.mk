# The systems under test and their unit tests, built with every compiler
# configuration in CFGS (gcc, clang, asan, tsan by default).
SUT_TESTS := $(patsubst sut/tests/%.c,%,$(wildcard sut/tests/test_*.c))
SUT_TEST_BINS := $(foreach c,$(CFGS),$(addprefix $(BUILD)/$(c)/sut-tests/,$(SUT_TESTS)))

define sut_test_rule
$(BUILD)/$(1)/sut-tests/%: $(BUILD)/obj/$(1)/sut/tests/%.o $(BUILD)/obj/$(1)/sut/tests/check.o $(BUILD)/$(1)/libsut.a $(BUILD)/$(1)/libbm-builtin.a
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(CFLAGS_$(1)) -pthread $$^ -o $$@
endef
$(foreach c,$(CFGS),$(eval $(call sut_test_rule,$(c))))

.PHONY: sut
sut: $(SUT_TEST_BINS)
all: sut
