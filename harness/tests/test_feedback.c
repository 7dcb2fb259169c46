/*
 * test_feedback.c - the state features (feedback.h) on programs whose states
 * are known: a store through a plain entry while another vCPU holds a
 * reservation on the page lights its feature on v6-MT (the flush of the
 * storing vCPU's entry is still queued) and not on fixed, whose ll took
 * that entry away before it returned; a page-crossing load through two alias pages
 * mapped apart lights "crossing into another page"; the same program gives
 * the same counters every time and after any other program; LLSC_FEEDBACK=0
 * lights nothing. Prints one PASS:/FAIL: line per check; exit 1 on failure.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codec.h"
#include "feedback.h"
#include "llsc_fuzz.h"

static int failures;

static void report(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s: feedback/", ok ? "PASS" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    failures += !ok;
}

#define CFG(mttcg) "config cpus=2 hotplug=0 cell=8 mttcg=" mttcg " be_host=0 mmu_modes=2 " \
                   "tlb_bits=4 vtlb=2 page_bits=10 history=4 ram0_pages=8 ram0_max_pages=8\n"

/* vCPU1's entry for page 0x1000 is filled by its load; vCPU0's ll then
 * reserves 0x1008; vCPU1 stores there. */
static const char plain_store_while_reserved[] =
    CFG("1")
    "load cpu=1 addr=0x1008 size=4\n"
    "ll cpu=0 addr=0x1008 size=4\n"
    "store cpu=1 addr=0x1008 size=4 val=0x2a\n";

static const char crossing_apart[] =
    CFG("0")
    "map vaddr=0x180000000 paddr=0x1000\n"
    "map vaddr=0x180000400 paddr=0x1800\n"
    "load cpu=0 addr=0x1800003fe size=4\n";

/* vCPU0 stores through alias page 0 in MMU mode 1; the page is mapped
 * elsewhere; vCPU0 (or, in the control, vCPU1) stores there again. */
static const char remap_again[] =
    CFG("0")
    "map vaddr=0x180000000 paddr=0x1000\n"
    "store cpu=0 mmu=1 addr=0x180000008 size=4 val=0x1\n"
    "map vaddr=0x180000000 paddr=0x1400\n"
    "store cpu=%u mmu=1 addr=0x180000008 size=4 val=0x2\n";

static uint8_t snap[FB_MAP_SIZE];

/* Run text on variant v; the counters it left in snap. */
static void run(enum sut_variant v, const char *text)
{
    uint8_t *bytes;
    size_t len;
    char err[200];

    if (hx_codec_llsc.from_text(text, &bytes, &len, err, sizeof(err)) != 0) {
        fprintf(stderr, "test_feedback: bad program: %s\n", err);
        exit(2);
    }
    llsc_fuzz_one(v, bytes, len);
    memcpy(snap, fb_counters(), sizeof(snap));
    free(bytes);
}

static unsigned lit(void)
{
    unsigned n = 0;

    for (size_t i = 0; i < sizeof(snap); i++) {
        n += snap[i] != 0;
    }
    return n;
}

int main(int argc, char **argv)
{
    const struct fb_access plain = {LOP_STORE, FB_PLAIN, FB_OTHER_OVERLAP, false,
                                    FB_CROSS_NO, FB_CLASS_RAM, false};
    struct fb_access excl = plain, gone = plain, apart = {LOP_LOAD, FB_ABSENT, FB_OTHER_NONE, false,
                                            FB_CROSS_APART, FB_CLASS_ALIAS, false};
    struct fb_access next = apart;
    uint8_t first[FB_MAP_SIZE];
    int status;
    pid_t pid;

    if (argc > 1 && strcmp(argv[1], "--off") == 0) {
        /* a fresh process: fb_enabled reads the environment once */
        run(SUT_V6, plain_store_while_reserved);
        return lit() == 0 ? 0 : 1;
    }
    excl.entry = FB_EXCL;
    gone.entry = FB_ABSENT;
    next.cross = FB_CROSS_NEXT;

    run(SUT_V6, plain_store_while_reserved);
    report(snap[fb_access_index(&plain)] == 1,
           "v6-MT: a store through a plain entry while another vCPU holds a reservation "
           "on those bytes lights its feature once");
    report(snap[fb_access_index(&excl)] == 0, "v6-MT: ... and not the EXCL one");
    memcpy(first, snap, sizeof(first));

    run(SUT_FIXED, plain_store_while_reserved);
    report(snap[fb_access_index(&plain)] == 0 && snap[fb_access_index(&gone)] == 1,
           "fixed: the ll flushed vCPU1's entry, so the same store finds none: the "
           "absent-entry feature, not the plain one");

    {
        static char with_sc[sizeof(plain_store_while_reserved) + 64];
        unsigned hit2 = 0, clean = 0;
        snprintf(with_sc, sizeof(with_sc), "%ssc cpu=0 addr=0x1008 size=4 val=0x1\n",
                 plain_store_while_reserved);
        run(SUT_FIXED, with_sc);
        for (unsigned e = 0; e < FB_NENTRY; e++) {
            hit2 += snap[fb_sc_index(true, 2, (enum fb_entry)e)];
            clean += snap[fb_sc_index(true, 0, (enum fb_entry)e)];
        }
        report(hit2 == 1 && clean == 0,
               "fixed: an SC after another vCPU stored to its reserved bytes lights 'armed, "
               "bytes written since', not 'armed, untouched'");
    }

    run(SUT_V6, crossing_apart);
    report(snap[fb_access_index(&apart)] == 1 && snap[fb_access_index(&next)] == 0,
           "a page-crossing load through alias pages mapped apart lights 'crossing into "
           "another page', not 'into the next page'");

    {
        char text[sizeof(remap_again) + 8];
        unsigned stale, fresh;
        snprintf(text, sizeof(text), remap_again, 0u);
        run(SUT_FIXED, text);
        stale = snap[fb_remap_index(LOP_STORE, FB_ABSENT, true, true)];
        fresh = snap[fb_remap_index(LOP_STORE, FB_ABSENT, true, false)];
        snprintf(text, sizeof(text), remap_again, 1u);
        run(SUT_FIXED, text);
        report(stale == 1 && fresh == 1 &&
                   snap[fb_remap_index(LOP_STORE, FB_ABSENT, true, true)] == 0,
               "fixed: a store through an alias page in mode 1, the page remapped, the "
               "same vCPU's store again lights 'used under an earlier mapping' (the remap "
               "flushed its entry: absent); another vCPU's does not");
    }

    run(SUT_V6, plain_store_while_reserved);
    report(memcmp(first, snap, sizeof(snap)) == 0,
           "deterministic: the same program gives the same %u counters after other programs",
           lit());

    report(fb_access_index(&plain) != fb_access_index(&excl) &&
           fb_access_index(&apart) != fb_access_index(&next) &&
           fb_access_index(&plain) < FB_MAP_SIZE,
           "the mapping: distinct states, distinct counters, inside the map");

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        setenv("LLSC_FEEDBACK", "0", 1);
        execl("/proc/self/exe", argv[0], "--off", (char *)NULL);
        _exit(3);
    }
    report(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0, "LLSC_FEEDBACK=0 lights nothing");
    return failures ? 1 : 0;
}
