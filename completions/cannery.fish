# fish completion for cannery(1). Installed as cannery.fish in
# /usr/share/fish/vendor_completions.d. The option lists must stay those of
# `cannery help CMD` (tests/packaging/completion.py checks it).

# the command: the first of serve, check, record, help on the line
function __cannery_command
    for w in (commandline -opc)[2..-1]
        switch $w
            case serve check record help
                echo $w
                return 0
        end
    end
    return 1
end

# __cannery_using CMD...: whether the line's command is one of CMD
function __cannery_using
    set -l c (__cannery_command)
    and contains -- $c $argv
end

complete -c cannery -f
complete -c cannery -n 'not __cannery_command' -a serve -d 'serve stub files (default DIR: ./stubs)'
complete -c cannery -n 'not __cannery_command' -a check -d 'validate stub files, print every error'
complete -c cannery -n 'not __cannery_command' -a record -d 'proxy to a URL and write each exchange as a stub'
complete -c cannery -n 'not __cannery_command' -a help -d 'print the options of a command'
complete -c cannery -n 'not __cannery_command' -s V -l version -d 'print the version and exit'
complete -c cannery -s h -l help -d 'print the usage or the options and exit'
complete -c cannery -n '__cannery_using help' -a 'serve check record'

# serve and record
complete -c cannery -n '__cannery_using serve record' -l host -x -a '127.0.0.1 ::1 localhost 0.0.0.0 ::' -d 'listen address (default 127.0.0.1)'
complete -c cannery -n '__cannery_using serve record' -l port -x -a '0 62893' -d 'listen port (0 picks a free one)'
complete -c cannery -n '__cannery_using serve record' -l allow-host -x -a '(__fish_print_hostnames)' -d 'an extra Host header value to accept'
complete -c cannery -n '__cannery_using serve record' -l max-body -x -d 'larger request bodies get 413 (bytes)'
complete -c cannery -n '__cannery_using serve record' -l quiet -d 'no access log'
complete -c cannery -n '__cannery_using serve record' -l verbose -d 'access log with every near-miss mismatch'
complete -c cannery -n '__cannery_using serve record' -l journal-limit -x -d 'requests kept in memory (default 10000)'
complete -c cannery -n '__cannery_using serve record' -l journal-file -r -F -d 'also append every journal entry to F as NDJSON'
complete -c cannery -n '__cannery_using serve record' -l admin-token -x -d 'the admin API requires Authorization: Bearer T'
complete -c cannery -n '__cannery_using serve record' -l record-mode -x -a 'first\t"keep the first response (default)" sequence\t"append each response to responses:"' -d 'a repeated request'
complete -c cannery -n '__cannery_using serve record' -l proxy-timeout -x -d 'bound on each proxied exchange (500ms, 10s)'
complete -c cannery -n '__cannery_using serve record' -l max-connections -x -d 'client connections open at once'
complete -c cannery -n '__cannery_using serve record' -l head-timeout -x -d 'a request head must arrive within T (0: off)'
complete -c cannery -n '__cannery_using serve record' -l min-body-rate -x -d 'bytes/s a request body must average (0: off)'
complete -c cannery -n '__cannery_using serve record' -l tls-cert -r -F -d 'serve HTTPS with this PEM certificate'
complete -c cannery -n '__cannery_using serve record' -l tls-key -r -F -d 'the PEM private key of --tls-cert'
complete -c cannery -n '__cannery_using serve record' -l tls-self-signed -d 'serve HTTPS with a certificate made at start'

# serve only
complete -c cannery -n '__cannery_using serve' -l no-watch -d 'do not hot-reload stub files'
complete -c cannery -n '__cannery_using serve' -l cors -d 'CORS headers on stub routes (default on)'
complete -c cannery -n '__cannery_using serve' -l no-cors -d 'no CORS headers'
complete -c cannery -n '__cannery_using serve' -l proxy -x -a 'http:// https://' -d 'forward requests that match no stub to URL'
complete -c cannery -n '__cannery_using serve' -l record -x -a '(__fish_complete_directories)' -d 'with --proxy: write each proxied exchange into DIR'
complete -c cannery -n '__cannery_using serve' -l seed -x -d 'seed for uuid, random_int and random delays'
complete -c cannery -n '__cannery_using serve' -l crud -r -F -d 'serve a JSON or YAML data file as live REST resources'
complete -c cannery -n '__cannery_using serve' -l crud-save -d 'write CRUD changes back to their file'
complete -c cannery -n '__cannery_using serve' -l wiremock -x -a '(__fish_complete_directories)' -d 'serve a WireMock root'
complete -c cannery -n '__cannery_using serve check' -l openapi -r -F -d 'an OpenAPI 3.0/3.1 spec'
complete -c cannery -n '__cannery_using serve' -l no-validate -d 'do not validate requests against --openapi specs'

# record only
complete -c cannery -n '__cannery_using record' -l upstream -x -a 'http:// https://' -d 'the API to record (http or https)'
complete -c cannery -n '__cannery_using record' -l out -x -a '(__fish_complete_directories)' -d 'where the stub files go (default ./stubs/recorded)'

# DIR and FILE arguments: stub directories, WireMock roots, OpenAPI specs
complete -c cannery -n '__cannery_using serve check' -F
