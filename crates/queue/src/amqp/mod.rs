//! RabbitMQ through lapin: topology, a confirmed publisher, a consumer.
//!
//! One connection per worker, with two channels: one consumes jobs (QoS =
//! the worker's concurrency), the other publishes with confirms (results,
//! retries, dead letters). There is no automatic recovery here: when the
//! connection breaks, the worker drops both channels, reconnects and
//! declares the topology again; the broker redelivers what was unacked.

mod consumer;
mod declare;
mod headers;
mod publisher;

pub use consumer::{AmqpDelivery, AmqpJobSource};
pub use declare::{declare_topology, delete_topology};
pub use lapin::{self, Connection};
pub use publisher::AmqpPublisher;

use lapin::ConnectionProperties;

use crate::QueueError;

/// Opens a connection to the broker at `url`, shown as `name` in the
/// management UI. Must run inside a Tokio runtime.
pub async fn connect(url: &str, name: &str) -> Result<Connection, QueueError> {
    let properties = ConnectionProperties::default().with_connection_name(name.into());
    Connection::connect(url, properties)
        .await
        .map_err(|e| QueueError::broker("connecting to the broker", e))
}
