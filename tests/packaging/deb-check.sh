#!/bin/sh
# Checks what the Debian packages (cannery, libcannery0, libcannery-dev) put on a system:
#   deb-check.sh ROOT SRCDIR
# ROOT is / after `apt-get install ./*.deb` (scripts/deb-fresh.sh, on a fresh Debian 12),
# or a directory the .deb files were unpacked into with `dpkg -x` (deb-build.sh). Runs
# `cannery --version`, serves a stub on a free port and asks it with curl, checks the man
# pages, the completion files and the library, and builds tests/install/hello.c against
# `pkg-config cannery` and runs it. Prints one "ok: ..." line per check.
set -eu
root=${1%/} src=$2
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
libdir=$root/usr/lib/$ma
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}
# an unpacked tree is not where the dynamic loader looks
[ -z "$root" ] || export LD_LIBRARY_PATH="$libdir"

for f in usr/bin/cannery \
	usr/share/man/man1/cannery.1.gz usr/share/man/man1/cannery-serve.1.gz \
	usr/share/man/man1/cannery-check.1.gz usr/share/man/man1/cannery-record.1.gz \
	usr/share/bash-completion/completions/cannery usr/share/zsh/vendor-completions/_cannery \
	usr/share/fish/vendor_completions.d/cannery.fish \
	usr/include/cannery/cannery.h "usr/lib/$ma/libcannery.so.0" "usr/lib/$ma/libcannery.so" \
	"usr/lib/$ma/pkgconfig/cannery.pc" usr/share/doc/cannery/copyright usr/share/doc/libcannery0/copyright; do
	[ -e "$root/$f" ] || fail "not installed: /$f"
done
echo "ok: every file in place (binary, 4 man pages, 3 completions, header, library, cannery.pc)"

# the man pages are valid roff (man's own checker, where man-db is installed)
if command -v man >/dev/null 2>&1; then
	for p in cannery cannery-serve cannery-check cannery-record; do
		warnings=$(MANWIDTH=80 man --warnings -l "$root/usr/share/man/man1/$p.1.gz" 2>&1 >/dev/null) ||
			fail "man -l $p.1.gz failed: $warnings"
		[ -z "$warnings" ] || fail "man --warnings $p.1.gz: $warnings"
	done
	echo "ok: man --warnings renders the 4 pages without a warning"
else
	echo "not checked: how the man pages render (man-db is not installed)"
fi

# no RPATH/RUNPATH: Debian's loader finds the library in the multiarch directory
if command -v readelf >/dev/null 2>&1; then
	! readelf -d "$root/usr/bin/cannery" | grep -E 'RPATH|RUNPATH' || fail "/usr/bin/cannery has an rpath"
	echo "ok: no rpath in /usr/bin/cannery"
else
	echo "not checked: the rpath (readelf, from binutils, is not installed)"
fi

version=$("$root/usr/bin/cannery" --version) || fail "cannery --version failed"
case $version in "cannery "[0-9]*) ;; *) fail "cannery --version said '$version'" ;; esac
echo "ok: $version"

# serve a stub on a free port; the ready line gives the URL
mkdir "$tmp/stubs"
printf 'name: hello\nrequest: { method: GET, path: /hello }\nresponse: { json: { hello: world } }\n' >"$tmp/stubs/hello.yaml"
"$root/usr/bin/cannery" serve --port 0 --no-watch --quiet "$tmp/stubs" >"$tmp/ready" 2>"$tmp/stderr" &
pid=$!
i=0
until grep -q '^cannery: serving' "$tmp/ready" 2>/dev/null; do
	kill -0 "$pid" 2>/dev/null || fail "cannery serve exited: $(cat "$tmp/stderr")"
	i=$((i + 1))
	[ $i -lt 300 ] || fail "no ready line after 30 s"
	sleep 0.1
done
url=$(sed -n 's/^cannery: serving .* on //p' "$tmp/ready")
body=$(curl -sS "$url/hello") || fail "curl $url/hello failed"
[ "$body" = '{"hello":"world"}' ] || fail "GET /hello answered '$body'"
kill "$pid" && wait "$pid" || true
pid=
echo "ok: cannery serve answered GET $url/hello with $body"

# a program built against the library with pkg-config alone
if [ -n "$root" ]; then
	export PKG_CONFIG_PATH="$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root"
fi
flags=$(pkg-config --cflags --libs cannery) || fail "pkg-config cannery failed"
# shellcheck disable=SC2086
${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Werror -o "$tmp/hello" "$src/tests/install/hello.c" $flags ||
	fail "cannot build hello.c with $flags"
out=$("$tmp/hello") || fail "hello failed: $out"
echo "ok: hello.c built with 'pkg-config cannery' ($flags): $out"
