//! How a waiting task is stored. Key (after the field's prefix): its sequence number in 20
//! digits, so keys sort in queue order and a new task's key comes after every other; value:
//! `[taskId, priority]`, or `[taskId, priority, requires]`.
//!
//! Entries stored by earlier versions (key `{"need":"","rank":0,"seq":1}`, value the task id
//! as JSON) still load, marked for rewriting under the new key: their unpadded numbers
//! sorted apart from queue order, so each write landed at a scattered place in storage.

use duract::Error;
use serde::Deserialize;

/// The storage key of the task with sequence number `seq`: `seq` moved to unsigned (order
/// kept), in 20 digits.
pub(super) fn key(prefix: &str, seq: i64) -> String {
    format!("{prefix}{:020}", (seq as u64) ^ (1 << 63))
}

/// The stored value of a task.
pub(super) fn value(task_id: &str, priority: i64, need: &str) -> Result<String, Error> {
    let json = if need.is_empty() {
        serde_json::to_string(&(task_id, priority))
    } else {
        serde_json::to_string(&(task_id, priority, need))
    };
    json.map_err(|e| stored(e.to_string()))
}

/// A stored task, as loaded.
#[derive(Debug, PartialEq)]
pub(super) struct Loaded {
    pub task_id: String,
    pub priority: i64,
    /// `""`: none.
    pub need: String,
    pub seq: i64,
    /// Stored in the earlier form: rewrite it.
    pub legacy: bool,
}

/// Reads one stored entry, in either form.
pub(super) fn load(key: &str, json: &str) -> Result<Loaded, Error> {
    if key.starts_with('{') {
        return load_legacy(key, json);
    }
    let seq = parse_seq(key).ok_or_else(|| stored(format!("key `{key}`")))?;
    let (task_id, priority, need) = match serde_json::from_str(json) {
        Ok(Stored::Plain(task_id, priority)) => (task_id, priority, String::new()),
        Ok(Stored::Needing(task_id, priority, need)) => (task_id, priority, need),
        Err(e) => return Err(stored(format!("`{json}`: {e}"))),
    };
    Ok(Loaded {
        task_id,
        priority,
        need,
        seq,
        legacy: false,
    })
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Stored {
    Plain(String, i64),
    Needing(String, i64, String),
}

fn parse_seq(key: &str) -> Option<i64> {
    if key.len() != 20 || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((key.parse::<u64>().ok()? ^ (1 << 63)) as i64)
}

fn load_legacy(key: &str, json: &str) -> Result<Loaded, Error> {
    #[derive(Deserialize)]
    struct Slot {
        need: String,
        rank: i64,
        seq: i64,
    }
    let slot: Slot = serde_json::from_str(key).map_err(|e| stored(e.to_string()))?;
    let task_id: String = serde_json::from_str(json).map_err(|e| stored(e.to_string()))?;
    Ok(Loaded {
        task_id,
        priority: slot.rank.saturating_neg(),
        need: slot.need,
        seq: slot.seq,
        legacy: true,
    })
}

pub(super) fn stored(reason: String) -> Error {
    Error::ActorError {
        reason: format!("stored queue entry: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_in_queue_order_across_signs_and_lengths() {
        let seqs = [i64::MIN, -100, -1, 0, 9, 10, 99_999, 100_000, i64::MAX];
        let keys: Vec<String> = seqs.iter().map(|&s| key("", s)).collect();
        assert!(keys.is_sorted(), "{keys:?}");
        for (&seq, key) in seqs.iter().zip(&keys) {
            assert_eq!(parse_seq(key), Some(seq));
        }
    }

    #[test]
    fn both_forms_load() {
        let plain = load(&key("", 7), &value("t1", 0, "").unwrap()).unwrap();
        assert_eq!(
            (plain.task_id.as_str(), plain.seq, plain.legacy),
            ("t1", 7, false)
        );
        let needing = load(&key("", -2), &value("t2", 5, "gpu").unwrap()).unwrap();
        assert_eq!((needing.priority, needing.need.as_str()), (5, "gpu"));
        let legacy = load(r#"{"need":"gpu","rank":-5,"seq":3}"#, r#""t3""#).unwrap();
        assert_eq!(
            legacy,
            Loaded {
                task_id: "t3".into(),
                priority: 5,
                need: "gpu".into(),
                seq: 3,
                legacy: true
            }
        );
    }

    #[test]
    fn a_malformed_entry_is_an_error_that_names_it() {
        for (key, json) in [("12", r#"["t",0]"#), (&*key("", 1), r#""t""#)] {
            let error = load(key, json).unwrap_err().to_string();
            assert!(error.contains("stored queue entry"), "{error}");
        }
    }
}
