# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_notify_server_global_optspecs
    string join \n config= h/help V/version
end

function __fish_notify_server_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_notify_server_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_notify_server_using_subcommand
    set -l cmd (__fish_notify_server_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c notify-server -n "__fish_notify_server_needs_command" -l config -d 'Configuration file (default: ./notify-server.toml when it exists)' -r -F
complete -c notify-server -n "__fish_notify_server_needs_command" -s h -l help -d 'Print help'
complete -c notify-server -n "__fish_notify_server_needs_command" -s V -l version -d 'Print version'
complete -c notify-server -n "__fish_notify_server_needs_command" -f -a "migrate" -d 'Apply the migrations of the write DB and the read DB (serve does it too)'
complete -c notify-server -n "__fish_notify_server_needs_command" -f -a "rebuild-read-model" -d 'Build the read model again from the event store, then switch to it'
complete -c notify-server -n "__fish_notify_server_needs_command" -f -a "users" -d 'Manage users and their API tokens'
complete -c notify-server -n "__fish_notify_server_needs_command" -f -a "services" -d 'Manage the other services that send their domain events (CloudEvents) to notify'
complete -c notify-server -n "__fish_notify_server_needs_command" -f -a "rules" -d 'Check the rules that turn other services\' domain events into notifications'
complete -c notify-server -n "__fish_notify_server_needs_command" -f -a "serve" -d 'Run server roles until SIGTERM or Ctrl-C'
complete -c notify-server -n "__fish_notify_server_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c notify-server -n "__fish_notify_server_using_subcommand migrate" -l config -d 'Configuration file (default: ./notify-server.toml when it exists)' -r -F
complete -c notify-server -n "__fish_notify_server_using_subcommand migrate" -s h -l help -d 'Print help'
complete -c notify-server -n "__fish_notify_server_using_subcommand rebuild-read-model" -l config -d 'Configuration file (default: ./notify-server.toml when it exists)' -r -F
complete -c notify-server -n "__fish_notify_server_using_subcommand rebuild-read-model" -l progress -d 'Show a progress bar (events per second, time left) instead of a line per phase'
complete -c notify-server -n "__fish_notify_server_using_subcommand rebuild-read-model" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and not __fish_seen_subcommand_from add delete token help" -l config -d 'Configuration file (default: ./notify-server.toml when it exists)' -r -F
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and not __fish_seen_subcommand_from add delete token help" -s h -l help -d 'Print help'
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and not __fish_seen_subcommand_from add delete token help" -f -a "add" -d 'Create a user and print its first API token (shown only this once)'
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and not __fish_seen_subcommand_from add delete token help" -f -a "delete" -d 'Delete a user: revoke every token, remove their devices and broker account, and close their broker connections at once'
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and not __fish_seen_subcommand_from add delete token help" -f -a "token" -d 'Make another API token for an existing user and print it (shown only this once)'
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and not __fish_seen_subcommand_from add delete token help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and __fish_seen_subcommand_from add" -l scope -d 'Scopes of the token (repeat or comma-separate)' -r
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and __fish_seen_subcommand_from add" -l config -d 'Configuration file (default: ./notify-server.toml when it exists)' -r -F
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and __fish_seen_subcommand_from delete" -l config -d 'Configuration file (default: ./notify-server.toml when it exists)' -r -F
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and __fish_seen_subcommand_from token" -l scope -d 'Scopes of the token (repeat or comma-separate)' -r
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and __fish_seen_subcommand_from token" -l config -d 'Configuration file (default: ./notify-server.toml when it exists)' -r -F
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and __fish_seen_subcommand_from token" -s h -l help -d 'Print help'
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and __fish_seen_subcommand_from help" -f -a "add" -d 'Create a user and print its first API token (shown only this once)'
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a user: revoke every token, remove their devices and broker account, and close their broker connections at once'
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and __fish_seen_subcommand_from help" -f -a "token" -d 'Make another API token for an existing user and print it (shown only this once)'
complete -c notify-server -n "__fish_notify_server_using_subcommand users; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c notify-server -n "__fish_notify_server_using_subcommand services; and not __fish_seen_subcommand_from add delete help" -l config -d 'Configuration file (default: ./notify-server.toml when it exists)' -r -F
complete -c notify-server -n "__fish_notify_server_using_subcommand services; and not __fish_seen_subcommand_from add delete help" -s h -l help -d 'Print help'
complete -c notify-server -n "__fish_notify_server_using_subcommand services; and not __fish_seen_subcommand_from add delete help" -f -a "add" -d 'Let a service send its domain events: make its broker account (it may publish to the `notify.ingest` exchange under routing keys that start with its name, and do nothing else) and an API token with the `events` scope for `POST /v1/events`, and print both (shown only this once). Its notifications come from NAME'
complete -c notify-server -n "__fish_notify_server_using_subcommand services; and not __fish_seen_subcommand_from add delete help" -f -a "delete" -d 'Revoke a service: delete its broker account (its connections close at once) and its tokens. The notifications it caused stay'
complete -c notify-server -n "__fish_notify_server_using_subcommand services; and not __fish_seen_subcommand_from add delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c notify-server -n "__fish_notify_server_using_subcommand services; and __fish_seen_subcommand_from add" -l config -d 'Configuration file (default: ./notify-server.toml when it exists)' -r -F
complete -c notify-server -n "__fish_notify_server_using_subcommand services; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify-server -n "__fish_notify_server_using_subcommand services; and __fish_seen_subcommand_from delete" -l config -d 'Configuration file (default: ./notify-server.toml when it exists)' -r -F
complete -c notify-server -n "__fish_notify_server_using_subcommand services; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c notify-server -n "__fish_notify_server_using_subcommand services; and __fish_seen_subcommand_from help" -f -a "add" -d 'Let a service send its domain events: make its broker account (it may publish to the `notify.ingest` exchange under routing keys that start with its name, and do nothing else) and an API token with the `events` scope for `POST /v1/events`, and print both (shown only this once). Its notifications come from NAME'
complete -c notify-server -n "__fish_notify_server_using_subcommand services; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Revoke a service: delete its broker account (its connections close at once) and its tokens. The notifications it caused stay'
complete -c notify-server -n "__fish_notify_server_using_subcommand services; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c notify-server -n "__fish_notify_server_using_subcommand rules; and not __fish_seen_subcommand_from check help" -l config -d 'Configuration file (default: ./notify-server.toml when it exists)' -r -F
complete -c notify-server -n "__fish_notify_server_using_subcommand rules; and not __fish_seen_subcommand_from check help" -s h -l help -d 'Print help'
complete -c notify-server -n "__fish_notify_server_using_subcommand rules; and not __fish_seen_subcommand_from check help" -f -a "check" -d 'Check a rules file (the server\'s `ingest_rules`): TOML, known keys, templates that compile, recipients given; with `--event`, render the send the rules make of that event'
complete -c notify-server -n "__fish_notify_server_using_subcommand rules; and not __fish_seen_subcommand_from check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c notify-server -n "__fish_notify_server_using_subcommand rules; and __fish_seen_subcommand_from check" -l event -d 'A CloudEvents 1.0 event in JSON (structured mode) to render the rules against' -r -F
complete -c notify-server -n "__fish_notify_server_using_subcommand rules; and __fish_seen_subcommand_from check" -l config -d 'Configuration file (default: ./notify-server.toml when it exists)' -r -F
complete -c notify-server -n "__fish_notify_server_using_subcommand rules; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify-server -n "__fish_notify_server_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "check" -d 'Check a rules file (the server\'s `ingest_rules`): TOML, known keys, templates that compile, recipients given; with `--event`, render the send the rules make of that event'
complete -c notify-server -n "__fish_notify_server_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c notify-server -n "__fish_notify_server_using_subcommand serve" -l roles -d 'Roles to run in this process, comma-separated' -r -f -a "api\t'HTTP api: commands and queries'
relay\t'Outbox relay: write DB to RabbitMQ'
projector\t'Projector: events to the read DB (its only writer)'
dispatcher\t'Dispatcher: the saga of each notification (channels, retries, outcome, escalation)'
scheduler\t'Scheduler: dispatches scheduled sends at their time (write DB only)'
email\t'E-mail worker: delivers the e-mail channel over SMTP'
webhook\t'Webhook worker: delivers the webhook channel over HTTP'
ingest\t'Ingest: other services\' domain events from the `notify.ingest` exchange, as sends'"
complete -c notify-server -n "__fish_notify_server_using_subcommand serve" -l config -d 'Configuration file (default: ./notify-server.toml when it exists)' -r -F
complete -c notify-server -n "__fish_notify_server_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify-server -n "__fish_notify_server_using_subcommand help; and not __fish_seen_subcommand_from migrate rebuild-read-model users services rules serve help" -f -a "migrate" -d 'Apply the migrations of the write DB and the read DB (serve does it too)'
complete -c notify-server -n "__fish_notify_server_using_subcommand help; and not __fish_seen_subcommand_from migrate rebuild-read-model users services rules serve help" -f -a "rebuild-read-model" -d 'Build the read model again from the event store, then switch to it'
complete -c notify-server -n "__fish_notify_server_using_subcommand help; and not __fish_seen_subcommand_from migrate rebuild-read-model users services rules serve help" -f -a "users" -d 'Manage users and their API tokens'
complete -c notify-server -n "__fish_notify_server_using_subcommand help; and not __fish_seen_subcommand_from migrate rebuild-read-model users services rules serve help" -f -a "services" -d 'Manage the other services that send their domain events (CloudEvents) to notify'
complete -c notify-server -n "__fish_notify_server_using_subcommand help; and not __fish_seen_subcommand_from migrate rebuild-read-model users services rules serve help" -f -a "rules" -d 'Check the rules that turn other services\' domain events into notifications'
complete -c notify-server -n "__fish_notify_server_using_subcommand help; and not __fish_seen_subcommand_from migrate rebuild-read-model users services rules serve help" -f -a "serve" -d 'Run server roles until SIGTERM or Ctrl-C'
complete -c notify-server -n "__fish_notify_server_using_subcommand help; and not __fish_seen_subcommand_from migrate rebuild-read-model users services rules serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c notify-server -n "__fish_notify_server_using_subcommand help; and __fish_seen_subcommand_from users" -f -a "add" -d 'Create a user and print its first API token (shown only this once)'
complete -c notify-server -n "__fish_notify_server_using_subcommand help; and __fish_seen_subcommand_from users" -f -a "delete" -d 'Delete a user: revoke every token, remove their devices and broker account, and close their broker connections at once'
complete -c notify-server -n "__fish_notify_server_using_subcommand help; and __fish_seen_subcommand_from users" -f -a "token" -d 'Make another API token for an existing user and print it (shown only this once)'
complete -c notify-server -n "__fish_notify_server_using_subcommand help; and __fish_seen_subcommand_from services" -f -a "add" -d 'Let a service send its domain events: make its broker account (it may publish to the `notify.ingest` exchange under routing keys that start with its name, and do nothing else) and an API token with the `events` scope for `POST /v1/events`, and print both (shown only this once). Its notifications come from NAME'
complete -c notify-server -n "__fish_notify_server_using_subcommand help; and __fish_seen_subcommand_from services" -f -a "delete" -d 'Revoke a service: delete its broker account (its connections close at once) and its tokens. The notifications it caused stay'
complete -c notify-server -n "__fish_notify_server_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "check" -d 'Check a rules file (the server\'s `ingest_rules`): TOML, known keys, templates that compile, recipients given; with `--event`, render the send the rules make of that event'
