
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'notify' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'notify'
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
        'notify' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send a notification (to yourself unless --to names someone); prints the operation id')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your inbox, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one notification, and with --events its history')
            [CompletionResult]::new('read', 'read', [CompletionResultType]::ParameterValue, 'Mark notifications read (or the whole inbox with --all); prints the operation ids')
            [CompletionResult]::new('unread', 'unread', [CompletionResultType]::ParameterValue, 'Mark notifications unread; prints the operation ids')
            [CompletionResult]::new('count', 'count', [CompletionResultType]::ParameterValue, 'Print the number of unread notifications')
            [CompletionResult]::new('sent', 'sent', [CompletionResultType]::ParameterValue, 'List what you sent and what became of it, newest first')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel scheduled sends before they go out; prints the operation ids')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a command, then notify when it ends, with its exit status and duration')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show what became of an operation; exits 1 if it failed')
            [CompletionResult]::new('prefs', 'prefs', [CompletionResultType]::ParameterValue, 'Show or change how notifications reach you (channels, e-mail, webhook)')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Print your events as they happen, through notifyd')
            [CompletionResult]::new('daemon', 'daemon', [CompletionResultType]::ParameterValue, 'Run, inspect or install notifyd, the per-user daemon')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Check a server URL and API token, then save them in the configuration file')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show or locate the configuration')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the shell completion script for bash, zsh, fish, elvish or powershell')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'notify;send' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Recipient; repeat or separate with commas. Default: yourself')
            [CompletionResult]::new('--title', '--title', [CompletionResultType]::ParameterName, 'One-line title')
            [CompletionResult]::new('--priority', '--priority', [CompletionResultType]::ParameterName, 'How urgent it is')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Tag for filtering; repeat or separate with commas')
            [CompletionResult]::new('--thread', '--thread', [CompletionResultType]::ParameterName, 'Thread key: notifications that share one belong together (shown by `notify show`)')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Deliver on this channel; repeat or separate with commas. Default: each recipient''s own')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'Deliver at this time (local): 17:30, 9am, "tomorrow 9am", "friday 17:30", 2026-12-01 09:00')
            [CompletionResult]::new('--in', '--in', [CompletionResultType]::ParameterName, 'Deliver after this long: 10m, 1h30m, "1h 30m", 2d')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long --wait waits: 500ms, 10s, 2m, 1h30m')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until it is done; exit 4 if that takes longer than --timeout')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;list' {
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Only notifications with this tag')
            [CompletionResult]::new('--search', '--search', [CompletionResultType]::ParameterName, 'Only notifications whose title or message has every word of TEXT, as a word or the start of one, in any case ("depl" finds "Deploy"); "quoted words" match in that order and -word excludes')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'How many to show, 1 to 200 [default: 50]')
            [CompletionResult]::new('--before', '--before', [CompletionResultType]::ParameterName, 'Older than this cursor; a full page prints the next one on stderr')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--unread', '--unread', [CompletionResultType]::ParameterName, 'Only unread notifications')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;show' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--events', '--events', [CompletionResultType]::ParameterName, 'Also show its history')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;read' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long --wait waits: 500ms, 10s, 2m, 1h30m')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Mark everything in the inbox read')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until it is done; exit 4 if that takes longer than --timeout')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;unread' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long --wait waits: 500ms, 10s, 2m, 1h30m')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until it is done; exit 4 if that takes longer than --timeout')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;count' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;sent' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'With an admin token: only the sends of this user (without it, every user''s)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Only notifications to this user')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only notifications in this state')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Only notifications that went out on this channel')
            [CompletionResult]::new('--address', '--address', [CompletionResultType]::ParameterName, 'Only notifications delivered to this e-mail address or webhook URL (in any case)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'How many to show, 1 to 200 [default: 50]')
            [CompletionResult]::new('--before', '--before', [CompletionResultType]::ParameterName, 'Older than this cursor; a full page prints the next one on stderr')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--scheduled', '--scheduled', [CompletionResultType]::ParameterName, 'Only scheduled sends still waiting for their time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;cancel' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long --wait waits: 500ms, 10s, 2m, 1h30m')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until it is done; exit 4 if that takes longer than --timeout')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;run' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Recipient; repeat or separate with commas. Default: yourself')
            [CompletionResult]::new('--title', '--title', [CompletionResultType]::ParameterName, 'Title of the notification [default: ✔ COMMAND, or ✘ COMMAND (exit N)]')
            [CompletionResult]::new('--priority', '--priority', [CompletionResultType]::ParameterName, 'Priority of the notification [default: normal, or high when the command failed]')
            [CompletionResult]::new('--longer-than', '--longer-than', [CompletionResultType]::ParameterName, 'Only notify when the command ran at least this long: 30s, 5m, 1h')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;status' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long --wait waits: 500ms, 10s, 2m, 1h30m')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until it is done; exit 4 if that takes longer than --timeout')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;prefs' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show your delivery preferences (the default)')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change your delivery preferences; prints the operation id')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'notify;prefs;show' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;prefs;set' {
            [CompletionResult]::new('--channels', '--channels', [CompletionResultType]::ParameterName, 'The channels used when a sender names none; replaces the list')
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'Your e-mail address, for the email channel')
            [CompletionResult]::new('--webhook-url', '--webhook-url', [CompletionResultType]::ParameterName, 'The http or https URL your webhook receives notifications at')
            [CompletionResult]::new('--webhook-secret-file', '--webhook-secret-file', [CompletionResultType]::ParameterName, 'Read the webhook signing secret (whsec_...) from this file, or - for stdin')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long --wait waits: 500ms, 10s, 2m, 1h30m')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--no-email', '--no-email', [CompletionResultType]::ParameterName, 'Forget the e-mail address and take email out of the channels')
            [CompletionResult]::new('--no-webhook', '--no-webhook', [CompletionResultType]::ParameterName, 'Forget the webhook URL and its secret, and take webhook out of the channels')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until it is done; exit 4 if that takes longer than --timeout')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;prefs;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show your delivery preferences (the default)')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change your delivery preferences; prints the operation id')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'notify;prefs;help;show' {
            break
        }
        'notify;prefs;help;set' {
            break
        }
        'notify;prefs;help;help' {
            break
        }
        'notify;watch' {
            [CompletionResult]::new('--kind', '--kind', [CompletionResultType]::ParameterName, 'Only events of this kind; repeat or separate with commas. Default: every kind')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;daemon' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run notifyd in the foreground (Ctrl-C stops it)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show how notifyd is doing; exits 3 if it is not running')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install notifyd as a systemd user service')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'notify;daemon;run' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;daemon;status' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;daemon;install' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace a unit file that differs from the one notify would write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;daemon;help' {
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run notifyd in the foreground (Ctrl-C stops it)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show how notifyd is doing; exits 3 if it is not running')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install notifyd as a systemd user service')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'notify;daemon;help;run' {
            break
        }
        'notify;daemon;help;status' {
            break
        }
        'notify;daemon;help;install' {
            break
        }
        'notify;daemon;help;help' {
            break
        }
        'notify;login' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;config' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the effective settings, where each comes from, and who the token belongs to')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the configuration file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'notify;config;show' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;config;path' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;config;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the effective settings, where each comes from, and who the token belongs to')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the configuration file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'notify;config;help;show' {
            break
        }
        'notify;config;help;path' {
            break
        }
        'notify;config;help;help' {
            break
        }
        'notify;completions' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say on stderr what is happening (requests, retries)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'notify;help' {
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send a notification (to yourself unless --to names someone); prints the operation id')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your inbox, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one notification, and with --events its history')
            [CompletionResult]::new('read', 'read', [CompletionResultType]::ParameterValue, 'Mark notifications read (or the whole inbox with --all); prints the operation ids')
            [CompletionResult]::new('unread', 'unread', [CompletionResultType]::ParameterValue, 'Mark notifications unread; prints the operation ids')
            [CompletionResult]::new('count', 'count', [CompletionResultType]::ParameterValue, 'Print the number of unread notifications')
            [CompletionResult]::new('sent', 'sent', [CompletionResultType]::ParameterValue, 'List what you sent and what became of it, newest first')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel scheduled sends before they go out; prints the operation ids')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a command, then notify when it ends, with its exit status and duration')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show what became of an operation; exits 1 if it failed')
            [CompletionResult]::new('prefs', 'prefs', [CompletionResultType]::ParameterValue, 'Show or change how notifications reach you (channels, e-mail, webhook)')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Print your events as they happen, through notifyd')
            [CompletionResult]::new('daemon', 'daemon', [CompletionResultType]::ParameterValue, 'Run, inspect or install notifyd, the per-user daemon')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Check a server URL and API token, then save them in the configuration file')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show or locate the configuration')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the shell completion script for bash, zsh, fish, elvish or powershell')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'notify;help;send' {
            break
        }
        'notify;help;list' {
            break
        }
        'notify;help;show' {
            break
        }
        'notify;help;read' {
            break
        }
        'notify;help;unread' {
            break
        }
        'notify;help;count' {
            break
        }
        'notify;help;sent' {
            break
        }
        'notify;help;cancel' {
            break
        }
        'notify;help;run' {
            break
        }
        'notify;help;status' {
            break
        }
        'notify;help;prefs' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show your delivery preferences (the default)')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change your delivery preferences; prints the operation id')
            break
        }
        'notify;help;prefs;show' {
            break
        }
        'notify;help;prefs;set' {
            break
        }
        'notify;help;watch' {
            break
        }
        'notify;help;daemon' {
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run notifyd in the foreground (Ctrl-C stops it)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show how notifyd is doing; exits 3 if it is not running')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install notifyd as a systemd user service')
            break
        }
        'notify;help;daemon;run' {
            break
        }
        'notify;help;daemon;status' {
            break
        }
        'notify;help;daemon;install' {
            break
        }
        'notify;help;login' {
            break
        }
        'notify;help;config' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the effective settings, where each comes from, and who the token belongs to')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the configuration file')
            break
        }
        'notify;help;config;show' {
            break
        }
        'notify;help;config;path' {
            break
        }
        'notify;help;completions' {
            break
        }
        'notify;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
