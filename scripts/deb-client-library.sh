#!/usr/bin/env bash
# `make deb`, after scripts/deb.sh: the C library's two packages, as Debian names a shared
# library's (README "The C library"):
#   dist/liblicense-client1_VERSION_ARCH.deb     liblicense-client.so.1 (the soname), shlibs, ldconfig trigger
#   dist/liblicense-client-dev_VERSION_ARCH.deb  license-client.h, license-client.pc, the .so link
# from scripts/deb.sh's release build (.build-release), the version and revision as license-server's.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
DIST=${DIST:-$here/dist}
scratch="$here/.build-release"
packaging="$here/packaging/debian"
library="$scratch/release/liblicense-client.so"
[ -f "$library" ] || { echo "deb-client-library.sh: no release build of $library (run scripts/deb.sh)" >&2; exit 1; }

upstream=$("$scratch/release/license-server" --version)
top=$(sed -n '1s/^license-server (\([^)]*\)).*/\1/p' "$packaging/changelog")
revision=${DEB_REVISION:-${top##*-}}
version="$upstream-$revision"
architecture=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
soname=$(readelf -d "$library" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = liblicense-client.so.1 ] || { echo "deb-client-library.sh: soname is '$soname'" >&2; exit 1; }

stage="$scratch/deb-client-library"
rm -rf "$stage"

# The documentation every package carries: copyright, and the changelog of the source.
documentation() {
    local package=$1 root=$2
    install -d "$root/usr/share/doc/$package"
    install -m 0644 "$packaging/copyright" "$root/usr/share/doc/$package/copyright"
    gzip -9n <"$packaging/changelog" >"$root/usr/share/doc/$package/changelog.Debian.gz"
    chmod 0644 "$root/usr/share/doc/$package/changelog.Debian.gz"
}

# DEBIAN/control from its template, DEBIAN/md5sums, and the .deb.
build() {
    local package=$1 root=$2 depends=$3
    local installed_size
    installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
    sed -e "s|@VERSION@|$version|" -e "s|@ARCHITECTURE@|$architecture|" \
        -e "s|@INSTALLED_SIZE@|$installed_size|" -e "s|@DEPENDS@|$depends|" \
        "$packaging/$package.control.in" >"$root/DEBIAN/control"
    (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
    chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
    mkdir -p "$DIST"
    local deb="$DIST/${package}_${version}_$architecture.deb"
    dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
    echo "$deb"
}

# The runtime package: the library under its soname.
runtime="$stage/liblicense-client1"
mkdir -p "$runtime/DEBIAN" "$runtime/usr/lib/$multiarch"
install -m 0644 "$library" "$runtime/usr/lib/$multiarch/$soname"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$runtime/usr/lib/$multiarch/$soname"
documentation liblicense-client1 "$runtime"
echo "liblicense-client 1 liblicense-client1 (>= $upstream)" >"$runtime/DEBIAN/shlibs"
echo "activate-noawait ldconfig" >"$runtime/DEBIAN/triggers"
chmod 0644 "$runtime/DEBIAN/shlibs" "$runtime/DEBIAN/triggers"
mkdir -p "$stage/debian"
printf 'Source: license-server\n\nPackage: liblicense-client1\nArchitecture: any\n' >"$stage/debian/control"
depends=$(cd "$stage" && dpkg-shlibdeps -O "liblicense-client1/usr/lib/$multiarch/$soname" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb-client-library.sh: dpkg-shlibdeps found no libraries" >&2; exit 1; }
build liblicense-client1 "$runtime" "$depends"

# The development package: the header, the pkg-config file, the link the linker looks for.
development="$stage/liblicense-client-dev"
mkdir -p "$development/DEBIAN" "$development/usr/include" "$development/usr/lib/$multiarch/pkgconfig"
install -m 0644 clients/c/include/license-client.h "$development/usr/include/license-client.h"
ln -s "$soname" "$development/usr/lib/$multiarch/liblicense-client.so"
sed -e "s|@VERSION@|$upstream|" -e "s|@MULTIARCH@|$multiarch|" clients/c/license-client.pc.in \
    >"$development/usr/lib/$multiarch/pkgconfig/license-client.pc"
chmod 0644 "$development/usr/lib/$multiarch/pkgconfig/license-client.pc"
documentation liblicense-client-dev "$development"
build liblicense-client-dev "$development" ""
