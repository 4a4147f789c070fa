/*
 * schema.h - the database schema release this customsd was built for, and the comparison
 * with what a database recorded (pure: the query is store_schema_read in store.h).
 *
 * A release is sql/'s: the numbered migrations (NNN_name.sql, recorded one row each in
 * customs.schema_migrations) and the SHA-256 over the repeatable files (sql/repeatable/,
 * recorded by migrate.sh in customs.schema_release). The build takes this customsd's from
 * `sh sql/migrate.sh --release` (the Makefile generates $(BUILD)/schema_release.h), so
 * sql/ is the one definition: there is no version number to keep in step by hand.
 */
#ifndef CUSTOMSD_SCHEMA_H
#define CUSTOMSD_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

/* One numbered migration: version "007", file name "007_schema_release.sql". */
struct schema_migration {
    char version[16];
    char name[128];
};

struct schema_release {
    bool migrated;     /* customs.schema_migrations exists (a database's); true for ours */
    char baseline[16]; /* version of the baseline file ("006"), "" = none */
    struct schema_migration *migrations; /* ascending version */
    size_t n_migrations;
    char repeatable_sha256[65]; /* 64 lowercase hex digits; "" = none recorded */
};

/* What compare found; 0 = the database is at this customsd's release. */
enum schema_verdict {
    SCHEMA_MATCH = 0,
    SCHEMA_NOT_MIGRATED, /* no customs.schema_migrations: run migrate.sh */
    SCHEMA_MISSING,      /* a migration of ours is not recorded: run migrate.sh */
    SCHEMA_NEWER,        /* a migration newer than our last is recorded: upgrade customsd */
    SCHEMA_OTHER,        /* a migration recorded that we do not have (same range): another
                            release migrated the database */
    SCHEMA_FUNCTIONS,    /* the repeatable digest differs or is missing: run migrate.sh */
};

/* This customsd's release (from the generated header); static, never NULL. */
const struct schema_release *schema_expected(void);

/* Where `make install` put migrate.sh (DATADIR/sql/migrate.sh), for the messages. */
const char *schema_migrate_path(void);

/*
 * Compare a database's release `have` with `want` (normally schema_expected()). Recorded
 * versions up to want's baseline are history (an older release's 001-006) and count as
 * the baseline; the baseline's own name may differ for the same reason. `migrate` is the
 * migrate.sh path to name. Returns SCHEMA_MATCH, or another verdict with one line in err
 * saying what differs and what to do, e.g. "database lacks migration 007_x.sql: run
 * /usr/local/share/customsd/sql/migrate.sh", "database schema is newer than this customsd
 * (migration 008_y.sql): upgrade customsd".
 */
enum schema_verdict schema_compare(const struct schema_release *want,
                                   const struct schema_release *have, const char *migrate,
                                   char *err, size_t errlen);

/* Free a release filled by store_schema_read (its migrations array); accepts NULL. */
void schema_release_clear(struct schema_release *r);

#endif
