//! The broker side of dataprof: where jobs come from and where profiles go.
//!
//! Workers see the broker through two small traits ([`JobSource`] with its
//! [`JobDelivery`], and [`ResultSink`]), so the consumer loop can be tested
//! without RabbitMQ. Two implementations exist:
//!
//! - [`amqp`]: RabbitMQ through lapin. Publisher confirms on, persistent
//!   messages, retries through per-delay retry queues, dead letters.
//! - [`memory`]: an in-process broker with the same settle semantics, for
//!   tests.
//!
//! Layout:
//! - [`topology`]: the queue and exchange names, derived from one prefix.
//! - [`retry`]: the back-off schedule for transient faults.
//! - [`transport`]: the traits.
//! - [`error`]: what can go wrong talking to a broker.
//!
//! The delivery contract (see `design.md` next to this file): a delivery is
//! settled exactly once, by `ack`, `retry_later`, `dead_letter` or
//! `requeue`. A delivery dropped unsettled stays with the broker and comes
//! back when its channel closes. A settle that fails leaves the message with
//! the broker too, so nothing is lost; at worst a job runs twice, and its
//! result keeps the same `run_id`.

pub mod amqp;
pub mod error;
pub mod memory;
pub mod retry;
pub mod topology;
pub mod transport;

pub use error::QueueError;
pub use retry::RetryPolicy;
pub use topology::Topology;
pub use transport::{JobDelivery, JobSource, ResultSink};
