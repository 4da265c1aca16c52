//! The message headers dataprof reads and writes on jobs.

use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable, ShortString};

use crate::topology::{ATTEMPT_HEADER, DEAD_REASON_HEADER};

/// Headers the broker adds on dead-lettering and redelivery; they describe
/// the old message, not the one being republished.
const BROKER_HEADER_PREFIXES: [&str; 4] = [
    "x-death",
    "x-first-death",
    "x-last-death",
    "x-delivery-count",
];

/// The attempt number a job message carries (1 when it has none).
pub(crate) fn attempt(properties: &BasicProperties) -> u32 {
    let value = properties
        .headers()
        .as_ref()
        .and_then(|headers| headers.inner().get(ATTEMPT_HEADER));
    let number = match value {
        Some(AMQPValue::ShortShortInt(n)) => i64::from(*n),
        Some(AMQPValue::ShortShortUInt(n)) => i64::from(*n),
        Some(AMQPValue::ShortInt(n)) => i64::from(*n),
        Some(AMQPValue::ShortUInt(n)) => i64::from(*n),
        Some(AMQPValue::LongInt(n)) => i64::from(*n),
        Some(AMQPValue::LongUInt(n)) => i64::from(*n),
        Some(AMQPValue::LongLongInt(n)) => *n,
        _ => 1,
    };
    u32::try_from(number.max(1)).unwrap_or(u32::MAX)
}

/// The headers of a job republished as attempt `attempt`: the producer's
/// own headers, without the broker's bookkeeping, with the new count.
pub(crate) fn for_attempt(properties: &BasicProperties, attempt: u32) -> FieldTable {
    let mut headers = FieldTable::default();
    if let Some(original) = properties.headers() {
        for (key, value) in original.inner() {
            let key_str = key.as_str();
            let from_broker = BROKER_HEADER_PREFIXES
                .iter()
                .any(|prefix| key_str.starts_with(prefix));
            if !from_broker {
                headers.insert(key.clone(), value.clone());
            }
        }
    }
    headers.insert(
        ATTEMPT_HEADER.into(),
        AMQPValue::LongLongInt(i64::from(attempt)),
    );
    headers
}

/// The headers of a dead letter: the job's, plus why it was given up.
pub(crate) fn for_dead_letter(properties: &BasicProperties, reason: &str) -> FieldTable {
    let mut headers = for_attempt(properties, attempt(properties));
    headers.insert(
        DEAD_REASON_HEADER.into(),
        AMQPValue::LongString(reason.into()),
    );
    headers
}

/// A short-string property from untrusted text, or None when it does not
/// fit AMQP's 255-byte limit.
pub(crate) fn short(text: &str) -> Option<ShortString> {
    ShortString::try_new(text).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn with_headers(pairs: &[(&str, AMQPValue)]) -> BasicProperties {
        let mut headers = FieldTable::default();
        for (k, v) in pairs {
            headers.insert((*k).into(), v.clone());
        }
        BasicProperties::default().with_headers(headers)
    }

    #[test]
    fn attempt_defaults_to_one_and_reads_any_integer() {
        assert_eq!(attempt(&BasicProperties::default()), 1);
        let p = with_headers(&[(ATTEMPT_HEADER, AMQPValue::LongInt(3))]);
        assert_eq!(attempt(&p), 3);
        let p = with_headers(&[(ATTEMPT_HEADER, AMQPValue::ShortShortUInt(7))]);
        assert_eq!(attempt(&p), 7);
        let p = with_headers(&[(ATTEMPT_HEADER, AMQPValue::LongLongInt(-4))]);
        assert_eq!(attempt(&p), 1);
        let p = with_headers(&[(ATTEMPT_HEADER, AMQPValue::LongString("2".into()))]);
        assert_eq!(attempt(&p), 1);
    }

    #[test]
    fn republished_headers_keep_the_producers_and_drop_the_brokers() {
        let p = with_headers(&[
            ("tenant", AMQPValue::LongString("t1".into())),
            ("x-death", AMQPValue::Void),
            ("x-delivery-count", AMQPValue::LongInt(2)),
            (ATTEMPT_HEADER, AMQPValue::LongInt(1)),
        ]);
        let headers = for_attempt(&p, 2);
        let keys: Vec<&str> = headers.inner().keys().map(ShortString::as_str).collect();
        assert_eq!(keys, vec![ATTEMPT_HEADER, "tenant"]);
        assert_eq!(
            headers.inner().get(ATTEMPT_HEADER),
            Some(&AMQPValue::LongLongInt(2))
        );
        let dead = for_dead_letter(&p, "retries spent");
        assert_eq!(
            dead.inner().get(DEAD_REASON_HEADER),
            Some(&AMQPValue::LongString("retries spent".into()))
        );
        assert_eq!(
            dead.inner().get(ATTEMPT_HEADER),
            Some(&AMQPValue::LongLongInt(1))
        );
    }

    #[test]
    fn long_text_does_not_become_a_short_string() {
        assert!(short("run-1").is_some());
        assert!(short(&"r".repeat(256)).is_none());
    }
}
