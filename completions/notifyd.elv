
use builtin;
use str;

set edit:completion:arg-completer[notifyd] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'notifyd'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'notifyd'= {
            cand --device 'This machine''s device name: 1 to 32 of a-z, 0-9, ''_'' and ''-'' (default: the host name)'
            cand --heartbeat 'AMQP heartbeat in seconds: a broker connection silent for two of them is given up and made again. Shorter finds a dead network sooner, at the cost of more traffic'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}
