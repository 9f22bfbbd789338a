//! What `scripts/services` leaves on a machine is safe by default: every service listens on
//! loopback only, RabbitMQ has no `guest`, the server's broker account administers nothing,
//! and the generated passwords are in a file only its owner reads.

use std::os::unix::fs::PermissionsExt;

use notify_tests::services;

/// The services' ports: AMQP, management, Erlang distribution, epmd, both PostgreSQL servers.
const PORTS: [u16; 6] = [5672, 15672, 25672, 4369, 5432, 5678];

/// Whether an address as `/proc/net/tcp{,6}` writes it (hex, in host byte order per 32-bit
/// word) is a loopback address.
fn loopback(hex: &str) -> bool {
    match hex.len() {
        // 127.0.0.0/8: the first octet is the last byte of the little-endian word.
        8 => hex.ends_with("7F"),
        // ::1, or ::ffff:127.x.y.z.
        32 => {
            hex == "00000000000000000000000001000000"
                || (hex.starts_with("0000000000000000FFFF0000") && hex.ends_with("7F"))
        }
        _ => false,
    }
}

/// Every listening socket on one of [`PORTS`]: (port, address in `/proc` hex).
fn listeners() -> Vec<(u16, String)> {
    let mut found = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // Field 3 is the state: 0A is LISTEN.
            if fields.len() < 4 || fields[3] != "0A" {
                continue;
            }
            let Some((address, port)) = fields[1].split_once(':') else {
                continue;
            };
            let port = u16::from_str_radix(port, 16).unwrap_or_default();
            if PORTS.contains(&port) {
                found.push((port, address.to_owned()));
            }
        }
    }
    found
}

#[tokio::test]
async fn every_service_listens_on_loopback_only() {
    let listening = listeners();
    for port in PORTS {
        assert!(
            listening.iter().any(|(p, _)| *p == port),
            "nothing listens on {port}: {listening:?}"
        );
    }
    let open: Vec<&(u16, String)> = listening.iter().filter(|(_, a)| !loopback(a)).collect();
    assert!(open.is_empty(), "listening beyond loopback: {open:?}");
}

#[tokio::test]
async fn rabbitmq_has_no_guest_and_the_servers_account_administers_nothing() {
    let guest = services::management(reqwest::Method::GET, "/users/guest")
        .send()
        .await
        .expect("management API");
    assert_eq!(
        guest.status(),
        reqwest::StatusCode::NOT_FOUND,
        "guest exists"
    );
    let config = notify_server::config::Config::load(None).expect("configuration");
    let url = secrecy::ExposeSecret::expose_secret(&config.amqp_url).to_owned();
    let user = url
        .strip_prefix("amqp://")
        .and_then(|rest| rest.split(':').next())
        .expect("a user in amqp_url");
    let account: serde_json::Value =
        services::management(reqwest::Method::GET, &format!("/users/{user}"))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("the server's account")
            .json()
            .await
            .expect("JSON");
    assert_eq!(account["tags"], serde_json::json!([]), "{account}");
    assert_ne!(
        user, config.devices.management_user,
        "the roles' broker account is the management administrator"
    );
    assert!(
        !url.contains(":notify@"),
        "the well-known password is still in use"
    );
}

#[tokio::test]
async fn the_generated_passwords_are_readable_by_their_owner_only() {
    let path = notify_server::config::services_file().expect("a services file path");
    let mode = std::fs::metadata(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/services)", path.display()))
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{}", path.display());
}

#[test]
fn loopback_addresses_are_told_from_the_rest() {
    assert!(loopback("0100007F")); // 127.0.0.1
    assert!(!loopback("00000000")); // 0.0.0.0
    assert!(loopback("00000000000000000000000001000000")); // ::1
    assert!(!loopback("00000000000000000000000000000000")); // ::
}

#[tokio::test]
async fn the_server_refuses_a_services_file_others_can_read() {
    let dir = std::env::temp_dir().join(format!("notify-services-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("services.toml");
    std::fs::write(
        &file,
        "amqp_url = \"amqp://notify:secret@127.0.0.1:5672/%2f\"\n",
    )
    .expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let output = tokio::process::Command::new(notify_tests::binary("notify-server"))
        .args(["serve", "--roles", "relay"])
        .env("NOTIFY_SERVICES_FILE", &file)
        .output()
        .await
        .expect("run notify-server");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("chmod 600"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
