/*
 * known.c - known violation classes of a variant and their shared counters
 * (see known.h).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "known.h"

#define KNOWN_MAX 64
#define KNOWN_ID_MAX 48

struct known_line {
    char id[KNOWN_ID_MAX];
    char pattern[KNOWN_SIG_MAX];
};

struct known_list {
    unsigned n;
    struct known_line line[KNOWN_MAX];
};

/* Copy the trimmed field [s, e) into dst; false if it is empty or too long. */
static bool field(const char *s, const char *e, char *dst, size_t cap)
{
    while (s < e && isspace((unsigned char)*s)) {
        s++;
    }
    while (e > s && isspace((unsigned char)e[-1])) {
        e--;
    }
    if (s == e || (size_t)(e - s) >= cap) {
        return false;
    }
    memcpy(dst, s, (size_t)(e - s));
    dst[e - s] = 0;
    return true;
}

/* A pattern is a property name, then @op and <op tokens, single-spaced. */
static bool valid_pattern(const char *p)
{
    bool first = true;

    while (*p) {
        const char *t = p;
        if (!first && *t != '@' && *t != '<') {
            return false;
        }
        if (!first) {
            t++;
        }
        if (!islower((unsigned char)*t)) {
            return false;
        }
        while (islower((unsigned char)*t) || isdigit((unsigned char)*t) ||
               *t == '-' || *t == '_') {
            t++;
        }
        if (*t && *t != ' ') {
            return false;
        }
        p = *t ? t + 1 : t;
        first = false;
    }
    return !first;
}

struct known_list *known_parse(const char *text, char *err, size_t errlen)
{
    struct known_list *k = calloc(1, sizeof(*k));
    unsigned lineno = 0;

    if (!k) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    while (*text) {
        const char *eol = strchr(text, '\n'), *f[5];
        char weak[64], regr[256];
        unsigned nf = 0;
        struct known_line *l = &k->line[k->n];

        eol = eol ? eol : text + strlen(text);
        lineno++;
        while (text < eol && isspace((unsigned char)*text)) {
            text++;
        }
        if (text == eol || *text == '#') {
            text = *eol ? eol + 1 : eol;
            continue;
        }
        f[nf++] = text;
        for (const char *c = text; c < eol && nf < 5; c++) {
            if (*c == '|') {
                f[nf++] = c + 1;
            }
        }
        if (nf != 4) {
            snprintf(err, errlen, "line %u: want 4 fields "
                     "'id | signature | weakness | regression'", lineno);
            goto bad;
        }
        if (k->n == KNOWN_MAX) {
            snprintf(err, errlen, "line %u: more than %d classes", lineno,
                     KNOWN_MAX);
            goto bad;
        }
        if (!field(f[0], f[1] - 1, l->id, sizeof(l->id)) ||
            !field(f[1], f[2] - 1, l->pattern, sizeof(l->pattern)) ||
            !field(f[2], f[3] - 1, weak, sizeof(weak)) ||
            !field(f[3], eol, regr, sizeof(regr))) {
            snprintf(err, errlen, "line %u: an empty or too long field",
                     lineno);
            goto bad;
        }
        if (!valid_pattern(l->pattern)) {
            snprintf(err, errlen, "line %u: bad signature '%s' (want "
                     "'<property> [@<op>] [<<op>]...')", lineno, l->pattern);
            goto bad;
        }
        k->n++;
        text = *eol ? eol + 1 : eol;
    }
    return k;
bad:
    free(k);
    return NULL;
}

void known_free(struct known_list *k)
{
    free(k);
}

/* Whether token [t, t+n) is one of the space-separated tokens of s. */
static bool has_token(const char *s, const char *t, size_t n)
{
    while (*s) {
        const char *e = strchr(s, ' ');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == n && memcmp(s, t, n) == 0) {
            return true;
        }
        s += len;
        while (*s == ' ') {
            s++;
        }
    }
    return false;
}

bool known_pattern_matches(const char *pattern, const char *signature)
{
    size_t plen = strcspn(pattern, " ");

    /* The property must be the signature's own, not one of its tokens. */
    if (strncmp(pattern, signature, plen) != 0 ||
        (signature[plen] != 0 && signature[plen] != ' ')) {
        return false;
    }
    for (const char *t = pattern + plen; *t;) {
        size_t n;
        while (*t == ' ') {
            t++;
        }
        n = strcspn(t, " ");
        if (n && !has_token(signature + plen, t, n)) {
            return false;
        }
        t += n;
    }
    return true;
}

const char *known_match(const struct known_list *k, const char *signature)
{
    for (unsigned i = 0; k && i < k->n; i++) {
        if (known_pattern_matches(k->line[i].pattern, signature)) {
            return k->line[i].id;
        }
    }
    return NULL;
}

static void usage_fail(const char *path, const char *what)
{
    fprintf(stderr, "llsc: %s: %s\n", path, what);
    exit(2);
}

const struct known_list *known_for_variant(const char *variant)
{
    static bool loaded;
    static struct known_list *list;
    const char *dir = getenv("LLSC_KNOWN");
    char path[4096], err[200], *text;
    FILE *f;
    long len = 0;

    if (loaded) {
        return list;
    }
    loaded = true;
    /* The corrected variant is the negative control: nothing is masked. */
    if (!dir || !*dir || strcmp(variant, "fixed") == 0) {
        return NULL;
    }
    snprintf(path, sizeof(path), "%s/%s.txt", dir, variant);
    f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) {
            return NULL;
        }
        usage_fail(path, strerror(errno));
    }
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || len > 65536 ||
        fseek(f, 0, SEEK_SET) != 0) {
        usage_fail(path, "unreadable or larger than 64 KiB");
    }
    text = calloc(1, (size_t)len + 1);
    if (!text || fread(text, 1, (size_t)len, f) != (size_t)len) {
        usage_fail(path, "cannot read");
    }
    fclose(f);
    list = known_parse(text, err, sizeof(err));
    free(text);
    if (!list) {
        usage_fail(path, err);
    }
    return list;
}

/* ---- the shared counter file ---- */

#define STATS_MAGIC "LLSCKNW1"
#define STATS_SLOTS 128

/* The layout campaign/knownstats.py reads: a 16-byte header, then slots. A
 * slot is claimed by moving state 0 -> 1 (writing) -> 2 (ready); counts are
 * atomic adds on the shared mapping, so every process of a session (libFuzzer
 * jobs, AFL++ instances) adds into one file, and a process killed with -9
 * loses nothing it counted. */
struct stats_slot {
    uint32_t state, pad;
    uint64_t count;
    char id[KNOWN_ID_MAX];
    char sig[KNOWN_SIG_MAX];
};

struct stats_file {
    char magic[8];
    uint32_t nslots, slot_size;
    struct stats_slot slot[STATS_SLOTS];
};

static struct stats_file *stats_map(void)
{
    static bool tried;
    static struct stats_file *map;
    const char *path = getenv("LLSC_KNOWN_STATS");
    int fd;
    struct stat st;

    if (tried) {
        return map;
    }
    tried = true;
    if (!path || !*path) {
        return NULL;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || fstat(fd, &st) != 0) {
        usage_fail(path, strerror(errno));
    }
    if (st.st_size < (off_t)sizeof(*map) && ftruncate(fd, sizeof(*map)) != 0) {
        usage_fail(path, strerror(errno));
    }
    map = mmap(NULL, sizeof(*map), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        usage_fail(path, strerror(errno));
    }
    /* Every process writes the same header: a race between them is benign. */
    if (memcmp(map->magic, STATS_MAGIC, 8) != 0) {
        map->nslots = STATS_SLOTS;
        map->slot_size = sizeof(struct stats_slot);
        memcpy(map->magic, STATS_MAGIC, 8);
    }
    return map;
}

void known_count(const char *signature, const char *id)
{
    struct stats_file *m = stats_map();

    if (!m) {
        return;
    }
    for (unsigned i = 0; i < STATS_SLOTS; i++) {
        struct stats_slot *s = &m->slot[i];
        uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE), zero = 0;
        if (st == 2 && strcmp(s->sig, signature) == 0) {
            __atomic_fetch_add(&s->count, 1, __ATOMIC_RELAXED);
            return;
        }
        if (st == 0 && __atomic_compare_exchange_n(&s->state, &zero, 1, false,
                                                   __ATOMIC_ACQ_REL,
                                                   __ATOMIC_ACQUIRE)) {
            snprintf(s->sig, sizeof(s->sig), "%s", signature);
            snprintf(s->id, sizeof(s->id), "%s", id);
            __atomic_fetch_add(&s->count, 1, __ATOMIC_RELAXED);
            __atomic_store_n(&s->state, 2, __ATOMIC_RELEASE);
            return;
        }
        /* state 1: another process is writing this slot (maybe the same
         * signature); a second slot for it is summed by the reader. */
    }
}
