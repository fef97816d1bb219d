# zsh -f zsh-complete.zsh DIR WORDS: what zsh lists for `cannery WORDS` (list-choices, as
# after a Tab), in an interactive zsh under a pseudo-terminal with compinit and DIR's
# _cannery. Prints the raw terminal output; cli_docs.py takes the choices from it. No
# timing: each read waits for what the shell draws once done (a line with no choice
# draws nothing: the caller's timeout ends the wait).
zmodload zsh/zpty || exit 77
zpty z zsh -f -i
zpty -w z "PS1='<P>'; fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "cannery() { : }; zstyle ':completion:*' list-separator '--'; LISTMAX=100000; LINES=200; COLUMNS=250; bindkey '^X' list-choices"
zpty -w z "print READY"
zpty -r -m z out '*READY*<P>'
zpty -n -w z "cannery $2"$'\x18'
# the choices are listed below the line, then the line is drawn again
zpty -r -m z out $'*\n*cannery*'
print -r -- "$out"
zpty -d z
