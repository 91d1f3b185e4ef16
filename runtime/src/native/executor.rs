//! A deterministic single-threaded executor: a FIFO queue of task ids and a table of boxed
//! local futures. A waker re-queues its task's id (once, however often it is woken), so the
//! order in which tasks run depends only on the order of spawns and wakes, never on threads
//! or real time. Nothing here sleeps: [`Executor::run`] polls until no task is ready or a
//! step bound is reached.

use super::hash::FxHashMap;
use crate::future::LocalBoxFuture;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Wake, Waker};

/// A task's id, unique for the executor's life (ids are never reused).
pub type TaskId = u64;

/// The ids of tasks ready to be polled. Wakers are `Send + Sync` by contract, so the queue
/// sits behind a mutex even though only one thread ever takes from it.
#[derive(Default)]
struct ReadyQueue {
    ids: Mutex<VecDeque<TaskId>>,
}

impl ReadyQueue {
    fn push(&self, id: TaskId) {
        self.ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(id);
    }

    fn pop(&self) -> Option<TaskId> {
        self.ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
    }

    fn is_empty(&self) -> bool {
        self.ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }
}

struct TaskWaker {
    /// Set when the waker is (re)used for a task; see [`Executor::recycle`].
    id: AtomicU64,
    queued: AtomicBool,
    ready: Arc<ReadyQueue>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.ready.push(self.id.load(Ordering::Acquire));
        }
    }
}

struct Task<O> {
    /// `None` while the task is being polled.
    future: Option<LocalBoxFuture<'static, ()>>,
    waker: Arc<TaskWaker>,
    owner: Option<O>,
}

/// What [`Executor::run`] stopped on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// No task is ready; this many polls were made.
    Idle(usize),
    /// The step bound was reached with tasks still ready.
    Bound,
}

/// The executor. `O` tags tasks with an owner so that all tasks of one owner can be dropped
/// at once (the native host's owners are actor addresses: a restart drops an instance's work).
pub struct Executor<O> {
    tasks: RefCell<FxHashMap<TaskId, Task<O>>>,
    ready: Arc<ReadyQueue>,
    next_id: Cell<TaskId>,
    polls: Cell<u64>,
    /// Wakers of finished tasks that nothing else holds, to reuse (one allocation less per task).
    spare_wakers: RefCell<Vec<Arc<TaskWaker>>>,
}

impl<O: PartialEq> Default for Executor<O> {
    fn default() -> Self {
        Executor::new()
    }
}

impl<O: PartialEq> Executor<O> {
    /// An executor without tasks.
    pub fn new() -> Executor<O> {
        Executor {
            tasks: RefCell::new(FxHashMap::default()),
            ready: Arc::new(ReadyQueue::default()),
            next_id: Cell::new(0),
            polls: Cell::new(0),
            spare_wakers: RefCell::new(Vec::new()),
        }
    }

    /// Queues `future` as a new task, owned by `owner` when given; it first runs at the next
    /// step that reaches it (never inside this call).
    pub fn spawn(&self, owner: Option<O>, future: LocalBoxFuture<'static, ()>) -> TaskId {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let spare = self.spare_wakers.borrow_mut().pop();
        let waker = match spare {
            Some(waker) => {
                waker.id.store(id, Ordering::Release);
                waker.queued.store(true, Ordering::Release);
                waker
            }
            None => Arc::new(TaskWaker {
                id: AtomicU64::new(id),
                queued: AtomicBool::new(true),
                ready: self.ready.clone(),
            }),
        };
        self.tasks.borrow_mut().insert(
            id,
            Task {
                future: Some(future),
                waker,
                owner,
            },
        );
        self.ready.push(id);
        id
    }

    /// Polls the next ready task once. Returns false when no task was ready.
    pub fn step(&self) -> bool {
        let Some(id) = self.ready.pop() else {
            return false;
        };
        // Take the future out, so that polling may spawn or cancel tasks.
        let taken = {
            let mut tasks = self.tasks.borrow_mut();
            tasks.get_mut(&id).and_then(|task| {
                task.waker.queued.store(false, Ordering::Release);
                task.future.take().map(|f| (f, task.waker.clone()))
            })
        };
        // A wake for a task that finished or was cancelled since: nothing to poll.
        let Some((mut future, waker)) = taken else {
            return true;
        };
        self.polls.set(self.polls.get() + 1);
        let waker = Waker::from(waker);
        let mut cx = Context::from_waker(&waker);
        let done = future.as_mut().poll(&mut cx).is_ready();
        drop(waker);
        let finished = {
            let mut tasks = self.tasks.borrow_mut();
            match tasks.get_mut(&id) {
                Some(task) if !done => {
                    task.future = Some(future);
                    None
                }
                // Done, or cancelled while it ran: drop it outside the borrow.
                Some(_) => tasks.remove(&id).map(|task| {
                    self.recycle(task.waker);
                    future
                }),
                None => Some(future),
            }
        };
        drop(finished);
        true
    }

    /// Keeps a finished task's waker for the next spawn, if no clone of it is left anywhere
    /// (a clone could still wake, and must not wake a later task).
    fn recycle(&self, waker: Arc<TaskWaker>) {
        const SPARE: usize = 64;
        if Arc::strong_count(&waker) == 1 && Arc::weak_count(&waker) == 0 {
            let mut spare = self.spare_wakers.borrow_mut();
            if spare.len() < SPARE {
                spare.push(waker);
            }
        }
    }

    /// Steps until no task is ready or `bound` polls were made.
    pub fn run(&self, bound: usize) -> RunOutcome {
        let mut steps = 0;
        while steps < bound {
            if !self.step() {
                return RunOutcome::Idle(steps);
            }
            steps += 1;
        }
        if self.ready.is_empty() {
            RunOutcome::Idle(steps)
        } else {
            RunOutcome::Bound
        }
    }

    /// Drops every task owned by `owner` (their futures' destructors run here).
    pub fn cancel_owned(&self, owner: &O) -> usize {
        let dropped: Vec<Task<O>> = {
            let mut tasks = self.tasks.borrow_mut();
            let ids: Vec<TaskId> = tasks
                .iter()
                .filter(|(_, t)| t.owner.as_ref() == Some(owner))
                .map(|(id, _)| *id)
                .collect();
            ids.iter().filter_map(|id| tasks.remove(id)).collect()
        };
        let n = dropped.len();
        drop(dropped);
        n
    }

    /// Whether `owner` has tasks that have not finished.
    pub fn has_owned(&self, owner: &O) -> bool {
        self.tasks
            .borrow()
            .values()
            .any(|t| t.owner.as_ref() == Some(owner))
    }

    /// Whether a task is ready to run.
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Tasks not finished (ready or waiting).
    pub fn live_tasks(&self) -> usize {
        self.tasks.borrow().len()
    }

    /// Polls made since the executor was created.
    pub fn polls(&self) -> u64 {
        self.polls.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;
    use std::task::Poll;

    #[test]
    fn tasks_run_in_spawn_order_and_wakes_requeue() {
        let ex: Executor<u8> = Executor::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        for i in 0..3 {
            let log = log.clone();
            ex.spawn(None, Box::pin(async move { log.borrow_mut().push(i) }));
        }
        assert_eq!(ex.run(10), RunOutcome::Idle(3));
        assert_eq!(*log.borrow(), [0, 1, 2]);
        assert_eq!(ex.live_tasks(), 0);
    }

    #[test]
    fn a_task_that_always_wakes_itself_hits_the_bound() {
        let ex: Executor<u8> = Executor::new();
        ex.spawn(
            None,
            Box::pin(std::future::poll_fn(|cx| {
                cx.waker().wake_by_ref();
                cx.waker().wake_by_ref(); // queued once only
                Poll::<()>::Pending
            })),
        );
        assert_eq!(ex.run(50), RunOutcome::Bound);
        assert_eq!(ex.polls(), 50);
    }

    #[test]
    fn cancelling_an_owner_drops_only_its_tasks() {
        let ex: Executor<u8> = Executor::new();
        let pending = || Box::pin(std::future::pending::<()>());
        ex.spawn(Some(1), pending());
        ex.spawn(Some(2), pending());
        assert_eq!(ex.run(10), RunOutcome::Idle(2));
        assert_eq!(ex.cancel_owned(&1), 1);
        assert!(!ex.has_owned(&1));
        assert!(ex.has_owned(&2));
    }
}
