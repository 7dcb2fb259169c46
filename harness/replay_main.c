/*
 * replay_main.c - the engine-less main of build/replay/<target>: runs every
 * file given, and every regular file of every directory given (sorted, not
 * recursive), through LLVMFuzzerTestOneInput once.
 *
 *   usage: replay [-timeout=SECONDS] FILE|DIR...
 *
 * Each input prints "Running: PATH" before it runs and "PASS" after it.
 * A violation prints its verdict line (report.h) and exits 1 at once; an
 * input that runs longer than the timeout (default 10 s) prints
 * "FAIL timeout: ..." and exits 1 too: a timeout is a failure, not a skip.
 * Usage errors (no inputs, unreadable file, bad flag) exit 2.
 *
 *   usage: replay -fresh-pairs FILE|DIR...
 *
 * checks that each input starts from a fresh state although the harness
 * keeps its machine across inputs (llsc_fuzz.c): every input B's verdict
 * line (or PASS) and hx_fresh_state (its sut_stats) must be the same run
 * twice in a row, and run after every input A (every ordered pair), as run
 * first on newly allocated state. It prints "FAIL fresh-state: ..." for each
 * difference (at most 20) and a summary line, and exits 1 if any. A crash
 * (sanitizer) ends it like any replay.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static volatile sig_atomic_t in_input;
static const char *current;
static unsigned timeout_s = 10;
static char timeout_msg[4200];

/* LeakSanitizer hook: a violation exits in the middle of an input, with its
 * state still allocated; that is not a leak. */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
    return in_input;
}

static void on_alarm(int sig)
{
    (void)sig;
    ssize_t r = write(2, timeout_msg, strlen(timeout_msg));
    (void)r;
    _exit(1);
}

static noreturn void usage_error(const char *fmt, const char *arg)
{
    fputs("replay: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

/* The whole file in an exact-size buffer, so the sanitizers see any overread. */
static void read_all(const char *path, uint8_t **out, size_t *outlen)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL, *exact;
    size_t len = 0, cap = 0;

    if (!f) {
        fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
        exit(2);
    }
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                fprintf(stderr, "replay: %s: out of memory\n", path);
                exit(2);
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
        exit(2);
    }
    fclose(f);
    exact = malloc(len ? len : 1);
    if (!exact) {
        fprintf(stderr, "replay: %s: out of memory\n", path);
        exit(2);
    }
    if (len) {
        memcpy(exact, buf, len);
    }
    free(buf);
    *out = exact;
    *outlen = len;
}

static void run_file(const char *path)
{
    uint8_t *exact;
    size_t len;

    read_all(path, &exact, &len);
    printf("Running: %s\n", path);
    fflush(stdout);
    current = path;
    snprintf(timeout_msg, sizeof(timeout_msg),
             "FAIL timeout: %s ran longer than %u s\n", current, timeout_s);
    in_input = 1;
    alarm(timeout_s);
    LLVMFuzzerTestOneInput(exact, len);
    alarm(0);
    in_input = 0;
    free(exact);
    printf("PASS\n");
    fflush(stdout);
}

/* ---- -fresh-pairs ---- */

__attribute__((weak)) void hx_fresh_drop(void);
__attribute__((weak)) void hx_fresh_state(char *buf, size_t len);

struct input {
    char *path;
    uint8_t *data;
    size_t len;
    char *fresh; /* its outcome on newly allocated state */
};
static struct input *inputs;
static size_t ninputs, capinputs;

static void add_input(const char *path)
{
    if (ninputs == capinputs) {
        capinputs = capinputs ? 2 * capinputs : 64;
        inputs = realloc(inputs, capinputs * sizeof(*inputs));
        if (!inputs) {
            fprintf(stderr, "replay: out of memory\n");
            exit(2);
        }
    }
    inputs[ninputs].path = strdup(path);
    read_all(path, &inputs[ninputs].data, &inputs[ninputs].len);
    inputs[ninputs].fresh = NULL;
    ninputs++;
}

/* One input's outcome: its verdict line or PASS, then its state. */
static char *outcome(const struct input *in)
{
    static jmp_buf catch;
    char state[1024] = "";
    char *r;
    uint8_t *exact = malloc(in->len ? in->len : 1);

    if (!exact) {
        fprintf(stderr, "replay: out of memory\n");
        exit(2);
    }
    memcpy(exact, in->data, in->len);
    strcpy(hx_caught, "PASS");
    hx_catch = &catch;
    if (!setjmp(catch)) {
        LLVMFuzzerTestOneInput(exact, in->len);
    }
    hx_catch = NULL;
    free(exact);
    if (hx_fresh_state) {
        hx_fresh_state(state, sizeof(state));
    }
    r = malloc(strlen(hx_caught) + strlen(state) + 2);
    if (!r) {
        fprintf(stderr, "replay: out of memory\n");
        exit(2);
    }
    sprintf(r, "%s\n%s", hx_caught, state);
    return r;
}

static void drop(void)
{
    if (hx_fresh_drop) {
        hx_fresh_drop();
    }
}

static unsigned long mismatches;

static void expect_same(const struct input *b, const char *after, const char *got)
{
    if (strcmp(got, b->fresh) == 0) {
        return;
    }
    if (++mismatches <= 20) {
        printf("FAIL fresh-state: %s run %s gave [%s], run first [%s]\n", b->path,
               after, got, b->fresh);
    }
}

static int fresh_pairs(void)
{
    unsigned long pairs = 0;
    char after[4200];

    for (size_t i = 0; i < ninputs; i++) {
        drop();
        inputs[i].fresh = outcome(&inputs[i]);
        char *again = outcome(&inputs[i]);
        expect_same(&inputs[i], "twice in a row", again);
        free(again);
    }
    for (size_t a = 0; a < ninputs; a++) {
        snprintf(after, sizeof(after), "after %s", inputs[a].path);
        for (size_t b = 0; b < ninputs; b++) {
            drop();
            free(outcome(&inputs[a]));
            char *got = outcome(&inputs[b]);
            expect_same(&inputs[b], after, got);
            free(got);
            pairs++;
        }
    }
    drop();
    printf("fresh-state: %zu inputs, %lu ordered pairs, %lu differences%s\n", ninputs,
           pairs, mismatches, hx_fresh_state ? "" : " (verdicts only: no state hook)");
    for (size_t i = 0; i < ninputs; i++) {
        free(inputs[i].path);
        free(inputs[i].data);
        free(inputs[i].fresh);
    }
    free(inputs);
    return mismatches ? 1 : 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs (or, collecting, reads for -fresh-pairs) the regular files of dir
 * in name order; returns how many. */
static long run_dir(const char *dir, bool collect)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;
    long ran = 0;

    if (!d) {
        fprintf(stderr, "replay: cannot open %s: %s\n", dir, strerror(errno));
        exit(2);
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof(*names));
            if (!nn) {
                fprintf(stderr, "replay: out of memory\n");
                exit(2);
            }
            names = nn;
        }
        size_t l = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(l);
        if (!names[n]) {
            fprintf(stderr, "replay: out of memory\n");
            exit(2);
        }
        snprintf(names[n], l, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n) {
        qsort(names, n, sizeof(*names), cmp_names);
    }
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (collect) {
                add_input(names[i]);
            } else {
                run_file(names[i]);
            }
            ran++;
        }
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    long ran = 0;
    int first = 1;
    bool pairs = false;

    hx_exit_on_violation = 1;
    for (; first < argc && argv[first][0] == '-' && argv[first][1]; first++) {
        const char *a = argv[first];
        if (strcmp(a, "--") == 0) {
            first++;
            break;
        }
        if (strcmp(a, "-fresh-pairs") == 0) {
            pairs = true;
            continue;
        }
        if (strncmp(a, "-timeout=", 9) == 0) {
            char *end;
            unsigned long t = strtoul(a + 9, &end, 10);
            if (!a[9] || *end || t == 0 || t > 86400) {
                usage_error("bad timeout '%s' (want -timeout=SECONDS, 1..86400)", a);
            }
            timeout_s = (unsigned)t;
            continue;
        }
        usage_error("unknown flag '%s' (usage: replay [-timeout=SECONDS] FILE|DIR..., "
                    "replay -fresh-pairs FILE|DIR...)", a);
    }
    if (first >= argc) {
        usage_error("%s", "no inputs (usage: replay [-timeout=SECONDS] FILE|DIR...)");
    }
    for (int i = first; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: cannot open %s: %s\n", argv[i], strerror(errno));
            return 2;
        }
    }
    signal(SIGALRM, on_alarm);
    if (LLVMFuzzerInitialize) {
        LLVMFuzzerInitialize(&argc, &argv);
    }
    for (int i = first; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            ran += run_dir(argv[i], pairs);
        } else {
            if (pairs) {
                add_input(argv[i]);
            } else {
                run_file(argv[i]);
            }
            ran++;
        }
    }
    if (ran == 0) {
        fprintf(stderr, "replay: no input files found\n");
        return 2;
    }
    if (pairs) {
        in_input = 1; /* caught violations leave their state allocated */
        return fresh_pairs();
    }
    return 0;
}
