#!/usr/bin/env bash
# testdb.sh starts a throwaway PostgreSQL cluster, runs a command with
# SWITCHBOARD_PG_DSN pointing at it, then stops the cluster and removes it,
# whether the command passed, failed or was interrupted. It installs nothing:
# it uses the PostgreSQL binaries already on the machine (PG_BIN, or the
# newest /usr/lib/postgresql/*/bin).
#
#	bash adapters/pgstore/testdb.sh go test -race ./...
#
# The cluster lives in a temporary directory, listens on a free loopback port
# only, and runs as an unprivileged user: the current one, or, when run as
# root (PostgreSQL refuses to), the user named by PG_USER (default postgres,
# created when missing).
set -euo pipefail
if [ $# -eq 0 ]; then
  echo "usage: $0 command [args...]" >&2
  exit 2
fi

bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
if [ -z "$bin" ] || [ ! -x "$bin/postgres" ]; then
  echo "testdb.sh: no PostgreSQL binaries (set PG_BIN)" >&2
  exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-pg.XXXXXX")
as=()
if [ "$(id -u)" = 0 ]; then
  user=${PG_USER:-postgres}
  id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
  chown "$user" "$dir"
  as=(runuser -u "$user" --)
fi

cleanup() {
  status=$?
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free loopback port: bind port 0 and read back what the kernel chose.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
  echo $((20000 + RANDOM % 20000)))

"${as[@]}" "$bin/initdb" -D "$dir/data" -U switchboard --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
# Commits stay durable (fsync on): the adapter's benchmarks compare durable
# commits. Only the server's own log and sockets are kept in the temp dir.
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
  -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c max_connections=300 -c shared_buffers=64MB" \
  >/dev/null || { cat "$dir/server.log" >&2; exit 1; }

export SWITCHBOARD_PG_DSN="postgres://switchboard@127.0.0.1:$port/postgres?sslmode=disable"
echo "testdb.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
"$@"
