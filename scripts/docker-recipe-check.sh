#!/bin/sh
# Proves the Dockerfile's recipe without a Docker engine (see scripts/docker-recipe-check.ts; built
# into dist/ by `npm run check:docker`). Needs root for chroot and bind mounts: every mount lives in
# a private mount namespace and is gone when it ends, and only then is the work folder removed.
set -eu
if [ "$(id -u)" != 0 ]; then
  echo "docker-recipe-check: run as root (it builds chroots with bind mounts)" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/docker-recipe-XXXXXX)
status=0
unshare --mount --propagation private node dist/scripts/docker-recipe-check.js "$work" || status=$?
rm -rf --one-file-system "$work"
exit "$status"
