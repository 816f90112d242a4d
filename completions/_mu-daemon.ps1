
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mu-daemon' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mu-daemon'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mu-daemon' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout instead of human-readable output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start a background daemon for the project and wait until it is ready')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the daemon in the foreground, logging to the terminal; Ctrl-C stops it')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'The daemon process itself (what `start` launches; for supervisors such as systemd)')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop daemons: this project''s, the one on a port, or all of them')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the running daemons of this user')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Report on this project''s daemon (exit 3 when none runs)')
            [CompletionResult]::new('index', 'index', [CompletionResultType]::ParameterValue, 'Build or refresh the project''s mubase (.mu/mubase)')
            [CompletionResult]::new('query', 'query', [CompletionResultType]::ParameterValue, 'Run a MUQL query (or one read-only SQL SELECT) on the project''s graph')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mu-daemon;start' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'TCP port; 0 lets the operating system choose a free one')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'TCP port; 0 lets the operating system choose a free one')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Address to listen on: an IP literal or `localhost`. A non-loopback address needs a token')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token (at least 16 characters) every request must carry. Prefer MU_DAEMON_TOKEN: arguments are visible to other users in `ps`')
            [CompletionResult]::new('--query-timeout', '--query-timeout', [CompletionResultType]::ParameterName, 'MUQL/SQL time cap in seconds (1 to 300)')
            [CompletionResult]::new('--db-threads', '--db-threads', [CompletionResultType]::ParameterName, 'DuckDB thread cap for this daemon [default: min(4, CPUs)]')
            [CompletionResult]::new('--db-memory', '--db-memory', [CompletionResultType]::ParameterName, 'DuckDB memory limit for this daemon, e.g. 512MiB')
            [CompletionResult]::new('--no-watch', '--no-watch', [CompletionResultType]::ParameterName, 'Do not watch files; the graph changes only through /build and `index`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout instead of human-readable output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mu-daemon;run' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'TCP port; 0 lets the operating system choose a free one')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'TCP port; 0 lets the operating system choose a free one')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Address to listen on: an IP literal or `localhost`. A non-loopback address needs a token')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token (at least 16 characters) every request must carry. Prefer MU_DAEMON_TOKEN: arguments are visible to other users in `ps`')
            [CompletionResult]::new('--query-timeout', '--query-timeout', [CompletionResultType]::ParameterName, 'MUQL/SQL time cap in seconds (1 to 300)')
            [CompletionResult]::new('--db-threads', '--db-threads', [CompletionResultType]::ParameterName, 'DuckDB thread cap for this daemon [default: min(4, CPUs)]')
            [CompletionResult]::new('--db-memory', '--db-memory', [CompletionResultType]::ParameterName, 'DuckDB memory limit for this daemon, e.g. 512MiB')
            [CompletionResult]::new('--no-watch', '--no-watch', [CompletionResultType]::ParameterName, 'Do not watch files; the graph changes only through /build and `index`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout instead of human-readable output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mu-daemon;serve' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'TCP port; 0 lets the operating system choose a free one')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'TCP port; 0 lets the operating system choose a free one')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Address to listen on: an IP literal or `localhost`. A non-loopback address needs a token')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token (at least 16 characters) every request must carry. Prefer MU_DAEMON_TOKEN: arguments are visible to other users in `ps`')
            [CompletionResult]::new('--query-timeout', '--query-timeout', [CompletionResultType]::ParameterName, 'MUQL/SQL time cap in seconds (1 to 300)')
            [CompletionResult]::new('--db-threads', '--db-threads', [CompletionResultType]::ParameterName, 'DuckDB thread cap for this daemon [default: min(4, CPUs)]')
            [CompletionResult]::new('--db-memory', '--db-memory', [CompletionResultType]::ParameterName, 'DuckDB memory limit for this daemon, e.g. 512MiB')
            [CompletionResult]::new('--ready-fd', '--ready-fd', [CompletionResultType]::ParameterName, 'Write end of the readiness pipe (set by `start`)')
            [CompletionResult]::new('--mubase', '--mubase', [CompletionResultType]::ParameterName, 'Legacy: must equal <PATH>/.mu/mubase')
            [CompletionResult]::new('--no-watch', '--no-watch', [CompletionResultType]::ParameterName, 'Do not watch files; the graph changes only through /build and `index`')
            [CompletionResult]::new('--build', '--build', [CompletionResultType]::ParameterName, 'Legacy: serve first, then run an incremental index in the background')
            [CompletionResult]::new('--mcp', '--mcp', [CompletionResultType]::ParameterName, 'Legacy: MU''s stdio mode, not supported')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout instead of human-readable output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mu-daemon;stop' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Stop the daemon serving this port')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Stop the daemon serving this port')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Stop every running daemon, in parallel')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout instead of human-readable output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mu-daemon;list' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout instead of human-readable output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mu-daemon;status' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout instead of human-readable output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mu-daemon;index' {
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Rebuild everything, ignoring content hashes')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout instead of human-readable output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mu-daemon;query' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Project directory (or a file or directory inside it)')
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'Project directory (or a file or directory inside it)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time cap in seconds when no daemon runs and the mubase is read directly (a running daemon applies its own --query-timeout)')
            [CompletionResult]::new('--csv', '--csv', [CompletionResultType]::ParameterName, 'Print the rows as CSV: a header line, then one line per row')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout instead of human-readable output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mu-daemon;completions' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout instead of human-readable output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mu-daemon;help' {
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start a background daemon for the project and wait until it is ready')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the daemon in the foreground, logging to the terminal; Ctrl-C stops it')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'The daemon process itself (what `start` launches; for supervisors such as systemd)')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop daemons: this project''s, the one on a port, or all of them')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the running daemons of this user')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Report on this project''s daemon (exit 3 when none runs)')
            [CompletionResult]::new('index', 'index', [CompletionResultType]::ParameterValue, 'Build or refresh the project''s mubase (.mu/mubase)')
            [CompletionResult]::new('query', 'query', [CompletionResultType]::ParameterValue, 'Run a MUQL query (or one read-only SQL SELECT) on the project''s graph')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mu-daemon;help;start' {
            break
        }
        'mu-daemon;help;run' {
            break
        }
        'mu-daemon;help;serve' {
            break
        }
        'mu-daemon;help;stop' {
            break
        }
        'mu-daemon;help;list' {
            break
        }
        'mu-daemon;help;status' {
            break
        }
        'mu-daemon;help;index' {
            break
        }
        'mu-daemon;help;query' {
            break
        }
        'mu-daemon;help;completions' {
            break
        }
        'mu-daemon;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
