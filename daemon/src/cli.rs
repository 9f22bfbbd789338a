//! The command line of `notifyd`.
//!
//! Only parsing and validation of arguments; `daemon::run` does the work.

use clap::Parser;
use notify_shared::commands::valid_device_name;

use crate::device;

/// The per-user daemon of notify: desktop popups, the unread count, and instant `--wait` for
/// the CLI. Usually run by systemd (`notify daemon install`).
///
/// Reads the server URL and token like `notify` does ($NOTIFY_CONFIG, else
/// $XDG_CONFIG_HOME/notify/config.toml; NOTIFY_SERVER and NOTIFY_TOKEN override), keeps its
/// state in $NOTIFYD_STATE_DIR (else $XDG_STATE_HOME/notify), listens on $NOTIFYD_SOCKET
/// (else $XDG_RUNTIME_DIR/notify/notifyd.sock), and logs to stderr (filter: NOTIFY_LOG).
#[derive(Debug, Parser)]
#[command(name = "notifyd", version, after_help = AFTER_HELP)]
pub struct Args {
    /// This machine's device name: 1 to 32 of a-z, 0-9, '_' and '-' (default: the host name).
    #[arg(
        long,
        value_name = "NAME",
        env = device::ENV_DEVICE,
        hide_env_values = true,
        value_parser = parse_device
    )]
    pub device: Option<String>,
    /// AMQP heartbeat in seconds: a broker connection silent for two of them is given up and
    /// made again. Shorter finds a dead network sooner, at the cost of more traffic.
    #[arg(
        long,
        value_name = "SECONDS",
        env = "NOTIFYD_HEARTBEAT_S",
        hide_env_values = true,
        default_value_t = 30,
        value_parser = clap::value_parser!(u16).range(1..=600)
    )]
    pub heartbeat: u16,
}

const AFTER_HELP: &str = "\
Examples:
  notify daemon install && systemctl --user daemon-reload && systemctl --user enable --now notifyd
  notifyd --device laptop
  NOTIFY_LOG=debug notifyd
  notify daemon status";

impl Args {
    /// The device name: the flag, else the sanitised host name.
    pub fn device_name(&self) -> String {
        self.device.clone().unwrap_or_else(device::default_name)
    }
}

fn parse_device(name: &str) -> Result<String, String> {
    if valid_device_name(name) {
        Ok(name.to_owned())
    } else {
        Err("use 1 to 32 of a-z, 0-9, '_' and '-'".into())
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_flags_are_checked() {
        Args::command().debug_assert();
        let args = Args::try_parse_from(["notifyd", "--device", "desk-2"]).expect("valid");
        assert_eq!(args.device_name(), "desk-2");
        assert!(Args::try_parse_from(["notifyd", "--device", "Desk.2"]).is_err());
        assert_eq!(args.heartbeat, 30);
        let args = Args::try_parse_from(["notifyd", "--heartbeat", "5"]).expect("valid");
        assert_eq!(args.heartbeat, 5);
        for bad in ["0", "601", "x"] {
            assert!(
                Args::try_parse_from(["notifyd", "--heartbeat", bad]).is_err(),
                "{bad}"
            );
        }
    }
}
