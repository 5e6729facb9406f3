#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# "The database is the one in the environment variable `database_url_env` names (default
# `DATABASE_URL`) ... The supervisor applies the pending migrations before the new version
# starts"; "Missing or malformed data is not_evaluated/incomplete, never a pass".
# The commit carries migrations (tracked `migrations = "migrations"`, 0001_orders.sql), and the
# CI job that deploys lost its DATABASE_URL (a renamed secret, a job run from another pipeline):
# (a) DATABASE_URL unset; (b) DATABASE_URL="" (set, empty); (c) a second release adds
#     0002_more.sql while v1 serves, DATABASE_URL unset (the schema check's case).
# Expected: each refused before anything starts, naming DATABASE_URL: the migrations cannot be
# applied (nor checked), so the release would meet a schema it was not tested on.
dproj 18331 > /dev/null
mkdir -p migrations
echo "CREATE TABLE orders (id serial primary key);" > migrations/0001_orders.sql
sed -i 's|^\[tool.pyramid.deploy\]$|[tool.pyramid.deploy]\nmigrations = "migrations"|' pyproject.toml
commit "migrations"; verdict_of_head > /dev/null
unset DATABASE_URL
B=""
"$PYR" deploy > "$W/a.out" 2>&1; a=$?
echo "  (a) unset: exit=$a $(grep -m1 'DATABASE_URL' "$W/a.out" | head -c 200); serves: $(get 18331)"
[ $a = 0 ] && B="$B a"
"$PYR" stop > /dev/null 2>&1
DATABASE_URL="" "$PYR" deploy > "$W/b.out" 2>&1; b=$?
echo "  (b) empty: exit=$b $(grep -m1 'DATABASE_URL' "$W/b.out" | head -c 200); serves: $(get 18331)"
[ $b = 0 ] && B="$B b"
if [ $b = 0 ] || [ $a = 0 ]; then
  echo "CREATE TABLE more (id int);" > migrations/0002_more.sql; echo "good-2" > VERSION
  commit "v2: one more migration"; verdict_of_head > /dev/null
  load_start 18331
  "$PYR" deploy > "$W/c.out" 2>&1; c=$?
  load_stop
  echo "  (c) v2 over v1, unset: exit=$c $(grep -m1 'DATABASE_URL' "$W/c.out" | head -c 200); serves: $(get 18331)"
  [ $c = 0 ] && B="$B c"
fi
cleanup
if [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: a release with migrations deployed with no database to apply them to)"
else echo "RESULT: HELD"; fi
