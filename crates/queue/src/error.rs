//! What can go wrong talking to a broker.

/// A broker operation that did not complete.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The AMQP client reported an error (connection or channel closed,
    /// protocol error, refused declaration...).
    #[error("{context}: {source}")]
    Broker {
        context: &'static str,
        #[source]
        source: Box<lapin::Error>,
    },
    /// The channel the delivery came on is gone; the broker will redeliver.
    #[error("the delivery's channel is closed; the broker will redeliver it")]
    ChannelClosed,
    /// The broker negatively confirmed a publish.
    #[error("the broker refused the message published to {exchange:?}")]
    Nacked { exchange: String },
    /// A mandatory publish matched no queue.
    #[error("no queue is bound to {exchange:?} for routing key {routing_key:?}")]
    Unroutable {
        exchange: String,
        routing_key: String,
    },
    /// The queue prefix cannot make valid AMQP names.
    #[error("invalid queue prefix {prefix:?}: {reason}")]
    InvalidPrefix {
        prefix: String,
        reason: &'static str,
    },
    /// A result could not be serialised (never expected for `DataProfile`).
    #[error("cannot encode the message: {0}")]
    Encode(#[from] serde_json::Error),
    /// A failure injected into the in-memory broker by a test.
    #[error("in-memory broker: {0}")]
    Injected(&'static str),
}

impl QueueError {
    pub(crate) fn broker(context: &'static str, source: lapin::Error) -> Self {
        QueueError::Broker {
            context,
            source: Box::new(source),
        }
    }

    /// True when the connection, a channel or the topology is broken, so
    /// that reconnecting (which declares the topology again) is the cure;
    /// false when the broker refused one message.
    pub fn needs_reconnect(&self) -> bool {
        matches!(
            self,
            QueueError::Broker { .. } | QueueError::ChannelClosed | QueueError::Unroutable { .. }
        )
    }
}
