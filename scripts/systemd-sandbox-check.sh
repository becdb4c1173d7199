#!/bin/sh
# deploy/wa.service's system call filter, address families and unprivileged user, applied to the
# built gateway without systemd (see scripts/systemd-sandbox-check.ts). Needs root (to drop to nobody).
set -eu
if [ "$(id -u)" != 0 ]; then
  echo "systemd-sandbox-check: run as root (it drops to nobody itself)" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
exec node dist/scripts/systemd-sandbox-check.js
