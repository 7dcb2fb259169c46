# Which QEMU tree the qemu bitmap backend is built from (issue 5). Read before
# the other fragments (name order) so that every fragment that links a
# backend can ask, at parse time, whether this one can be built:
#   QEMU_SRC         absolute path of the tree, or empty when there is none:
#                    the user's QEMU_SRC (environment or make variable) wins,
#                    else the cached Debian tree $(QEMU_CACHE)/src
#                    (./build.sh qemu-src; QEMU_CACHE defaults to .cache/qemu,
#                    as in ci/qemu.sh); a QEMU_SRC that is set but is not
#                    a QEMU tree is an error, never silently replaced
#   BM_MISSING_qemu  why the backend cannot be built ("" when it can)
#   BM_LDLIBS_qemu   extra link flags of the backend (glib)
# The rules themselves are in mk/qemu.mk.
QEMU_CACHE ?= .cache/qemu
QEMU_CACHE_TREE := $(QEMU_CACHE)/src
ifneq ($(strip $(QEMU_SRC)),)
  ifeq ($(wildcard $(QEMU_SRC)/util/bitmap.c),)
    $(error QEMU_SRC=$(QEMU_SRC) is not a QEMU source tree (no util/bitmap.c); unset it to use the cached Debian tree)
  endif
  override QEMU_SRC := $(abspath $(QEMU_SRC))
else ifneq ($(wildcard $(QEMU_CACHE_TREE)/util/bitmap.c),)
  override QEMU_SRC := $(realpath $(QEMU_CACHE_TREE))
else
  override QEMU_SRC :=
endif
BM_MISSING_qemu := $(if $(QEMU_SRC),,no QEMU source tree (run ./build.sh qemu-src, or set QEMU_SRC))
BM_LDLIBS_qemu := $(or $(shell pkg-config --libs glib-2.0 2>/dev/null),-lglib-2.0)
