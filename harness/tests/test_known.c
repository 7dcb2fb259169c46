/*
 * test_known.c - the known-class list and its counters (known.h): what a
 * line must look like, which signatures a pattern matches and which it must
 * not, that the corrected variant never reads a list, and that counts from
 * many processes at once add up in the shared file (a libFuzzer fork job and
 * AFL++ instances count into one). Prints one PASS:/FAIL: line per check;
 * exit 1 on failure.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "known.h"

static int failures;

static void report(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s: known/", ok ? "PASS" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    failures += !ok;
}

static void parse_checks(void)
{
    static const char *const bad[] = {
        "a | must-fail-sc @sc | W1\n",                   /* 3 fields */
        "a | must-fail-sc | W1 | r | extra\n",           /* 5 fields */
        " | must-fail-sc | W1 | r\n",                    /* empty id */
        "a | Must-Fail | W1 | r\n",                      /* not a property */
        "a | must-fail-sc sc | W1 | r\n",                /* token without @ or < */
        "a | must-fail-sc @ | W1 | r\n",                 /* empty op */
        "a | must-fail-sc  @sc | W1 | r\n",              /* double space */
    };
    char err[200];
    struct known_list *k;

    k = known_parse("# comment\n\n  a-1 | must-fail-sc @sc <store | W3 W4 | "
                    "corpus/x.txt\nb | sc-without-ll | W9 | y.txt", err,
                    sizeof(err));
    report(k != NULL, "parse: comments, blank lines, a last line without newline");
    const char *id = known_match(k, "must-fail-sc @sc <store");
    report(id && strcmp(id, "a-1") == 0,
           "parse: fields trimmed, the id of the matching line");
    known_free(k);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        k = known_parse(bad[i], err, sizeof(err));
        report(k == NULL && strncmp(err, "line 1: ", 8) == 0,
               "parse: refuses '%.*s' (%s)", (int)strcspn(bad[i], "\n"), bad[i],
               err);
        known_free(k);
    }
}

static void match_checks(void)
{
    static const struct {
        const char *pattern, *sig;
        bool match;
    } cases[] = {
        {"must-fail-sc @sc <store", "must-fail-sc @sc <store", true},
        {"must-fail-sc @sc <dma", "must-fail-sc @sc <dma <store", true},
        {"sc-without-ll", "sc-without-ll @sc <clrex", true},
        {"sc-without-ll @sc", "sc-without-ll @sc", true},
        /* must not: another cited op, another op, another property */
        {"must-fail-sc @sc <dma", "must-fail-sc @sc <store", false},
        {"must-fail-sc @sc <store", "must-fail-sc @sc", false},
        {"code-not-invalidated @sc", "code-not-invalidated @store", false},
        {"must-fail", "must-fail-sc @sc <store", false},
        {"must-fail-sc", "failed-sc-wrote @sc", false},
        /* a token is a whole token, not a prefix of one */
        {"stray-write @st", "stray-write @store", false},
        {"store-wrong-write @store", "store-wrong-write @store-x", false},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool got = known_pattern_matches(cases[i].pattern, cases[i].sig);
        report(got == cases[i].match, "match: '%s' %s '%s'", cases[i].pattern,
               cases[i].match ? "matches" : "does not match", cases[i].sig);
    }
}

/* The loader in a child process: it caches per process, and exits 2 on a
 * bad file. Returns the exit status; *masked whether "sc-without-ll @sc"
 * was matched. */
static int load_in_child(const char *dir, const char *variant, bool *masked)
{
    int fd[2];
    pid_t pid;
    int st;
    char c = '0';

    if (pipe(fd) != 0 || (pid = fork()) < 0) {
        return -1;
    }
    if (pid == 0) {
        const struct known_list *k;
        close(fd[0]);
        setenv("LLSC_KNOWN", dir, 1);
        freopen("/dev/null", "w", stderr);
        k = known_for_variant(variant);
        c = known_match(k, "sc-without-ll @sc") ? '1' : '0';
        (void)!write(fd[1], &c, 1);
        _exit(0);
    }
    close(fd[1]);
    (void)!read(fd[0], &c, 1);
    close(fd[0]);
    waitpid(pid, &st, 0);
    *masked = c == '1';
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void loader_checks(const char *dir)
{
    char p[512];
    bool masked;
    int rc;

    snprintf(p, sizeof(p), "%s/v6.txt", dir);
    write_file(p, "x | sc-without-ll | W9 | r.txt\n");
    snprintf(p, sizeof(p), "%s/fixed.txt", dir);
    write_file(p, "x | sc-without-ll | W9 | r.txt\n");
    snprintf(p, sizeof(p), "%s/v8.txt", dir);
    write_file(p, "not a line\n");
    rc = load_in_child(dir, "v6", &masked);
    report(rc == 0 && masked, "loader: v6 reads <dir>/v6.txt and masks its class");
    rc = load_in_child(dir, "fixed", &masked);
    report(rc == 0 && !masked, "loader: fixed never masks, even with a fixed.txt");
    rc = load_in_child(dir, "cmpxchg", &masked);
    report(rc == 0 && !masked, "loader: a variant without a file masks nothing");
    rc = load_in_child(dir, "v8", &masked);
    report(rc == 2, "loader: a malformed file is a usage error (exit 2), got %d", rc);
}

/* Read a signature's count back the way campaign/knownstats.py does. */
static uint64_t count_of(const char *path, const char *sig)
{
    FILE *f = fopen(path, "rb");
    unsigned char buf[16 + 128 * 176];
    size_t n;
    uint64_t total = 0;

    if (!f) {
        return 0;
    }
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    for (size_t off = 16; n >= 16 && off + 176 <= n; off += 176) {
        uint32_t state;
        uint64_t c;
        memcpy(&state, buf + off, 4);
        memcpy(&c, buf + off + 8, 8);
        if (state == 2 && strcmp((const char *)buf + off + 64, sig) == 0) {
            total += c;
        }
    }
    return total;
}

static void counter_checks(const char *dir)
{
    enum { PROCS = 8, EACH = 500 };
    char path[512];
    pid_t pids[PROCS];

    snprintf(path, sizeof(path), "%s/stats", dir);
    for (int i = 0; i < PROCS; i++) {
        if ((pids[i] = fork()) == 0) {
            setenv("LLSC_KNOWN_STATS", path, 1);
            for (int j = 0; j < EACH; j++) {
                known_count("must-fail-sc @sc <store", "a");
                if (j % 5 == 0) {
                    known_count("sc-without-ll @sc <clrex", "b");
                }
            }
            _exit(0);
        }
    }
    for (int i = 0; i < PROCS; i++) {
        waitpid(pids[i], NULL, 0);
    }
    report(count_of(path, "must-fail-sc @sc <store") == PROCS * EACH,
           "counters: %d processes x %d counts add up (got %llu)", PROCS, EACH,
           (unsigned long long)count_of(path, "must-fail-sc @sc <store"));
    report(count_of(path, "sc-without-ll @sc <clrex") == PROCS * EACH / 5,
           "counters: a second class counted apart (got %llu)",
           (unsigned long long)count_of(path, "sc-without-ll @sc <clrex"));
    report(count_of(path, "stray-write @sc") == 0, "counters: nothing else counted");
}

int main(void)
{
    char dir[] = "/tmp/test_known.XXXXXX";
    char cmd[600];

    setvbuf(stdout, NULL, _IOLBF, 0);
    parse_checks();
    match_checks();
    if (!mkdtemp(dir)) {
        report(false, "mkdtemp");
        return 1;
    }
    loader_checks(dir);
    counter_checks(dir);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    (void)!system(cmd);
    return failures ? 1 : 0;
}
