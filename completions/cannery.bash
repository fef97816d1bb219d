# bash completion for cannery(1)                                   -*- shell-script -*-
# Installed as <completionsdir>/cannery; loaded on demand by bash-completion, or source it.
# Needs nothing from bash-completion itself. The option lists must stay those of
# `cannery help CMD` (tests/packaging/cli-docs.py checks it).

_cannery_serve_opts='--host --port --no-watch --cors --no-cors --journal-limit --journal-file
	--proxy --record --admin-token --allow-host --max-body --quiet --verbose --seed
	--record-mode --proxy-timeout --crud --crud-save --wiremock --openapi --no-validate
	--max-connections --head-timeout --min-body-rate --tls-cert --tls-key --tls-self-signed --help'
_cannery_check_opts='--openapi --help'
_cannery_record_opts='--upstream --out --record-mode --proxy-timeout --host --port --allow-host
	--max-body --quiet --verbose --max-connections --head-timeout --min-body-rate
	--journal-limit --journal-file --admin-token --tls-cert --tls-key --tls-self-signed --help'
# options that take no value
_cannery_flags='--no-watch --cors --no-cors --quiet --verbose --crud-save --no-validate --tls-self-signed --help'

# _cannery_files [dirs]: file (or directory) names matching the current word
_cannery_files()
{
	local IFS=$'\n'
	compopt -o filenames 2>/dev/null
	if [[ $1 == dirs ]]; then
		COMPREPLY+=($(compgen -d -- "$cur"))
	else
		COMPREPLY+=($(compgen -f -- "$cur"))
	fi
}

# _cannery_value OPTION: completes the value of OPTION in $cur
_cannery_value()
{
	case $1 in
	--record-mode) COMPREPLY=($(compgen -W 'first sequence' -- "$cur")) ;;
	# (not ::1 and ::, as zsh and fish offer: ':' splits words in bash)
	--host) COMPREPLY=($(compgen -W '127.0.0.1 localhost 0.0.0.0' -- "$cur")) ;;
	--port) COMPREPLY=($(compgen -W '0 62893' -- "$cur")) ;;
	--proxy | --upstream) COMPREPLY=($(compgen -W 'http:// https://' -- "$cur")) && compopt -o nospace 2>/dev/null ;;
	--record | --out | --wiremock) _cannery_files dirs ;;
	--journal-file | --crud | --openapi | --tls-cert | --tls-key) _cannery_files ;;
	esac
	# --journal-limit, --admin-token, --allow-host, --max-body, --seed, --proxy-timeout,
	# --max-connections, --head-timeout, --min-body-rate: free-form, nothing to offer
}

_cannery()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev='' cmd='' i w opts
	COMPREPLY=()
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# the command: the first word after `cannery` that is not an option
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		serve | check | record | help) cmd=$w && break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--version --help' -- "$cur"))
		else
			COMPREPLY=($(compgen -W 'serve check record help' -- "$cur"))
		fi
		return 0
	fi
	if [[ $cmd == help ]]; then
		((i + 1 == COMP_CWORD)) && COMPREPLY=($(compgen -W 'serve check record' -- "$cur"))
		return 0
	fi
	case $cmd in
	serve) opts=$_cannery_serve_opts ;;
	check) opts=$_cannery_check_opts ;;
	record) opts=$_cannery_record_opts ;;
	esac
	# after --, every word is a DIR or FILE
	local j
	for ((j = i + 1; j < COMP_CWORD; j++)); do
		if [[ ${COMP_WORDS[j]} == -- ]]; then
			[[ $cmd == record ]] || _cannery_files
			return 0
		fi
	done
	# --opt=value: bash splits it into --opt, = and value (= is in COMP_WORDBREAKS)
	if [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
		_cannery_value "${COMP_WORDS[COMP_CWORD - 2]}"
		return 0
	fi
	if [[ $cur == --*=* ]]; then # a COMP_WORDBREAKS without =
		local opt=${cur%%=*}
		cur=${cur#*=}
		_cannery_value "$opt"
		# the whole word is replaced: each candidate keeps its --opt=
		COMPREPLY=("${COMPREPLY[@]/#/$opt=}")
		return 0
	fi
	# the value of an option given as the next word
	if [[ $prev == --* && " $opts " == *[[:space:]]"$prev"[[:space:]]* &&
		" $_cannery_flags " != *[[:space:]]"$prev"[[:space:]]* ]]; then
		_cannery_value "$prev"
		return 0
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return 0
	fi
	# positional arguments: stub DIRs, WireMock roots and OpenAPI spec files (not record)
	[[ $cmd == record ]] || _cannery_files
	return 0
}
complete -F _cannery cannery
