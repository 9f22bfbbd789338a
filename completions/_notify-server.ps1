
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'notify-server' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'notify-server'
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
        'notify-server' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file (default: ./notify-server.toml when it exists)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Apply the migrations of the write DB and the read DB (serve does it too)')
            [CompletionResult]::new('rebuild-read-model', 'rebuild-read-model', [CompletionResultType]::ParameterValue, 'Build the read model again from the event store, then switch to it')
            [CompletionResult]::new('users', 'users', [CompletionResultType]::ParameterValue, 'Manage users and their API tokens')
            [CompletionResult]::new('services', 'services', [CompletionResultType]::ParameterValue, 'Manage the other services that send their domain events (CloudEvents) to notify')
            [CompletionResult]::new('rules', 'rules', [CompletionResultType]::ParameterValue, 'Check the rules that turn other services'' domain events into notifications')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run server roles until SIGTERM or Ctrl-C')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'notify-server;migrate' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file (default: ./notify-server.toml when it exists)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'notify-server;rebuild-read-model' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file (default: ./notify-server.toml when it exists)')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Show a progress bar (events per second, time left) instead of a line per phase')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify-server;users' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file (default: ./notify-server.toml when it exists)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Create a user and print its first API token (shown only this once)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a user: revoke every token, remove their devices and broker account, and close their broker connections at once')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Make another API token for an existing user and print it (shown only this once)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'notify-server;users;add' {
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Scopes of the token (repeat or comma-separate)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file (default: ./notify-server.toml when it exists)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'notify-server;users;delete' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file (default: ./notify-server.toml when it exists)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify-server;users;token' {
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Scopes of the token (repeat or comma-separate)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file (default: ./notify-server.toml when it exists)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'notify-server;users;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Create a user and print its first API token (shown only this once)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a user: revoke every token, remove their devices and broker account, and close their broker connections at once')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Make another API token for an existing user and print it (shown only this once)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'notify-server;users;help;add' {
            break
        }
        'notify-server;users;help;delete' {
            break
        }
        'notify-server;users;help;token' {
            break
        }
        'notify-server;users;help;help' {
            break
        }
        'notify-server;services' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file (default: ./notify-server.toml when it exists)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Let a service send its domain events: make its broker account (it may publish to the `notify.ingest` exchange under routing keys that start with its name, and do nothing else) and an API token with the `events` scope for `POST /v1/events`, and print both (shown only this once). Its notifications come from NAME')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Revoke a service: delete its broker account (its connections close at once) and its tokens. The notifications it caused stay')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'notify-server;services;add' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file (default: ./notify-server.toml when it exists)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify-server;services;delete' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file (default: ./notify-server.toml when it exists)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'notify-server;services;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Let a service send its domain events: make its broker account (it may publish to the `notify.ingest` exchange under routing keys that start with its name, and do nothing else) and an API token with the `events` scope for `POST /v1/events`, and print both (shown only this once). Its notifications come from NAME')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Revoke a service: delete its broker account (its connections close at once) and its tokens. The notifications it caused stay')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'notify-server;services;help;add' {
            break
        }
        'notify-server;services;help;delete' {
            break
        }
        'notify-server;services;help;help' {
            break
        }
        'notify-server;rules' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file (default: ./notify-server.toml when it exists)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check a rules file (the server''s `ingest_rules`): TOML, known keys, templates that compile, recipients given; with `--event`, render the send the rules make of that event')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'notify-server;rules;check' {
            [CompletionResult]::new('--event', '--event', [CompletionResultType]::ParameterName, 'A CloudEvents 1.0 event in JSON (structured mode) to render the rules against')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file (default: ./notify-server.toml when it exists)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify-server;rules;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check a rules file (the server''s `ingest_rules`): TOML, known keys, templates that compile, recipients given; with `--event`, render the send the rules make of that event')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'notify-server;rules;help;check' {
            break
        }
        'notify-server;rules;help;help' {
            break
        }
        'notify-server;serve' {
            [CompletionResult]::new('--roles', '--roles', [CompletionResultType]::ParameterName, 'Roles to run in this process, comma-separated')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file (default: ./notify-server.toml when it exists)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify-server;help' {
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Apply the migrations of the write DB and the read DB (serve does it too)')
            [CompletionResult]::new('rebuild-read-model', 'rebuild-read-model', [CompletionResultType]::ParameterValue, 'Build the read model again from the event store, then switch to it')
            [CompletionResult]::new('users', 'users', [CompletionResultType]::ParameterValue, 'Manage users and their API tokens')
            [CompletionResult]::new('services', 'services', [CompletionResultType]::ParameterValue, 'Manage the other services that send their domain events (CloudEvents) to notify')
            [CompletionResult]::new('rules', 'rules', [CompletionResultType]::ParameterValue, 'Check the rules that turn other services'' domain events into notifications')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run server roles until SIGTERM or Ctrl-C')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'notify-server;help;migrate' {
            break
        }
        'notify-server;help;rebuild-read-model' {
            break
        }
        'notify-server;help;users' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Create a user and print its first API token (shown only this once)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a user: revoke every token, remove their devices and broker account, and close their broker connections at once')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Make another API token for an existing user and print it (shown only this once)')
            break
        }
        'notify-server;help;users;add' {
            break
        }
        'notify-server;help;users;delete' {
            break
        }
        'notify-server;help;users;token' {
            break
        }
        'notify-server;help;services' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Let a service send its domain events: make its broker account (it may publish to the `notify.ingest` exchange under routing keys that start with its name, and do nothing else) and an API token with the `events` scope for `POST /v1/events`, and print both (shown only this once). Its notifications come from NAME')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Revoke a service: delete its broker account (its connections close at once) and its tokens. The notifications it caused stay')
            break
        }
        'notify-server;help;services;add' {
            break
        }
        'notify-server;help;services;delete' {
            break
        }
        'notify-server;help;rules' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check a rules file (the server''s `ingest_rules`): TOML, known keys, templates that compile, recipients given; with `--event`, render the send the rules make of that event')
            break
        }
        'notify-server;help;rules;check' {
            break
        }
        'notify-server;help;serve' {
            break
        }
        'notify-server;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
