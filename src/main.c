/* SPDX-License-Identifier: MIT */
/* The command line: argv and CANNERY_* variables into a cannery_config, then run it and
 * wait for signals. No logic beyond that lives here. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "json.h"

#include "cannery/cannery.h"
#include "diag.h"
#include "reload_log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define EXIT_USAGE 2

static const char usage_text[] =
	"cannery - a mock API server: YAML stubs in, canned JSON out\n"
	"\n"
	"usage:\n"
	"  cannery serve [DIR ...] [options]    serve stubs (default DIR: ./stubs)\n"
	"  cannery check [DIR ...]              validate stub files, print every error, exit 1 if any\n"
	"  cannery record --upstream URL [--out DIR] [options]\n"
	"                                       proxy to URL and write each exchange as a stub\n"
	"  cannery --version | --help | help COMMAND\n";

static const char serve_text[] =
	"usage: cannery serve [DIR ...] [options]\n"
	"\n"
	"Serves every *.yaml / *.yml stub under each DIR (default ./stubs).\n"
	"Each option can also be set as CANNERY_<NAME> (e.g. CANNERY_PORT=0); a flag beats the environment.\n"
	"\n"
	"  --host ADDR          listen address (default 127.0.0.1; others print a warning)\n"
	"  --port N             listen port (default 62893; 0 picks a free one)\n"
	"  --no-watch           do not hot-reload stub files\n"
	"  --cors / --no-cors   CORS for stub routes (default on)\n"
	"  --journal-limit N    requests kept in memory (default 10000; 0 keeps none)\n"
	"  --journal-file F     also append every journal entry to F as NDJSON\n"
	"  --proxy URL          forward requests that match no stub to URL (http or https)\n"
	"  --record DIR         with --proxy: write each proxied exchange as a stub into DIR\n"
	"  --admin-token T      admin API requires 'Authorization: Bearer T'\n"
	"  --allow-host NAME    extra Host header value accepted (repeatable)\n"
	"  --max-body BYTES     larger request bodies get 413 (default 10485760)\n"
	"  --quiet / --verbose  no access log / access log with every near-miss mismatch\n"
	"  --seed N             reproducible uuid, random_int and random delays (default: random)\n"
	"  --record-mode MODE   with --record: first (default) or sequence, for a repeated request\n"
	"  --proxy-timeout T    bound on each proxied exchange, e.g. 500ms or 10s (default 30s)\n"
	"  --crud FILE          serve FILE's collections as live REST resources (repeatable)\n"
	"  --crud-save          write CRUD changes back to their FILE (default: in memory only)\n"
	"  --wiremock ROOT      serve a WireMock root (ROOT/mappings, ROOT/__files) (repeatable;\n"
	"                       a DIR argument with a mappings/ subdirectory is one too)\n"
	"  --openapi SPEC       serve an OpenAPI 3.0/3.1 spec as a mock, after every stub (repeatable;\n"
	"                       a FILE argument whose top level has an 'openapi' key is one too)\n"
	"  --no-validate        do not validate requests against --openapi specs\n"
	"  --max-connections N  open connections at most; at the limit idle keep-alive ones are\n"
	"                       closed first (default: the open-files limit, raised to its hard\n"
	"                       limit, less 128, at most 65536)\n"
	"  --head-timeout T     a whole request head must arrive within T (default 10s; 0: off)\n"
	"  --min-body-rate B    bytes/s a request body must average after T (default 1024; 0: off)\n"
	"  --tls-cert F --tls-key F\n"
	"                       serve HTTPS on the port with this certificate and key (PEM)\n"
	"  --tls-self-signed    serve HTTPS with a certificate made at start for localhost,\n"
	"                       127.0.0.1 and ::1 (its SHA-256 fingerprint goes to stderr)\n"
	"\n"
	"Ready line on stdout: 'cannery: serving N stubs on http://HOST:PORT' (https:// with TLS).\n"
	"SIGINT/SIGTERM stop gracefully; SIGHUP reloads the stubs.\n";

static const char check_text[] =
	"usage: cannery check [DIR ...] [--openapi SPEC ...]\n"
	"\n"
	"Loads every stub file under each DIR (default ./stubs) and prints each problem as\n"
	"FILE:LINE:COLUMN: error: message. Exits 0 when all are valid, 1 otherwise.\n"
	"\n"
	"  --openapi SPEC       also load SPEC (OpenAPI 3.0/3.1; repeatable), and report every stub\n"
	"                       whose route is not an operation of it or whose response body does\n"
	"                       not validate against the operation's schema (a FILE argument whose\n"
	"                       top level has an 'openapi' key counts as --openapi)\n";

static const char record_text[] =
	"usage: cannery record --upstream URL [--out DIR] [--record-mode first|sequence] [options]\n"
	"\n"
	"Proxies every request (except /__cannery/) to URL, answers with the upstream's response\n"
	"and writes each exchange as a stub file into DIR, ready for 'cannery serve DIR'.\n"
	"Each option can also be set as CANNERY_<NAME> (e.g. CANNERY_UPSTREAM).\n"
	"\n"
	"  --upstream URL       the API to record (http or https; a path in it prefixes every path)\n"
	"  --out DIR            where the stub files go (default ./stubs/recorded; made if missing)\n"
	"  --record-mode MODE   a repeated request: first (default) keeps the first response,\n"
	"                       sequence appends each response to the stub's 'responses:'\n"
	"  --proxy-timeout T    bound on each exchange, e.g. 500ms or 10s (default 30s): 504 after it\n"
	"  --host ADDR, --port N, --allow-host NAME, --max-body BYTES, --quiet, --verbose,\n"
	"  --max-connections N, --head-timeout T, --min-body-rate B, --journal-limit N,\n"
	"  --journal-file F, --admin-token T, --tls-cert F, --tls-key F, --tls-self-signed\n"
	"                       as for serve\n"
	"\n"
	"Ready line on stdout: 'cannery: recording URL on http://HOST:PORT' (https:// with TLS).\n";

enum opt_kind { OPT_FLAG, OPT_VALUE, OPT_LIST };

struct opt {
	const char *name;        /* without the leading "--" */
	enum opt_kind kind;
	bool supported;
};

static const struct opt serve_opts[] = {
	{ "host", OPT_VALUE, true },
	{ "port", OPT_VALUE, true },
	{ "no-watch", OPT_FLAG, true },
	{ "cors", OPT_FLAG, true },
	{ "no-cors", OPT_FLAG, true },
	{ "journal-limit", OPT_VALUE, true },
	{ "journal-file", OPT_VALUE, true },
	{ "proxy", OPT_VALUE, true },
	{ "record", OPT_VALUE, true },
	{ "admin-token", OPT_VALUE, true },
	{ "allow-host", OPT_LIST, true },
	{ "max-body", OPT_VALUE, true },
	{ "quiet", OPT_FLAG, true },
	{ "verbose", OPT_FLAG, true },
	{ "seed", OPT_VALUE, true },
	{ "record-mode", OPT_VALUE, true },
	{ "proxy-timeout", OPT_VALUE, true },
	{ "max-connections", OPT_VALUE, true },
	{ "head-timeout", OPT_VALUE, true },
	{ "min-body-rate", OPT_VALUE, true },
	{ "crud", OPT_LIST, true },
	{ "crud-save", OPT_FLAG, true },
	{ "wiremock", OPT_LIST, true },
	{ "openapi", OPT_LIST, true },
	{ "no-validate", OPT_FLAG, true },
	{ "tls-cert", OPT_VALUE, true },
	{ "tls-key", OPT_VALUE, true },
	{ "tls-self-signed", OPT_FLAG, true },
	{ NULL, OPT_FLAG, false },
};

static const struct opt record_opts[] = {
	{ "upstream", OPT_VALUE, true },
	{ "out", OPT_VALUE, true },
	{ "record-mode", OPT_VALUE, true },
	{ "proxy-timeout", OPT_VALUE, true },
	{ "host", OPT_VALUE, true },
	{ "port", OPT_VALUE, true },
	{ "allow-host", OPT_LIST, true },
	{ "max-body", OPT_VALUE, true },
	{ "quiet", OPT_FLAG, true },
	{ "verbose", OPT_FLAG, true },
	{ "journal-limit", OPT_VALUE, true },
	{ "journal-file", OPT_VALUE, true },
	{ "admin-token", OPT_VALUE, true },
	{ "max-connections", OPT_VALUE, true },
	{ "head-timeout", OPT_VALUE, true },
	{ "min-body-rate", OPT_VALUE, true },
	{ "tls-cert", OPT_VALUE, true },
	{ "tls-key", OPT_VALUE, true },
	{ "tls-self-signed", OPT_FLAG, true },
	{ NULL, OPT_FLAG, false },
};

/* What the command line asked for, before it becomes a cannery_config. */
struct cli {
	const char **dirs;
	size_t ndirs;
	const char **allow_hosts;
	size_t nallow_hosts;
	const char **crud_files;
	size_t ncrud_files;
	const char **wiremock_roots;
	size_t nwiremock_roots;
	const char **openapi_specs;
	size_t nopenapi_specs;
	const char **env_lists;         /* owned copies of list variables that allow_hosts and
					 * crud_files may point into */
	size_t nenv_lists;
	struct cannery_config cfg;
	char unsupported[64];           /* the first option given whose feature is not built yet */
	const char *proxy;
	const char *record;
	bool quiet, verbose;
	bool max_connections_set;
};

__attribute__((format(printf, 1, 2), noreturn))
static void die_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "cannery: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\ntry 'cannery --help'\n");
	va_end(ap);
	exit(EXIT_USAGE);
}

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	if (!s || !*s)
		return false;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

/* "250" and "250ms" are milliseconds, "2s" seconds. */
static bool parse_duration_ms(const char *s, unsigned long long *out)
{
	size_t n = strlen(s);
	unsigned long long scale = 1;
	char digits[24];
	if (n > 2 && strcmp(s + n - 2, "ms") == 0) {
		n -= 2;
	} else if (n > 1 && s[n - 1] == 's') {
		n -= 1;
		scale = 1000;
	}
	if (n == 0 || n >= sizeof(digits))
		return false;
	memcpy(digits, s, n);
	digits[n] = '\0';
	if (!parse_uint(digits, 3600000, out))
		return false;
	*out *= scale;
	return true;
}

/* An http:// or https:// URL with a host; the server checks the rest. */
static bool upstream_ok(const char *url)
{
	const char *host;
	if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		return false;
	if (!*host || *host == '/' || *host == '?' || *host == '#' || *host == ':')
		return false;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static int parse_bool(const char *s)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off", "" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	return -1;
}

static void push(const char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

/* Applies one option; `from` names where it came from ("--port" or "CANNERY_PORT"). */
static void apply(struct cli *cli, const struct opt *o, const char *value, const char *from)
{
	const char *n = o->name;
	unsigned long long v;
	if (strcmp(n, "host") == 0) {
		if (!*value)
			die_usage("invalid value '%s' for %s: expected an IP address or host name", value, from);
		cli->cfg.host = value;
	} else if (strcmp(n, "port") == 0) {
		if (!parse_uint(value, 65535, &v))
			die_usage("invalid value '%s' for %s: expected an integer from 0 to 65535", value, from);
		cli->cfg.port = (unsigned)v;
	} else if (strcmp(n, "max-body") == 0) {
		if (!parse_uint(value, (unsigned long long)SIZE_MAX / 2, &v))
			die_usage("invalid value '%s' for %s: expected a number of bytes", value, from);
		cli->cfg.max_body = (size_t)v;
	} else if (strcmp(n, "journal-limit") == 0) {
		if (!parse_uint(value, 100000000, &v))
			die_usage("invalid value '%s' for %s: expected an integer from 0 to 100000000", value, from);
		cli->cfg.journal_limit = (size_t)v;
	} else if (strcmp(n, "seed") == 0) {
		if (!parse_uint(value, UINT64_MAX, &v))
			die_usage("invalid value '%s' for %s: expected a non-negative integer", value, from);
		cli->cfg.seeded = true;
		cli->cfg.seed = v;
	} else if (strcmp(n, "proxy") == 0 || strcmp(n, "upstream") == 0) {
		if (!upstream_ok(value))
			die_usage("invalid value '%s' for %s: expected an http:// or https:// URL", value, from);
		cli->proxy = value;
	} else if (strcmp(n, "out") == 0) {
		if (!*value)
			die_usage("invalid value '%s' for %s: expected a directory", value, from);
		cli->record = value;
	} else if (strcmp(n, "record-mode") == 0) {
		if (strcmp(value, "first") == 0)
			cli->cfg.record_mode = CANNERY_RECORD_FIRST;
		else if (strcmp(value, "sequence") == 0)
			cli->cfg.record_mode = CANNERY_RECORD_SEQUENCE;
		else
			die_usage("invalid value '%s' for %s: expected first or sequence", value, from);
	} else if (strcmp(n, "proxy-timeout") == 0) {
		if (!parse_duration_ms(value, &v) || v == 0 || v > 3600000)
			die_usage("invalid value '%s' for %s: expected a duration from 1ms to 3600s, like 500ms or 10s",
				  value, from);
		cli->cfg.proxy_timeout_ms = (unsigned)v;
	} else if (strcmp(n, "max-connections") == 0) {
		if (!parse_uint(value, 1000000, &v) || v == 0)
			die_usage("invalid value '%s' for %s: expected an integer from 1 to 1000000", value, from);
		cli->cfg.max_connections = (unsigned)v;
		cli->max_connections_set = true;
	} else if (strcmp(n, "head-timeout") == 0) {
		if (!parse_duration_ms(value, &v) || v > 3600000)
			die_usage("invalid value '%s' for %s: expected a duration up to 3600s, like 10s (0: off)", value,
				  from);
		cli->cfg.head_timeout_ms = (unsigned)v;
	} else if (strcmp(n, "min-body-rate") == 0) {
		if (!parse_uint(value, 1u << 30, &v))
			die_usage("invalid value '%s' for %s: expected bytes per second (0: off)", value, from);
		cli->cfg.min_body_rate = (unsigned)v;
	} else if (strcmp(n, "tls-cert") == 0 || strcmp(n, "tls-key") == 0) {
		if (!*value)
			die_usage("invalid value '%s' for %s: expected a PEM file", value, from);
		if (strcmp(n, "tls-cert") == 0)
			cli->cfg.tls_cert_file = value;
		else
			cli->cfg.tls_key_file = value;
	} else if (strcmp(n, "tls-self-signed") == 0) {
		cli->cfg.tls_self_signed = true;
	} else if (strcmp(n, "record") == 0 || strcmp(n, "journal-file") == 0 || strcmp(n, "admin-token") == 0) {
		if (!*value)
			die_usage("invalid value '%s' for %s: expected a non-empty value", value, from);
		if (strcmp(n, "record") == 0)
			cli->record = value;
		else if (strcmp(n, "journal-file") == 0)
			cli->cfg.journal_file = value;
		else
			cli->cfg.admin_token = value;
	} else if (strcmp(n, "crud") == 0) {
		if (!*value)
			die_usage("invalid value '%s' for %s: expected a JSON or YAML data file", value, from);
		push(&cli->crud_files, &cli->ncrud_files, value);
	} else if (strcmp(n, "wiremock") == 0) {
		if (!*value)
			die_usage("invalid value '%s' for %s: expected a WireMock root (a directory with mappings/)", value,
				  from);
		push(&cli->wiremock_roots, &cli->nwiremock_roots, value);
	} else if (strcmp(n, "openapi") == 0) {
		if (!*value)
			die_usage("invalid value '%s' for %s: expected an OpenAPI 3.0/3.1 spec file", value, from);
		push(&cli->openapi_specs, &cli->nopenapi_specs, value);
	} else if (strcmp(n, "no-validate") == 0) {
		cli->cfg.no_validate = true;
	} else if (strcmp(n, "crud-save") == 0) {
		cli->cfg.crud_save = true;
	} else if (strcmp(n, "allow-host") == 0) {
		if (!*value)
			die_usage("invalid value '%s' for %s: expected a host name", value, from);
		push(&cli->allow_hosts, &cli->nallow_hosts, value);
	} else if (strcmp(n, "no-watch") == 0) {
		cli->cfg.watch = false;
	} else if (strcmp(n, "cors") == 0 || strcmp(n, "no-cors") == 0) {
		cli->cfg.cors = strcmp(n, "cors") == 0;
	} else if (strcmp(n, "quiet") == 0) {
		cli->quiet = true;
	} else if (strcmp(n, "verbose") == 0) {
		cli->verbose = true;
	}
	if (!o->supported && !cli->unsupported[0])
		snprintf(cli->unsupported, sizeof(cli->unsupported), "%s", from);
}

static const struct opt *find_opt(const struct opt *opts, const char *name, size_t len)
{
	for (size_t i = 0; opts[i].name; i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

static void unknown_option(const struct opt *opts, const char *arg, size_t len)
{
	const char *known[32];
	size_t n = 0;
	for (size_t i = 0; opts[i].name && n < 31; i++)
		known[n++] = opts[i].name;
	known[n] = NULL;
	char *word = xstrndup(arg + 2, len - 2);
	const char *hint = diag_suggest(word, known);
	fprintf(stderr, "cannery: unknown option '%.*s'", (int)len, arg);
	if (hint)
		fprintf(stderr, " (did you mean '--%s'?)", hint);
	fprintf(stderr, "\ntry 'cannery --help'\n");
	free(word);
	exit(EXIT_USAGE);
}

static void env_name(const char *opt, char *buf, size_t size)
{
	size_t i = 0;
	i += (size_t)snprintf(buf, size, "CANNERY_");
	for (const char *p = opt; *p && i + 1 < size; p++)
		buf[i++] = *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	buf[i] = '\0';
}

/* The environment first: flags given later override it. */
static void apply_env(struct cli *cli, const struct opt *opts)
{
	for (size_t i = 0; opts[i].name; i++) {
		char name[40];
		env_name(opts[i].name, name, sizeof(name));
		const char *value = getenv(name);
		if (!value)
			continue;
		if (opts[i].kind == OPT_FLAG) {
			int b = parse_bool(value);
			if (b < 0)
				die_usage("invalid value '%s' for %s: expected 1/true/yes or 0/false/no", value, name);
			if (b)
				apply(cli, &opts[i], "", name);
			else if (strcmp(opts[i].name, "cors") == 0)
				/* CANNERY_CORS=0 reads as "off", like CANNERY_NO_CORS=1 */
				apply(cli, find_opt(opts, "no-cors", 7), "", name);
		} else if (opts[i].kind == OPT_LIST) {
			char *copy = xstrdup(value);
			push(&cli->env_lists, &cli->nenv_lists, copy);
			for (char *p = copy; p;) {
				char *comma = strchr(p, ',');
				if (comma)
					*comma = '\0';
				apply(cli, &opts[i], p, name);
				p = comma ? comma + 1 : NULL;
			}
		} else {
			apply(cli, &opts[i], value, name);
		}
	}
}

static void free_cli(struct cli *cli)
{
	for (size_t i = 0; i < cli->nenv_lists; i++)
		free((char *)cli->env_lists[i]);
	free(cli->env_lists);
	free(cli->crud_files);
	free(cli->wiremock_roots);
	free(cli->openapi_specs);
}

static void parse_args(struct cli *cli, const struct opt *opts, int argc, char **argv, int first)
{
	bool only_dirs = false;
	for (int i = first; i < argc; i++) {
		const char *arg = argv[i];
		if (only_dirs || arg[0] != '-' || strcmp(arg, "-") == 0) {
			push(&cli->dirs, &cli->ndirs, arg);
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_dirs = true;
			continue;
		}
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
			return;
		if (arg[1] != '-')
			die_usage("unknown option '%s'", arg);
		const char *eq = strchr(arg, '=');
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		const struct opt *o = find_opt(opts, arg + 2, len - 2);
		if (!o)
			unknown_option(opts, arg, len);
		char from[64];
		snprintf(from, sizeof(from), "%.*s", (int)len, arg);
		if (o->kind == OPT_FLAG) {
			if (eq)
				die_usage("option '%s' takes no value", from);
			apply(cli, o, "", from);
			continue;
		}
		const char *value = eq ? eq + 1 : NULL;
		if (!value) {
			if (i + 1 >= argc)
				die_usage("option '%s' needs a value", from);
			value = argv[++i];
		}
		apply(cli, o, value, from);
	}
}

static bool wants_help(int argc, char **argv, int first)
{
	for (int i = first; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

/* record: no stub directories, every request forwarded, stubs written to --out. */
static void record_config(struct cli *cli)
{
	static const char *const none[] = { NULL };
	if (cli->ndirs)
		die_usage("unexpected argument '%s': record takes no DIR (use --out DIR)", cli->dirs[0]);
	if (!cli->proxy)
		die_usage("record needs --upstream URL");
	if (!cli->record)
		cli->record = "stubs/recorded";
	cli->cfg.dirs = none;
	cli->cfg.ndirs = 0;
	cli->cfg.watch = false;
	cli->cfg.proxy_all = true;
}

static int cmd_check(int argc, char **argv)
{
	if (wants_help(argc, argv, 2)) {
		fputs(check_text, stdout);
		return 0;
	}
	static const struct opt check_opts[] = { { "openapi", OPT_LIST, true }, { NULL, OPT_FLAG, false } };
	struct cli cli = { 0 };
	parse_args(&cli, check_opts, argc, argv, 2);
	static const char *const default_dirs[] = { "stubs" };
	const char *const *dirs = cli.ndirs ? cli.dirs : default_dirs;
	/* beside a spec, the default DIR is checked only when it is there */
	size_t ndirs = cli.ndirs ? cli.ndirs : cli.nopenapi_specs && access("stubs", F_OK) != 0 ? 0 : 1;
	size_t nstubs = 0, nfiles = 0;
	char *errors = NULL;
	int rc = cannery_check_openapi((const char *const *)cli.openapi_specs, cli.nopenapi_specs, dirs, ndirs, &nstubs,
				       &nfiles, &errors);
	free(cli.dirs);
	free_cli(&cli);
	if (rc < 0) {
		fputs(errors, stderr);
		free(errors);
		return 1;
	}
	printf("cannery: %zu stub%s in %zu file%s ok\n", nstubs, nstubs == 1 ? "" : "s", nfiles, nfiles == 1 ? "" : "s");
	return 0;
}

/*
 * Raises the soft open-files limit to the hard one (a client connection is a file
 * descriptor; 1024, the usual soft limit, is what 8,000 idle keep-alive clients ran into)
 * and returns how many connections that leaves room for: the limit less 128 for stub
 * files, the watcher, the journal and the proxy, at most 65536 (16 KiB of libmicrohttpd
 * memory pool each: 1 GiB).
 */
static unsigned raise_open_files_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t want = rl.rlim_max;
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 65536 + 128)
		return 65536;
	return rl.rlim_cur > 256 ? (unsigned)(rl.rlim_cur - 128) : 128;
}

/* serve, or record (which is serve forwarding everything and writing what it sees). */
static int run(int argc, char **argv, bool record)
{
	if (wants_help(argc, argv, 2)) {
		fputs(record ? record_text : serve_text, stdout);
		return 0;
	}
	struct cli cli = { 0 };
	cannery_config_init(&cli.cfg);
	apply_env(&cli, record ? record_opts : serve_opts);
	parse_args(&cli, record ? record_opts : serve_opts, argc, argv, 2);
	if (record)
		record_config(&cli);
	if (cli.record && !cli.proxy)
		die_usage("--record needs --proxy URL");
	if ((cli.cfg.tls_cert_file || cli.cfg.tls_key_file) && cli.cfg.tls_self_signed)
		die_usage("--tls-self-signed cannot go with --tls-cert/--tls-key: give one certificate");
	if (!!cli.cfg.tls_cert_file != !!cli.cfg.tls_key_file)
		die_usage(cli.cfg.tls_cert_file ? "--tls-cert needs --tls-key FILE (the certificate's private key)"
						: "--tls-key needs --tls-cert FILE (the key's certificate)");
	cli.cfg.proxy = cli.proxy;
	cli.cfg.record_dir = cli.record;
	if (cli.unsupported[0]) {
		fprintf(stderr, "cannery: %s is not supported yet\n", cli.unsupported);
		free(cli.dirs);
		free(cli.allow_hosts);
		free_cli(&cli);
		return EXIT_USAGE;
	}
	if (cli.ndirs) {
		cli.cfg.dirs = cli.dirs;
		cli.cfg.ndirs = cli.ndirs;
	} else if ((cli.nwiremock_roots || cli.ncrud_files || cli.nopenapi_specs) && access("stubs", F_OK) != 0) {
		/* the default DIR is for a plain `cannery serve`; beside other sources it is
		 * served only when it is there */
		cli.cfg.ndirs = 0;
	}
	cli.cfg.wiremock_roots = cli.wiremock_roots;
	cli.cfg.nwiremock_roots = cli.nwiremock_roots;
	cli.cfg.allow_hosts = cli.allow_hosts;
	cli.cfg.nallow_hosts = cli.nallow_hosts;
	cli.cfg.crud_files = cli.crud_files;
	cli.cfg.ncrud_files = cli.ncrud_files;
	cli.cfg.openapi_specs = cli.openapi_specs;
	cli.cfg.nopenapi_specs = cli.nopenapi_specs;
	cli.cfg.log = cli.quiet ? CANNERY_LOG_QUIET : cli.verbose ? CANNERY_LOG_VERBOSE : CANNERY_LOG_NORMAL;
	cli.cfg.log_color = isatty(STDERR_FILENO);
	unsigned fd_room = raise_open_files_limit();
	if (!cli.max_connections_set)
		cli.cfg.max_connections = fd_room;
	else if (cli.cfg.max_connections > fd_room)
		fprintf(stderr, "cannery: warning: --max-connections %u is more than the open-files limit allows "
			"(about %u); connections past that are refused by the kernel\n",
			cli.cfg.max_connections, fd_room);

	/* Block the signals we wait for before any thread starts, so that every server
	 * thread inherits the mask and sigwait below is the only place they land. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* libcurl (and with it OpenSSL, ~1.7 MB of RSS) only when there is a proxy; still
	 * before any thread exists (STYLE 3.5) */
	if (cli.cfg.proxy)
		cannery_global_init();

	struct cannery_server *srv = NULL;
	char *err = NULL;
	int rc = cannery_server_create(&cli.cfg, &srv, &err);
	if (rc < 0) {
		if (err)
			fputs(err, stderr);
		else
			fprintf(stderr, "cannery: cannot load stubs: %s\n", strerror(-rc));
		free(err);
		goto out;
	}
	if (cli.cfg.tls_self_signed)
		fprintf(stderr, "cannery: TLS certificate made for localhost, 127.0.0.1 and ::1; "
			"SHA-256 fingerprint %s\n", cannery_server_tls_fingerprint(srv));
	rc = cannery_server_start(srv, &err);
	if (rc < 0) {
		fprintf(stderr, "cannery: %s\n", err);
		free(err);
		goto out;
	}
	if (!cannery_server_is_loopback(srv))
		fprintf(stderr, "cannery: warning: listening on %s, which is not a loopback address: "
			"anyone who can reach this machine can use the mock API and its admin API\n", cli.cfg.host);
	size_t n = cannery_server_stub_count(srv);
	if (record)
		printf("cannery: recording %s on %s\n", cli.proxy, cannery_server_url(srv));
	else
		printf("cannery: serving %zu stub%s on %s\n", n, n == 1 ? "" : "s", cannery_server_url(srv));
	fflush(stdout);

	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			char *errors = NULL;
			int ok = cannery_server_reload(srv, &errors) == 0;
			struct strbuf msg = STRBUF_INIT;
			reload_log_format(&msg, ok, errors, cannery_server_stub_count(srv), false);
			fputs(msg.buf, stderr);
			strbuf_release(&msg);
			free(errors);
			continue;
		}
		break;
	}
	fprintf(stderr, "cannery: shutting down\n");
	rc = 0;
out:
	cannery_server_destroy(srv);
	free(cli.dirs);
	free(cli.allow_hosts);
	free_cli(&cli);
	return rc < 0 ? 1 : 0;
}

static int cmd_serve(int argc, char **argv)
{
	return run(argc, argv, false);
}

static int cmd_record(int argc, char **argv)
{
	return run(argc, argv, true);
}

static int cmd_help(int argc, char **argv)
{
	const char *topic = argc > 2 ? argv[2] : NULL;
	if (!topic)
		fputs(usage_text, stdout);
	else if (strcmp(topic, "serve") == 0)
		fputs(serve_text, stdout);
	else if (strcmp(topic, "check") == 0)
		fputs(check_text, stdout);
	else if (strcmp(topic, "record") == 0)
		fputs(record_text, stdout);
	else
		die_usage("no help for '%s': try serve, check or record", topic);
	return 0;
}

int main(int argc, char **argv)
{
	/* before any thread exists (STYLE 3.5) */
	cJSON_Hooks hooks = { malloc, free };
	cJSON_InitHooks(&hooks);
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("cannery %s\n", cannery_version());
		return 0;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc, argv);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc, argv);
	if (strcmp(cmd, "record") == 0)
		return cmd_record(argc, argv);
	if (strcmp(cmd, "help") == 0)
		return cmd_help(argc, argv);
	static const char *const cmds[] = { "serve", "check", "record", "help", NULL };
	const char *hint = diag_suggest(cmd, cmds);
	fprintf(stderr, "cannery: unknown command '%s'", cmd);
	if (hint)
		fprintf(stderr, " (did you mean '%s'?)", hint);
	fprintf(stderr, "\ntry 'cannery --help'\n");
	return EXIT_USAGE;
}
