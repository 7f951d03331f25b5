# Sourced by scripts/deb.sh and scripts/deb-client-library.sh: where things are, the version
# every package of a build shares, and how a staged root becomes a .deb.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
DIST=${DIST:-$here/dist}
scratch="$here/.build-release"
packaging="$here/packaging/debian"

# The version is the programs' own (Sources/LicenseCore/ProductVersion.swift), read from the
# release build in $1; the revision counts Debian builds of that version (DEB_REVISION, default
# that of packaging/debian/changelog's top entry). Sets upstream, top, revision, version, architecture.
deb_version() {
    upstream=$("$1/license-server" --version)
    top=$(sed -n '1s/^license-server (\([^)]*\)).*/\1/p' "$packaging/changelog")
    revision=${DEB_REVISION:-${top##*-}}
    version="$upstream-$revision"
    architecture=$(dpkg --print-architecture)
}

# deb_build PACKAGE ROOT TEMPLATE DEPENDS: ROOT/DEBIAN/control from the TEMPLATE (its @VERSION@,
# @ARCHITECTURE@, @INSTALLED_SIZE@, @DEPENDS@), DEBIAN/md5sums, and $DIST/PACKAGE_VERSION_ARCH.deb
# with root as the owner of every file; prints the .deb's path.
deb_build() {
    local package=$1 root=$2 template=$3 depends=$4
    local installed_size deb
    installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
    sed -e "s|@VERSION@|$version|" -e "s|@ARCHITECTURE@|$architecture|" \
        -e "s|@INSTALLED_SIZE@|$installed_size|" -e "s|@DEPENDS@|$depends|" "$template" >"$root/DEBIAN/control"
    (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
    chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
    mkdir -p "$DIST"
    deb="$DIST/${package}_${version}_$architecture.deb"
    dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
    echo "$deb"
}
