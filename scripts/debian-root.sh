#!/usr/bin/env bash
# A clean Debian 12 root (debootstrap --variant=minbase bookworm) for the package's install
# test, made once and kept in .build-debian/ (about 30 s and 200 MB the first time); prints
# its path. The test works on a copy, so the kept root stays as debootstrap made it.
#
#   scripts/debian-root.sh            make it if missing, print its path
#   MIRROR=http://… scripts/debian-root.sh
#   scripts/debian-root.sh remove COPY...   stop every process running in a copy, unmount
#                                           what is mounted in it, then delete it
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"

# A copy's processes (its PostgreSQL, nginx, pool) are those whose root is the copy; a mount
# left in it would send rm into this machine's own /proc and /sys, so a copy with one stays.
remove() {
    local copy pid waited
    for copy in "$@"; do
        [ -d "$copy" ] || continue
        copy=$(cd "$copy" && pwd -P)
        for signal in TERM KILL; do
            waited=0
            for pid in /proc/[0-9]*; do
                [ "$(readlink "$pid/root" 2>/dev/null)" = "$copy" ] && kill "-$signal" "${pid#/proc/}" 2>/dev/null && waited=1
            done
            [ "$waited" = 1 ] || break
            for _ in $(seq 100); do
                waited=0
                for pid in /proc/[0-9]*; do [ "$(readlink "$pid/root" 2>/dev/null)" = "$copy" ] && waited=1 && break; done
                [ "$waited" = 1 ] || break
                sleep 0.1
            done
        done
        awk -v copy="$copy/" 'index($2, copy) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r umount -l
        if awk -v copy="$copy/" 'index($2, copy) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
            echo "debian-root.sh: $copy still has mounts; not removed" >&2
            return 1
        fi
        rm -rf "$copy"
    done
}

if [ "${1:-}" = remove ]; then
    shift
    remove "$@"
    exit
fi

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
