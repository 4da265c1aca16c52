//! Consuming the jobs queue.

use std::time::Duration;

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions,
};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, Consumer};
use tracing::debug;

use super::AmqpPublisher;
use super::headers;
use crate::{JobDelivery, JobSource, QueueError};

/// A consumer of the jobs queue on its own channel, with at most
/// `prefetch` unacknowledged deliveries.
#[derive(Debug)]
pub struct AmqpJobSource {
    channel: Channel,
    consumer: Consumer,
    publisher: AmqpPublisher,
}

impl AmqpJobSource {
    /// Opens a channel with QoS `prefetch` and starts consuming. Retries
    /// and dead letters go through `publisher`.
    pub async fn start(
        connection: &Connection,
        publisher: AmqpPublisher,
        prefetch: u16,
    ) -> Result<Self, QueueError> {
        let fail = |e| QueueError::broker("starting the consumer", e);
        let channel = connection.create_channel().await.map_err(fail)?;
        channel
            .basic_qos(prefetch, BasicQosOptions::default())
            .await
            .map_err(fail)?;
        let consumer = channel
            .basic_consume(
                publisher.topology().jobs_queue().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(fail)?;
        debug!(consumer_tag = %consumer.tag(), prefetch, "consuming jobs");
        Ok(AmqpJobSource {
            channel,
            consumer,
            publisher,
        })
    }
}

impl JobSource for AmqpJobSource {
    type Delivery = AmqpDelivery;

    async fn next(&mut self) -> Option<Result<AmqpDelivery, QueueError>> {
        let delivery = self.consumer.next().await?;
        Some(
            delivery
                .map(|delivery| AmqpDelivery {
                    delivery,
                    publisher: self.publisher.clone(),
                })
                .map_err(|e| QueueError::broker("receiving a job", e)),
        )
    }

    async fn stop(&mut self) -> Result<(), QueueError> {
        self.channel
            .basic_cancel(self.consumer.tag(), BasicCancelOptions::default())
            .await
            .map_err(|e| QueueError::broker("cancelling the consumer", e))
    }
}

/// A job delivered by RabbitMQ.
#[derive(Debug)]
pub struct AmqpDelivery {
    delivery: Delivery,
    publisher: AmqpPublisher,
}

impl AmqpDelivery {
    async fn acknowledge(&self) -> Result<(), QueueError> {
        match self.delivery.acker.ack(BasicAckOptions::default()).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(QueueError::ChannelClosed),
            Err(e) => Err(QueueError::broker("acknowledging a job", e)),
        }
    }

    /// Best effort after a failed settle: hand the job back now rather
    /// than when the channel closes. On a dead channel this does nothing,
    /// and the broker redelivers anyway.
    async fn give_back(&self) {
        let requeue = BasicNackOptions {
            requeue: true,
            ..BasicNackOptions::default()
        };
        if let Err(e) = self.delivery.acker.nack(requeue).await {
            debug!(error = %e, "job not handed back; the broker redelivers it on channel close");
        }
    }
}

impl JobDelivery for AmqpDelivery {
    fn body(&self) -> &[u8] {
        &self.delivery.data
    }

    fn attempt(&self) -> u32 {
        headers::attempt(&self.delivery.properties)
    }

    fn redelivered(&self) -> bool {
        self.delivery.redelivered
    }

    async fn ack(self) -> Result<(), QueueError> {
        self.acknowledge().await
    }

    async fn retry_later(self, delay: Duration) -> Result<(), QueueError> {
        let properties = &self.delivery.properties;
        let next = headers::for_attempt(properties, self.attempt().saturating_add(1));
        let parked = self
            .publisher
            .publish_retry(&self.delivery.data, properties, next, delay)
            .await;
        if let Err(e) = parked {
            self.give_back().await;
            return Err(e);
        }
        self.acknowledge().await
    }

    async fn dead_letter(self, reason: &str) -> Result<(), QueueError> {
        let properties = &self.delivery.properties;
        let dead = headers::for_dead_letter(properties, reason);
        let moved = self
            .publisher
            .publish_dead_letter(&self.delivery.data, properties, dead)
            .await;
        if let Err(e) = moved {
            self.give_back().await;
            return Err(e);
        }
        self.acknowledge().await
    }

    async fn requeue(self) -> Result<(), QueueError> {
        let requeue = BasicNackOptions {
            requeue: true,
            ..BasicNackOptions::default()
        };
        match self.delivery.acker.nack(requeue).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(QueueError::ChannelClosed),
            Err(e) => Err(QueueError::broker("requeueing a job", e)),
        }
    }
}
