#!/usr/bin/env bash
# `make deb`: dist/license-server_VERSION_ARCH.deb for Debian 12 (SPEC §10).
#
# A release build with the Swift runtime linked in statically, the files laid out as SPEC §10's
# table, Depends computed by dpkg-shlibdeps from the programs (plus what the maintainer scripts
# run), built by dpkg-deb with root as the owner of every file.
#
# Settings (environment): DIST (output folder, default dist/), DEB_REVISION (the Debian
# revision, default that of packaging/debian/changelog's top entry), SKIP_BUILD=1 (package the
# last release build as it is; the install test makes a "newer build" this way).
set -euo pipefail
source "$(dirname "$0")/deb-common.sh"

# Relocations read-only and bound at start (lintian's hardening checks).
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    swift build -c release --static-swift-stdlib --scratch-path "$scratch" \
        -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now 2>&1 | grep -v "the use of \`mktemp' is dangerous" >&2
fi
bin="$scratch/release"
for program in license-server licensectl; do
    [ -x "$bin/$program" ] || { echo "deb.sh: no release build of $program in $bin" >&2; exit 1; }
done

deb_version "$bin"

stage="$scratch/deb"
root="$stage/root"
rm -rf "$stage"
mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/license-server/sql/migrations" \
    "$root/usr/share/license-server/sql/functions" "$root/usr/share/license-server/sql/views" "$root/usr/share/license-server/nginx" \
    "$root/lib/systemd/system" "$root/etc/license-server/issuers" "$root/usr/share/doc/license-server"

for program in license-server licensectl; do
    install -m 0755 "$bin/$program" "$root/usr/bin/$program"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/$program"
done
for kind in migrations functions views; do
    install -m 0644 sql/$kind/*.sql "$root/usr/share/license-server/sql/$kind/"
done
install -m 0644 nginx/* "$root/usr/share/license-server/nginx/"
# The operator's kit (SPEC §9): alert rules, their promtool tests, a Grafana dashboard.
install -d "$root/usr/share/license-server/monitoring"
install -m 0644 packaging/monitoring/* "$root/usr/share/license-server/monitoring/"
install -m 0644 docs/openapi.yaml "$root/usr/share/license-server/openapi.yaml"
install -m 0644 "$packaging/license-server.socket" "$packaging/license-server.service" "$root/lib/systemd/system/"
# The settings may hold a database password: readable by root (systemd reads it) only.
install -m 0640 "$packaging/license-server.conf" "$root/etc/license-server/license-server.conf"
install -m 0644 README.md "$packaging/copyright" "$root/usr/share/doc/license-server/"
# The README's links into docs/ (the runbooks) keep working where it is installed.
install -d "$root/usr/share/doc/license-server/docs"
install -m 0644 docs/*.md "$root/usr/share/doc/license-server/docs/"
# The man pages are the programs' own --help and --version, through help2man.
mkdir -p "$root/usr/share/man/man1"
for program in "license-server:license check pool (FastCGI workers behind nginx)" "licensectl:license server administration and keys"; do
    name=${program%%:*}
    SOURCE_DATE_EPOCH=$(date -d "$(sed -n 's/^ -- .*>  //p' "$packaging/changelog" | head -n 1)" +%s) \
        help2man --no-info --no-discard-stderr --name "${program#*:}" "$bin/$name" | gzip -9n >"$root/usr/share/man/man1/$name.1.gz"
    chmod 0644 "$root/usr/share/man/man1/$name.1.gz"
done

# The Debian changelog; a build of another revision than its top entry (a test's newer build)
# says so in an entry of its own.
changelog="$stage/changelog.Debian"
if [ "$version" != "$top" ]; then
    {
        echo "license-server ($version) bookworm; urgency=medium"
        echo
        echo "  * Rebuild of $top as revision $revision."
        echo
        echo " -- License server maintainers <maintainers@license-server.example.com>  $(LC_ALL=C date -uR)"
        echo
    } >"$changelog"
fi
cat "$packaging/changelog" >>"$changelog"
gzip -9n <"$changelog" >"$root/usr/share/doc/license-server/changelog.Debian.gz"
chmod 0644 "$root/usr/share/doc/license-server/changelog.Debian.gz"

# Depends: the shared libraries the programs link, as dpkg-shlibdeps names their packages,
# and the tools the maintainer scripts run (adduser, deb-systemd-helper).
mkdir -p "$stage/debian"
printf 'Source: license-server\n\nPackage: license-server\nArchitecture: any\n' >"$stage/debian/control"
shlibs=$(cd "$stage" && dpkg-shlibdeps -O "root/usr/bin/license-server" "root/usr/bin/licensectl" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "deb.sh: dpkg-shlibdeps found no libraries" >&2; exit 1; }
depends="$shlibs, adduser, init-system-helpers (>= 1.54~)"

for script in postinst prerm postrm; do
    install -m 0755 "$packaging/$script" "$root/DEBIAN/$script"
done
echo /etc/license-server/license-server.conf >"$root/DEBIAN/conffiles"
chmod 0644 "$root/DEBIAN/conffiles"
deb_build license-server "$root" "$packaging/control.in" "$depends"
