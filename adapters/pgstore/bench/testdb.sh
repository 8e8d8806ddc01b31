#!/usr/bin/env bash
# testdb.sh runs a command against a throwaway PostgreSQL server: it is
# pgstore's testdb.sh, which starts the cluster, sets SWITCHBOARD_PG_DSN, runs
# the command here and removes the cluster however the command ends.
#
#	bash testdb.sh go test -run '^$' -bench . -benchtime=5s -count=2
set -euo pipefail
exec bash "$(dirname "$0")/../testdb.sh" "$@"
