//! Durable timers: messages an actor sends itself at a given time, kept in its storage so they
//! survive restarts, and multiplexed on the host's one alarm.
//!
//! A timer is the key `__duract/timer/<due ms, 20 digits>/<envelope id>` holding the envelope;
//! the earliest key is the next alarm. When the alarm fires, the host delivers every due
//! envelope to the instance through the normal dispatch, in due order, and removes each timer
//! after its delivery (at least once).

use crate::envelope::Envelope;
use crate::error::Error;
use crate::storage::{ListOptions, Storage, WriteBatch};

/// The storage prefix of every timer key.
pub const PREFIX: &str = "__duract/timer/";

fn due_key(at: f64) -> String {
    format!("{PREFIX}{:020}", at.max(0.0).ceil() as u64)
}

/// The id (storage key) of a timer delivering `envelope` at `at`.
pub fn key(at: f64, envelope: &Envelope) -> String {
    format!("{}/{}", due_key(at), envelope.id)
}

/// Stores a timer that delivers `envelope` at `at`; returns its id (its storage key).
pub async fn schedule(
    storage: &dyn Storage,
    at: f64,
    envelope: &Envelope,
) -> Result<String, Error> {
    let key = key(at, envelope);
    storage.put(&key, envelope.encode()).await?;
    Ok(key)
}

/// Removes a timer.
pub async fn cancel(storage: &dyn Storage, id: &str) -> Result<(), Error> {
    if !id.starts_with(PREFIX) {
        return Ok(());
    }
    Ok(storage.delete(id).await?)
}

/// The earliest due time of the stored timers.
pub async fn next_due(storage: &dyn Storage) -> Result<Option<f64>, Error> {
    let first = storage.list(&ListOptions::prefix(PREFIX).limit(1)).await?;
    Ok(first.first().and_then(|(key, _)| parse_due(key)))
}

/// The timers due at or before `now`, in due order, as (id, envelope). They stay stored
/// until [`cancel`]led, so a crash during delivery delivers them again (at least once).
pub async fn due(storage: &dyn Storage, now: f64) -> Result<Vec<(String, Envelope)>, Error> {
    let options = ListOptions::prefix(PREFIX).end(due_key(now.floor() + 1.0));
    let stored = storage.list(&options).await?;
    let mut due = Vec::with_capacity(stored.len());
    let mut undecodable = WriteBatch::default();
    for (key, json) in stored {
        match Envelope::decode_trusted(&json) {
            Ok(envelope) => due.push((key, envelope)),
            // Nothing could ever deliver it: drop it rather than fire it forever.
            Err(_) => undecodable.delete(key),
        }
    }
    if !undecodable.is_empty() {
        storage.write(undecodable).await?;
    }
    Ok(due)
}

/// The due time (ms) in a timer key.
pub fn parse_due(key: &str) -> Option<f64> {
    let rest = key.strip_prefix(PREFIX)?;
    rest.get(..20)?.parse::<u64>().ok().map(|ms| ms as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{block_on, Address, MemoryStorage};

    fn envelope(id: &str) -> Envelope {
        let me = Address::parse("worker:w1").unwrap();
        Envelope::request(me.clone(), me, "tick", &(), id, 0.0).unwrap()
    }

    #[test]
    fn timers_come_due_in_order_until_cancelled() {
        let s = MemoryStorage::new();
        block_on(async {
            schedule(&s, 2000.0, &envelope("b")).await.unwrap();
            schedule(&s, 1000.0, &envelope("a")).await.unwrap();
            let cancelled = schedule(&s, 1500.0, &envelope("c")).await.unwrap();
            cancel(&s, &cancelled).await.unwrap();
            assert_eq!(next_due(&s).await.unwrap(), Some(1000.0));
            assert!(due(&s, 999.0).await.unwrap().is_empty());
            let fired = due(&s, 2000.0).await.unwrap();
            assert_eq!(
                fired.iter().map(|(_, e)| e.id.as_str()).collect::<Vec<_>>(),
                ["a", "b"]
            );
            for (id, _) in &fired {
                cancel(&s, id).await.unwrap();
            }
            assert!(due(&s, 5000.0).await.unwrap().is_empty());
            assert_eq!(next_due(&s).await.unwrap(), None);
        });
    }
}
