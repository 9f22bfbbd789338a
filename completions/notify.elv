
use builtin;
use str;

set edit:completion:arg-completer[notify] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'notify'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'notify'= {
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand send 'Send a notification (to yourself unless --to names someone); prints the operation id'
            cand list 'List your inbox, newest first'
            cand show 'Show one notification, and with --events its history'
            cand read 'Mark notifications read (or the whole inbox with --all); prints the operation ids'
            cand unread 'Mark notifications unread; prints the operation ids'
            cand count 'Print the number of unread notifications'
            cand sent 'List what you sent and what became of it, newest first'
            cand cancel 'Cancel scheduled sends before they go out; prints the operation ids'
            cand run 'Run a command, then notify when it ends, with its exit status and duration'
            cand status 'Show what became of an operation; exits 1 if it failed'
            cand prefs 'Show or change how notifications reach you (channels, e-mail, webhook)'
            cand watch 'Print your events as they happen, through notifyd'
            cand daemon 'Run, inspect or install notifyd, the per-user daemon'
            cand login 'Check a server URL and API token, then save them in the configuration file'
            cand config 'Show or locate the configuration'
            cand completions 'Print the shell completion script for bash, zsh, fish, elvish or powershell'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'notify;send'= {
            cand --to 'Recipient; repeat or separate with commas. Default: yourself'
            cand --title 'One-line title'
            cand --priority 'How urgent it is'
            cand --tag 'Tag for filtering; repeat or separate with commas'
            cand --thread 'Thread key: notifications that share one belong together (shown by `notify show`)'
            cand --channel 'Deliver on this channel; repeat or separate with commas. Default: each recipient''s own'
            cand --at 'Deliver at this time (local): 17:30, 9am, "tomorrow 9am", "friday 17:30", 2026-12-01 09:00'
            cand --in 'Deliver after this long: 10m, 1h30m, "1h 30m", 2d'
            cand --timeout 'How long --wait waits: 500ms, 10s, 2m, 1h30m'
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --wait 'Wait until it is done; exit 4 if that takes longer than --timeout'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;list'= {
            cand --tag 'Only notifications with this tag'
            cand --search 'Only notifications whose title or message has every word of TEXT, as a word or the start of one, in any case ("depl" finds "Deploy"); "quoted words" match in that order and -word excludes'
            cand --limit 'How many to show, 1 to 200 [default: 50]'
            cand --before 'Older than this cursor; a full page prints the next one on stderr'
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --unread 'Only unread notifications'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;show'= {
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --events 'Also show its history'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;read'= {
            cand --timeout 'How long --wait waits: 500ms, 10s, 2m, 1h30m'
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --all 'Mark everything in the inbox read'
            cand --wait 'Wait until it is done; exit 4 if that takes longer than --timeout'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;unread'= {
            cand --timeout 'How long --wait waits: 500ms, 10s, 2m, 1h30m'
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --wait 'Wait until it is done; exit 4 if that takes longer than --timeout'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;count'= {
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;sent'= {
            cand --from 'With an admin token: only the sends of this user (without it, every user''s)'
            cand --to 'Only notifications to this user'
            cand --status 'Only notifications in this state'
            cand --channel 'Only notifications that went out on this channel'
            cand --address 'Only notifications delivered to this e-mail address or webhook URL (in any case)'
            cand --limit 'How many to show, 1 to 200 [default: 50]'
            cand --before 'Older than this cursor; a full page prints the next one on stderr'
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --scheduled 'Only scheduled sends still waiting for their time'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;cancel'= {
            cand --timeout 'How long --wait waits: 500ms, 10s, 2m, 1h30m'
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --wait 'Wait until it is done; exit 4 if that takes longer than --timeout'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;run'= {
            cand --to 'Recipient; repeat or separate with commas. Default: yourself'
            cand --title 'Title of the notification [default: ✔ COMMAND, or ✘ COMMAND (exit N)]'
            cand --priority 'Priority of the notification [default: normal, or high when the command failed]'
            cand --longer-than 'Only notify when the command ran at least this long: 30s, 5m, 1h'
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;status'= {
            cand --timeout 'How long --wait waits: 500ms, 10s, 2m, 1h30m'
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --wait 'Wait until it is done; exit 4 if that takes longer than --timeout'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;prefs'= {
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand show 'Show your delivery preferences (the default)'
            cand set 'Change your delivery preferences; prints the operation id'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'notify;prefs;show'= {
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;prefs;set'= {
            cand --channels 'The channels used when a sender names none; replaces the list'
            cand --email 'Your e-mail address, for the email channel'
            cand --webhook-url 'The http or https URL your webhook receives notifications at'
            cand --webhook-secret-file 'Read the webhook signing secret (whsec_...) from this file, or - for stdin'
            cand --timeout 'How long --wait waits: 500ms, 10s, 2m, 1h30m'
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --no-email 'Forget the e-mail address and take email out of the channels'
            cand --no-webhook 'Forget the webhook URL and its secret, and take webhook out of the channels'
            cand --wait 'Wait until it is done; exit 4 if that takes longer than --timeout'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;prefs;help'= {
            cand show 'Show your delivery preferences (the default)'
            cand set 'Change your delivery preferences; prints the operation id'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'notify;prefs;help;show'= {
        }
        &'notify;prefs;help;set'= {
        }
        &'notify;prefs;help;help'= {
        }
        &'notify;watch'= {
            cand --kind 'Only events of this kind; repeat or separate with commas. Default: every kind'
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;daemon'= {
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand run 'Run notifyd in the foreground (Ctrl-C stops it)'
            cand status 'Show how notifyd is doing; exits 3 if it is not running'
            cand install 'Install notifyd as a systemd user service'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'notify;daemon;run'= {
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;daemon;status'= {
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;daemon;install'= {
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --force 'Replace a unit file that differs from the one notify would write'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;daemon;help'= {
            cand run 'Run notifyd in the foreground (Ctrl-C stops it)'
            cand status 'Show how notifyd is doing; exits 3 if it is not running'
            cand install 'Install notifyd as a systemd user service'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'notify;daemon;help;run'= {
        }
        &'notify;daemon;help;status'= {
        }
        &'notify;daemon;help;install'= {
        }
        &'notify;daemon;help;help'= {
        }
        &'notify;login'= {
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;config'= {
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand show 'Show the effective settings, where each comes from, and who the token belongs to'
            cand path 'Print the path of the configuration file'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'notify;config;show'= {
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;config;path'= {
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;config;help'= {
            cand show 'Show the effective settings, where each comes from, and who the token belongs to'
            cand path 'Print the path of the configuration file'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'notify;config;help;show'= {
        }
        &'notify;config;help;path'= {
        }
        &'notify;config;help;help'= {
        }
        &'notify;completions'= {
            cand --server 'Base URL of notify-server [overrides NOTIFY_SERVER and the config file]'
            cand --json 'Print machine-readable JSON on stdout'
            cand -q 'Print nothing on stdout; errors still go to stderr'
            cand --quiet 'Print nothing on stdout; errors still go to stderr'
            cand -v 'Say on stderr what is happening (requests, retries)'
            cand --verbose 'Say on stderr what is happening (requests, retries)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'notify;help'= {
            cand send 'Send a notification (to yourself unless --to names someone); prints the operation id'
            cand list 'List your inbox, newest first'
            cand show 'Show one notification, and with --events its history'
            cand read 'Mark notifications read (or the whole inbox with --all); prints the operation ids'
            cand unread 'Mark notifications unread; prints the operation ids'
            cand count 'Print the number of unread notifications'
            cand sent 'List what you sent and what became of it, newest first'
            cand cancel 'Cancel scheduled sends before they go out; prints the operation ids'
            cand run 'Run a command, then notify when it ends, with its exit status and duration'
            cand status 'Show what became of an operation; exits 1 if it failed'
            cand prefs 'Show or change how notifications reach you (channels, e-mail, webhook)'
            cand watch 'Print your events as they happen, through notifyd'
            cand daemon 'Run, inspect or install notifyd, the per-user daemon'
            cand login 'Check a server URL and API token, then save them in the configuration file'
            cand config 'Show or locate the configuration'
            cand completions 'Print the shell completion script for bash, zsh, fish, elvish or powershell'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'notify;help;send'= {
        }
        &'notify;help;list'= {
        }
        &'notify;help;show'= {
        }
        &'notify;help;read'= {
        }
        &'notify;help;unread'= {
        }
        &'notify;help;count'= {
        }
        &'notify;help;sent'= {
        }
        &'notify;help;cancel'= {
        }
        &'notify;help;run'= {
        }
        &'notify;help;status'= {
        }
        &'notify;help;prefs'= {
            cand show 'Show your delivery preferences (the default)'
            cand set 'Change your delivery preferences; prints the operation id'
        }
        &'notify;help;prefs;show'= {
        }
        &'notify;help;prefs;set'= {
        }
        &'notify;help;watch'= {
        }
        &'notify;help;daemon'= {
            cand run 'Run notifyd in the foreground (Ctrl-C stops it)'
            cand status 'Show how notifyd is doing; exits 3 if it is not running'
            cand install 'Install notifyd as a systemd user service'
        }
        &'notify;help;daemon;run'= {
        }
        &'notify;help;daemon;status'= {
        }
        &'notify;help;daemon;install'= {
        }
        &'notify;help;login'= {
        }
        &'notify;help;config'= {
            cand show 'Show the effective settings, where each comes from, and who the token belongs to'
            cand path 'Print the path of the configuration file'
        }
        &'notify;help;config;show'= {
        }
        &'notify;help;config;path'= {
        }
        &'notify;help;completions'= {
        }
        &'notify;help;help'= {
        }
    ]
    $completions[$command]
}
