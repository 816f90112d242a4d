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
complete -c mu-daemon -n "__fish_mu_daemon_needs_command" -f -a "start" -d 'Start a background daemon for the project and wait until it is ready'
complete -c mu-daemon -n "__fish_mu_daemon_needs_command" -f -a "run" -d 'Run the daemon in the foreground, logging to the terminal; Ctrl-C stops it'
complete -c mu-daemon -n "__fish_mu_daemon_needs_command" -f -a "serve" -d 'The daemon process itself (what `start` launches; for supervisors such as systemd)'
complete -c mu-daemon -n "__fish_mu_daemon_needs_command" -f -a "stop" -d 'Stop daemons: this project\'s, the one on a port, or all of them'
complete -c mu-daemon -n "__fish_mu_daemon_needs_command" -f -a "list" -d 'List the running daemons of this user'
complete -c mu-daemon -n "__fish_mu_daemon_needs_command" -f -a "status" -d 'Report on this project\'s daemon (exit 3 when none runs)'
complete -c mu-daemon -n "__fish_mu_daemon_needs_command" -f -a "index" -d 'Build or refresh the project\'s mubase (.mu/mubase)'
complete -c mu-daemon -n "__fish_mu_daemon_needs_command" -f -a "query" -d 'Run a MUQL query (or one read-only SQL SELECT) on the project\'s graph'
complete -c mu-daemon -n "__fish_mu_daemon_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c mu-daemon -n "__fish_mu_daemon_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand start" -s p -l port -d 'TCP port; 0 lets the operating system choose a free one' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand start" -l host -d 'Address to listen on: an IP literal or `localhost`. A non-loopback address needs a token' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand start" -l token -d 'Bearer token (at least 16 characters) every request must carry. Prefer MU_DAEMON_TOKEN: arguments are visible to other users in `ps`' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand start" -l query-timeout -d 'MUQL/SQL time cap in seconds (1 to 300)' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand start" -l db-threads -d 'DuckDB thread cap for this daemon [default: min(4, CPUs)]' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand start" -l db-memory -d 'DuckDB memory limit for this daemon, e.g. 512MiB' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand start" -l no-watch -d 'Do not watch files; the graph changes only through /build and `index`'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand start" -l json -d 'Print exactly one JSON object on stdout instead of human-readable output'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand start" -s v -l verbose -d 'More log output (repeat for more)'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand start" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand start" -s V -l version -d 'Print version'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand run" -s p -l port -d 'TCP port; 0 lets the operating system choose a free one' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand run" -l host -d 'Address to listen on: an IP literal or `localhost`. A non-loopback address needs a token' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand run" -l token -d 'Bearer token (at least 16 characters) every request must carry. Prefer MU_DAEMON_TOKEN: arguments are visible to other users in `ps`' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand run" -l query-timeout -d 'MUQL/SQL time cap in seconds (1 to 300)' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand run" -l db-threads -d 'DuckDB thread cap for this daemon [default: min(4, CPUs)]' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand run" -l db-memory -d 'DuckDB memory limit for this daemon, e.g. 512MiB' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand run" -l no-watch -d 'Do not watch files; the graph changes only through /build and `index`'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand run" -l json -d 'Print exactly one JSON object on stdout instead of human-readable output'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand run" -s v -l verbose -d 'More log output (repeat for more)'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand run" -s h -l help -d 'Print help'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand run" -s V -l version -d 'Print version'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand serve" -s p -l port -d 'TCP port; 0 lets the operating system choose a free one' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand serve" -l host -d 'Address to listen on: an IP literal or `localhost`. A non-loopback address needs a token' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand serve" -l token -d 'Bearer token (at least 16 characters) every request must carry. Prefer MU_DAEMON_TOKEN: arguments are visible to other users in `ps`' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand serve" -l query-timeout -d 'MUQL/SQL time cap in seconds (1 to 300)' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand serve" -l db-threads -d 'DuckDB thread cap for this daemon [default: min(4, CPUs)]' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand serve" -l db-memory -d 'DuckDB memory limit for this daemon, e.g. 512MiB' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand serve" -l ready-fd -d 'Write end of the readiness pipe (set by `start`)' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand serve" -l mubase -d 'Legacy: must equal <PATH>/.mu/mubase' -r -F
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand serve" -l no-watch -d 'Do not watch files; the graph changes only through /build and `index`'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand serve" -l build -d 'Legacy: serve first, then run an incremental index in the background'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand serve" -l mcp -d 'Legacy: MU\'s stdio mode, not supported'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand serve" -l json -d 'Print exactly one JSON object on stdout instead of human-readable output'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand serve" -s v -l verbose -d 'More log output (repeat for more)'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand serve" -s h -l help -d 'Print help'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand serve" -s V -l version -d 'Print version'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand stop" -s p -l port -d 'Stop the daemon serving this port' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand stop" -l all -d 'Stop every running daemon, in parallel'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand stop" -l json -d 'Print exactly one JSON object on stdout instead of human-readable output'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand stop" -s v -l verbose -d 'More log output (repeat for more)'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand stop" -s h -l help -d 'Print help'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand stop" -s V -l version -d 'Print version'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand list" -l json -d 'Print exactly one JSON object on stdout instead of human-readable output'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand list" -s v -l verbose -d 'More log output (repeat for more)'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand list" -s h -l help -d 'Print help'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand list" -s V -l version -d 'Print version'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand status" -l json -d 'Print exactly one JSON object on stdout instead of human-readable output'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand status" -s v -l verbose -d 'More log output (repeat for more)'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand status" -s h -l help -d 'Print help'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand status" -s V -l version -d 'Print version'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand index" -l force -d 'Rebuild everything, ignoring content hashes'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand index" -l json -d 'Print exactly one JSON object on stdout instead of human-readable output'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand index" -s v -l verbose -d 'More log output (repeat for more)'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand index" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand index" -s V -l version -d 'Print version'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand query" -s C -l path -d 'Project directory (or a file or directory inside it)' -r -F
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand query" -l timeout -d 'Time cap in seconds when no daemon runs and the mubase is read directly (a running daemon applies its own --query-timeout)' -r
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand query" -l csv -d 'Print the rows as CSV: a header line, then one line per row'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand query" -l json -d 'Print exactly one JSON object on stdout instead of human-readable output'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand query" -s v -l verbose -d 'More log output (repeat for more)'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand query" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand query" -s V -l version -d 'Print version'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand completions" -l json -d 'Print exactly one JSON object on stdout instead of human-readable output'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand completions" -s v -l verbose -d 'More log output (repeat for more)'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand completions" -s h -l help -d 'Print help'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand completions" -s V -l version -d 'Print version'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand help; and not __fish_seen_subcommand_from start run serve stop list status index query completions help" -f -a "start" -d 'Start a background daemon for the project and wait until it is ready'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand help; and not __fish_seen_subcommand_from start run serve stop list status index query completions help" -f -a "run" -d 'Run the daemon in the foreground, logging to the terminal; Ctrl-C stops it'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand help; and not __fish_seen_subcommand_from start run serve stop list status index query completions help" -f -a "serve" -d 'The daemon process itself (what `start` launches; for supervisors such as systemd)'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand help; and not __fish_seen_subcommand_from start run serve stop list status index query completions help" -f -a "stop" -d 'Stop daemons: this project\'s, the one on a port, or all of them'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand help; and not __fish_seen_subcommand_from start run serve stop list status index query completions help" -f -a "list" -d 'List the running daemons of this user'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand help; and not __fish_seen_subcommand_from start run serve stop list status index query completions help" -f -a "status" -d 'Report on this project\'s daemon (exit 3 when none runs)'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand help; and not __fish_seen_subcommand_from start run serve stop list status index query completions help" -f -a "index" -d 'Build or refresh the project\'s mubase (.mu/mubase)'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand help; and not __fish_seen_subcommand_from start run serve stop list status index query completions help" -f -a "query" -d 'Run a MUQL query (or one read-only SQL SELECT) on the project\'s graph'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand help; and not __fish_seen_subcommand_from start run serve stop list status index query completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c mu-daemon -n "__fish_mu_daemon_using_subcommand help; and not __fish_seen_subcommand_from start run serve stop list status index query completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
