#!/usr/bin/env bash
# `make deb`, after scripts/deb.sh: the C library's two packages, as Debian names a shared
# library's (README "The C library"):
#   dist/liblicense-client1_VERSION_ARCH.deb     liblicense-client.so.1 (the soname), shlibs, ldconfig trigger
#   dist/liblicense-client-dev_VERSION_ARCH.deb  license-client.h, license-client.pc, the .so link
# from scripts/deb.sh's release build (.build-release), the version and revision as license-server's.
set -euo pipefail
source "$(dirname "$0")/deb-common.sh"
library="$scratch/release/liblicense-client.so"
[ -f "$library" ] || { echo "deb-client-library.sh: no release build of $library (run scripts/deb.sh)" >&2; exit 1; }

deb_version "$scratch/release"
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
deb_build liblicense-client1 "$runtime" "$packaging/liblicense-client1.control.in" "$depends"

# The development package: the header, the pkg-config file, the link the linker looks for.
development="$stage/liblicense-client-dev"
mkdir -p "$development/DEBIAN" "$development/usr/include" "$development/usr/lib/$multiarch/pkgconfig"
install -m 0644 clients/c/include/license-client.h "$development/usr/include/license-client.h"
ln -s "$soname" "$development/usr/lib/$multiarch/liblicense-client.so"
sed -e "s|@VERSION@|$upstream|" -e "s|@MULTIARCH@|$multiarch|" clients/c/license-client.pc.in \
    >"$development/usr/lib/$multiarch/pkgconfig/license-client.pc"
chmod 0644 "$development/usr/lib/$multiarch/pkgconfig/license-client.pc"
documentation liblicense-client-dev "$development"
deb_build liblicense-client-dev "$development" "$packaging/liblicense-client-dev.control.in" ""
