//! Indexed persistent collections: state an actor looks up by more than its key.
//!
//! A [`Table`] is a map persisted one row per key, like [`PMap`](crate::PMap), with an ordered
//! index derived from its rows: each row type says which index keys it has ([`Indexed`]), and
//! the table keeps them in step with every insert, update and removal. The index is never
//! stored: it is rebuilt as the rows load. Rows also keep their insertion order (rows inserted
//! with [`Table::insert_front`] come before every other), which orders the rows that share an
//! index key: the same key is a FIFO queue, with O(1) persistence.
//!
//! | operation | cost | writes |
//! |---|---|---|
//! | `get`, `contains_key` | O(1) (hashed) | |
//! | `insert`, `insert_front`, `update`, `remove` | O(log n) per index key of the row | one key, at the next save |
//! | `first`, `range`, `pop_first` | O(log n) to the first row | `pop_first`: one key |
//! | `count` of an index key | O(1) with [`Indexed::COUNTED`], else O(rows with that key) | |
//!
//! ```
//! use duract::{Indexed, Table};
//! use serde::{Deserialize, Serialize};
//! use std::cmp::Reverse;
//!
//! /// A job waiting for a runner: its priority, and the skill it needs, if any.
//! #[derive(Serialize, Deserialize)]
//! struct Job {
//!     priority: i64,
//!     needs: Option<String>,
//! }
//!
//! impl Indexed for Job {
//!     /// Jobs by the skill they need, then highest priority first (then first in, first out).
//!     type Index = (Option<String>, Reverse<i64>);
//!     /// Count the jobs of each (skill, priority): `count` is O(1).
//!     const COUNTED: bool = true;
//!
//!     fn index(&self) -> impl IntoIterator<Item = Self::Index> {
//!         [(self.needs.clone(), Reverse(self.priority))]
//!     }
//! }
//!
//! // In an actor, `#[persist(entries)] jobs: Table<String, Job>` stores one key per job.
//! let mut jobs: Table<String, Job> = Table::new();
//! jobs.insert("a".into(), Job { priority: 0, needs: None });
//! jobs.insert("b".into(), Job { priority: 5, needs: None });
//! jobs.insert("c".into(), Job { priority: 0, needs: None });
//! jobs.insert("d".into(), Job { priority: 9, needs: Some("gpu".into()) });
//! jobs.insert_front("e".into(), Job { priority: 0, needs: None }); // before every job
//!
//! // The jobs that need nothing, best first.
//! let any = (None, Reverse(i64::MAX))..=(None, Reverse(i64::MIN));
//! let order: Vec<&str> = jobs.range(any.clone()).map(|row| row.key.as_str()).collect();
//! assert_eq!(order, ["b", "e", "a", "c"]);
//! assert_eq!(jobs.count(&(None, Reverse(0))), 3);
//! assert_eq!(jobs.pop_first(any).map(|(key, _)| key).as_deref(), Some("b"));
//! assert_eq!(jobs.first(&(Some("gpu".into()), Reverse(9))).unwrap().key, "d");
//! ```

mod table;

pub use table::{Indexed, Row, Table, COUNTED_FROM};
