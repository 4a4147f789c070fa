/*
 * customsctl.c - the customsd operator's tool: check a configuration or rules file before
 * it goes live, and dry-run the rules on one declaration. Touches no server.
 *
 *   customsctl rules check FILE
 *   customsctl decide RULES DECLARATION.json
 *   customsctl config check FILE
 *
 * Exit status: 0 success, 1 the file or declaration is bad (the reason is printed),
 * 2 usage error. Subcommands are rows of `commands` below.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "declaration.h"
#include "log.h"
#include "rules.h"
#include "status.h"
#include "util.h"

#define EXIT_USAGE 2

struct command {
    const char *words[2]; /* "rules", "check"; words[1] NULL for a one-word command */
    const char *args;     /* argument synopsis */
    int nargs;            /* exact number of arguments after the words */
    const char *help;
    int (*run)(char **argv); /* argv = the arguments after the words */
};

static int cmd_rules_check(char **argv);
static int cmd_decide(char **argv);
static int cmd_config_check(char **argv);

static const struct command commands[] = {
    {{"rules", "check"},
     "FILE",
     1,
     "validate a rules file; prints the rule count and version (SHA-256 of the file)",
     cmd_rules_check},
    {{"decide", NULL},
     "RULES DECLARATION.json",
     2,
     "dry run: decode one JSON declaration, print the decision, each matched rule and the "
     "rules version",
     cmd_decide},
    {{"config", "check"}, "FILE", 1, "validate a customsd configuration file", cmd_config_check},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: customsctl COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        const struct command *c = &commands[i];
        fprintf(out, "  customsctl %s%s%s %s\n      %s\n", c->words[0], c->words[1] ? " " : "",
                c->words[1] ? c->words[1] : "", c->args, c->help);
    }
    fprintf(out, "\nexit status: 0 success, 1 bad file or declaration, 2 usage error\n");
}

static int cmd_rules_check(char **argv)
{
    struct rules *r = NULL;
    char err[1024];

    if (rules_load(argv[0], &r, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return EXIT_FAILURE;
    }
    printf("rules OK: %zu rules, version %s\n", rules_count(r), rules_version(r));
    rules_free(r);
    return EXIT_SUCCESS;
}

static int cmd_decide(char **argv)
{
    struct rules *r = NULL;
    struct declaration *d = NULL;
    struct decision dec = {0};
    char err[1024];
    char *json;
    size_t len = 0;
    int rc = EXIT_FAILURE;

    if (rules_load(argv[0], &r, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return EXIT_FAILURE;
    }
    json = read_file(argv[1], &len);
    if (!json) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
        goto out;
    }
    d = declaration_decode(json, len, 0, NULL, err, sizeof(err));
    if (!d) {
        /* customsd would quarantine this record. */
        fprintf(stderr, "%s: cannot be decoded: %s\n", argv[1], err);
        goto out;
    }
    if (rules_evaluate(r, d, &dec) < 0) {
        fprintf(stderr, "out of memory\n");
        goto out;
    }
    printf("decision: %d %s\n", dec.status_code, status_name(dec.status_code));
    for (size_t i = 0; i < dec.n_reasons; i++)
        printf("%s %s: %s\n", dec.reasons[i].rule_id, rule_action_name(dec.reasons[i].action),
               dec.reasons[i].message);
    printf("rules version: %s\n", dec.rules_version);
    rc = EXIT_SUCCESS;
out:
    decision_clear(&dec);
    declaration_free(d);
    free(json);
    rules_free(r);
    return rc;
}

static int cmd_config_check(char **argv)
{
    struct config *c = NULL;
    char err[1024];

    if (config_load(argv[0], &c, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return EXIT_FAILURE;
    }
    printf("configuration OK\n");
    config_free(c);
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    log_init("customsctl", LOG_LEVEL_WARN);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_SUCCESS;
    }
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        const struct command *c = &commands[i];
        int nwords = c->words[1] ? 2 : 1;

        if (strcmp(argv[1], c->words[0]) != 0)
            continue;
        if (nwords == 2 && (argc < 3 || strcmp(argv[2], c->words[1]) != 0))
            continue;
        if (argc - 1 - nwords != c->nargs) {
            fprintf(stderr, "usage: customsctl %s%s%s %s\n", c->words[0], c->words[1] ? " " : "",
                    c->words[1] ? c->words[1] : "", c->args);
            return EXIT_USAGE;
        }
        return c->run(argv + 1 + nwords);
    }
    /* "customsctl rules" or "customsctl rules frob": name both words. */
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        if (commands[i].words[1] && strcmp(argv[1], commands[i].words[0]) == 0) {
            fprintf(stderr, "customsctl: unknown command '%s%s%s'\n\n", argv[1],
                    argc > 2 ? " " : "", argc > 2 ? argv[2] : "");
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    fprintf(stderr, "customsctl: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
