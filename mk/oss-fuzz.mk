# The OSS-Fuzz build contract (issue 12). With OSSFUZZ=1 (ci/cmd-oss-fuzz.sh
# sets it; nothing else does), for every target mk/fuzz.mk can build here:
#   build/ossfuzz/<t>    its source and libraries compiled with $(CC) $(CFLAGS)
#                        (configuration ossfuzz, Makefile), linked with
#                        $(CXX) $(CXXFLAGS) ... $(LIB_FUZZING_ENGINE), as
#                        OSS-Fuzz asks (the engine may be C++)
# Goal `ossfuzz-targets` builds them all. The qemu backend links glib
# statically: the image ClusterFuzz runs the binaries in (base-runner) has
# no glib; the C library and its companions stay shared.
ifeq ($(OSSFUZZ),1)

OSSFUZZ_GLIB := $(or $(shell pkg-config --static --libs glib-2.0 2>/dev/null),-lglib-2.0)
OSSFUZZ_LIBC := -lc -lm -lpthread -ldl -lrt
OSSFUZZ_LDLIBS_builtin :=
OSSFUZZ_LDLIBS_qemu := $(filter-out -l%,$(OSSFUZZ_GLIB)) \
    -Wl,-Bstatic $(filter-out $(OSSFUZZ_LIBC),$(filter -l%,$(OSSFUZZ_GLIB))) -Wl,-Bdynamic \
    $(filter $(OSSFUZZ_LIBC),$(OSSFUZZ_GLIB))

# ossfuzz_target(target, family, source, backend)
define ossfuzz_target
OSSFUZZ_BINS += $(BUILD)/ossfuzz/$(1)
$(BUILD)/ossfuzz/$(1): $(BUILD)/obj/ossfuzz/$(3:.c=.o) $(call fuzz_libs,$(2),$(4),ossfuzz)
	@mkdir -p $$(@D)
	$$(CXX) $$(CXXFLAGS) -pthread $$^ $$(LIB_FUZZING_ENGINE) $$(OSSFUZZ_LDLIBS_$(4)) -o $$@
endef
ossfuzz_row = $(if $(filter $(1),$(FUZZ_TARGETS)),$(eval $(call ossfuzz_target,$(1),$(2),$(3),$(4))))
$(foreach r,$(FUZZ_ROWS),$(call ossfuzz_row,$(word 1,$(subst |, ,$(r))),$(word 2,$(subst |, ,$(r))),$(word 3,$(subst |, ,$(r))),$(word 4,$(subst |, ,$(r)))))

.PHONY: ossfuzz-targets
ossfuzz-targets: $(OSSFUZZ_BINS)

endif
