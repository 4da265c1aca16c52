//! The broker as the worker loop sees it.

use std::future::Future;
use std::time::Duration;

use dataprof_model::DataProfile;

use crate::QueueError;

/// A job message taken from the queue, to be settled exactly once.
///
/// Every settle method consumes the delivery. When one fails, the message
/// stays with the broker (requeued, or redelivered when its channel
/// closes): a failed settle never loses a job. Dropping a delivery without
/// settling it leaves it unacknowledged; the broker takes it back when the
/// channel closes.
pub trait JobDelivery: Send + 'static {
    /// The message body, exactly as published.
    fn body(&self) -> &[u8];

    /// 1 on the first attempt, counting retries scheduled by workers (not
    /// redeliveries after a crash or a lost connection).
    fn attempt(&self) -> u32;

    /// True when the broker delivered this message before and it was not
    /// acknowledged.
    fn redelivered(&self) -> bool;

    /// Done with the job: remove it from the queue.
    fn ack(self) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Runs the job again after `delay`, as attempt `attempt() + 1`, without
    /// holding it in this worker meanwhile.
    fn retry_later(self, delay: Duration) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Gives up on the job: it moves to the dead-letter queue with `reason`.
    fn dead_letter(self, reason: &str) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Puts the job back in the queue at once, for another worker.
    fn requeue(self) -> impl Future<Output = Result<(), QueueError>> + Send;
}

/// A stream of job deliveries.
pub trait JobSource: Send {
    type Delivery: JobDelivery;

    /// The next delivery. `None` means the source ended (cancelled by the
    /// broker, connection closed); an error says why it broke.
    fn next(&mut self) -> impl Future<Output = Option<Result<Self::Delivery, QueueError>>> + Send;

    /// Stops taking deliveries. Deliveries already taken stay valid and
    /// must still be settled.
    fn stop(&mut self) -> impl Future<Output = Result<(), QueueError>> + Send;
}

/// Where results go.
pub trait ResultSink: Send + Sync + 'static {
    /// Publishes one `data_profile`; returns once the broker has confirmed
    /// it (stored it durably), so the job can be acknowledged.
    fn publish(&self, profile: &DataProfile)
    -> impl Future<Output = Result<(), QueueError>> + Send;
}
