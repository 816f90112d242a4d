
use builtin;
use str;

set edit:completion:arg-completer[mu-daemon] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'mu-daemon'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'mu-daemon'= {
            cand --json 'Print exactly one JSON object on stdout instead of human-readable output'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand start 'Start a background daemon for the project and wait until it is ready'
            cand run 'Run the daemon in the foreground, logging to the terminal; Ctrl-C stops it'
            cand serve 'The daemon process itself (what `start` launches; for supervisors such as systemd)'
            cand stop 'Stop daemons: this project''s, the one on a port, or all of them'
            cand list 'List the running daemons of this user'
            cand status 'Report on this project''s daemon (exit 3 when none runs)'
            cand index 'Build or refresh the project''s mubase (.mu/mubase)'
            cand query 'Run a MUQL query (or one read-only SQL SELECT) on the project''s graph'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mu-daemon;start'= {
            cand -p 'TCP port; 0 lets the operating system choose a free one'
            cand --port 'TCP port; 0 lets the operating system choose a free one'
            cand --host 'Address to listen on: an IP literal or `localhost`. A non-loopback address needs a token'
            cand --token 'Bearer token (at least 16 characters) every request must carry. Prefer MU_DAEMON_TOKEN: arguments are visible to other users in `ps`'
            cand --query-timeout 'MUQL/SQL time cap in seconds (1 to 300)'
            cand --db-threads 'DuckDB thread cap for this daemon [default: min(4, CPUs)]'
            cand --db-memory 'DuckDB memory limit for this daemon, e.g. 512MiB'
            cand --no-watch 'Do not watch files; the graph changes only through /build and `index`'
            cand --json 'Print exactly one JSON object on stdout instead of human-readable output'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mu-daemon;run'= {
            cand -p 'TCP port; 0 lets the operating system choose a free one'
            cand --port 'TCP port; 0 lets the operating system choose a free one'
            cand --host 'Address to listen on: an IP literal or `localhost`. A non-loopback address needs a token'
            cand --token 'Bearer token (at least 16 characters) every request must carry. Prefer MU_DAEMON_TOKEN: arguments are visible to other users in `ps`'
            cand --query-timeout 'MUQL/SQL time cap in seconds (1 to 300)'
            cand --db-threads 'DuckDB thread cap for this daemon [default: min(4, CPUs)]'
            cand --db-memory 'DuckDB memory limit for this daemon, e.g. 512MiB'
            cand --no-watch 'Do not watch files; the graph changes only through /build and `index`'
            cand --json 'Print exactly one JSON object on stdout instead of human-readable output'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mu-daemon;serve'= {
            cand -p 'TCP port; 0 lets the operating system choose a free one'
            cand --port 'TCP port; 0 lets the operating system choose a free one'
            cand --host 'Address to listen on: an IP literal or `localhost`. A non-loopback address needs a token'
            cand --token 'Bearer token (at least 16 characters) every request must carry. Prefer MU_DAEMON_TOKEN: arguments are visible to other users in `ps`'
            cand --query-timeout 'MUQL/SQL time cap in seconds (1 to 300)'
            cand --db-threads 'DuckDB thread cap for this daemon [default: min(4, CPUs)]'
            cand --db-memory 'DuckDB memory limit for this daemon, e.g. 512MiB'
            cand --ready-fd 'Write end of the readiness pipe (set by `start`)'
            cand --mubase 'Legacy: must equal <PATH>/.mu/mubase'
            cand --no-watch 'Do not watch files; the graph changes only through /build and `index`'
            cand --build 'Legacy: serve first, then run an incremental index in the background'
            cand --mcp 'Legacy: MU''s stdio mode, not supported'
            cand --json 'Print exactly one JSON object on stdout instead of human-readable output'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mu-daemon;stop'= {
            cand -p 'Stop the daemon serving this port'
            cand --port 'Stop the daemon serving this port'
            cand --all 'Stop every running daemon, in parallel'
            cand --json 'Print exactly one JSON object on stdout instead of human-readable output'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mu-daemon;list'= {
            cand --json 'Print exactly one JSON object on stdout instead of human-readable output'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mu-daemon;status'= {
            cand --json 'Print exactly one JSON object on stdout instead of human-readable output'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mu-daemon;index'= {
            cand --force 'Rebuild everything, ignoring content hashes'
            cand --json 'Print exactly one JSON object on stdout instead of human-readable output'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mu-daemon;query'= {
            cand -C 'Project directory (or a file or directory inside it)'
            cand --path 'Project directory (or a file or directory inside it)'
            cand --timeout 'Time cap in seconds when no daemon runs and the mubase is read directly (a running daemon applies its own --query-timeout)'
            cand --csv 'Print the rows as CSV: a header line, then one line per row'
            cand --json 'Print exactly one JSON object on stdout instead of human-readable output'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mu-daemon;completions'= {
            cand --json 'Print exactly one JSON object on stdout instead of human-readable output'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mu-daemon;help'= {
            cand start 'Start a background daemon for the project and wait until it is ready'
            cand run 'Run the daemon in the foreground, logging to the terminal; Ctrl-C stops it'
            cand serve 'The daemon process itself (what `start` launches; for supervisors such as systemd)'
            cand stop 'Stop daemons: this project''s, the one on a port, or all of them'
            cand list 'List the running daemons of this user'
            cand status 'Report on this project''s daemon (exit 3 when none runs)'
            cand index 'Build or refresh the project''s mubase (.mu/mubase)'
            cand query 'Run a MUQL query (or one read-only SQL SELECT) on the project''s graph'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mu-daemon;help;start'= {
        }
        &'mu-daemon;help;run'= {
        }
        &'mu-daemon;help;serve'= {
        }
        &'mu-daemon;help;stop'= {
        }
        &'mu-daemon;help;list'= {
        }
        &'mu-daemon;help;status'= {
        }
        &'mu-daemon;help;index'= {
        }
        &'mu-daemon;help;query'= {
        }
        &'mu-daemon;help;completions'= {
        }
        &'mu-daemon;help;help'= {
        }
    ]
    $completions[$command]
}
