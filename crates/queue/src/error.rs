//! What can go wrong talking to a broker.

use lapin::protocol::{AMQPErrorKind, AMQPHardError, AMQPSoftError};

/// A broker operation that did not complete.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The AMQP client reported an error (connection or channel closed,
    /// protocol error, refused declaration...).
    ///
    /// The cause is part of the message rather than a `source`: lapin's
    /// own message already carries its causes, and chaining them again
    /// would print each twice.
    #[error("{context}: {cause}")]
    Broker {
        context: &'static str,
        cause: Box<lapin::Error>,
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
            cause: Box::new(source),
        }
    }

    /// True when the broker refused the credentials, the virtual host or
    /// a permission: a setting to fix, which no reconnection can cure.
    pub fn is_access_refused(&self) -> bool {
        let QueueError::Broker { cause, .. } = self else {
            return false;
        };
        let lapin::ErrorKind::ProtocolError(amqp) = cause.kind() else {
            return false;
        };
        matches!(
            amqp.kind(),
            AMQPErrorKind::Soft(AMQPSoftError::ACCESSREFUSED)
                | AMQPErrorKind::Hard(AMQPHardError::NOTALLOWED)
        )
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
