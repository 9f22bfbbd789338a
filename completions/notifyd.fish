complete -c notifyd -l device -d 'This machine\'s device name: 1 to 32 of a-z, 0-9, \'_\' and \'-\' (default: the host name)' -r
complete -c notifyd -l heartbeat -d 'AMQP heartbeat in seconds: a broker connection silent for two of them is given up and made again. Shorter finds a dead network sooner, at the cost of more traffic' -r
complete -c notifyd -s h -l help -d 'Print help (see more with \'--help\')'
complete -c notifyd -s V -l version -d 'Print version'
