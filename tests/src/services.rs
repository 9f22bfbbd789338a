//! A fresh write database and RabbitMQ vhost per test, dropped when the test ends.

use std::sync::LazyLock;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

/// The read PostgreSQL server (its host and port), for tests that put a proxy in front of it.
pub const READ_SERVER: &str = "127.0.0.1:5432";

/// Where the shared services are and how to log in, from the server's own configuration (the
/// services file `scripts/services` writes, with the passwords it made).
#[derive(Debug)]
struct Local {
    /// The write server's URL without a database (`postgres://user:pw@host:port`).
    write_base: String,
    /// The read server's URL without a database.
    read_base: String,
    /// The broker's URL without a vhost.
    amqp_base: String,
    /// The server's broker account, which needs permissions on each test vhost.
    amqp_user: String,
    /// The management API and its administrator.
    management: String,
    admin: (String, String),
}

static LOCAL: LazyLock<Local> = LazyLock::new(|| {
    let config = notify_server::config::Config::load(None)
        .unwrap_or_else(|e| panic!("the server configuration (run scripts/services): {e}"));
    let base = |url: &SecretString| {
        url.expose_secret()
            .rsplit_once('/')
            .map(|(base, _)| base.to_owned())
            .expect("a URL with a path")
    };
    let amqp_base = base(&config.amqp_url);
    let amqp_user = amqp_base
        .strip_prefix("amqp://")
        .and_then(|rest| rest.split(['@', ':']).next())
        .expect("an AMQP URL with a user")
        .to_owned();
    Local {
        write_base: base(&config.write_db),
        read_base: base(&config.read_db),
        amqp_base,
        amqp_user,
        management: config
            .devices
            .management_url
            .trim_end_matches('/')
            .to_owned(),
        admin: (
            config.devices.management_user.clone(),
            config
                .devices
                .management_password
                .expose_secret()
                .to_owned(),
        ),
    }
});

/// A request to the RabbitMQ management API's `path` (after `/api`), as its administrator.
pub fn management(method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, format!("{}{path}", LOCAL.management))
        .basic_auth(&LOCAL.admin.0, Some(&LOCAL.admin.1))
}

/// One test's private services.
#[derive(Debug)]
pub struct TestEnv {
    /// The name shared by the database and the vhost.
    pub name: String,
    /// URL of the test's write database.
    pub write_url: String,
    /// URL of the test's read database (the server's `read_db`; a test may reroute it).
    pub read_url: String,
    /// URL of the test's vhost.
    pub amqp_url: String,
    /// A pool on the test's write database, for assertions.
    pub write: PgPool,
}

/// A database name on the read server, for tests that need a second read DB.
pub async fn create_read_database(name: &str) -> String {
    create_database(&format!("{}/postgres", LOCAL.read_base), name).await;
    format!("{}/{name}", LOCAL.read_base)
}

async fn create_database(admin_url: &str, name: &str) {
    let admin = admin_pool(admin_url).await;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("create test database (is scripts/services running?)");
    admin.close().await;
}

impl TestEnv {
    /// Creates and migrates a database and creates a vhost, both named `notify_test_<uuid>`.
    pub async fn new() -> Self {
        let name = format!("notify_test_{}", Uuid::now_v7().simple());
        create_database(&format!("{}/postgres", LOCAL.write_base), &name).await;
        let read_url = create_read_database(&name).await;
        let write_url = format!("{}/{name}", LOCAL.write_base);
        let write = PgPoolOptions::new()
            .max_connections(4)
            .connect(&write_url)
            .await
            .expect("connect to the test database");
        notify_server::db::WRITE_MIGRATIONS
            .run(&write)
            .await
            .expect("migrate the test database");

        management(reqwest::Method::PUT, &format!("/vhosts/{name}"))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("create test vhost (is the RabbitMQ management API up?)");
        // The server's account uses the vhost; the administrator declares device queues in it.
        for user in [&LOCAL.amqp_user, &LOCAL.admin.0] {
            management(reqwest::Method::PUT, &format!("/permissions/{name}/{user}"))
                .json(&serde_json::json!({"configure": ".*", "write": ".*", "read": ".*"}))
                .send()
                .await
                .and_then(|r| r.error_for_status())
                .expect("grant the test vhost");
        }
        let amqp_url = format!("{}/{name}", LOCAL.amqp_base);
        Self {
            name,
            write_url,
            read_url,
            amqp_url,
            write,
        }
    }

    /// How many events of `kind` the write DB holds, of aggregate `id` only when given.
    pub async fn count_events(&self, kind: &str, id: Option<Uuid>) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events WHERE kind = $1 AND ($2::uuid IS NULL OR aggregate_id = $2)")
            .bind(kind)
            .bind(id)
            .fetch_one(&self.write)
            .await
            .expect("count events")
    }

    /// How many rows `table` of the write DB has.
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&self.write)
            .await
            .expect("count rows")
    }
}

async fn admin_pool(url: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect to {url} (run scripts/services): {e}"))
}

/// Deletes the broker accounts the test's server created (named `<name>-<user>`).
async fn delete_broker_users(name: &str) -> anyhow::Result<()> {
    let users: Vec<serde_json::Value> = management(reqwest::Method::GET, "/users")
        .send()
        .await?
        .json()
        .await?;
    let prefix = format!("{name}-");
    for user in users
        .iter()
        .filter_map(|u| u["name"].as_str())
        .filter(|u| u.starts_with(&prefix))
    {
        management(reqwest::Method::DELETE, &format!("/users/{user}"))
            .send()
            .await?;
    }
    Ok(())
}

/// Drops `name` on the server of `admin_url`, and every database named `name_*` after it.
async fn drop_databases(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let admin = admin_pool(admin_url).await;
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $1 || '\\_%'",
    )
    .bind(name)
    .fetch_all(&admin)
    .await?;
    for name in names {
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&admin)
            .await?;
    }
    Ok(())
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime; clean up on a thread with a runtime of its own.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                drop_databases(&format!("{}/postgres", LOCAL.write_base), &name).await?;
                drop_databases(&format!("{}/postgres", LOCAL.read_base), &name).await?;
                delete_broker_users(&name).await?;
                management(reqwest::Method::DELETE, &format!("/vhosts/{name}"))
                    .send()
                    .await?;
                anyhow::Ok(())
            })
        });
        if let Ok(Err(error)) = cleanup.join() {
            eprintln!("cleanup of {} failed: {error:#}", self.name);
        }
    }
}
