//! The lapin implementation against the real broker (127.0.0.1:5672, or
//! `DATAPROF_TEST_AMQP_URL`). Each test uses its own queue prefix and
//! deletes its queues at the end.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dataprof_model::{DataProfile, ProfileStatus};
use dataprof_queue::amqp::{self, AmqpJobSource, AmqpPublisher};
use dataprof_queue::topology::{ATTEMPT_HEADER, DEAD_REASON_HEADER};
use dataprof_queue::{JobDelivery, JobSource, ResultSink, Topology};
use lapin::options::BasicGetOptions;
use lapin::types::AMQPValue;
use lapin::{Channel, Connection};

const WAIT: Duration = Duration::from_secs(10);

fn amqp_url() -> String {
    std::env::var("DATAPROF_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

fn unique_topology(name: &str) -> Topology {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    Topology::new(&format!("t-{name}-{}-{nanos}", std::process::id())).unwrap()
}

async fn setup(name: &str) -> (Connection, AmqpPublisher) {
    let connection = amqp::connect(&amqp_url(), "dataprof-queue-test")
        .await
        .unwrap();
    let publisher = AmqpPublisher::open(&connection, unique_topology(name))
        .await
        .unwrap();
    amqp::declare_topology(publisher.channel(), publisher.topology())
        .await
        .unwrap();
    (connection, publisher)
}

async fn next_job(source: &mut AmqpJobSource) -> dataprof_queue::amqp::AmqpDelivery {
    tokio::time::timeout(WAIT, source.next())
        .await
        .expect("a job within the wait")
        .expect("the consumer is open")
        .expect("a delivery")
}

/// Takes one message from `queue`, polling until one is there.
async fn get_one(channel: &Channel, queue: &str) -> lapin::message::BasicGetMessage {
    let deadline = Instant::now() + WAIT;
    loop {
        let got = channel
            .basic_get(queue.into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap();
        if let Some(message) = got {
            return message;
        }
        assert!(Instant::now() < deadline, "nothing arrived in {queue}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn header<'a>(props: &'a lapin::BasicProperties, key: &str) -> Option<&'a AMQPValue> {
    props.headers().as_ref()?.inner().get(key)
}

#[tokio::test]
async fn a_job_is_retried_after_its_delay_then_dead_lettered() {
    let (connection, publisher) = setup("retry").await;
    // Declaring twice is harmless: every worker does it at start.
    amqp::declare_topology(publisher.channel(), publisher.topology())
        .await
        .unwrap();
    let topology = publisher.topology().clone();
    let body = br#"{"entry_id":"e1","distributions":[]}"#;
    publisher.publish_job(body, "run-1").await.unwrap();

    let mut source = AmqpJobSource::start(&connection, publisher.clone(), 2)
        .await
        .unwrap();
    let first = next_job(&mut source).await;
    assert_eq!(first.body(), body);
    assert_eq!(first.attempt(), 1);
    assert!(!first.redelivered());

    let delay = Duration::from_millis(300);
    let parked_at = Instant::now();
    first.retry_later(delay).await.unwrap();
    let second = next_job(&mut source).await;
    assert!(parked_at.elapsed() >= delay, "came back too early");
    assert_eq!(second.body(), body, "the body is kept byte for byte");
    assert_eq!(second.attempt(), 2);

    second.dead_letter("retries spent").await.unwrap();
    let dead = get_one(publisher.channel(), &topology.dead_queue()).await;
    assert_eq!(dead.delivery.data, body);
    let props = &dead.delivery.properties;
    assert_eq!(
        header(props, DEAD_REASON_HEADER),
        Some(&AMQPValue::LongString("retries spent".into()))
    );
    assert_eq!(
        header(props, ATTEMPT_HEADER),
        Some(&AMQPValue::LongLongInt(2))
    );
    assert_eq!(
        props.message_id().as_ref().map(|s| s.as_str()),
        Some("run-1")
    );
    assert_eq!(*props.delivery_mode(), Some(2));

    source.stop().await.unwrap();
    amqp::delete_topology(publisher.channel(), &topology, &[delay])
        .await
        .unwrap();
    connection.close(200, "done".into()).await.unwrap();
}

#[tokio::test]
async fn results_are_confirmed_and_routed_by_status() {
    let (connection, publisher) = setup("results").await;
    let topology = publisher.topology().clone();
    let mut profile = DataProfile::failed(None, "invalid job message".to_owned());
    profile.run_id = "run-7".to_owned();
    ResultSink::publish(&publisher, &profile).await.unwrap();

    let got = get_one(publisher.channel(), &topology.results_queue()).await;
    assert_eq!(got.delivery.routing_key.as_str(), "profile.failed");
    let props = &got.delivery.properties;
    assert_eq!(
        props.content_type().as_ref().map(|s| s.as_str()),
        Some("application/json")
    );
    assert_eq!(*props.delivery_mode(), Some(2));
    assert_eq!(
        props.correlation_id().as_ref().map(|s| s.as_str()),
        Some("run-7")
    );
    let back: DataProfile = serde_json::from_slice(&got.delivery.data).unwrap();
    assert_eq!(back.status, ProfileStatus::Failed);
    assert_eq!(back.run_id, "run-7");
    assert_eq!(back.error_message.as_deref(), Some("invalid job message"));

    amqp::delete_topology(publisher.channel(), &topology, &[])
        .await
        .unwrap();
    connection.close(200, "done".into()).await.unwrap();
}

#[tokio::test]
async fn an_unacked_job_comes_back_when_its_channel_closes() {
    let (connection, publisher) = setup("unacked").await;
    let topology = publisher.topology().clone();
    publisher.publish_job(b"{}", "run-x").await.unwrap();

    // A second connection takes the job and dies without settling it.
    let other = amqp::connect(&amqp_url(), "dataprof-queue-test-doomed")
        .await
        .unwrap();
    let other_publisher = AmqpPublisher::open(&other, topology.clone()).await.unwrap();
    let mut doomed = AmqpJobSource::start(&other, other_publisher, 1)
        .await
        .unwrap();
    let taken = next_job(&mut doomed).await;
    assert!(!taken.redelivered());
    other.close(320, "simulated crash".into()).await.unwrap();
    drop(taken);

    let mut source = AmqpJobSource::start(&connection, publisher.clone(), 1)
        .await
        .unwrap();
    let again = next_job(&mut source).await;
    assert_eq!(again.body(), b"{}");
    assert!(again.redelivered());
    again.ack().await.unwrap();

    source.stop().await.unwrap();
    amqp::delete_topology(publisher.channel(), &topology, &[])
        .await
        .unwrap();
    connection.close(200, "done".into()).await.unwrap();
}

#[tokio::test]
async fn a_result_with_nowhere_to_go_is_reported_unroutable() {
    let (connection, publisher) = setup("unroutable").await;
    let topology = publisher.topology().clone();
    // Without the results queue, a result has nowhere to go: the publish
    // must fail rather than vanish.
    publisher
        .channel()
        .queue_delete(
            topology.results_queue().into(),
            lapin::options::QueueDeleteOptions::default(),
        )
        .await
        .unwrap();
    let profile = DataProfile::failed(None, "x".to_owned());
    let err = ResultSink::publish(&publisher, &profile).await.unwrap_err();
    assert!(
        err.needs_reconnect(),
        "redeclaring the topology is the cure: {err}"
    );
    assert!(err.to_string().contains("no queue is bound"), "{err}");

    amqp::delete_topology(publisher.channel(), &topology, &[])
        .await
        .unwrap();
    connection.close(200, "done".into()).await.unwrap();
}
