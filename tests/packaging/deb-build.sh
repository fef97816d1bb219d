#!/bin/sh
# Meson suite 'deb': builds the Debian packages from this source tree and checks them.
#   deb-build.sh SRCDIR SANITIZE
# Copies the tree (git's files, committed or not) into a temporary directory, runs
# `dpkg-source -b` and `dpkg-buildpackage -us -uc -b` there (DEB_BUILD_OPTIONS=nocheck:
# the surrounding `meson test` run is the test run; scripts/deb-fresh.sh builds with the
# tests), runs lintian on the result (an error or a warning fails), unpacks the three
# .deb files with `dpkg -x` into a temporary root and runs deb-check.sh on it. Nothing is
# installed on this machine and nothing needs root. Skipped (77), saying why, in a
# sanitizer build (the packages do not depend on it: once is enough) and where
# dpkg-buildpackage, debhelper, lintian or a build dependency is missing
# (scripts/dev.sh test installs them).
set -eu
src=$(cd "$1" && pwd) sanitize=$2
skip() {
	echo "SKIP: $*"
	exit 77
}
[ "$sanitize" = none ] || skip "sanitizer build ($sanitize): the packages are built and checked in the plain build"
for tool in dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian; do
	command -v "${tool%%:*}" >/dev/null 2>&1 || skip "${tool%%:*} is not installed (apt-get install ${tool#*:})"
done
missing=$(cd "$src" && dpkg-checkbuilddeps -Pnocheck 2>&1) ||
	skip "build dependencies missing (apt-get install them): $(echo "$missing" | sed 's/.*dependencies: //')"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
mkdir "$tmp/cannery-$version"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	# the files git knows (committed or not), without build dirs, .cache or obj-* trees
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
		tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$tmp/cannery-$version"
else
	(cd "$src" && tar -cf - --exclude='./build*' --exclude=./.cache --exclude='./obj-*' --exclude=./debian/.debhelper .) |
		tar -xf - -C "$tmp/cannery-$version"
fi

# the source package too, for lintian's source checks (debian/control, rules, copyright)
(cd "$tmp" && dpkg-source -b "cannery-$version" >"$tmp/source.log" 2>&1) || {
	cat "$tmp/source.log"
	echo "FAIL: dpkg-source -b failed"
	exit 1
}
echo "dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS=nocheck) in $tmp/cannery-$version"
if ! (cd "$tmp/cannery-$version" && DEB_BUILD_OPTIONS="nocheck parallel=2" DEB_BUILD_PROFILES=nocheck \
	dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1); then
	tail -60 "$tmp/build.log"
	echo "FAIL: dpkg-buildpackage failed (the last 60 lines of its log are above)"
	exit 1
fi
ls "$tmp"/*.deb | sed 's|.*/|built: |'
for p in cannery libcannery0 libcannery-dev; do
	ls "$tmp/${p}_${version}_"*.deb >/dev/null 2>&1 || { echo "FAIL: no $p package"; exit 1; }
done

# lintian on the source and the binary packages: an error or a warning fails (there are
# none; docs/packaging.md), info tags are printed. Its complaint about running as root
# (containers, CI) is left out.
echo "lintian --info $(cd "$tmp" && echo *.dsc *.changes):"
lintian --fail-on error,warning --info "$tmp"/*.dsc "$tmp"/*.changes >"$tmp/lintian.log" 2>&1 || lintian_rc=$?
grep -v 'running with root privileges' "$tmp/lintian.log" | sed 's/^/  /' >"$tmp/lintian.out" || true
if [ -s "$tmp/lintian.out" ]; then cat "$tmp/lintian.out"; else echo "  (no tag)"; fi
[ "${lintian_rc:-0}" = 0 ] || { echo "FAIL: lintian reports errors or warnings (exit ${lintian_rc})"; exit 1; }

# the relations the library's symbols file and the -dev package must give
depends=$(dpkg-deb -f "$tmp"/cannery_"$version"_*.deb Depends)
case $depends in *"libcannery0 (>= $version)"*) ;; *) echo "FAIL: cannery Depends: $depends"; exit 1 ;; esac
depends=$(dpkg-deb -f "$tmp"/libcannery-dev_"$version"_*.deb Depends)
case $depends in *"libcannery0 (= $version)"*) ;; *) echo "FAIL: libcannery-dev Depends: $depends"; exit 1 ;; esac
echo "ok: cannery depends on libcannery0 (>= $version), libcannery-dev on libcannery0 (= $version)"

mkdir "$tmp/root"
for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$tmp/root"; done
sh "$src/tests/packaging/deb-check.sh" "$tmp/root" "$src"
