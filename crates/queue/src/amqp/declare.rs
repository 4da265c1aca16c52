//! Declares dataprof's queues and exchanges, idempotently: every worker and
//! every `enqueue` declares them with the same arguments at start.
//!
//! The arguments are part of the contract: RabbitMQ refuses a declaration
//! whose arguments differ from the existing queue's (PRECONDITION_FAILED).

use std::time::Duration;

use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, ExchangeKind};

use crate::topology::{JOB_DELIVERY_LIMIT, RETRY_QUEUE_IDLE_EXPIRY};
use crate::{QueueError, Topology};

/// Declares the jobs, dead-letter and results exchanges and queues, and
/// binds them.
pub async fn declare_topology(channel: &Channel, topology: &Topology) -> Result<(), QueueError> {
    let fail = |e| QueueError::broker("declaring the topology", e);
    let durable_exchange = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    for (name, kind) in [
        (topology.jobs_exchange(), ExchangeKind::Direct),
        (topology.dead_exchange(), ExchangeKind::Fanout),
        (topology.results_exchange(), ExchangeKind::Topic),
    ] {
        channel
            .exchange_declare(name.into(), kind, durable_exchange, FieldTable::default())
            .await
            .map_err(fail)?;
    }

    declare_durable(channel, &topology.dead_queue(), FieldTable::default())
        .await
        .map_err(fail)?;
    bind(
        channel,
        &topology.dead_queue(),
        &topology.dead_exchange(),
        "",
    )
    .await
    .map_err(fail)?;

    declare_durable(
        channel,
        &topology.jobs_queue(),
        jobs_queue_arguments(topology),
    )
    .await
    .map_err(fail)?;
    bind(
        channel,
        &topology.jobs_queue(),
        &topology.jobs_exchange(),
        &topology.jobs_routing_key(),
    )
    .await
    .map_err(fail)?;

    declare_durable(channel, &topology.results_queue(), FieldTable::default())
        .await
        .map_err(fail)?;
    bind(
        channel,
        &topology.results_queue(),
        &topology.results_exchange(),
        topology.results_binding(),
    )
    .await
    .map_err(fail)
}

/// Declares the queue jobs wait `delay` in before going back to the jobs
/// exchange.
pub(crate) async fn declare_retry_queue(
    channel: &Channel,
    topology: &Topology,
    delay: Duration,
) -> Result<String, QueueError> {
    let name = topology.retry_queue(delay);
    let ttl_ms = millis(delay);
    let mut arguments = FieldTable::default();
    arguments.insert("x-message-ttl".into(), AMQPValue::LongLongInt(ttl_ms));
    arguments.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(topology.jobs_exchange().into()),
    );
    arguments.insert(
        "x-dead-letter-routing-key".into(),
        AMQPValue::LongString(topology.jobs_routing_key().into()),
    );
    let expires_ms = ttl_ms.saturating_add(millis(RETRY_QUEUE_IDLE_EXPIRY));
    arguments.insert("x-expires".into(), AMQPValue::LongLongInt(expires_ms));
    declare_durable(channel, &name, arguments)
        .await
        .map_err(|e| QueueError::broker("declaring a retry queue", e))?;
    Ok(name)
}

/// Deletes every queue and exchange of `topology`, with the retry queues
/// for `retry_delays`. Meant for tests and for retiring a tenant.
pub async fn delete_topology(
    channel: &Channel,
    topology: &Topology,
    retry_delays: &[Duration],
) -> Result<(), QueueError> {
    let fail = |e| QueueError::broker("deleting the topology", e);
    let mut queues = vec![
        topology.jobs_queue(),
        topology.dead_queue(),
        topology.results_queue(),
    ];
    queues.extend(retry_delays.iter().map(|d| topology.retry_queue(*d)));
    for queue in queues {
        channel
            .queue_delete(queue.into(), QueueDeleteOptions::default())
            .await
            .map_err(fail)?;
    }
    for exchange in [
        topology.jobs_exchange(),
        topology.dead_exchange(),
        topology.results_exchange(),
    ] {
        channel
            .exchange_delete(exchange.into(), ExchangeDeleteOptions::default())
            .await
            .map_err(fail)?;
    }
    Ok(())
}

/// The jobs queue is a quorum queue (replicated, durable); what it rejects
/// or redelivers too often goes to the dead-letter exchange.
fn jobs_queue_arguments(topology: &Topology) -> FieldTable {
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    arguments.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(topology.dead_exchange().into()),
    );
    arguments.insert(
        "x-delivery-limit".into(),
        AMQPValue::LongLongInt(JOB_DELIVERY_LIMIT),
    );
    arguments
}

async fn declare_durable(
    channel: &Channel,
    name: &str,
    arguments: FieldTable,
) -> lapin::Result<lapin::Queue> {
    let options = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    channel.queue_declare(name.into(), options, arguments).await
}

async fn bind(channel: &Channel, queue: &str, exchange: &str, key: &str) -> lapin::Result<()> {
    channel
        .queue_bind(
            queue.into(),
            exchange.into(),
            key.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
