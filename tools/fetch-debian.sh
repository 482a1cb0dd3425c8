# Sourced by tools/fetch-debian-kernel and tools/fetch-debian-xen (after they
# cd to the source tree and set `me` to their name): the one way they fetch a
# Debian package and make a busybox-static initramfs, under build/debian/
# (never committed).
out=build/debian

# deb_depends PACKAGE REGEX: the first package PACKAGE depends on whose name
# matches REGEX (linux-image-amd64 -> linux-image-6.1.0-N-amd64); runs
# apt-get update once when apt knows no such package yet.
deb_depends() {
    dep=$(apt-cache depends "$1" 2>/dev/null | awk -v re="$2" '$1 ~ /Depends:$/ && $2 ~ re { print $2; exit }')
    if [ -z "$dep" ]; then
        apt-get update -qq >&2
        dep=$(apt-cache depends "$1" 2>/dev/null | awk -v re="$2" '$1 ~ /Depends:$/ && $2 ~ re { print $2; exit }')
    fi
    [ -n "$dep" ] || { echo "$me: cannot resolve $1" >&2; return 1; }
    echo "$dep"
}

# deb_extract PACKAGE DIR: downloads PACKAGE's .deb (apt-get download: the
# version apt would install; apt-get update first when apt does not know it)
# and extracts its files into DIR, emptied first.  The .deb is not kept.
deb_extract() {
    apt-cache show "$1" >/dev/null 2>&1 || apt-get update -qq >&2
    mkdir -p "$out"
    deb_tmp=$(mktemp -d "$out/deb.XXXXXX")
    # as root, apt warns that its _apt user cannot write here: show apt's
    # words only when the download failed
    if ! deb_log=$(cd "$deb_tmp" && apt-get download -qq "$1" 2>&1); then
        printf '%s\n' "$deb_log" >&2
        rm -rf "$deb_tmp"
        echo "$me: cannot download $1" >&2
        return 1
    fi
    rm -rf "$2"
    dpkg-deb -x "$deb_tmp"/*.deb "$2"
    rm -rf "$deb_tmp"
}

# busybox_initrd NAME: $out/NAME.cpio, a cpio newc initramfs holding
# /bin/busybox (busybox-static), an empty /proc and /init, the busybox sh
# script read from stdin.  The tree stays in $out/NAME/ to look at.
busybox_initrd() {
    [ -x /bin/busybox ] || { echo "$me: install busybox-static" >&2; return 1; }
    rm -rf "${out:?}/$1" && mkdir -p "$out/$1/bin" "$out/$1/proc"
    cp /bin/busybox "$out/$1/bin/busybox"
    cat >"$out/$1/init"
    chmod +x "$out/$1/init"
    (cd "$out/$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out/$1.cpio"
}
