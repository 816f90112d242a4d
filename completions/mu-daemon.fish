# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mu_daemon_global_optspecs
    string join \n json v/verbose h/help V/version
end

function __fish_mu_daemon_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mu_daemon_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mu_daemon_using_subcommand
    set -l cmd (__fish_mu_daemon_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mu-daemon -n "__fish_mu_daemon_needs_command" -l json -d 'Print exactly one JSON object on stdout instead of human-readable output'
complete -c mu-daemon -n "__fish_mu_daemon_needs_command" -s v -l verbose -d 'More log output (repeat for more)'
complete -c mu-daemon -n "__fish_mu_daemon_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mu-daemon -n "__fish_mu_daemon_needs_command" -s V -l version -d 'Print version'
complete -c mu-daemon -n "__fish_mu_daemon_needs_command" -f -a "index" -d 'Build or refresh the project\'s mubase (.mu/mubase)'
complete -c mu-daemon -n "__fish_mu_daemon_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c mu-daemon -n "__fish_mu_daemon_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand index" -l force -d 'Rebuild everything, ignoring content hashes'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand index" -l json -d 'Print exactly one JSON object on stdout instead of human-readable output'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand index" -s v -l verbose -d 'More log output (repeat for more)'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand index" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand index" -s V -l version -d 'Print version'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand completions" -l json -d 'Print exactly one JSON object on stdout instead of human-readable output'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand completions" -s v -l verbose -d 'More log output (repeat for more)'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand completions" -s h -l help -d 'Print help'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand completions" -s V -l version -d 'Print version'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand help; and not __fish_seen_subcommand_from index completions help" -f -a "index" -d 'Build or refresh the project\'s mubase (.mu/mubase)'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand help; and not __fish_seen_subcommand_from index completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand help; and not __fish_seen_subcommand_from index completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
