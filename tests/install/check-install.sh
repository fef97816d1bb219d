#!/bin/sh
# `meson install --destdir` must give a usable library, header and cannery.pc: installs the
# build into a temporary directory, builds tests/install/hello.c against it with pkg-config
# alone, and runs it; and checks that the files CANNERY_INSTALL_EXPECT names (man pages,
# shell completion) were installed.
#   CANNERY_INSTALL_EXPECT=FILE:... check-install.sh MESON BUILD_DIR SRC_DIR PREFIX LIBDIR SANITIZE CC...
set -eu
meson=$1 build=$2 src=$3 prefix=$4 libdir=$5 sanitize=$6
shift 6
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

"$meson" install -C "$build" --destdir "$dest" --no-rebuild >"$dest/install.log" 2>&1 ||
	{ cat "$dest/install.log"; exit 1; }
case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac
# CANNERY_INSTALL_EXPECT: the man pages and completion files, colon-separated
extra=$(echo "${CANNERY_INSTALL_EXPECT:-}" | tr ':' ' ')
# shellcheck disable=SC2086
for f in "$prefix/include/cannery/cannery.h" "$libdir/pkgconfig/cannery.pc" "$prefix/bin/cannery" $extra; do
	[ -e "$dest$f" ] || { echo "not installed: $f"; find "$dest" -type f; exit 1; }
done
export PKG_CONFIG_PATH="$dest$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
echo "pkg-config: cannery $(pkg-config --modversion cannery): $(pkg-config --cflags --libs cannery)"
flags=""
[ "$sanitize" = none ] || flags="-fsanitize=$sanitize"
# shellcheck disable=SC2046
"$@" $flags -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Werror -o "$dest/hello" "$src/tests/install/hello.c" \
	$(pkg-config --cflags --libs cannery)
LD_LIBRARY_PATH="$dest$libdir" "$dest/hello"
