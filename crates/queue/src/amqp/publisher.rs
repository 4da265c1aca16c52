//! Publishing with publisher confirms: a publish returns only once the
//! broker has taken responsibility for the message.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dataprof_model::DataProfile;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Confirmation, Connection};
use tracing::debug;

use super::declare::declare_retry_queue;
use super::headers;
use crate::{QueueError, ResultSink, Topology};

/// AMQP delivery mode of messages written to disk.
const PERSISTENT: u8 = 2;

/// A channel in confirm mode, publishing dataprof's messages. Clones share
/// the channel.
#[derive(Debug, Clone)]
pub struct AmqpPublisher {
    channel: Channel,
    topology: Arc<Topology>,
}

impl AmqpPublisher {
    /// Opens a channel on `connection` and turns publisher confirms on.
    pub async fn open(connection: &Connection, topology: Topology) -> Result<Self, QueueError> {
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| QueueError::broker("opening the publishing channel", e))?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| QueueError::broker("enabling publisher confirms", e))?;
        Ok(AmqpPublisher {
            channel,
            topology: Arc::new(topology),
        })
    }

    /// The channel, for declarations.
    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Publishes a job message to the jobs exchange; `run_id` becomes the
    /// message id.
    pub async fn publish_job(&self, body: &[u8], run_id: &str) -> Result<(), QueueError> {
        let mut properties = json_properties().with_type("dataprof.job".into());
        if let Some(id) = headers::short(run_id) {
            properties = properties.with_message_id(id);
        }
        self.publish(
            &self.topology.jobs_exchange(),
            &self.topology.jobs_routing_key(),
            body,
            properties,
        )
        .await
    }

    /// Parks a job in the retry queue for `delay`, with `headers` (the
    /// next attempt number among them).
    pub(crate) async fn publish_retry(
        &self,
        body: &[u8],
        original: &BasicProperties,
        headers: FieldTable,
        delay: Duration,
    ) -> Result<(), QueueError> {
        let queue = declare_retry_queue(&self.channel, &self.topology, delay).await?;
        let properties = republished(original).with_headers(headers);
        self.publish("", &queue, body, properties).await
    }

    /// Moves a job to the dead-letter exchange.
    pub(crate) async fn publish_dead_letter(
        &self,
        body: &[u8],
        original: &BasicProperties,
        headers: FieldTable,
    ) -> Result<(), QueueError> {
        let properties = republished(original).with_headers(headers);
        self.publish(
            &self.topology.dead_exchange(),
            &self.topology.jobs_routing_key(),
            body,
            properties,
        )
        .await
    }

    /// Publishes `body` as a mandatory, persistent message and waits for
    /// the broker's confirm.
    async fn publish(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        properties: BasicProperties,
    ) -> Result<(), QueueError> {
        let options = BasicPublishOptions {
            mandatory: true,
            ..BasicPublishOptions::default()
        };
        let confirmation = self
            .channel
            .basic_publish(
                exchange.into(),
                routing_key.into(),
                options,
                body,
                properties,
            )
            .await
            .map_err(|e| QueueError::broker("publishing", e))?
            .await
            .map_err(|e| QueueError::broker("waiting for the publish confirm", e))?;
        match confirmation {
            Confirmation::Ack(None) | Confirmation::NotRequested => {
                debug!(
                    exchange,
                    routing_key,
                    bytes = body.len(),
                    "message confirmed"
                );
                Ok(())
            }
            Confirmation::Ack(Some(_)) => Err(QueueError::Unroutable {
                exchange: exchange.to_owned(),
                routing_key: routing_key.to_owned(),
            }),
            Confirmation::Nack(_) => Err(QueueError::Nacked {
                exchange: exchange.to_owned(),
            }),
        }
    }
}

impl ResultSink for AmqpPublisher {
    async fn publish(&self, profile: &DataProfile) -> Result<(), QueueError> {
        let body = serde_json::to_vec(profile)?;
        let mut properties = json_properties().with_type("dataprof.data_profile".into());
        if let Some(id) = headers::short(&profile.id) {
            properties = properties.with_message_id(id);
        }
        if let Some(run_id) = headers::short(&profile.run_id) {
            properties = properties.with_correlation_id(run_id);
        }
        let routing_key = self.topology.result_routing_key(profile.status);
        AmqpPublisher::publish(
            self,
            &self.topology.results_exchange(),
            &routing_key,
            &body,
            properties,
        )
        .await
    }
}

/// Persistent JSON, stamped with the time of publishing.
fn json_properties() -> BasicProperties {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    BasicProperties::default()
        .with_delivery_mode(PERSISTENT)
        .with_content_type("application/json".into())
        .with_timestamp(now)
}

/// The properties of a job published again (retry, dead letter): the
/// producer's, made persistent, without a time to live.
fn republished(original: &BasicProperties) -> BasicProperties {
    let mut properties = json_properties();
    if let Some(id) = original.message_id() {
        properties = properties.with_message_id(id.clone());
    }
    if let Some(kind) = original.kind() {
        properties = properties.with_type(kind.clone());
    }
    properties
}
