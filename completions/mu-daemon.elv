
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
            cand index 'Build or refresh the project''s mubase (.mu/mubase)'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
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
            cand index 'Build or refresh the project''s mubase (.mu/mubase)'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mu-daemon;help;index'= {
        }
        &'mu-daemon;help;completions'= {
        }
        &'mu-daemon;help;help'= {
        }
    ]
    $completions[$command]
}
