//! What the live dashboard needs of the coordinator beside its state: who watches (sessions
//! pushed `dashboard_update`s), the throughput of the last minute, recent incidents, and when
//! the next push may leave. Nothing here is stored (`#[persist(skip)]`): a restart forgets the
//! watchers (their pages watch again when they renew) and the last minute's figures.
//!
//! Bounded: at most `MAX_DASHBOARD_WATCHERS` live watchers, each for `DASHBOARD_WATCH_MS`
//! unless renewed; one push per watcher per `DASHBOARD_PUSH_MS` at most, whatever the number
//! of operations (changes in between are coalesced into the next push); 60 one-second
//! throughput buckets; 20 incidents.

use super::messages::{Finished, Incident, Throughput};
use duract::{Ctx, Error, Limit, Principal};
use std::collections::VecDeque;

/// Live watchers per coordinator; a new one beyond it is `limit_exceeded`.
pub const MAX_DASHBOARD_WATCHERS: Limit = Limit::new("MAX_DASHBOARD_WATCHERS", 16);
/// Rows per list of a dashboard page, at most.
pub const MAX_DASHBOARD_ROWS: usize = 100;
/// Rows per list when a watch names no `limit`.
pub const DEFAULT_DASHBOARD_ROWS: usize = 20;
/// The least time between two pushes to the watchers, in ms (variable `DASHBOARD_PUSH_MS`).
const PUSH_MS: (&str, u64) = ("DASHBOARD_PUSH_MS", 500);
/// How long a watch lasts unless renewed, in ms (variable `DASHBOARD_WATCH_MS`).
const WATCH_MS: (&str, u64) = ("DASHBOARD_WATCH_MS", 60_000);
/// Throughput is counted per bucket of this many ms...
const BUCKET_MS: u64 = 1_000;
/// ...for this many buckets.
const BUCKETS: usize = 60;
/// Incidents kept, the latest.
const INCIDENTS: usize = 20;
/// Completed tasks kept, the latest.
const FINISHED: usize = 20;

/// Where a watcher's page starts: its lists' cursors and length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageAt {
    /// Rows per list.
    pub limit: usize,
    /// The first worker's registration seq.
    pub worker_seq: i64,
    /// The first active task's (lease expiry, seq).
    pub lease: (u64, i64),
}

/// A session pushed the dashboard, as the principal that asked.
#[derive(Debug, Clone)]
pub struct Watcher {
    /// The session's name.
    pub session: String,
    /// Who asked: the push reaches this principal's session only.
    pub principal: Option<Principal>,
    /// When the watch ends unless renewed (ms since the epoch).
    pub until: u64,
    /// The page it shows.
    pub page: PageAt,
}

/// The dashboard's side of the coordinator.
#[derive(Debug, Default)]
pub struct Board {
    watchers: Vec<Watcher>,
    throughput: VecDeque<Throughput>,
    incidents: VecDeque<Incident>,
    finished: VecDeque<Finished>,
    last_push: u64,
}

impl Board {
    /// Adds or renews (same session and principal) a watcher until `now + DASHBOARD_WATCH_MS`;
    /// a new one while `MAX_DASHBOARD_WATCHERS` are live is `limit_exceeded`.
    pub fn watch(&mut self, ctx: &Ctx, session: String, page: PageAt) -> Result<(), Error> {
        let now = ctx.now();
        self.drop_expired(now);
        let principal = ctx.principal().cloned();
        let until = now.saturating_add(ctx.var_or(WATCH_MS.0, WATCH_MS.1));
        let same = |w: &&mut Watcher| w.session == session && w.principal == principal;
        if let Some(watcher) = self.watchers.iter_mut().find(same) {
            watcher.until = until;
            watcher.page = page;
            return Ok(());
        }
        let limit = ctx.limit(MAX_DASHBOARD_WATCHERS);
        if self.watchers.len() as u64 >= limit {
            let what = "dashboards are watching".into();
            return Err(self.refused(now, Error::LimitExceeded { what, limit }));
        }
        self.watchers.push(Watcher {
            session,
            principal,
            until,
            page,
        });
        Ok(())
    }

    /// How long a watch lasts (what a page renews within).
    pub fn watch_ms(ctx: &Ctx) -> u64 {
        ctx.var_or(WATCH_MS.0, WATCH_MS.1)
    }

    /// Whether some watch is live at `now`.
    pub fn is_watched(&self, now: u64) -> bool {
        self.watchers.iter().any(|w| w.until > now)
    }

    /// When the next push may leave.
    pub fn next_push(&self, ctx: &Ctx) -> u64 {
        (self.last_push).saturating_add(ctx.var_or(PUSH_MS.0, PUSH_MS.1))
    }

    /// The live watchers, to push to now (the expired ones are dropped).
    pub fn take_turn(&mut self, now: u64) -> &[Watcher] {
        self.drop_expired(now);
        self.last_push = now;
        &self.watchers
    }

    /// Forgets `watcher`.
    pub fn unwatch(&mut self, watcher: &Watcher) {
        let same = |w: &Watcher| w.session == watcher.session && w.principal == watcher.principal;
        self.watchers.retain(|w| !same(w));
    }

    fn drop_expired(&mut self, now: u64) {
        self.watchers.retain(|w| w.until > now);
    }

    /// Counts an assignment at `now`.
    pub fn assigned(&mut self, now: u64) {
        self.bucket(now).assigned += 1;
    }

    /// Counts the completion of `task_id` by `worker_id` at `now`.
    pub fn completed(&mut self, now: u64, task_id: &str, worker_id: &str) {
        self.bucket(now).completed += 1;
        if self.finished.len() == FINISHED {
            self.finished.pop_front();
        }
        self.finished.push_back(Finished {
            task_id: task_id.to_owned(),
            worker_id: worker_id.to_owned(),
            at: now,
        });
    }

    /// The tasks completed last, the latest first.
    pub fn finished(&self) -> Vec<Finished> {
        self.finished.iter().rev().cloned().collect()
    }

    fn bucket(&mut self, now: u64) -> &mut Throughput {
        let at = now - now % BUCKET_MS;
        if self.throughput.back().is_none_or(|b| b.at < at) {
            self.throughput.push_back(Throughput {
                at,
                assigned: 0,
                completed: 0,
            });
        }
        while self.throughput.len() > BUCKETS {
            self.throughput.pop_front();
        }
        self.throughput.back_mut().expect("pushed above when empty")
    }

    /// The buckets of the last minute at `now`, oldest first (buckets without events are
    /// absent).
    pub fn throughput(&self, now: u64) -> Vec<Throughput> {
        let since = now.saturating_sub(BUCKETS as u64 * BUCKET_MS);
        let recent = self.throughput.iter().filter(|b| b.at >= since);
        recent.cloned().collect()
    }

    /// Records an incident (a refused request, an expired lease).
    pub fn incident(&mut self, now: u64, code: &str, message: String) {
        if self.incidents.len() == INCIDENTS {
            self.incidents.pop_front();
        }
        let code = code.to_owned();
        self.incidents.push_back(Incident {
            at: now,
            code,
            message,
        });
    }

    /// Records a refused request and gives its error back.
    pub fn refused(&mut self, now: u64, error: Error) -> Error {
        self.incident(now, error.code(), error.to_string());
        error
    }

    /// The latest incidents, the latest first.
    pub fn incidents(&self) -> Vec<Incident> {
        self.incidents.iter().rev().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_keeps_one_bucket_per_second_of_the_last_minute() {
        let mut board = Board::default();
        board.assigned(1_000);
        board.completed(1_500, "t", "w");
        board.completed(2_100, "t", "w");
        for second in 3..100 {
            board.completed(second * 1_000, &format!("t{second}"), "w");
        }
        assert_eq!(board.throughput.len(), BUCKETS);
        let recent = board.throughput(99_999);
        assert_eq!(recent.first().map(|b| b.at), Some(40_000));
        assert!(recent.iter().all(|b| b.completed == 1 && b.assigned == 0));
        let finished = board.finished();
        assert_eq!(finished.len(), FINISHED);
        assert_eq!(finished[0].task_id, "t99", "the latest first");
    }

    #[test]
    fn unwatch_forgets_that_session_of_that_principal_only() {
        let page = PageAt {
            limit: 1,
            worker_seq: 0,
            lease: (0, 0),
        };
        let watcher = |session: &str, principal: Option<Principal>| Watcher {
            session: session.into(),
            principal,
            until: 10,
            page: page.clone(),
        };
        let alice = Some(Principal::new("alice", "acme"));
        let mut board = Board {
            watchers: vec![watcher("s", None), watcher("s", alice.clone())],
            ..Board::default()
        };
        board.unwatch(&watcher("s", None));
        assert_eq!(board.watchers.len(), 1);
        assert_eq!(board.watchers[0].principal, alice);
        assert!(board.is_watched(9) && !board.is_watched(10));
    }

    #[test]
    fn incidents_keep_the_latest_twenty_latest_first() {
        let mut board = Board::default();
        for n in 0..30 {
            board.incident(n, "lease_expired", format!("task {n}"));
        }
        let incidents = board.incidents();
        assert_eq!(incidents.len(), INCIDENTS);
        assert_eq!(incidents[0].message, "task 29");
        assert_eq!(incidents[19].message, "task 10");
    }
}
