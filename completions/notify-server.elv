
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
            cand services 'Manage the other services that send their domain events (CloudEvents) to notify'
            cand rules 'Check the rules that turn other services'' domain events into notifications'
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
        &'notify-server;services'= {
            cand --config 'Configuration file (default: ./notify-server.toml when it exists)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand add 'Let a service send its domain events: make its broker account (it may publish to the `notify.ingest` exchange under routing keys that start with its name, and do nothing else) and an API token with the `events` scope for `POST /v1/events`, and print both (shown only this once). Its notifications come from NAME'
            cand delete 'Revoke a service: delete its broker account (its connections close at once) and its tokens. The notifications it caused stay'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'notify-server;services;add'= {
            cand --config 'Configuration file (default: ./notify-server.toml when it exists)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify-server;services;delete'= {
            cand --config 'Configuration file (default: ./notify-server.toml when it exists)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'notify-server;services;help'= {
            cand add 'Let a service send its domain events: make its broker account (it may publish to the `notify.ingest` exchange under routing keys that start with its name, and do nothing else) and an API token with the `events` scope for `POST /v1/events`, and print both (shown only this once). Its notifications come from NAME'
            cand delete 'Revoke a service: delete its broker account (its connections close at once) and its tokens. The notifications it caused stay'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'notify-server;services;help;add'= {
        }
        &'notify-server;services;help;delete'= {
        }
        &'notify-server;services;help;help'= {
        }
        &'notify-server;rules'= {
            cand --config 'Configuration file (default: ./notify-server.toml when it exists)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand check 'Check a rules file (the server''s `ingest_rules`): TOML, known keys, templates that compile, recipients given; with `--event`, render the send the rules make of that event'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'notify-server;rules;check'= {
            cand --event 'A CloudEvents 1.0 event in JSON (structured mode) to render the rules against'
            cand --config 'Configuration file (default: ./notify-server.toml when it exists)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify-server;rules;help'= {
            cand check 'Check a rules file (the server''s `ingest_rules`): TOML, known keys, templates that compile, recipients given; with `--event`, render the send the rules make of that event'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'notify-server;rules;help;check'= {
        }
        &'notify-server;rules;help;help'= {
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
            cand services 'Manage the other services that send their domain events (CloudEvents) to notify'
            cand rules 'Check the rules that turn other services'' domain events into notifications'
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
        &'notify-server;help;services'= {
            cand add 'Let a service send its domain events: make its broker account (it may publish to the `notify.ingest` exchange under routing keys that start with its name, and do nothing else) and an API token with the `events` scope for `POST /v1/events`, and print both (shown only this once). Its notifications come from NAME'
            cand delete 'Revoke a service: delete its broker account (its connections close at once) and its tokens. The notifications it caused stay'
        }
        &'notify-server;help;services;add'= {
        }
        &'notify-server;help;services;delete'= {
        }
        &'notify-server;help;rules'= {
            cand check 'Check a rules file (the server''s `ingest_rules`): TOML, known keys, templates that compile, recipients given; with `--event`, render the send the rules make of that event'
        }
        &'notify-server;help;rules;check'= {
        }
        &'notify-server;help;serve'= {
        }
        &'notify-server;help;help'= {
        }
    ]
    $completions[$command]
}
