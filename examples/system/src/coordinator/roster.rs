//! The registered workers, in registration order, with an index of the idle ones (by
//! capability too), persisted one entry per worker.

use duract::storage::WriteBatch;
use duract::{EntryField, Error};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One registered worker, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    id: String,
    capabilities: Vec<String>,
    idle: bool,
}

/// The workers, keyed by registration number. Finding an idle worker (with a capability or
/// not), registering and marking busy or idle cost O(log n) and write one key.
#[derive(Debug, Default)]
pub struct Roster {
    records: BTreeMap<u64, Record>,
    /// Derived: id -> registration number.
    numbers: BTreeMap<String, u64>,
    /// Derived: idle workers by registration number.
    idle: BTreeSet<u64>,
    /// Derived: (capability, registration number) of idle workers.
    idle_with: BTreeSet<(String, u64)>,
    changed: Vec<u64>,
}

impl Roster {
    /// Registers `id` (idle) or updates its capabilities; true when it is new.
    pub fn register(&mut self, id: &str, capabilities: Option<Vec<String>>) -> bool {
        if let Some(&number) = self.numbers.get(id) {
            if let Some(capabilities) = capabilities {
                self.update(number, |r| r.capabilities = capabilities);
            }
            return false;
        }
        let number = self.records.last_key_value().map_or(0, |(n, _)| n + 1);
        let record = Record {
            id: id.to_owned(),
            capabilities: capabilities.unwrap_or_default(),
            idle: true,
        };
        self.index(number, &record);
        self.records.insert(number, record);
        self.changed.push(number);
        true
    }

    /// Whether `id` is registered.
    pub fn contains(&self, id: &str) -> bool {
        self.numbers.contains_key(id)
    }

    /// The capabilities of a registered worker.
    pub fn capabilities(&self, id: &str) -> &[String] {
        self.numbers
            .get(id)
            .and_then(|n| self.records.get(n))
            .map_or(&[], |r| &r.capabilities)
    }

    /// Whether `id` is registered and idle.
    pub fn is_idle(&self, id: &str) -> bool {
        self.numbers.get(id).is_some_and(|n| self.idle.contains(n))
    }

    /// Marks a registered worker idle or busy (nothing for an unknown id).
    pub fn set_idle(&mut self, id: &str, idle: bool) {
        if let Some(&number) = self.numbers.get(id) {
            self.update(number, |r| r.idle = idle);
        }
    }

    /// Takes the longest-registered idle worker that has `need` (any idle worker when `None`),
    /// marking it busy.
    pub fn take_idle(&mut self, need: Option<&str>) -> Option<String> {
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
        Some(self.records[&number].id.clone())
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
        self.records.range(from..).map(|(n, r)| (*n, r.id.as_str()))
    }

    fn update(&mut self, number: u64, change: impl FnOnce(&mut Record)) {
        let Some(mut record) = self.records.remove(&number) else {
            return;
        };
        self.unindex(number, &record);
        change(&mut record);
        self.index(number, &record);
        self.records.insert(number, record);
        self.changed.push(number);
    }

    fn index(&mut self, number: u64, record: &Record) {
        self.numbers.insert(record.id.clone(), number);
        if record.idle {
            self.idle.insert(number);
            for cap in &record.capabilities {
                self.idle_with.insert((cap.clone(), number));
            }
        }
    }

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
        self.index(number, &record);
        self.records.insert(number, record);
        Ok(())
    }

    fn drain_changes(&mut self, prefix: &str, batch: &mut WriteBatch) -> Result<(), Error> {
        let mut changed = std::mem::take(&mut self.changed);
        changed.sort_unstable();
        changed.dedup();
        for number in changed {
            let record =
                serde_json::to_string(&self.records[&number]).map_err(|e| stored(e.to_string()))?;
            batch.put(format!("{prefix}{number:020}"), record);
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
