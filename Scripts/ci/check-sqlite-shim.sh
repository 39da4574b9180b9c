#!/usr/bin/env bash
# Sources/CHoldoutSQLite3/shim.h declares the part of the system SQLite that HoldoutQuery uses
# without including <sqlite3.h> (whose structs clash with sqlite-nio's). This compiles the shim
# beside <sqlite3.h> with -Werror: a prototype that differs, or a constant with another value,
# fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
shim=Sources/CHoldoutSQLite3/shim.h
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
{
  echo '#include <sqlite3.h>'
  echo "#include \"$PWD/$shim\""
  grep -o '^#define HOLDOUT_SQLITE_[A-Z_0-9]*' "$shim" | sed 's/^#define HOLDOUT_//' | while read -r name; do
    echo "_Static_assert(HOLDOUT_$name == $name, \"$name\");"
  done
  echo 'int main(void) { return 0; }'
} > "$out/check.c"
cc -Wall -Werror -o "$out/check" "$out/check.c" -lsqlite3
echo "shim.h matches $(pkg-config --modversion sqlite3 2>/dev/null || echo the system) sqlite3.h"
