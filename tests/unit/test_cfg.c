/* The configuration engine (cmd/cfg.c, cmd/cfgspecial.c) and the startup
 * loader (server/config.c): Redis's value syntaxes, canonical forms and
 * error texts, the generated parameter table, argument splitting, config
 * files with includes and flags, and the protected-mode decision. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/config/cfg.h"
#include "cmd/server/session.h"
#include "server/config.h"
#include "test.h"

/* Check value v for parameter name: expect canonical text `want`, or, if
 * want is NULL, the error `why`. */
static void check(const char *name, const char *v, const char *cur, const char *want,
                  const char *why)
{
    int i = kv_cfg_index(name, strlen(name));
    char *canon = NULL, err[512] = "";
    int rc;
    CHECK(i >= 0);
    if (i < 0)
        return;
    rc = kv_cfg_check(i, v, strlen(v), cur, &canon, err, sizeof err);
    if (want) {
        CHECK(rc == 0);
        if (rc == 0)
            CHECK_MEM(canon, strlen(canon), want);
        else
            fprintf(stderr, "  %s %s: %s\n", name, v, err);
    } else {
        CHECK(rc < 0);
        CHECK_MEM(err, strlen(err), why);
    }
    free(canon);
}

static void test_table(void)
{
    int i, n = 0;
    CHECK_EQ_LL(kv_ncfgdefs, 196);
    for (i = 0; i < kv_ncfgdefs; i++) {
        const kv_cfgdef *d = &kv_cfgdefs[i];
        if (i > 0)
            CHECK(strcmp(kv_cfgdefs[i - 1].name, d->name) < 0);
        CHECK_EQ_LL(kv_cfg_index(d->name, strlen(d->name)), i);
        if (d->alias >= 0)
            CHECK_EQ_LL(kv_cfgdefs[d->alias].alias, i);
        n += !(d->flags & KV_CF_HIDDEN);
    }
    CHECK_EQ_LL(n, 192); /* what CONFIG GET * lists */
    CHECK_EQ_LL(kv_cfg_index("MaxMemory", 9), kv_cfg_index("maxmemory", 9));
    CHECK_EQ_LL(kv_cfg_index("nosuch", 6), -1);
    CHECK_EQ_LL(kv_cfg_index("maxmemory\0x", 11), -1);
}

static void test_defaults_and_store(void)
{
    kv_cfg *c = kv_cfg_new(), *d;
    int i = kv_cfg_index("hash-max-ziplist-entries", 24);
    char *v = malloc(4);
    CHECK_MEM(kv_cfg_get(c, "maxmemory"), 1, "0");
    CHECK_MEM(kv_cfg_get(c, "save"), 23, "3600 1 300 100 60 10000");
    CHECK(kv_cfg_yes(c, "protected-mode"));
    CHECK_EQ_LL(kv_cfg_ll(c, "maxclients"), 10000);
    strcpy(v, "100");
    kv_cfg_store(c, i, v);
    CHECK_MEM(kv_cfg_get(c, "hash-max-listpack-entries"), 3, "100");
    d = kv_cfg_clone(c);
    CHECK_MEM(kv_cfg_get(d, "hash-max-ziplist-entries"), 3, "100");
    /* notify-keyspace-events shows no 'n' beside 'A', as Redis prints it. */
    i = kv_cfg_index("notify-keyspace-events", 22);
    v = malloc(8);
    strcpy(v, "AnKEm");
    kv_cfg_store(c, i, v);
    {
        char shown[32];
        CHECK_MEM(kv_cfg_shown(c, i, shown, sizeof shown), 4, "AKEm");
        CHECK_MEM(kv_cfg_get(c, "notify-keyspace-events"), 5, "AnKEm");
    }
    kv_cfg_free(c);
    kv_cfg_free(d);
}

static void test_generic_types(void)
{
    check("activerehashing", "NO", NULL, "no", NULL);
    check("activerehashing", "1", NULL, NULL, "argument must be 'yes' or 'no'");
    check("hz", "0", NULL, "1", NULL);
    check("hz", "1000", NULL, "500", NULL);
    check("hz", "01", NULL, NULL, "argument couldn't be parsed into an integer");
    check("hz", "-1", NULL, NULL, "argument must be between 0 and 2147483647 inclusive");
    check("maxmemory", "1gb", NULL, "1073741824", NULL);
    check("maxmemory", "1G", NULL, "1000000000", NULL);
    check("maxmemory", "", NULL, "0", NULL);
    check("maxmemory", "18446744073709551616", NULL, "18446744073709551615", NULL);
    check("maxmemory", "17179869184gb", NULL, "0", NULL);
    check("maxmemory", "-1", NULL, NULL, "argument must be a memory value");
    check("maxmemory", "1tb", NULL, NULL, "argument must be a memory value");
    check("repl-backlog-size", "0", NULL, NULL,
          "argument must be between 1 and 9223372036854775807 inclusive");
    check("maxmemory-clients", "5%", NULL, "5%", NULL);
    check("maxmemory-clients", "0%", NULL, "0", NULL);
    check("maxmemory-clients", "101%", NULL, NULL, "percentage argument must be less or equal to 100");
    check("maxmemory-policy", "ALLKEYS-LFU", NULL, "allkeys-lfu", NULL);
    check("appendfsync", "x", NULL, NULL,
          "argument(s) must be one of the following: everysec, always, no");
    check("unixsocketperm", "700", NULL, "700", NULL);
    check("unixsocketperm", "8", NULL, NULL, "argument couldn't be parsed as an octal number");
    check("masteruser", "a b", NULL, "a b", NULL);
}

static void test_special_types(void)
{
    const char *cobl = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";
    long long lim[3];
    check("save", "100 2 300 4", NULL, "100 2 300 4", NULL);
    check("save", "0100 +2", NULL, "100 2", NULL);
    check("save", "100 ", NULL, "100 0", NULL);
    check("save", "", NULL, "", NULL);
    check("save", "100  2", NULL, NULL, "Invalid save parameters");
    check("save", "0 1", NULL, NULL, "Invalid save parameters");
    check("client-output-buffer-limit", "normal 1mb 2mb 3", cobl,
          "normal 1048576 2097152 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60", NULL);
    check("client-output-buffer-limit", "REPLICA 1 2 3", cobl,
          "normal 0 0 0 slave 1 2 3 pubsub 33554432 8388608 60", NULL);
    check("client-output-buffer-limit", "master 1 2 3", cobl, NULL,
          "Invalid client class specified in buffer limit configuration.");
    check("client-output-buffer-limit", "normal 1 2", cobl, NULL,
          "Wrong number of arguments in buffer limit configuration.");
    check("client-output-buffer-limit", "normal 1 2 -1", cobl, NULL,
          "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
    CHECK(kv_cfg_cobl_class(cobl, "replica", lim) == 0);
    CHECK(lim[0] == 268435456 && lim[1] == 67108864 && lim[2] == 60);
    CHECK(kv_cfg_cobl_class(cobl, "master", lim) < 0);
    check("notify-keyspace-events", "KEA", NULL, "AKE", NULL);
    /* 'n' is kept beside 'A' (the class stays on) though not shown there. */
    check("notify-keyspace-events", "Amn", NULL, "Anm", NULL);
    check("notify-keyspace-events", "nd", NULL, "dn", NULL);
    check("notify-keyspace-events", "Kgm", NULL, "gKm", NULL);
    check("notify-keyspace-events", "w", NULL, NULL,
          "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
    check("oom-score-adj-values", "1 -2 3", NULL, "1 -2 3", NULL);
    check("oom-score-adj-values", "1 2 2001", NULL, NULL,
          "Invalid oom-score-adj-values, elements must be between -2000 and 2000.");
    check("bind", "127.0.0.1 -::1 *", NULL, "127.0.0.1 -::1 *", NULL);
    check("bind", "localhost", NULL, NULL, "Failed to bind to specified addresses.");
    check("latency-tracking-info-percentiles", "1e-5 99.90", NULL, "0.00001 99.9", NULL);
    check("latency-tracking-info-percentiles", "-1", NULL, NULL,
          "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
    check("dir", "/", NULL, "/", NULL);
    check("dir", "/nonexistent-kevy-dir", NULL, NULL, "No such file or directory");
    check("replicaof", "host 6379", NULL, "host 6379", NULL);
    check("replicaof", "host", NULL, NULL, "wrong number of arguments");
}

static void test_splitargs(void)
{
    char **a;
    size_t *lens;
    const char *line = "  set \"a b\\x41\\n\" 'it\\'s'  plain ";
    int n = kv_cfg_splitargs(line, strlen(line), &a, &lens);
    CHECK_EQ_LL(n, 4);
    if (n == 4) {
        CHECK_MEM(a[0], lens[0], "set");
        CHECK_MEM(a[1], lens[1], "a bA\n");
        CHECK_MEM(a[2], lens[2], "it's");
        CHECK_MEM(a[3], lens[3], "plain");
    }
    kv_cfg_freeargs(a, lens, n);
    CHECK_EQ_LL(kv_cfg_splitargs("a \"b", 4, &a, &lens), -1);
    CHECK_EQ_LL(kv_cfg_splitargs("'a''b'", 6, &a, &lens), -1);
    CHECK_EQ_LL(kv_cfg_splitargs("\"a\"b", 4, &a, &lens), -1);
    n = kv_cfg_splitargs("   ", 3, &a, &lens);
    CHECK_EQ_LL(n, 0);
    kv_cfg_freeargs(a, lens, n);
}

static void test_memtoull(void)
{
    unsigned long long v;
    CHECK(kv_cfg_memtoull("1kb", 3, &v) == 0 && v == 1024);
    CHECK(kv_cfg_memtoull("2MB", 3, &v) == 0 && v == 2097152);
    CHECK(kv_cfg_memtoull("3", 1, &v) == 0 && v == 3);
    CHECK(kv_cfg_memtoull("1 kb", 4, &v) < 0);
    CHECK(kv_cfg_memtoull("x", 1, &v) < 0);
}

/* ---------------------------------------------------------- the loader */

static int load(kv_config *c, const char *text, int argc, char **argv, char *err, size_t len)
{
    char path[] = "/tmp/kevy-test-cfg-XXXXXX";
    int fd = mkstemp(path), rc;
    char **args = malloc((size_t)(argc + 1) * sizeof *args);
    if (fd < 0 || !args)
        abort();
    if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        abort();
    close(fd);
    args[0] = path;
    if (argc > 0)
        memcpy(args + 1, argv, (size_t)argc * sizeof *argv);
    kv_config_init(c);
    rc = kv_config_load(c, argc + 1, args, err, len);
    unlink(path);
    free(args);
    return rc;
}

static void test_loader(void)
{
    kv_config c;
    char err[2048];
    char *flags[] = {"--hz", "33", "--save", "", "--shards", "3"};
    int rc = load(&c, "# comment\nhz 20\nsave 900 1\nsave 300 10\n  maxmemory \"1mb\"  \n"
                      "requirepass \"a\\x41\"\npin-threads yes\n", 6, flags, err, sizeof err);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK_MEM(kv_cfg_get(c.cfg, "hz"), 2, "33");
        CHECK_MEM(kv_cfg_get(c.cfg, "save"), 0, "");
        CHECK_MEM(kv_cfg_get(c.cfg, "maxmemory"), 7, "1048576");
        CHECK_MEM(kv_cfg_get(c.cfg, "requirepass"), 2, "aA");
        CHECK_EQ_LL(c.shards, 3);
        CHECK_EQ_LL(c.pin_threads, 1);
    }
    kv_config_free(&c);
    rc = load(&c, "save 900 1\nsave 300 10\n", 0, NULL, err, sizeof err);
    CHECK(rc == 0 && strcmp(kv_cfg_get(c.cfg, "save"), "900 1 300 10") == 0);
    kv_config_free(&c);
    rc = load(&c, "\nport 7000\nmaxmemory \"1 2\"\n", 0, NULL, err, sizeof err);
    CHECK(rc < 0);
    CHECK(strstr(err, "Reading the configuration file, at line 3\n>>> 'maxmemory \"1 2\"'\n"
                      "argument must be a memory value") != NULL);
    kv_config_free(&c);
    rc = load(&c, "foo bar\n", 0, NULL, err, sizeof err);
    CHECK(rc < 0 && strstr(err, ">>> 'foo bar'\nBad directive or wrong number of arguments"));
    kv_config_free(&c);
    rc = load(&c, "hz \"20\n", 0, NULL, err, sizeof err);
    CHECK(rc < 0 && strstr(err, "Unbalanced quotes in configuration line"));
    kv_config_free(&c);
    rc = load(&c, "hz 1 2\n", 0, NULL, err, sizeof err);
    CHECK(rc < 0 && strstr(err, "wrong number of arguments"));
    kv_config_free(&c);
    rc = load(&c, "include /nonexistent/kevy.conf\n", 0, NULL, err, sizeof err);
    CHECK(rc < 0 && strstr(err, "Fatal error, can't open config file '/nonexistent/kevy.conf'"));
    kv_config_free(&c);
    rc = load(&c, "include /nonexistent/*.conf\nhz 9\n", 0, NULL, err, sizeof err);
    CHECK(rc == 0 && strcmp(kv_cfg_get(c.cfg, "hz"), "9") == 0);
    kv_config_free(&c);
}

static void test_protected_mode_decision(void)
{
    CHECK(kv_protected_refuse(1, 0, "192.0.2.7:5000"));
    CHECK(kv_protected_refuse(1, 0, "2001:db8::1:5000"));
    CHECK(!kv_protected_refuse(1, 0, "127.0.0.1:5000"));
    CHECK(!kv_protected_refuse(1, 0, "127.3.4.5:1"));
    CHECK(!kv_protected_refuse(1, 0, "::1:5000"));
    CHECK(!kv_protected_refuse(1, 0, "::ffff:127.0.0.1:5000"));
    CHECK(!kv_protected_refuse(1, 1, "192.0.2.7:5000"));
    CHECK(!kv_protected_refuse(0, 0, "192.0.2.7:5000"));
    CHECK(strncmp(kv_protected_denied, "-DENIED Redis is running in protected mode", 42) == 0);
    CHECK(strcmp(kv_protected_denied + strlen(kv_protected_denied) - 2, "\r\n") == 0);
    CHECK(kv_session_valid_name("abc-1", 5));
    CHECK(!kv_session_valid_name("a b", 3));
}

TEST_MAIN("cfg",
          TEST(test_table),
          TEST(test_defaults_and_store),
          TEST(test_generic_types),
          TEST(test_special_types),
          TEST(test_splitargs),
          TEST(test_memtoull),
          TEST(test_loader),
          TEST(test_protected_mode_decision))
