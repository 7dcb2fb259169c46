# Stress binaries (harness/stress.h): one generic body, one thin entry file per
# workload (targets/stress-<w>.c), built two ways:
#   build/tsan/stress-<w>    clang -fsanitize=thread (cfg tsan): the race gate
#   build/stress/stress-<w>  gcc -O2, no sanitizer (cfg stress): throughput and
#                            the lost-update controls
STRESS_WORKLOADS := bitmap llsc hotplug
STRESS_CFGS := tsan stress
STRESS_LIB_SRCS := $(wildcard harness/stress_*.c)

define stress_rules
$(BUILD)/$(1)/libstress.a: $$(patsubst %.c,$(BUILD)/obj/$(1)/%.o,$(STRESS_LIB_SRCS))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
$(BUILD)/$(1)/stress-%: $(BUILD)/obj/$(1)/targets/stress-%.o $(BUILD)/$(1)/libstress.a $(BUILD)/$(1)/libsut.a $(BUILD)/$(1)/libbm-builtin.a
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(CFLAGS_$(1)) -pthread $$^ -o $$@
endef
$(foreach c,$(STRESS_CFGS),$(eval $(call stress_rules,$(c))))

STRESS_BINS := $(foreach c,$(STRESS_CFGS),$(addprefix $(BUILD)/$(c)/stress-,$(STRESS_WORKLOADS)))

.PHONY: stress-bins
stress-bins: $(STRESS_BINS)
all: stress-bins
