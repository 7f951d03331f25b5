#!/usr/bin/env bash
# A clean Debian 12 root (debootstrap --variant=minbase bookworm) for the package's install
# test, made once and kept in .build-debian/ (about 30 s and 200 MB the first time); prints
# its path. The test works on a copy, so the kept root stays as debootstrap made it.
#
#   scripts/debian-root.sh            make it if missing, print its path
#   MIRROR=http://… scripts/debian-root.sh
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
MIRROR=${MIRROR:-http://deb.debian.org/debian}
cache="$here/.build-debian"
root="$cache/bookworm-minbase"
mkdir -p "$cache"

# Two test runs of one checkout must not debootstrap into the same folder at once.
exec 9>"$cache/.lock"
flock 9
if [ ! -f "$root.complete" ]; then
    rm -rf "$root.partial"
    if ! debootstrap --variant=minbase bookworm "$root.partial" "$MIRROR" >"$cache/debootstrap.log" 2>&1; then
        echo "debootstrap failed; see $cache/debootstrap.log" >&2
        tail -n 5 "$cache/debootstrap.log" >&2
        exit 1
    fi
    # apt in the root fetches the package's Depends from the same mirror, with this machine's DNS.
    rm -rf "$root"
    mv "$root.partial" "$root"
    touch "$root.complete"
fi
echo "$root"
