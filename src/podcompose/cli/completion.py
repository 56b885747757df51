"""Shell completion scripts; pod and container names come from `podcompose __complete`."""
from __future__ import annotations

VERBS = "up down ps get create logs exec describe validate config version completion"

BASH = r'''# bash completion for podcompose
_podcompose() {
    local cur prev verb pod i
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    verb=""
    for ((i=1; i<COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in -*) ;; *) verb="${COMP_WORDS[i]}"; break;; esac
    done
    if [[ -z "$verb" ]]; then
        COMPREPLY=( $(compgen -W "%(verbs)s --help --version --debug" -- "$cur") ); return
    fi
    case "$prev" in
        -f|--file) COMPREPLY=( $(compgen -f -- "$cur") ); return;;
        -c|--container)
            for ((i=2; i<COMP_CWORD; i++)); do
                case "${COMP_WORDS[i]}" in -*) ;; *) pod="${COMP_WORDS[i]}"; break;; esac
            done
            COMPREPLY=( $(compgen -W "$(podcompose __complete containers "$pod" 2>/dev/null)" -- "$cur") ); return;;
    esac
    case "$verb" in
        down|ps|logs|exec|describe)
            COMPREPLY=( $(compgen -W "$(podcompose __complete pods 2>/dev/null)" -- "$cur") );;
        completion) COMPREPLY=( $(compgen -W "bash zsh fish" -- "$cur") );;
    esac
}
complete -F _podcompose podcompose
'''

ZSH = r'''#compdef podcompose
_podcompose() {
    local -a verbs
    verbs=(%(verbs)s)
    if (( CURRENT == 2 )); then
        _describe 'command' verbs; return
    fi
    case "${words[CURRENT-1]}" in
        -f|--file) _files; return;;
        -c|--container) compadd -- ${(f)"$(podcompose __complete containers ${words[3]} 2>/dev/null)"}; return;;
    esac
    case "${words[2]}" in
        down|ps|logs|exec|describe) compadd -- ${(f)"$(podcompose __complete pods 2>/dev/null)"};;
        completion) compadd bash zsh fish;;
    esac
}
compdef _podcompose podcompose
'''

FISH = r'''# fish completion for podcompose
complete -c podcompose -f
complete -c podcompose -n '__fish_use_subcommand' -a '%(verbs)s'
complete -c podcompose -n '__fish_seen_subcommand_from down ps logs exec describe' -a '(podcompose __complete pods 2>/dev/null)'
complete -c podcompose -n '__fish_seen_subcommand_from logs exec' -s c -l container -x -a '(podcompose __complete containers (commandline -opc)[3] 2>/dev/null)'
complete -c podcompose -n '__fish_seen_subcommand_from up down ps logs validate config' -s f -l file -r -F
complete -c podcompose -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'
'''


def script(shell: str) -> str:
    template = {"bash": BASH, "zsh": ZSH, "fish": FISH}[shell]
    return template % {"verbs": VERBS}
