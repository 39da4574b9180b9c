// The part of Debian's system SQLite (libsqlite3-dev 3.40, linked as -lsqlite3) that the guarded
// query runner uses: sqlite-nio's bundled copy is built without the progress callback and
// exposes no interrupt.
//
// Declared here rather than by including <sqlite3.h>: sqlite-nio's header defines the same C
// structs (sqlite3_module, fts5_api, …) for a newer SQLite, and Clang refuses two different
// definitions in one program's modules. Only opaque types, functions (sqlite-nio's are prefixed,
// so these names do not clash) and constants under names of our own. The values are SQLite's
// stable ABI; Scripts/ci/check-sqlite-shim.sh (run by .ci/run) compiles both to check them.
#ifndef HOLDOUT_SQLITE3_SHIM_H
#define HOLDOUT_SQLITE3_SHIM_H

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
typedef struct sqlite3_context sqlite3_context;
typedef struct sqlite3_value sqlite3_value;
typedef long long int sqlite3_int64;

int sqlite3_open_v2(const char *filename, sqlite3 **db, int flags, const char *vfs);
int sqlite3_close_v2(sqlite3 *db);
const char *sqlite3_errmsg(sqlite3 *db);
int sqlite3_extended_result_codes(sqlite3 *db, int onoff);
int sqlite3_busy_timeout(sqlite3 *db, int ms);
int sqlite3_limit(sqlite3 *db, int id, int newVal);
int sqlite3_db_config(sqlite3 *db, int op, ...);
void sqlite3_interrupt(sqlite3 *db);
void sqlite3_progress_handler(sqlite3 *db, int n, int (*callback)(void *), void *user);
int sqlite3_set_authorizer(
    sqlite3 *db, int (*xAuth)(void *, int, const char *, const char *, const char *, const char *), void *user);
int sqlite3_create_function_v2(
    sqlite3 *db, const char *name, int nArg, int textRep, void *app, void (*xFunc)(sqlite3_context *, int, sqlite3_value **),
    void (*xStep)(sqlite3_context *, int, sqlite3_value **), void (*xFinal)(sqlite3_context *), void (*xDestroy)(void *));
void *sqlite3_user_data(sqlite3_context *context);
void sqlite3_result_text(sqlite3_context *context, const char *text, int length, void (*destructor)(void *));
int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int nByte, sqlite3_stmt **stmt, const char **tail);
int sqlite3_stmt_readonly(sqlite3_stmt *stmt);
int sqlite3_step(sqlite3_stmt *stmt);
int sqlite3_finalize(sqlite3_stmt *stmt);
int sqlite3_column_count(sqlite3_stmt *stmt);
const char *sqlite3_column_name(sqlite3_stmt *stmt, int i);
int sqlite3_column_type(sqlite3_stmt *stmt, int i);
sqlite3_int64 sqlite3_column_int64(sqlite3_stmt *stmt, int i);
double sqlite3_column_double(sqlite3_stmt *stmt, int i);
const unsigned char *sqlite3_column_text(sqlite3_stmt *stmt, int i);
const void *sqlite3_column_blob(sqlite3_stmt *stmt, int i);
int sqlite3_column_bytes(sqlite3_stmt *stmt, int i);

// Swift cannot call C variadic functions or use SQLITE_TRANSIENT (a cast macro): thin wrappers.
static inline int holdout_sqlite3_db_config_flag(sqlite3 *db, int op, int value) {
    int out = 0;
    return sqlite3_db_config(db, op, value, &out);
}

static inline void holdout_sqlite3_result_text(sqlite3_context *context, const char *text, int length) {
    sqlite3_result_text(context, text, length, (void (*)(void *))-1);
}

#define HOLDOUT_SQLITE_OK 0
#define HOLDOUT_SQLITE_DENY 1
#define HOLDOUT_SQLITE_PERM 3
#define HOLDOUT_SQLITE_BUSY 5
#define HOLDOUT_SQLITE_LOCKED 6
#define HOLDOUT_SQLITE_NOMEM 7
#define HOLDOUT_SQLITE_READONLY 8
#define HOLDOUT_SQLITE_CANTOPEN 14
#define HOLDOUT_SQLITE_TOOBIG 18
#define HOLDOUT_SQLITE_AUTH 23
#define HOLDOUT_SQLITE_ROW 100
#define HOLDOUT_SQLITE_DONE 101

#define HOLDOUT_SQLITE_OPEN_READONLY 0x00000001
#define HOLDOUT_SQLITE_OPEN_NOMUTEX 0x00008000

#define HOLDOUT_SQLITE_UTF8 1
#define HOLDOUT_SQLITE_DETERMINISTIC 0x000000800
#define HOLDOUT_SQLITE_INNOCUOUS 0x000200000

#define HOLDOUT_SQLITE_READ 20
#define HOLDOUT_SQLITE_SELECT 21
#define HOLDOUT_SQLITE_FUNCTION 31

#define HOLDOUT_SQLITE_INTEGER 1
#define HOLDOUT_SQLITE_FLOAT 2
#define HOLDOUT_SQLITE_TEXT 3
#define HOLDOUT_SQLITE_BLOB 4
#define HOLDOUT_SQLITE_NULL 5

#define HOLDOUT_SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION 1005
#define HOLDOUT_SQLITE_DBCONFIG_DEFENSIVE 1010
#define HOLDOUT_SQLITE_DBCONFIG_TRUSTED_SCHEMA 1017

#define HOLDOUT_SQLITE_LIMIT_LENGTH 0
#define HOLDOUT_SQLITE_LIMIT_SQL_LENGTH 1
#define HOLDOUT_SQLITE_LIMIT_COLUMN 2
#define HOLDOUT_SQLITE_LIMIT_EXPR_DEPTH 3
#define HOLDOUT_SQLITE_LIMIT_COMPOUND_SELECT 4
#define HOLDOUT_SQLITE_LIMIT_VDBE_OP 5
#define HOLDOUT_SQLITE_LIMIT_FUNCTION_ARG 6
#define HOLDOUT_SQLITE_LIMIT_ATTACHED 7
#define HOLDOUT_SQLITE_LIMIT_LIKE_PATTERN_LENGTH 8
#define HOLDOUT_SQLITE_LIMIT_VARIABLE_NUMBER 9
#define HOLDOUT_SQLITE_LIMIT_TRIGGER_DEPTH 10
#define HOLDOUT_SQLITE_LIMIT_WORKER_THREADS 11

#endif
