#!/bin/sh
# Run once by the postgres image when it creates its database (docker-entrypoint-initdb.d):
# streaming replication connections from the compose network, for the profile "replica"
# (postgres-standby.sh). The user is the one the image created, with its password. The file
# is executable, so the image runs it rather than sourcing it into its own shell.
set -eu
echo "host replication ${POSTGRES_USER} samenet scram-sha-256" >> "${PGDATA}/pg_hba.conf"
