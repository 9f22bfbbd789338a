//! A fresh write database and RabbitMQ vhost per test, dropped when the test ends.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

const WRITE_ADMIN_URL: &str = "postgres://notify:notify@127.0.0.1:5678/postgres";
const WRITE_BASE_URL: &str = "postgres://notify:notify@127.0.0.1:5678";
const READ_ADMIN_URL: &str = "postgres://notify:notify@127.0.0.1:5432/postgres";
/// The read PostgreSQL server (its host and port), for tests that put a proxy in front of it.
pub const READ_SERVER: &str = "127.0.0.1:5432";
const AMQP_BASE_URL: &str = "amqp://notify:notify@127.0.0.1:5672";
const MANAGEMENT_URL: &str = "http://127.0.0.1:15672/api";
const MANAGEMENT_USER: (&str, &str) = ("notify", "notify");

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
    create_database(READ_ADMIN_URL, name).await;
    format!("postgres://notify:notify@{READ_SERVER}/{name}")
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
        create_database(WRITE_ADMIN_URL, &name).await;
        let read_url = create_read_database(&name).await;
        let write_url = format!("{WRITE_BASE_URL}/{name}");
        let write = PgPoolOptions::new()
            .max_connections(4)
            .connect(&write_url)
            .await
            .expect("connect to the test database");
        notify_server::db::WRITE_MIGRATIONS
            .run(&write)
            .await
            .expect("migrate the test database");

        let http = reqwest::Client::new();
        let vhost_url = format!("{MANAGEMENT_URL}/vhosts/{name}");
        http.put(&vhost_url)
            .basic_auth(MANAGEMENT_USER.0, Some(MANAGEMENT_USER.1))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("create test vhost (is the RabbitMQ management API up?)");
        http.put(format!(
            "{MANAGEMENT_URL}/permissions/{name}/{}",
            MANAGEMENT_USER.0
        ))
        .basic_auth(MANAGEMENT_USER.0, Some(MANAGEMENT_USER.1))
        .json(&serde_json::json!({"configure": ".*", "write": ".*", "read": ".*"}))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .expect("grant the test vhost");
        let amqp_url = format!("{AMQP_BASE_URL}/{name}");
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
    let http = reqwest::Client::new();
    let users: Vec<serde_json::Value> = http
        .get(format!("{MANAGEMENT_URL}/users"))
        .basic_auth(MANAGEMENT_USER.0, Some(MANAGEMENT_USER.1))
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
        http.delete(format!("{MANAGEMENT_URL}/users/{user}"))
            .basic_auth(MANAGEMENT_USER.0, Some(MANAGEMENT_USER.1))
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
                drop_databases(WRITE_ADMIN_URL, &name).await?;
                drop_databases(READ_ADMIN_URL, &name).await?;
                delete_broker_users(&name).await?;
                reqwest::Client::new()
                    .delete(format!("{MANAGEMENT_URL}/vhosts/{name}"))
                    .basic_auth(MANAGEMENT_USER.0, Some(MANAGEMENT_USER.1))
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
