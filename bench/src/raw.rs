//! The physical limits the system is compared with, measured in the same run: RabbitMQ
//! persistent publishes with confirms into a quorum queue, consumed with acks; and PostgreSQL
//! single-row commits.
//!
//! Its measurements must not go through notify's code: plain lapin and sqlx against the same
//! services.

use std::time::{Duration, Instant};

use futures::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Connection, ConnectionProperties};
use notify_tests::TestEnv;

/// Messages in flight before the publisher waits for confirms, as the relay does.
const WINDOW: usize = 500;

/// Persistent 1 KiB messages published with confirms into a quorum queue while a consumer
/// acks them; the rate at which they come out.
pub async fn broker(env: &TestEnv, messages: usize) -> anyhow::Result<f64> {
    let connection = Connection::connect(&env.amqp_url, ConnectionProperties::default()).await?;
    let publisher = connection.create_channel().await?;
    let consumer = connection.create_channel().await?;
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    let durable = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    publisher
        .queue_declare("bench.raw".into(), durable, arguments)
        .await?;
    publisher
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    consumer
        .basic_qos(WINDOW as u16, BasicQosOptions::default())
        .await?;
    let mut deliveries = consumer
        .basic_consume(
            "bench.raw".into(),
            "bench".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let started = Instant::now();
    let consume = tokio::spawn(async move {
        let mut got = 0;
        while got < messages {
            let Some(Ok(delivery)) = deliveries.next().await else {
                break;
            };
            delivery.ack(BasicAckOptions::default()).await?;
            got += 1;
        }
        anyhow::Ok(got)
    });
    let body = vec![b'x'; 1024];
    let persistent = BasicProperties::default().with_delivery_mode(2);
    let mut pending = Vec::with_capacity(WINDOW);
    for _ in 0..messages {
        pending.push(
            publisher
                .basic_publish(
                    "".into(),
                    "bench.raw".into(),
                    BasicPublishOptions::default(),
                    &body,
                    persistent.clone(),
                )
                .await?,
        );
        if pending.len() == WINDOW {
            for confirm in pending.drain(..) {
                confirm.await?;
            }
        }
    }
    for confirm in pending {
        confirm.await?;
    }
    let got = consume.await??;
    let elapsed = started.elapsed();
    connection.close(200, "done".into()).await?;
    anyhow::ensure!(got == messages, "consumed {got} of {messages}");
    Ok(crate::report::rate(messages, elapsed))
}

/// Single-row `INSERT` commits on the write PostgreSQL: (one connection, `parallel`
/// connections) commits per second.
pub async fn postgres(
    env: &TestEnv,
    commits: usize,
    parallel: usize,
) -> anyhow::Result<(f64, f64)> {
    sqlx::query("CREATE TABLE bench_raw (id bigserial PRIMARY KEY, payload text NOT NULL)")
        .execute(&env.write)
        .await?;
    let one = commit_loop(&env.write_url, commits).await?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..parallel {
        let url = env.write_url.clone();
        tasks.push(tokio::spawn(async move {
            commit_loop(&url, commits / parallel).await
        }));
    }
    for task in tasks {
        task.await??;
    }
    let many = crate::report::rate(commits / parallel * parallel, started.elapsed());
    Ok((one, many))
}

/// `commits` autocommitted single-row inserts on one connection; their rate.
async fn commit_loop(url: &str, commits: usize) -> anyhow::Result<f64> {
    use sqlx::Connection as _;
    let mut connection = sqlx::PgConnection::connect(url).await?;
    let started = Instant::now();
    for _ in 0..commits {
        sqlx::query("INSERT INTO bench_raw (payload) VALUES ('x')")
            .execute(&mut connection)
            .await?;
    }
    Ok(crate::report::rate(
        commits,
        started.elapsed().max(Duration::from_nanos(1)),
    ))
}
