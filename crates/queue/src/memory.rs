//! An in-process broker with the settle semantics of the RabbitMQ one, so
//! the worker loop can be tested without a broker.
//!
//! A delivery dropped unsettled goes back to the queue as redelivered, as
//! it would when its channel closes. Retries wait their delay on a timer
//! task, not in the worker. Publishing can be made to fail on demand.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use dataprof_model::DataProfile;
use tokio::sync::Notify;

use crate::{JobDelivery, JobSource, QueueError, ResultSink};

/// A job given up on, as it sits in the dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub body: Vec<u8>,
    pub attempt: u32,
    pub reason: String,
}

/// One scheduled retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledRetry {
    /// The attempt that failed.
    pub attempt: u32,
    pub delay: Duration,
}

/// What the broker holds, copied out for assertions.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Messages waiting for a consumer (retries still on their timer are
    /// not counted).
    pub ready: usize,
    /// Deliveries taken and not settled yet.
    pub unsettled: usize,
    pub acked: usize,
    pub requeued: usize,
    /// Deliveries that went back to the queue because they were dropped
    /// unsettled (a closed channel, in RabbitMQ terms).
    pub returned: usize,
    pub retries: Vec<ScheduledRetry>,
    pub dead_letters: Vec<DeadLetter>,
    pub results: Vec<DataProfile>,
}

#[derive(Debug, Clone)]
struct Message {
    body: Vec<u8>,
    attempt: u32,
    redelivered: bool,
}

#[derive(Debug, Default)]
struct State {
    ready: VecDeque<Message>,
    snapshot: Snapshot,
    /// Sources end (as on a lost connection) once this is set.
    closed: bool,
    /// Publishes that will fail before one succeeds again.
    failing_publishes: usize,
}

/// The in-memory broker; clones share one state.
#[derive(Debug, Clone, Default)]
pub struct MemoryBroker {
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
}

impl MemoryBroker {
    pub fn new() -> Self {
        MemoryBroker::default()
    }

    /// Enqueues a job message as a producer would.
    pub fn push_job(&self, body: impl Into<Vec<u8>>) {
        self.enqueue(Message {
            body: body.into(),
            attempt: 1,
            redelivered: false,
        });
    }

    /// A consumer of the jobs queue.
    pub fn source(&self) -> MemorySource {
        MemorySource {
            broker: self.clone(),
            stopped: false,
        }
    }

    /// A publisher of results.
    pub fn sink(&self) -> MemorySink {
        MemorySink {
            broker: self.clone(),
        }
    }

    /// Ends every source, as a lost connection would.
    pub fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_waiters();
    }

    /// Makes the next `count` result publishes fail.
    pub fn fail_next_publishes(&self, count: usize) {
        self.lock().failing_publishes = count;
    }

    /// A copy of what the broker holds now.
    pub fn snapshot(&self) -> Snapshot {
        let state = self.lock();
        let mut snapshot = state.snapshot.clone();
        snapshot.ready = state.ready.len();
        snapshot
    }

    /// Waits until `done` holds for the broker's state, or `timeout`
    /// passes; returns the last snapshot either way.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&Snapshot) -> bool,
    ) -> Snapshot {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let snapshot = self.snapshot();
            if done(&snapshot) {
                return snapshot;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.snapshot();
            }
        }
    }

    fn enqueue(&self, message: Message) {
        self.lock().ready.push_back(message);
        self.changed.notify_waiters();
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.lock());
        self.changed.notify_waiters();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock has failed already;
        // the state is still worth reading.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A consumer of the in-memory jobs queue.
#[derive(Debug)]
pub struct MemorySource {
    broker: MemoryBroker,
    stopped: bool,
}

impl JobSource for MemorySource {
    type Delivery = MemoryDelivery;

    async fn next(&mut self) -> Option<Result<MemoryDelivery, QueueError>> {
        loop {
            let notified = self.broker.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.broker.lock();
                if self.stopped || state.closed {
                    return None;
                }
                if let Some(message) = state.ready.pop_front() {
                    state.snapshot.unsettled += 1;
                    drop(state);
                    self.broker.changed.notify_waiters();
                    return Some(Ok(MemoryDelivery {
                        message,
                        broker: self.broker.clone(),
                        settled: false,
                    }));
                }
            }
            notified.await;
        }
    }

    async fn stop(&mut self) -> Result<(), QueueError> {
        self.stopped = true;
        Ok(())
    }
}

/// A job taken from the in-memory queue.
#[derive(Debug)]
pub struct MemoryDelivery {
    message: Message,
    broker: MemoryBroker,
    settled: bool,
}

impl MemoryDelivery {
    /// Marks the delivery settled and records the outcome.
    fn settle(mut self, record: impl FnOnce(&mut State, &Message)) {
        self.settled = true;
        let message = self.message.clone();
        self.broker.update(|state| {
            state.snapshot.unsettled -= 1;
            record(state, &message);
        });
    }
}

impl JobDelivery for MemoryDelivery {
    fn body(&self) -> &[u8] {
        &self.message.body
    }

    fn attempt(&self) -> u32 {
        self.message.attempt
    }

    fn redelivered(&self) -> bool {
        self.message.redelivered
    }

    async fn ack(self) -> Result<(), QueueError> {
        self.settle(|state, _| state.snapshot.acked += 1);
        Ok(())
    }

    async fn retry_later(self, delay: Duration) -> Result<(), QueueError> {
        let broker = self.broker.clone();
        let mut again = self.message.clone();
        self.settle(|state, message| {
            state.snapshot.retries.push(ScheduledRetry {
                attempt: message.attempt,
                delay,
            });
        });
        again.attempt += 1;
        again.redelivered = false;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            broker.enqueue(again);
        });
        Ok(())
    }

    async fn dead_letter(self, reason: &str) -> Result<(), QueueError> {
        let reason = reason.to_owned();
        self.settle(|state, message| {
            state.snapshot.dead_letters.push(DeadLetter {
                body: message.body.clone(),
                attempt: message.attempt,
                reason,
            });
        });
        Ok(())
    }

    async fn requeue(self) -> Result<(), QueueError> {
        self.settle(|state, message| {
            state.snapshot.requeued += 1;
            let mut again = message.clone();
            again.redelivered = true;
            state.ready.push_back(again);
        });
        Ok(())
    }
}

impl Drop for MemoryDelivery {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let mut again = self.message.clone();
        again.redelivered = true;
        self.broker.update(|state| {
            state.snapshot.unsettled -= 1;
            state.snapshot.returned += 1;
            state.ready.push_back(again);
        });
    }
}

/// A publisher of results into the in-memory broker.
#[derive(Debug, Clone)]
pub struct MemorySink {
    broker: MemoryBroker,
}

impl ResultSink for MemorySink {
    async fn publish(&self, profile: &DataProfile) -> Result<(), QueueError> {
        let mut state = self.broker.lock();
        if state.failing_publishes > 0 {
            state.failing_publishes -= 1;
            return Err(QueueError::Injected("publish refused"));
        }
        state.snapshot.results.push(profile.clone());
        drop(state);
        self.broker.changed.notify_waiters();
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const WAIT: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn a_dropped_delivery_comes_back_redelivered() {
        let broker = MemoryBroker::new();
        broker.push_job(b"one".to_vec());
        let mut source = broker.source();
        let first = source.next().await.unwrap().unwrap();
        assert_eq!(first.body(), b"one");
        assert!(!first.redelivered());
        assert_eq!(broker.snapshot().unsettled, 1);
        drop(first);
        let snapshot = broker.snapshot();
        assert_eq!((snapshot.unsettled, snapshot.returned), (0, 1));
        let again = source.next().await.unwrap().unwrap();
        assert!(again.redelivered());
        again.ack().await.unwrap();
        assert_eq!(broker.snapshot().acked, 1);
    }

    #[tokio::test]
    async fn a_retry_comes_back_after_its_delay_with_the_next_attempt() {
        let broker = MemoryBroker::new();
        broker.push_job(b"job".to_vec());
        let mut source = broker.source();
        let delivery = source.next().await.unwrap().unwrap();
        assert_eq!(delivery.attempt(), 1);
        let started = tokio::time::Instant::now();
        delivery
            .retry_later(Duration::from_millis(50))
            .await
            .unwrap();
        assert_eq!(broker.snapshot().ready, 0);
        let again = source.next().await.unwrap().unwrap();
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert_eq!(again.attempt(), 2);
        again.dead_letter("gave up").await.unwrap();
        let snapshot = broker.snapshot();
        assert_eq!(snapshot.dead_letters.len(), 1);
        assert_eq!(snapshot.dead_letters[0].reason, "gave up");
        assert_eq!(snapshot.dead_letters[0].attempt, 2);
        assert_eq!(
            snapshot.retries,
            vec![ScheduledRetry {
                attempt: 1,
                delay: Duration::from_millis(50)
            }]
        );
    }

    #[tokio::test]
    async fn closing_and_stopping_end_the_source() {
        let broker = MemoryBroker::new();
        let mut source = broker.source();
        let waiter = tokio::spawn(async move { source.next().await.is_none() });
        tokio::task::yield_now().await;
        broker.close();
        assert!(tokio::time::timeout(WAIT, waiter).await.unwrap().unwrap());

        let broker = MemoryBroker::new();
        broker.push_job(b"x".to_vec());
        let mut source = broker.source();
        source.stop().await.unwrap();
        assert!(source.next().await.is_none());
        assert_eq!(broker.snapshot().ready, 1);
    }

    #[tokio::test]
    async fn injected_publish_failures_are_counted_down() {
        let broker = MemoryBroker::new();
        broker.fail_next_publishes(1);
        let sink = broker.sink();
        let profile = DataProfile::failed(None, "x".to_owned());
        assert!(sink.publish(&profile).await.is_err());
        sink.publish(&profile).await.unwrap();
        let snapshot = broker.wait_until(WAIT, |s| !s.results.is_empty()).await;
        assert_eq!(snapshot.results.len(), 1);
    }
}
