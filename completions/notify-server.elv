
use builtin;
use str;

set edit:completion:arg-completer[notify-server] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'notify-server'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'notify-server'= {
            cand --config 'Configuration file (default: ./notify-server.toml when it exists)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand migrate 'Apply the migrations of the write DB and the read DB (serve does it too)'
            cand rebuild-read-model 'Build the read model again from the event store, then switch to it'
            cand users 'Manage users and their API tokens'
            cand serve 'Run server roles until SIGTERM or Ctrl-C'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'notify-server;migrate'= {
            cand --config 'Configuration file (default: ./notify-server.toml when it exists)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'notify-server;rebuild-read-model'= {
            cand --config 'Configuration file (default: ./notify-server.toml when it exists)'
            cand --progress 'Show a progress bar (events per second, time left) instead of a line per phase'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify-server;users'= {
            cand --config 'Configuration file (default: ./notify-server.toml when it exists)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand add 'Create a user and print its first API token (shown only this once)'
            cand delete 'Delete a user: revoke every token, remove their devices and broker account, and close their broker connections at once'
            cand token 'Make another API token for an existing user and print it (shown only this once)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'notify-server;users;add'= {
            cand --scope 'Scopes of the token (repeat or comma-separate)'
            cand --config 'Configuration file (default: ./notify-server.toml when it exists)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'notify-server;users;delete'= {
            cand --config 'Configuration file (default: ./notify-server.toml when it exists)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify-server;users;token'= {
            cand --scope 'Scopes of the token (repeat or comma-separate)'
            cand --config 'Configuration file (default: ./notify-server.toml when it exists)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'notify-server;users;help'= {
            cand add 'Create a user and print its first API token (shown only this once)'
            cand delete 'Delete a user: revoke every token, remove their devices and broker account, and close their broker connections at once'
            cand token 'Make another API token for an existing user and print it (shown only this once)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'notify-server;users;help;add'= {
        }
        &'notify-server;users;help;delete'= {
        }
        &'notify-server;users;help;token'= {
        }
        &'notify-server;users;help;help'= {
        }
        &'notify-server;serve'= {
            cand --roles 'Roles to run in this process, comma-separated'
            cand --config 'Configuration file (default: ./notify-server.toml when it exists)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify-server;help'= {
            cand migrate 'Apply the migrations of the write DB and the read DB (serve does it too)'
            cand rebuild-read-model 'Build the read model again from the event store, then switch to it'
            cand users 'Manage users and their API tokens'
            cand serve 'Run server roles until SIGTERM or Ctrl-C'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'notify-server;help;migrate'= {
        }
        &'notify-server;help;rebuild-read-model'= {
        }
        &'notify-server;help;users'= {
            cand add 'Create a user and print its first API token (shown only this once)'
            cand delete 'Delete a user: revoke every token, remove their devices and broker account, and close their broker connections at once'
            cand token 'Make another API token for an existing user and print it (shown only this once)'
        }
        &'notify-server;help;users;add'= {
        }
        &'notify-server;help;users;delete'= {
        }
        &'notify-server;help;users;token'= {
        }
        &'notify-server;help;serve'= {
        }
        &'notify-server;help;help'= {
        }
    ]
    $completions[$command]
}
