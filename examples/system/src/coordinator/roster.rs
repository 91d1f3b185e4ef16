//! The registered workers, in registration order, with an index of the idle ones (by
//! capability too), persisted one entry per worker.

use duract::storage::WriteBatch;
use duract::{EntryField, Error};
use serde::{Deserialize, Serialize};
use smol_str::SmolStr;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One registered worker, as stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Record {
    id: SmolStr,
    capabilities: Vec<String>,
    idle: bool,
}

/// The workers, by registration number (their place in `records`: workers are never
/// removed). Finding an idle worker (with a capability or not), registering and marking busy
/// or idle cost O(log n) and write at most one key.
#[derive(Debug, Default)]
pub struct Roster {
    records: Vec<Record>,
    /// Derived: id -> registration number (hashed: found in O(1) at any size).
    numbers: HashMap<SmolStr, u64>,
    /// Derived: idle workers by registration number.
    idle: BTreeSet<u64>,
    /// Derived: (capability, registration number) of idle workers.
    idle_with: BTreeSet<(String, u64)>,
    /// Records changed since the last save, each with what storage holds for it:
    /// `Some(idle)` when only the idle flag changed (a worker that went idle and took work
    /// in the same turn is stored as it was, so nothing is written), `None` otherwise.
    changed: BTreeMap<u64, Option<bool>>,
}

impl Roster {
    /// Registers `id` (idle) or updates its capabilities; true when it is new.
    pub fn register(&mut self, id: &str, capabilities: Option<Vec<String>>) -> bool {
        if let Some(&number) = self.numbers.get(id) {
            if let Some(capabilities) = capabilities {
                self.update(number, |r| r.capabilities = capabilities);
                self.changed.insert(number, None);
            }
            return false;
        }
        let number = self.records.len() as u64;
        let record = Record {
            id: id.into(),
            capabilities: capabilities.unwrap_or_default(),
            idle: true,
        };
        self.numbers.insert(record.id.clone(), number);
        self.index(number, &record);
        self.records.push(record);
        self.changed.insert(number, None);
        true
    }

    /// A registered worker's id (shared) and capabilities (`None`: not registered).
    pub fn registered(&self, id: &str) -> Option<(&SmolStr, &[String])> {
        let number = *self.numbers.get(id)?;
        self.record(number)
            .map(|r| (&r.id, r.capabilities.as_slice()))
    }

    /// Whether `id` is registered and idle.
    pub fn is_idle(&self, id: &str) -> bool {
        self.numbers.get(id).is_some_and(|n| self.idle.contains(n))
    }

    /// Marks a registered worker idle or busy (nothing for an unknown id, or one already so).
    pub fn set_idle(&mut self, id: &str, idle: bool) {
        let Some(&number) = self.numbers.get(id) else {
            return;
        };
        if self.record(number).is_some_and(|r| r.idle != idle) {
            self.update(number, |r| r.idle = idle);
        }
    }

    /// Takes the longest-registered idle worker that has `need` (any idle worker when `None`),
    /// marking it busy.
    pub fn take_idle(&mut self, need: Option<&str>) -> Option<SmolStr> {
        let number = match need {
            None => *self.idle.first()?,
            Some(cap) => {
                self.idle_with
                    .range((cap.to_owned(), 0)..)
                    .next()
                    .filter(|(c, _)| c == cap)?
                    .1
            }
        };
        self.update(number, |r| r.idle = false);
        self.record(number).map(|r| r.id.clone())
    }

    /// The number of workers.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no worker is registered.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Worker ids in registration order, from registration number `from`, with their numbers.
    pub fn from(&self, from: u64) -> impl Iterator<Item = (u64, &str)> {
        // Numbered by position, never by counting up from a client's `from` (it may be u64::MAX).
        let skip = usize::try_from(from).unwrap_or(usize::MAX);
        let numbered = self.records.iter().enumerate().skip(skip);
        numbered.map(|(number, r)| (number as u64, &*r.id))
    }

    fn record(&self, number: u64) -> Option<&Record> {
        self.records.get(usize::try_from(number).ok()?)
    }

    fn update(&mut self, number: u64, change: impl FnOnce(&mut Record)) {
        let Some(at) = usize::try_from(number)
            .ok()
            .filter(|&at| at < self.records.len())
        else {
            return;
        };
        let mut record = std::mem::take(&mut self.records[at]);
        self.changed.entry(number).or_insert(Some(record.idle));
        self.unindex(number, &record);
        change(&mut record);
        self.index(number, &record);
        self.records[at] = record;
    }

    /// Adds a record to the idle indexes (if it is idle).
    fn index(&mut self, number: u64, record: &Record) {
        if record.idle {
            self.idle.insert(number);
            for cap in &record.capabilities {
                self.idle_with.insert((cap.clone(), number));
            }
        }
    }

    /// Removes a record from the idle indexes.
    fn unindex(&mut self, number: u64, record: &Record) {
        self.idle.remove(&number);
        for cap in &record.capabilities {
            self.idle_with.remove(&(cap.clone(), number));
        }
    }
}

impl EntryField for Roster {
    fn load_entry(&mut self, key: &str, json: &str) -> Result<(), Error> {
        let number = key
            .parse()
            .map_err(|_| stored(format!("worker key `{key}`")))?;
        let record: Record = serde_json::from_str(json).map_err(|e| stored(e.to_string()))?;
        if number != self.records.len() as u64 {
            return Err(stored(format!(
                "worker {number} after {} workers",
                self.records.len()
            )));
        }
        self.numbers.insert(record.id.clone(), number);
        self.index(number, &record);
        self.records.push(record);
        Ok(())
    }

    fn drain_changes(&mut self, prefix: &str, batch: &mut WriteBatch) -> Result<(), Error> {
        for (number, stored_idle) in std::mem::take(&mut self.changed) {
            let Some(record) = self.record(number) else {
                continue;
            };
            if stored_idle == Some(record.idle) {
                continue; // storage already holds it
            }
            let json = serde_json::to_string(record).map_err(|e| stored(e.to_string()))?;
            batch.put(format!("{prefix}{number:020}"), json);
        }
        Ok(())
    }
}

fn stored(reason: String) -> Error {
    Error::ActorError {
        reason: format!("stored roster entry: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_workers_are_taken_oldest_first_and_by_capability() {
        let mut r = Roster::default();
        r.register("a", None);
        r.register("b", Some(vec!["gpu".into()]));
        r.register("c", Some(vec!["gpu".into()]));
        assert_eq!(r.take_idle(Some("gpu")).as_deref(), Some("b"));
        assert_eq!(r.take_idle(None).as_deref(), Some("a"));
        assert_eq!(r.take_idle(Some("tpu")), None);
        r.set_idle("b", true);
        assert_eq!(r.take_idle(Some("gpu")).as_deref(), Some("b"));
    }

    #[test]
    fn a_worker_that_goes_idle_and_busy_again_in_one_turn_writes_nothing() {
        let mut r = Roster::default();
        r.register("a", None);
        r.take_idle(None);
        let mut batch = WriteBatch::default();
        r.drain_changes("e/workers/", &mut batch).unwrap();
        assert_eq!(batch.puts.len(), 1, "registered: written");
        r.set_idle("a", true);
        r.take_idle(None);
        let mut batch = WriteBatch::default();
        r.drain_changes("e/workers/", &mut batch).unwrap();
        assert!(batch.puts.is_empty(), "stored as it was: {:?}", batch.puts);
        r.set_idle("a", true);
        r.drain_changes("e/workers/", &mut batch).unwrap();
        assert_eq!(batch.puts.len(), 1, "now idle: written");
    }

    #[test]
    fn a_restored_roster_has_the_same_indexes() {
        let mut r = Roster::default();
        r.register("a", Some(vec!["gpu".into()]));
        r.register("b", None);
        r.take_idle(None);
        let mut batch = WriteBatch::default();
        r.drain_changes("e/workers/", &mut batch).unwrap();
        let mut restored = Roster::default();
        for (k, v) in &batch.puts {
            restored.load_entry(&k["e/workers/".len()..], v).unwrap();
        }
        assert!(!restored.is_idle("a") && restored.is_idle("b"));
        assert_eq!(restored.take_idle(Some("gpu")), None);
        assert_eq!(
            restored.from(0).map(|(_, id)| id).collect::<Vec<_>>(),
            ["a", "b"]
        );
    }
}
