# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_notify_global_optspecs
    string join \n server= json q/quiet v/verbose h/help V/version
end

function __fish_notify_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_notify_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_notify_using_subcommand
    set -l cmd (__fish_notify_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c notify -n "__fish_notify_needs_command" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_needs_command" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_needs_command" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_needs_command" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_needs_command" -s V -l version -d 'Print version'
complete -c notify -n "__fish_notify_needs_command" -f -a "send" -d 'Send a notification (to yourself unless --to names someone); prints the operation id'
complete -c notify -n "__fish_notify_needs_command" -f -a "list" -d 'List your inbox, newest first'
complete -c notify -n "__fish_notify_needs_command" -f -a "show" -d 'Show one notification, and with --events its history'
complete -c notify -n "__fish_notify_needs_command" -f -a "read" -d 'Mark notifications read (or the whole inbox with --all); prints the operation ids'
complete -c notify -n "__fish_notify_needs_command" -f -a "unread" -d 'Mark notifications unread; prints the operation ids'
complete -c notify -n "__fish_notify_needs_command" -f -a "count" -d 'Print the number of unread notifications'
complete -c notify -n "__fish_notify_needs_command" -f -a "sent" -d 'List what you sent and what became of it, newest first'
complete -c notify -n "__fish_notify_needs_command" -f -a "cancel" -d 'Cancel scheduled sends before they go out; prints the operation ids'
complete -c notify -n "__fish_notify_needs_command" -f -a "run" -d 'Run a command, then notify when it ends, with its exit status and duration'
complete -c notify -n "__fish_notify_needs_command" -f -a "status" -d 'Show what became of an operation; exits 1 if it failed'
complete -c notify -n "__fish_notify_needs_command" -f -a "prefs" -d 'Show or change how notifications reach you (channels, e-mail, webhook)'
complete -c notify -n "__fish_notify_needs_command" -f -a "watch" -d 'Print your events as they happen, through notifyd'
complete -c notify -n "__fish_notify_needs_command" -f -a "daemon" -d 'Run, inspect or install notifyd, the per-user daemon'
complete -c notify -n "__fish_notify_needs_command" -f -a "login" -d 'Check a server URL and API token, then save them in the configuration file'
complete -c notify -n "__fish_notify_needs_command" -f -a "config" -d 'Show or locate the configuration'
complete -c notify -n "__fish_notify_needs_command" -f -a "completions" -d 'Print the shell completion script for bash, zsh, fish, elvish or powershell'
complete -c notify -n "__fish_notify_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c notify -n "__fish_notify_using_subcommand send" -l to -d 'Recipient; repeat or separate with commas. Default: yourself' -r
complete -c notify -n "__fish_notify_using_subcommand send" -l title -d 'One-line title' -r
complete -c notify -n "__fish_notify_using_subcommand send" -l priority -d 'How urgent it is' -r -f -a "low\t'Can wait'
normal\t'The default'
high\t'Wants attention soon'
urgent\t'Wants attention now'"
complete -c notify -n "__fish_notify_using_subcommand send" -l tag -d 'Tag for filtering; repeat or separate with commas' -r
complete -c notify -n "__fish_notify_using_subcommand send" -l thread -d 'Thread key: notifications that share one belong together (shown by `notify show`)' -r
complete -c notify -n "__fish_notify_using_subcommand send" -l channel -d 'Deliver on this channel; repeat or separate with commas. Default: each recipient\'s own' -r -f -a "desktop\t'A popup on each of the recipient\'s machines'
email\t'An e-mail to the recipient\'s address'
webhook\t'An HTTP POST to the recipient\'s webhook'"
complete -c notify -n "__fish_notify_using_subcommand send" -l at -d 'Deliver at this time (local): 17:30, 9am, "tomorrow 9am", "friday 17:30", 2026-12-01 09:00' -r
complete -c notify -n "__fish_notify_using_subcommand send" -l in -d 'Deliver after this long: 10m, 1h30m, "1h 30m", 2d' -r
complete -c notify -n "__fish_notify_using_subcommand send" -l timeout -d 'How long --wait waits: 500ms, 10s, 2m, 1h30m' -r
complete -c notify -n "__fish_notify_using_subcommand send" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand send" -l wait -d 'Wait until it is done; exit 4 if that takes longer than --timeout'
complete -c notify -n "__fish_notify_using_subcommand send" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand send" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand send" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand list" -l tag -d 'Only notifications with this tag' -r
complete -c notify -n "__fish_notify_using_subcommand list" -l search -d 'Only notifications whose title or message has every word of TEXT, as a word or the start of one, in any case ("depl" finds "Deploy"); "quoted words" match in that order and -word excludes' -r
complete -c notify -n "__fish_notify_using_subcommand list" -l limit -d 'How many to show, 1 to 200 [default: 50]' -r
complete -c notify -n "__fish_notify_using_subcommand list" -l before -d 'Older than this cursor; a full page prints the next one on stderr' -r
complete -c notify -n "__fish_notify_using_subcommand list" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand list" -l unread -d 'Only unread notifications'
complete -c notify -n "__fish_notify_using_subcommand list" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand list" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand list" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand show" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand show" -l events -d 'Also show its history'
complete -c notify -n "__fish_notify_using_subcommand show" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand show" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand show" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand read" -l timeout -d 'How long --wait waits: 500ms, 10s, 2m, 1h30m' -r
complete -c notify -n "__fish_notify_using_subcommand read" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand read" -l all -d 'Mark everything in the inbox read'
complete -c notify -n "__fish_notify_using_subcommand read" -l wait -d 'Wait until it is done; exit 4 if that takes longer than --timeout'
complete -c notify -n "__fish_notify_using_subcommand read" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand read" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand read" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand read" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand unread" -l timeout -d 'How long --wait waits: 500ms, 10s, 2m, 1h30m' -r
complete -c notify -n "__fish_notify_using_subcommand unread" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand unread" -l wait -d 'Wait until it is done; exit 4 if that takes longer than --timeout'
complete -c notify -n "__fish_notify_using_subcommand unread" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand unread" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand unread" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand unread" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand count" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand count" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand count" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand count" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand count" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand sent" -l from -d 'With an admin token: only the sends of this user (without it, every user\'s)' -r
complete -c notify -n "__fish_notify_using_subcommand sent" -l to -d 'Only notifications to this user' -r
complete -c notify -n "__fish_notify_using_subcommand sent" -l status -d 'Only notifications in this state' -r -f -a "scheduled\t'Waiting for its delivery time'
dispatched\t'In the inbox; channels are delivering'
delivered\t'Every channel succeeded'
partially_delivered\t'Some channels succeeded, the others failed for good'
failed\t'No channel succeeded: each failed for good'
cancelled\t'Cancelled before it went out'"
complete -c notify -n "__fish_notify_using_subcommand sent" -l channel -d 'Only notifications that went out on this channel' -r -f -a "desktop\t'A popup on each of the recipient\'s machines'
email\t'An e-mail to the recipient\'s address'
webhook\t'An HTTP POST to the recipient\'s webhook'"
complete -c notify -n "__fish_notify_using_subcommand sent" -l address -d 'Only notifications delivered to this e-mail address or webhook URL (in any case)' -r
complete -c notify -n "__fish_notify_using_subcommand sent" -l limit -d 'How many to show, 1 to 200 [default: 50]' -r
complete -c notify -n "__fish_notify_using_subcommand sent" -l before -d 'Older than this cursor; a full page prints the next one on stderr' -r
complete -c notify -n "__fish_notify_using_subcommand sent" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand sent" -l scheduled -d 'Only scheduled sends still waiting for their time'
complete -c notify -n "__fish_notify_using_subcommand sent" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand sent" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand sent" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand sent" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand cancel" -l timeout -d 'How long --wait waits: 500ms, 10s, 2m, 1h30m' -r
complete -c notify -n "__fish_notify_using_subcommand cancel" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand cancel" -l wait -d 'Wait until it is done; exit 4 if that takes longer than --timeout'
complete -c notify -n "__fish_notify_using_subcommand cancel" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand cancel" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand cancel" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand cancel" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand run" -l to -d 'Recipient; repeat or separate with commas. Default: yourself' -r
complete -c notify -n "__fish_notify_using_subcommand run" -l title -d 'Title of the notification [default: ✔ COMMAND, or ✘ COMMAND (exit N)]' -r
complete -c notify -n "__fish_notify_using_subcommand run" -l priority -d 'Priority of the notification [default: normal, or high when the command failed]' -r -f -a "low\t'Can wait'
normal\t'The default'
high\t'Wants attention soon'
urgent\t'Wants attention now'"
complete -c notify -n "__fish_notify_using_subcommand run" -l longer-than -d 'Only notify when the command ran at least this long: 30s, 5m, 1h' -r
complete -c notify -n "__fish_notify_using_subcommand run" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand run" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand run" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand run" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand status" -l timeout -d 'How long --wait waits: 500ms, 10s, 2m, 1h30m' -r
complete -c notify -n "__fish_notify_using_subcommand status" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand status" -l wait -d 'Wait until it is done; exit 4 if that takes longer than --timeout'
complete -c notify -n "__fish_notify_using_subcommand status" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand status" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand status" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand prefs; and not __fish_seen_subcommand_from show set help" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand prefs; and not __fish_seen_subcommand_from show set help" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand prefs; and not __fish_seen_subcommand_from show set help" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand prefs; and not __fish_seen_subcommand_from show set help" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand prefs; and not __fish_seen_subcommand_from show set help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand prefs; and not __fish_seen_subcommand_from show set help" -f -a "show" -d 'Show your delivery preferences (the default)'
complete -c notify -n "__fish_notify_using_subcommand prefs; and not __fish_seen_subcommand_from show set help" -f -a "set" -d 'Change your delivery preferences; prints the operation id'
complete -c notify -n "__fish_notify_using_subcommand prefs; and not __fish_seen_subcommand_from show set help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from show" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from show" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from set" -l channels -d 'The channels used when a sender names none; replaces the list' -r -f -a "desktop\t'A popup on each of the recipient\'s machines'
email\t'An e-mail to the recipient\'s address'
webhook\t'An HTTP POST to the recipient\'s webhook'"
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from set" -l email -d 'Your e-mail address, for the email channel' -r
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from set" -l webhook-url -d 'The http or https URL your webhook receives notifications at' -r
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from set" -l webhook-secret-file -d 'Read the webhook signing secret (whsec_...) from this file, or - for stdin' -r -F
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from set" -l timeout -d 'How long --wait waits: 500ms, 10s, 2m, 1h30m' -r
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from set" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from set" -l no-email -d 'Forget the e-mail address and take email out of the channels'
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from set" -l no-webhook -d 'Forget the webhook URL and its secret, and take webhook out of the channels'
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from set" -l wait -d 'Wait until it is done; exit 4 if that takes longer than --timeout'
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from set" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from set" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show your delivery preferences (the default)'
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from help" -f -a "set" -d 'Change your delivery preferences; prints the operation id'
complete -c notify -n "__fish_notify_using_subcommand prefs; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c notify -n "__fish_notify_using_subcommand watch" -l kind -d 'Only events of this kind; repeat or separate with commas. Default: every kind' -r -f -a "notification.requested\t''
notification.dispatched\t''
notification.cancelled\t''
delivery.requested\t''
delivery.succeeded\t''
delivery.failed\t''
notification.delivered\t''
notification.failed\t''
notification.escalated\t''
notification.read\t''
notification.unread\t''
inbox.read_all\t''
preferences.updated\t''
user.deleted\t''
operation.resolved\t''"
complete -c notify -n "__fish_notify_using_subcommand watch" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand watch" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand watch" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand watch" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand watch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand daemon; and not __fish_seen_subcommand_from run status install help" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand daemon; and not __fish_seen_subcommand_from run status install help" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand daemon; and not __fish_seen_subcommand_from run status install help" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand daemon; and not __fish_seen_subcommand_from run status install help" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand daemon; and not __fish_seen_subcommand_from run status install help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand daemon; and not __fish_seen_subcommand_from run status install help" -f -a "run" -d 'Run notifyd in the foreground (Ctrl-C stops it)'
complete -c notify -n "__fish_notify_using_subcommand daemon; and not __fish_seen_subcommand_from run status install help" -f -a "status" -d 'Show how notifyd is doing; exits 3 if it is not running'
complete -c notify -n "__fish_notify_using_subcommand daemon; and not __fish_seen_subcommand_from run status install help" -f -a "install" -d 'Install notifyd as a systemd user service'
complete -c notify -n "__fish_notify_using_subcommand daemon; and not __fish_seen_subcommand_from run status install help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from run" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from run" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from run" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from run" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from status" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from status" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from install" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from install" -l force -d 'Replace a unit file that differs from the one notify would write'
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from install" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from install" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from install" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "run" -d 'Run notifyd in the foreground (Ctrl-C stops it)'
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show how notifyd is doing; exits 3 if it is not running'
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "install" -d 'Install notifyd as a systemd user service'
complete -c notify -n "__fish_notify_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c notify -n "__fish_notify_using_subcommand login" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand login" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand login" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand login" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand config; and not __fish_seen_subcommand_from show path help" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand config; and not __fish_seen_subcommand_from show path help" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand config; and not __fish_seen_subcommand_from show path help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand config; and not __fish_seen_subcommand_from show path help" -f -a "show" -d 'Show the effective settings, where each comes from, and who the token belongs to'
complete -c notify -n "__fish_notify_using_subcommand config; and not __fish_seen_subcommand_from show path help" -f -a "path" -d 'Print the path of the configuration file'
complete -c notify -n "__fish_notify_using_subcommand config; and not __fish_seen_subcommand_from show path help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c notify -n "__fish_notify_using_subcommand config; and __fish_seen_subcommand_from show" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand config; and __fish_seen_subcommand_from show" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand config; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand config; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand config; and __fish_seen_subcommand_from path" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand config; and __fish_seen_subcommand_from path" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand config; and __fish_seen_subcommand_from path" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand config; and __fish_seen_subcommand_from path" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show the effective settings, where each comes from, and who the token belongs to'
complete -c notify -n "__fish_notify_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the path of the configuration file'
complete -c notify -n "__fish_notify_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c notify -n "__fish_notify_using_subcommand completions" -l server -d 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]' -r
complete -c notify -n "__fish_notify_using_subcommand completions" -l json -d 'Print machine-readable JSON on stdout'
complete -c notify -n "__fish_notify_using_subcommand completions" -s q -l quiet -d 'Print nothing on stdout; errors still go to stderr'
complete -c notify -n "__fish_notify_using_subcommand completions" -s v -l verbose -d 'Say on stderr what is happening (requests, retries)'
complete -c notify -n "__fish_notify_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notify -n "__fish_notify_using_subcommand help; and not __fish_seen_subcommand_from send list show read unread count sent cancel run status prefs watch daemon login config completions help" -f -a "send" -d 'Send a notification (to yourself unless --to names someone); prints the operation id'
complete -c notify -n "__fish_notify_using_subcommand help; and not __fish_seen_subcommand_from send list show read unread count sent cancel run status prefs watch daemon login config completions help" -f -a "list" -d 'List your inbox, newest first'
complete -c notify -n "__fish_notify_using_subcommand help; and not __fish_seen_subcommand_from send list show read unread count sent cancel run status prefs watch daemon login config completions help" -f -a "show" -d 'Show one notification, and with --events its history'
complete -c notify -n "__fish_notify_using_subcommand help; and not __fish_seen_subcommand_from send list show read unread count sent cancel run status prefs watch daemon login config completions help" -f -a "read" -d 'Mark notifications read (or the whole inbox with --all); prints the operation ids'
complete -c notify -n "__fish_notify_using_subcommand help; and not __fish_seen_subcommand_from send list show read unread count sent cancel run status prefs watch daemon login config completions help" -f -a "unread" -d 'Mark notifications unread; prints the operation ids'
complete -c notify -n "__fish_notify_using_subcommand help; and not __fish_seen_subcommand_from send list show read unread count sent cancel run status prefs watch daemon login config completions help" -f -a "count" -d 'Print the number of unread notifications'
complete -c notify -n "__fish_notify_using_subcommand help; and not __fish_seen_subcommand_from send list show read unread count sent cancel run status prefs watch daemon login config completions help" -f -a "sent" -d 'List what you sent and what became of it, newest first'
complete -c notify -n "__fish_notify_using_subcommand help; and not __fish_seen_subcommand_from send list show read unread count sent cancel run status prefs watch daemon login config completions help" -f -a "cancel" -d 'Cancel scheduled sends before they go out; prints the operation ids'
complete -c notify -n "__fish_notify_using_subcommand help; and not __fish_seen_subcommand_from send list show read unread count sent cancel run status prefs watch daemon login config completions help" -f -a "run" -d 'Run a command, then notify when it ends, with its exit status and duration'
complete -c notify -n "__fish_notify_using_subcommand help; and not __fish_seen_subcommand_from send list show read unread count sent cancel run status prefs watch daemon login config completions help" -f -a "status" -d 'Show what became of an operation; exits 1 if it failed'
complete -c notify -n "__fish_notify_using_subcommand help; and not __fish_seen_subcommand_from send list show read unread count sent cancel run status prefs watch daemon login config completions help" -f -a "prefs" -d 'Show or change how notifications reach you (channels, e-mail, webhook)'
complete -c notify -n "__fish_notify_using_subcommand help; and not __fish_seen_subcommand_from send list show read unread count sent cancel run status prefs watch daemon login config completions help" -f -a "watch" -d 'Print your events as they happen, through notifyd'
complete -c notify -n "__fish_notify_using_subcommand help; and not __fish_seen_subcommand_from send list show read unread count sent cancel run status prefs watch daemon login config completions help" -f -a "daemon" -d 'Run, inspect or install notifyd, the per-user daemon'
complete -c notify -n "__fish_notify_using_subcommand help; and not __fish_seen_subcommand_from send list show read unread count sent cancel run status prefs watch daemon login config completions help" -f -a "login" -d 'Check a server URL and API token, then save them in the configuration file'
complete -c notify -n "__fish_notify_using_subcommand help; and not __fish_seen_subcommand_from send list show read unread count sent cancel run status prefs watch daemon login config completions help" -f -a "config" -d 'Show or locate the configuration'
complete -c notify -n "__fish_notify_using_subcommand help; and not __fish_seen_subcommand_from send list show read unread count sent cancel run status prefs watch daemon login config completions help" -f -a "completions" -d 'Print the shell completion script for bash, zsh, fish, elvish or powershell'
complete -c notify -n "__fish_notify_using_subcommand help; and not __fish_seen_subcommand_from send list show read unread count sent cancel run status prefs watch daemon login config completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c notify -n "__fish_notify_using_subcommand help; and __fish_seen_subcommand_from prefs" -f -a "show" -d 'Show your delivery preferences (the default)'
complete -c notify -n "__fish_notify_using_subcommand help; and __fish_seen_subcommand_from prefs" -f -a "set" -d 'Change your delivery preferences; prints the operation id'
complete -c notify -n "__fish_notify_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "run" -d 'Run notifyd in the foreground (Ctrl-C stops it)'
complete -c notify -n "__fish_notify_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "status" -d 'Show how notifyd is doing; exits 3 if it is not running'
complete -c notify -n "__fish_notify_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "install" -d 'Install notifyd as a systemd user service'
complete -c notify -n "__fish_notify_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Show the effective settings, where each comes from, and who the token belongs to'
complete -c notify -n "__fish_notify_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print the path of the configuration file'
