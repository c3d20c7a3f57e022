#!/bin/sh
# The profile "replica": a hot standby of the service "postgres", streaming from it through
# the physical replication slot carecoord_standby (the primary keeps the WAL the standby has
# not yet received; drop the slot on the primary when the standby goes for good).
# On an empty volume, a base backup of the primary is taken first; pg_basebackup's
# --write-recovery-conf leaves standby.signal and primary_conninfo (with the password it
# used) in the data directory. Then PostgreSQL starts as a read-only hot standby.
set -eu
if [ ! -s "${PGDATA}/PG_VERSION" ]; then
  mkdir -p "${PGDATA}"
  chown postgres:postgres /var/lib/postgresql "$(dirname "${PGDATA}")" "${PGDATA}"
  chmod 700 "${PGDATA}"
  until gosu postgres pg_isready --host=postgres --username="${POSTGRES_USER}" --quiet; do
    sleep 1
  done
  gosu postgres psql --host=postgres --username="${POSTGRES_USER}" --dbname="${POSTGRES_DB}" \
    --quiet --command="SELECT pg_create_physical_replication_slot('carecoord_standby')
      WHERE NOT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = 'carecoord_standby')"
  gosu postgres pg_basebackup --host=postgres --username="${POSTGRES_USER}" \
    --pgdata="${PGDATA}" --write-recovery-conf --wal-method=stream --checkpoint=fast \
    --slot=carecoord_standby
fi
# hot_standby_feedback: the primary's vacuum keeps the rows a read on the standby still needs,
# rather than the standby cancelling the read.
exec gosu postgres postgres -c hot_standby=on -c hot_standby_feedback=on
