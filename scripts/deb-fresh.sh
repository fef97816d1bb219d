#!/usr/bin/env bash
# scripts/deb-fresh.sh: the Debian packages, end to end, on a fresh Debian 12 as root.
# Installs what the build needs (build-essential, dpkg-dev, debhelper, lintian and
# debian/control's Build-Depends, through `apt-get build-dep`), runs
# `dpkg-buildpackage -us -uc -b` with the tests (dh_auto_test: every suite but 'deb'),
# runs lintian, then takes the system back to the packages it had before, installs the
# three .deb files with apt-get (so their Depends must be right) and runs
# tests/packaging/deb-check.sh on the installed system. It changes the machine it runs
# on: run it in a throw-away root, not on your workstation. JOBS (2) is the build's and the
# tests' parallelism. With the project's
# fresh-ci tool (docs/packaging.md):
#   ../shared/tools/fresh-ci 'bash scripts/deb-fresh.sh'
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "deb-fresh.sh: run it as root, in a throw-away Debian 12 root" >&2; exit 2; }
export DEBIAN_FRONTEND=noninteractive
step() { echo "=== deb-fresh: $*"; }

apt-get update -q >/dev/null
before=$(mktemp)
dpkg --get-selections >"$before"
step "installing the build tools and debian/control's Build-Depends"
apt-get install -y -q --no-install-recommends build-essential dpkg-dev debhelper lintian >/dev/null
apt-get build-dep -y -q ./ >/dev/null

version=$(dpkg-parsechangelog -S Version)
work=$(mktemp -d /var/tmp/cannery-deb.XXXXXX)
mkdir "$work/cannery-$version"
tar -cf - --exclude=./.git --exclude='./build*' --exclude=./.cache --exclude='./obj-*' . |
	tar -xf - -C "$work/cannery-$version"
(cd "$work" && dpkg-source -b "cannery-$version" >/dev/null)
step "dpkg-buildpackage -us -uc -b, with the tests (log: $work/build.log)"
start=$(date +%s)
if ! (cd "$work/cannery-$version" && DEB_BUILD_OPTIONS="parallel=${JOBS:-2}" \
	dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1); then
	tail -80 "$work/build.log"
	echo "deb-fresh.sh: dpkg-buildpackage failed" >&2
	exit 1
fi
echo "built in $(($(date +%s) - start)) s: $(cd "$work" && echo *.deb)"
grep -E '^(Ok|Expected Fail|Fail|Unexpected Pass|Skipped|Timeout): ' "$work/build.log" || true

step "lintian $(cd "$work" && echo *.dsc *.changes)"
rc=0
lintian --fail-on error,warning --info "$work"/*.dsc "$work"/*.changes >"$work/lintian.log" 2>&1 || rc=$?
grep -v 'running with root privileges' "$work/lintian.log" || echo "(no tag)"
[ $rc = 0 ] || { echo "deb-fresh.sh: lintian reports errors or warnings (exit $rc)" >&2; exit 1; }

step "back to the fresh system's packages, then apt-get install the .deb files"
dpkg --clear-selections
dpkg --set-selections <"$before"
apt-get -y -q dselect-upgrade >/dev/null
apt-get -y -q autoremove --purge >/dev/null
# curl and a C compiler for deb-check.sh (serve a stub, build a program against the library)
apt-get install -y -q --no-install-recommends curl ca-certificates gcc libc6-dev pkg-config \
	"$work/cannery_${version}_"*.deb "$work/libcannery0_${version}_"*.deb \
	"$work/libcannery-dev_${version}_"*.deb >/dev/null
dpkg -l cannery libcannery0 libcannery-dev | tail -3

step "tests/packaging/deb-check.sh /"
sh tests/packaging/deb-check.sh / .
step "ok"
