#!/usr/bin/env bash
# scripts/dev.sh serve [serve options]   install what is missing, build, serve stubs/
# scripts/dev.sh test                    install what is missing, build, run every suite
#                                        twice: plain, then under ASan+UBSan
# Works on a fresh Debian 12 as root (or with sudo). With CI=true, warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES="gcc libc6-dev pkg-config meson ninja-build libmicrohttpd-dev libyaml-dev libcjson-dev
  libpcre2-dev libcurl4-openssl-dev libcriterion-dev curl ca-certificates python3-pytest"

install_missing() {
	local missing=()
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	echo "dev.sh: installing ${missing[*]}" >&2
	$sudo apt-get update -q
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# setup DIR [meson options...]: configure once, reconfigure when options change
setup() {
	local dir=$1
	shift
	local werror=()
	[ "${CI:-}" = true ] && werror=(-Dwerror=true)
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "${werror[@]}" "$@" >/dev/null
	else
		meson setup "$dir" "${werror[@]}" "$@" >/dev/null
	fi
}

cmd=${1:-}
case "$cmd" in
serve)
	shift
	install_missing
	setup build
	ninja -C build cannery
	exec ./build/cannery serve "$@"
	;;
test)
	install_missing
	status=0
	setup build
	ninja -C build
	meson test -C build --print-errorlogs --num-processes 2 || status=1
	setup build-san -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-san
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		meson test -C build-san --print-errorlogs --num-processes 2 || status=1
	# the last line sums every suite of both builds as "N passed, N failed"
	python3 scripts/test-summary.py build build-san || status=1
	exit $status
	;;
*)
	echo "usage: scripts/dev.sh serve [options] | scripts/dev.sh test" >&2
	exit 2
	;;
esac
