#!/usr/bin/env bash
# Installs what test/integration/backup.tools.test.ts runs for real, when missing: PostgreSQL and MariaDB servers
# with their client tools (Debian packages postgresql, mariadb-server, mariadb-client) and the aws CLI (PyPI awscli,
# or Debian's awscli without pip). `npm test` runs it before the integration tests. Idempotent: a machine that has
# them is left alone, in about a second. Needs root (or sudo) and apt-get only when something must be installed;
# without them it names what is missing and how to get it, and exits 1.
set -euo pipefail

say() { printf '\033[1m[test-tools]\033[0m %s\n' "$*"; }
# What is missing, in words a person can act on, before anything is installed.
missing=()
[ -n "$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null || true)" ] && command -v pg_dump >/dev/null &&
  command -v pg_restore >/dev/null || missing+=("PostgreSQL server and client tools (Debian: postgresql)")
[ -x /usr/sbin/mariadbd ] && command -v mariadb-install-db >/dev/null && command -v mysqldump >/dev/null ||
  missing+=("MariaDB server and client tools (Debian: mariadb-server mariadb-client)")
command -v aws >/dev/null || missing+=("the aws CLI (pip install awscli, or Debian: awscli)")
if [ ${#missing[@]} -eq 0 ]; then
  say "postgres, mariadb and aws already installed"
fi
can_root() { [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null && sudo -n true 2>/dev/null; }; }
if [ ${#missing[@]} -gt 0 ] && { ! can_root || ! command -v apt-get >/dev/null; }; then
  say "the backup integration tests need tools this machine lacks:"
  for m in "${missing[@]}"; do say "  - $m"; done
  if ! command -v apt-get >/dev/null; then
    say "this script installs them with apt-get (Debian/Ubuntu), which is not here: install them with your package"
    say "manager, then run the tests again."
  else
    say "installing them needs root: run \`sudo bash tools/install-test-tools.sh\` once, then the tests again."
  fi
  exit 1
fi
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}
apt_updated=no
# Package mirrors fail now and then: three tries, a few seconds apart, before giving up.
retry() {
  local n
  for n in 1 2 3; do
    if "$@"; then return 0; fi
    say "attempt $n of 3 failed: $*"
    sleep $((n * 5))
  done
  return 1
}
apt_install() {
  if [ "$apt_updated" = no ]; then retry as_root apt-get update -qq; apt_updated=yes; fi
  retry as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

server=$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$server" ] || ! command -v pg_dump >/dev/null || ! command -v pg_restore >/dev/null; then
  say "installing PostgreSQL (server and client tools)"
  apt_install postgresql
  server=$(ls -d /usr/lib/postgresql/*/bin/postgres | sort -V | tail -n 1)
fi
say "postgres: $("$server" --version)"

if [ ! -x /usr/sbin/mariadbd ] || ! command -v mariadb-install-db >/dev/null || ! command -v mysqldump >/dev/null; then
  say "installing MariaDB (server and client tools)"
  apt_install mariadb-server mariadb-client
fi
say "mariadb: $(/usr/sbin/mariadbd --version)"

if ! command -v aws >/dev/null; then
  say "installing the aws CLI"
  if command -v pip3 >/dev/null; then retry pip3 install --quiet --disable-pip-version-check awscli || true; hash -r; fi
  command -v aws >/dev/null || apt_install awscli
fi
say "aws: $(aws --version 2>&1)"
