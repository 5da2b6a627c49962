#!/usr/bin/env bash
# Quorum database backups (PostgreSQL custom format; everything is in the database: meetings,
# minutes and their revisions, audit trail, outbox. Redis holds nothing that must survive).
#
#   deploy/backup.sh dump                    → $BACKUP_DIR/quorum-YYYYmmdd-HHMMSS.dump, checked, old ones pruned
#   deploy/backup.sh restore FILE TARGET_URL → a NEW, empty database restored from FILE
#
# DATABASE_URL is the database to dump. BACKUP_DIR (default var/backups), BACKUP_KEEP_DAYS (30).
# Restore never overwrites: TARGET_URL must name a database that does not exist yet; point
# DATABASE_URL at it once checked (see README, "Backups and restore").
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "backup: $*" >&2; exit 1; }
command -v pg_dump >/dev/null || die "pg_dump not found: install postgresql-client."

case "${1:-}" in
  dump)
    : "${DATABASE_URL:?backup: set DATABASE_URL to the database to dump}"
    dir=${BACKUP_DIR:-var/backups}
    mkdir -p "$dir"
    file="$dir/quorum-$(date -u +%Y%m%d-%H%M%S).dump"
    # --no-owner/--no-acl: restorable as any role; -Z 6: compressed. A consistent snapshot
    # (one transaction, REPEATABLE READ): bookings keep being made while it runs.
    pg_dump --format=custom --compress=6 --no-owner --no-acl --file="$file.part" "$DATABASE_URL"
    pg_restore --list "$file.part" >/dev/null || die "the dump $file.part is unreadable"
    mv "$file.part" "$file"
    find "$dir" -name 'quorum-*.dump' -mtime +"${BACKUP_KEEP_DAYS:-30}" -delete
    echo "$file"
    ;;
  restore)
    file=${2:-}; target=${3:-}
    [ -f "$file" ] || die "give the dump file: backup.sh restore FILE TARGET_URL"
    [ -n "$target" ] || die "give the target database URL (a database that does not exist yet)"
    name=${target##*/}; name=${name%%\?*}
    admin=${target%/*}/postgres
    exists=$(psql "$admin" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$name'")
    [ -z "$exists" ] || die "database $name exists already: restore into a new database"
    psql "$admin" -qc "CREATE DATABASE \"$name\""
    pg_restore --no-owner --no-acl --exit-on-error --single-transaction --dbname="$target" "$file"
    echo "restored $file into $name"
    ;;
  *)
    die "usage: backup.sh dump | backup.sh restore FILE TARGET_URL"
    ;;
esac
