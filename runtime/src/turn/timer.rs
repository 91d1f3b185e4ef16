//! Durable timers: named messages an actor sends itself at a given time, kept in its storage
//! so they survive restarts, and multiplexed on the host's one alarm.
//!
//! A timer is the key `__duract/timer/<due ms, 20 digits>/<name>` holding the envelope it
//! delivers (a recurring timer: `{"every": <ms>, "envelope": <envelope>}`). An instance holds its table of timers in memory (loaded with its state); a turn
//! stages its changes ([`Timers::set`], [`Timers::cancel`]) and the turn's commit writes them
//! in the same batch as the state ([`Timers::stage_writes`]), so setting a timer named like an
//! existing one replaces it atomically. When the alarm fires, each due timer is delivered in a
//! turn whose commit also deletes it: a timer whose turn fails stays for the next alarm, and a
//! replaced or cancelled timer is never delivered.

use crate::envelope::Envelope;
use crate::error::Error;
use crate::storage::{ListOptions, Storage, WriteBatch};
use std::collections::{BTreeMap, BTreeSet};

/// The storage prefix of every timer key.
pub const PREFIX: &str = "__duract/timer/";

/// The longest timer name, in bytes.
pub const MAX_NAME_BYTES: usize = 1024;

/// A stored timer: when it is due, the envelope (JSON) it delivers, and for a recurring timer
/// its period in ms.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Timer {
    due: u64,
    envelope: String,
    every: Option<u64>,
}

/// How a recurring timer is stored.
#[derive(serde::Serialize, serde::Deserialize)]
struct Recurring<'a> {
    every: u64,
    #[serde(borrow)]
    envelope: &'a serde_json::value::RawValue,
}

impl Timer {
    /// The stored value.
    fn stored(&self) -> String {
        let Some(every) = self.every else {
            return self.envelope.clone();
        };
        let envelope = serde_json::value::RawValue::from_string(self.envelope.clone());
        match envelope {
            Ok(envelope) => serde_json::json!({"every": every, "envelope": envelope}).to_string(),
            Err(_) => self.envelope.clone(), // never: the envelope is JSON we encoded
        }
    }

    /// A stored value as a timer due at `due`; `None` when it delivers nothing decodable.
    fn load(due: u64, stored: String) -> Option<Timer> {
        if Envelope::decode_trusted(&stored).is_ok() {
            return Some(Timer {
                due,
                envelope: stored,
                every: None,
            });
        }
        let recurring: Recurring<'_> = serde_json::from_str(&stored).ok()?;
        Envelope::decode_trusted(recurring.envelope.get()).ok()?;
        Some(Timer {
            due,
            envelope: recurring.envelope.get().to_owned(),
            every: Some(recurring.every.max(1)),
        })
    }
}

/// A timer as a handler sees it ([`crate::Ctx::timers`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerInfo {
    /// Its name.
    pub name: String,
    /// When it is next due (ms since the epoch).
    pub due: u64,
    /// Its period, for a recurring timer.
    pub every: Option<u64>,
}

/// The storage key of the timer `name` due at `due`.
fn key(due: u64, name: &str) -> String {
    format!("{PREFIX}{due:020}/{name}")
}

/// The due time and name in a timer key.
pub(crate) fn parse_key(key: &str) -> Option<(u64, &str)> {
    let rest = key.strip_prefix(PREFIX)?;
    let (due, name) = rest.split_at_checked(20)?;
    Some((due.parse().ok()?, name.strip_prefix('/')?))
}

/// An instance's timers: the stored table and the changes of the turn in progress.
#[derive(Debug, Default)]
pub struct Timers {
    by_name: BTreeMap<String, Timer>,
    by_due: BTreeSet<(u64, String)>,
    /// This turn's changes by name: `None` removes the timer.
    staged: BTreeMap<String, Option<Timer>>,
    /// Stored keys that are no timer (unreadable): deleted with the next commit.
    garbage: Vec<String>,
}

impl Timers {
    /// The timers stored in `storage`.
    pub async fn load(storage: &dyn Storage) -> Result<Timers, Error> {
        let mut timers = Timers::default();
        for (stored, envelope) in storage.list(&ListOptions::prefix(PREFIX)).await? {
            // One that cannot be delivered is dropped rather than fired forever.
            let timer = parse_key(&stored)
                .and_then(|(due, name)| Some((name, Timer::load(due, envelope)?)));
            match timer {
                Some((name, timer)) => timers.insert(name.to_owned(), timer),
                None => timers.garbage.push(stored),
            }
        }
        Ok(timers)
    }

    fn insert(&mut self, name: String, timer: Timer) {
        self.remove(&name);
        self.by_due.insert((timer.due, name.clone()));
        self.by_name.insert(name, timer);
    }

    fn remove(&mut self, name: &str) {
        if let Some(old) = self.by_name.remove(name) {
            self.by_due.remove(&(old.due, name.to_owned()));
        }
    }

    /// Sets the timer `name` to deliver `envelope` (JSON) at `due`, replacing any timer of
    /// that name, when the turn commits.
    pub fn set(&mut self, name: &str, due: u64, envelope: String) -> Result<(), Error> {
        self.stage(name, due, envelope, None)
    }

    /// Sets the recurring timer `name`: due at `due`, then every `every` ms after each
    /// delivery, until cancelled or replaced.
    pub fn set_recurring(
        &mut self,
        name: &str,
        due: u64,
        every: u64,
        envelope: String,
    ) -> Result<(), Error> {
        self.stage(name, due, envelope, Some(every.max(1)))
    }

    fn stage(
        &mut self,
        name: &str,
        due: u64,
        envelope: String,
        every: Option<u64>,
    ) -> Result<(), Error> {
        check_name(name)?;
        let timer = Timer {
            due,
            envelope,
            every,
        };
        self.staged.insert(name.to_owned(), Some(timer));
        Ok(())
    }

    /// The timer `name` is being delivered at `now`: removed, or a recurring one set for its
    /// next time (a period later, or from `now` when it fell behind), when the turn commits.
    pub fn delivered(&mut self, name: &str, now: u64) {
        let next = self.by_name.get(name).and_then(|t| {
            let every = t.every?;
            let due = t.due.saturating_add(every).max(now.saturating_add(1));
            Some(Timer {
                due,
                envelope: t.envelope.clone(),
                every: Some(every),
            })
        });
        self.staged.insert(name.to_owned(), next);
    }

    /// Every timer as the turn in progress sees it, in due order.
    pub fn list(&self) -> Vec<TimerInfo> {
        let mut names: Vec<&String> = self.by_name.keys().chain(self.staged.keys()).collect();
        names.sort();
        names.dedup();
        let mut out: Vec<TimerInfo> = names
            .into_iter()
            .filter_map(|name| {
                let timer = match self.staged.get(name) {
                    Some(staged) => staged.as_ref()?,
                    None => self.by_name.get(name)?,
                };
                let (due, every) = (timer.due, timer.every);
                Some(TimerInfo {
                    name: name.clone(),
                    due,
                    every,
                })
            })
            .collect();
        out.sort_by(|a, b| (a.due, &a.name).cmp(&(b.due, &b.name)));
        out
    }

    /// Removes the timer `name`, if any, when the turn commits.
    pub fn cancel(&mut self, name: &str) {
        self.staged.insert(name.to_owned(), None);
    }

    /// When the timer `name` is due, as the turn in progress sees it.
    pub fn due_of(&self, name: &str) -> Option<u64> {
        match self.staged.get(name) {
            Some(staged) => staged.as_ref().map(|t| t.due),
            None => self.by_name.get(name).map(|t| t.due),
        }
    }

    /// Whether the turn in progress changed any timer.
    pub fn is_changed(&self) -> bool {
        !self.staged.is_empty() || !self.garbage.is_empty()
    }

    /// Adds the writes of the staged changes to `batch`.
    pub fn stage_writes(&self, batch: &mut WriteBatch) {
        for (name, change) in &self.staged {
            let old = self.by_name.get(name);
            if old.is_some() && old == change.as_ref() {
                continue;
            }
            // A put of the same key replaces it: deleting it too would lose the new timer.
            let moved = |old: &Timer| change.as_ref().is_none_or(|new| new.due != old.due);
            if let Some(old) = old.filter(|old| moved(old)) {
                batch.delete(key(old.due, name));
            }
            if let Some(new) = change {
                batch.put(key(new.due, name), new.stored());
            }
        }
        for stored in &self.garbage {
            batch.delete(stored.clone());
        }
    }

    /// The turn committed: its changes are now the table.
    pub fn apply(&mut self) {
        for (name, change) in std::mem::take(&mut self.staged) {
            match change {
                Some(timer) => self.insert(name, timer),
                None => self.remove(&name),
            }
        }
        self.garbage.clear();
    }

    /// The turn failed: its changes are dropped.
    pub fn discard(&mut self) {
        self.staged.clear();
    }

    /// The earliest due time.
    pub fn next_due(&self) -> Option<u64> {
        self.by_due.first().map(|(due, _)| *due)
    }

    /// The earliest timer due at or before `now` whose name `skip` does not hold: its name
    /// and envelope (JSON).
    pub fn first_due(&self, now: u64, skip: &[String]) -> Option<(String, String)> {
        self.by_due
            .iter()
            .take_while(|(due, _)| *due <= now)
            .find(|(_, name)| !skip.contains(name))
            .map(|(_, name)| (name.clone(), self.by_name[name].envelope.clone()))
    }
}

fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.len() > MAX_NAME_BYTES {
        return Err(Error::ActorError {
            reason: format!("a timer name must be 1 to {MAX_NAME_BYTES} bytes"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{block_on, MemoryStorage};

    fn envelope(id: &str) -> String {
        let me = crate::Address::parse("worker:w1").unwrap();
        Envelope::request(me.clone(), me, "tick", &(), id, 0.0)
            .unwrap()
            .encode()
    }

    fn commit(storage: &MemoryStorage, timers: &mut Timers) -> WriteBatch {
        let mut batch = WriteBatch::default();
        timers.stage_writes(&mut batch);
        block_on(storage.write(batch.clone())).unwrap();
        timers.apply();
        batch
    }

    #[test]
    fn setting_a_name_again_replaces_its_timer_in_one_batch() {
        let storage = MemoryStorage::new();
        let mut timers = Timers::default();
        timers.set("lease", 2000, "a".into()).unwrap();
        timers.set("tick", 1000, "b".into()).unwrap();
        commit(&storage, &mut timers);
        assert_eq!(timers.next_due(), Some(1000));
        timers.set("lease", 500, envelope("c")).unwrap();
        assert_eq!(
            timers.due_of("lease"),
            Some(500),
            "the turn sees its change"
        );
        let batch = commit(&storage, &mut timers);
        assert_eq!(batch.deletes, [key(2000, "lease")]);
        assert_eq!(batch.puts, [(key(500, "lease"), envelope("c"))]);
        let restored = block_on(Timers::load(&storage)).unwrap();
        assert_eq!(
            restored.first_due(600, &[]),
            Some(("lease".into(), envelope("c")))
        );
        assert_eq!(
            restored.due_of("tick"),
            None,
            "an undecodable timer is dropped"
        );
    }

    #[test]
    fn replacing_a_timer_due_at_the_same_time_only_puts_its_key() {
        let storage = MemoryStorage::new();
        let mut timers = Timers::default();
        timers.set("t", 100, envelope("a")).unwrap();
        commit(&storage, &mut timers);
        timers.set("t", 100, envelope("b")).unwrap();
        let batch = commit(&storage, &mut timers);
        assert!(batch.deletes.is_empty(), "{batch:?}");
        let restored = block_on(Timers::load(&storage)).unwrap();
        assert_eq!(
            restored.first_due(100, &[]),
            Some(("t".into(), envelope("b")))
        );
    }

    #[test]
    fn discarded_changes_leave_the_table_and_storage_alone() {
        let mut timers = Timers::default();
        timers.set("t", 10, "x".into()).unwrap();
        timers.discard();
        assert!(!timers.is_changed());
        assert_eq!(timers.due_of("t"), None);
        timers.cancel("never-set");
        let mut batch = WriteBatch::default();
        timers.stage_writes(&mut batch);
        assert!(batch.is_empty());
    }

    #[test]
    fn due_timers_come_in_due_order_skipping_failed_ones() {
        let storage = MemoryStorage::new();
        let mut timers = Timers::default();
        timers.set("b", 20, "B".into()).unwrap();
        timers.set("a", 10, "A".into()).unwrap();
        timers.set("later", 99, "L".into()).unwrap();
        commit(&storage, &mut timers);
        assert_eq!(timers.first_due(20, &[]).map(|t| t.0), Some("a".into()));
        assert_eq!(
            timers.first_due(20, &["a".into()]).map(|t| t.0),
            Some("b".into())
        );
        assert_eq!(timers.first_due(9, &[]), None);
    }

    #[test]
    fn names_are_checked_and_unreadable_keys_are_collected() {
        let mut timers = Timers::default();
        assert!(timers.set("", 1, "x".into()).is_err());
        assert!(timers
            .set(&"n".repeat(MAX_NAME_BYTES + 1), 1, "x".into())
            .is_err());
        let storage = MemoryStorage::new();
        block_on(storage.put(&format!("{PREFIX}garbage"), "x".into())).unwrap();
        let mut loaded = block_on(Timers::load(&storage)).unwrap();
        assert!(loaded.is_changed());
        commit(&storage, &mut loaded);
        assert!(storage.snapshot().is_empty());
    }

    #[test]
    fn keys_round_trip_names_with_slashes() {
        assert_eq!(parse_key(&key(42, "a/b")), Some((42, "a/b")));
        assert_eq!(parse_key("__duract/timer/12"), None);
    }
}
