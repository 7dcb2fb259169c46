# The design-space explorer (./build.sh explore, ci/tests/*-explore.sh): the
# SUT the fuzzers drive, the oracle of harness/oracle.c, a grid of workloads.
#   build/gcc/explore    -O2, what ./build.sh explore runs
#   build/asan/explore   ASan+UBSan, a small grid in the test tier
EXPLORE_CFGS := gcc asan
EXPLORE_OBJS = $(BUILD)/obj/$(1)/harness/explore_main.o $(BUILD)/obj/$(1)/harness/explore.o \
               $(BUILD)/obj/$(1)/harness/oracle.o

define explore_rule
$(BUILD)/$(1)/explore: $(call EXPLORE_OBJS,$(1)) $(BUILD)/$(1)/libsut.a $(BUILD)/$(1)/libbm-builtin.a
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(CFLAGS_$(1)) -pthread $$^ -o $$@
endef
$(foreach c,$(EXPLORE_CFGS),$(eval $(call explore_rule,$(c))))

.PHONY: explore
explore: $(foreach c,$(EXPLORE_CFGS),$(BUILD)/$(c)/explore)
all: explore
