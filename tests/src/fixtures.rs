//! Three actors and ten messages written with the macros, as a user would: a coordinator with
//! plain and per-entry state, a worker, and a gateway routing to both.

use duract::{actor, message, payload, route, Ctx, Error, IntoWireError, PMap, PQueue};

/// Registers a worker (`workerId` on the wire).
#[message]
pub struct RegisterWorker {
    /// The worker's id; the sender's id when absent.
    pub worker_id: Option<String>,
}

/// The reply to [`RegisterWorker`].
#[payload]
#[derive(Debug, PartialEq)]
pub struct Registered {
    /// Always `registered`.
    pub status: String,
    /// The worker registered.
    pub worker_id: String,
}

/// Queues a task.
#[message]
pub struct AssignTask {
    /// The task's id.
    pub task_id: String,
}

/// The reply to [`AssignTask`].
#[payload]
#[derive(Debug, PartialEq)]
pub struct Queued {
    /// The task's id.
    pub task_id: String,
    /// 1-based position in the queue.
    pub position: usize,
}

/// A worker finished a task (actors only).
#[message(internal)]
pub struct TaskComplete {
    /// The task's id.
    pub task_id: String,
    /// The worker.
    pub worker_id: String,
}

/// Asks for the coordinator's state; its payload is ignored.
#[message]
pub struct GetStatus;

/// The reply to [`GetStatus`].
#[payload]
#[derive(Debug, PartialEq)]
pub struct Status {
    /// Registered workers, in order.
    pub workers: Vec<String>,
    /// Tasks waiting.
    pub queued_tasks: usize,
    /// Tasks done per worker.
    pub done: Vec<(String, u32)>,
}

/// Takes the oldest queued task; fails with `empty_queue` when there is none.
#[message(type = "take_next")]
pub struct TakeTask;

/// Work for a worker (actors only).
#[message(internal)]
pub struct ProcessTask {
    /// The task's id.
    pub task_id: String,
}

/// Asks for a worker's state.
#[message]
pub struct GetState {}

/// The reply to [`GetState`].
#[payload]
#[derive(Debug, PartialEq)]
pub struct WorkerState {
    /// Tasks processed.
    pub processed_count: u64,
    /// The last task.
    pub last_task: Option<String>,
}

/// A message that is an enum.
#[message]
#[derive(Debug)]
pub enum Command {
    /// Resets the counter.
    Reset,
    /// Sets the last task.
    SetLast {
        /// The task.
        task_id: String,
    },
}

/// A liveness probe, answered with the worker's id.
#[message(type = "heartbeat")]
pub struct Heartbeat {
    /// Sent at (ms).
    pub at: f64,
}

/// A message no fixture actor handles.
#[message]
pub struct Nobody;

/// The coordinator's own error.
#[derive(Debug)]
pub enum CoordError {
    /// No task queued.
    EmptyQueue,
}

impl IntoWireError for CoordError {
    fn into_wire_error(self) -> Error {
        match self {
            CoordError::EmptyQueue => Error::handler("empty_queue", "No task is queued"),
        }
    }
}

/// Plain, per-entry and transient state.
#[actor]
#[derive(Default)]
pub struct Coordinator {
    /// Stored as one key, `f/workers`.
    pub workers: Vec<String>,
    /// One key per task, `e/queue/<seq>`.
    #[persist(entries)]
    pub queue: PQueue<String>,
    /// One key per worker, `e/done/<worker>`.
    #[persist(entries)]
    pub done: PMap<String, u32>,
    /// Not stored.
    #[persist(skip)]
    pub turns: u32,
}

#[route]
impl Coordinator {
    async fn register_worker(
        &mut self,
        ctx: &mut Ctx,
        msg: RegisterWorker,
    ) -> Result<Registered, Error> {
        self.turns += 1;
        let worker_id = match msg.worker_id {
            Some(id) if id.is_empty() => {
                return Err(Error::InvalidPayload {
                    reason: "workerId is empty".into(),
                })
            }
            Some(id) => id,
            None => ctx.sender().id().to_owned(),
        };
        if !self.workers.contains(&worker_id) {
            self.workers.push(worker_id.clone());
        }
        Ok(Registered {
            status: "registered".into(),
            worker_id,
        })
    }

    async fn assign_task(&mut self, _ctx: &mut Ctx, msg: AssignTask) -> Queued {
        self.turns += 1;
        self.queue.push_back(msg.task_id.clone());
        Queued {
            task_id: msg.task_id,
            position: self.queue.len(),
        }
    }

    async fn take_task(&mut self, _ctx: &mut Ctx, _msg: TakeTask) -> Result<String, CoordError> {
        self.turns += 1;
        self.queue.pop_front().ok_or(CoordError::EmptyQueue)
    }

    async fn task_complete(&mut self, _ctx: &mut Ctx, msg: TaskComplete) {
        self.turns += 1;
        let done = self.done.get(&msg.worker_id).copied().unwrap_or(0);
        self.done.insert(msg.worker_id, done + 1);
    }

    async fn get_status(&mut self, _ctx: &mut Ctx, _msg: GetStatus) -> Status {
        self.turns += 1;
        Status {
            workers: self.workers.clone(),
            queued_tasks: self.queue.len(),
            done: self.done.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        }
    }

    /// Not a handler.
    #[route(skip)]
    pub fn queued(&self) -> usize {
        self.queue.len()
    }
}

/// A worker: two plain fields.
#[actor(kind = "worker", binding = "WORKERS")]
#[derive(Default)]
pub struct Worker {
    processed_count: u64,
    last_task: Option<String>,
}

#[route]
impl Worker {
    async fn process_task(&mut self, ctx: &mut Ctx, msg: ProcessTask) -> Result<u64, Error> {
        self.processed_count += 1;
        self.last_task = Some(msg.task_id.clone());
        ctx.actor::<Coordinator>("main").send(&TaskComplete {
            task_id: msg.task_id,
            worker_id: ctx.me().id().to_owned(),
        })?;
        Ok(self.processed_count)
    }

    async fn get_state(&mut self, _ctx: &mut Ctx, _msg: GetState) -> WorkerState {
        WorkerState {
            processed_count: self.processed_count,
            last_task: self.last_task.clone(),
        }
    }

    async fn heartbeat(&mut self, ctx: &mut Ctx, msg: Heartbeat) -> String {
        #[waive("clocks in the fixtures never go backwards")]
        if msg.at < 0.0 {
            return "before the epoch".into();
        }
        ctx.me().id().to_owned()
    }

    async fn command(&mut self, _ctx: &mut Ctx, msg: Command) -> String {
        match msg {
            Command::Reset => self.processed_count = 0,
            Command::SetLast { task_id } => self.last_task = Some(task_id),
        }
        "ok".into()
    }
}

/// The gateway of the fixtures.
#[actor(kind = "session", gateway(
    forward(coordinator = Coordinator, worker = Worker),
    reply_to("client:coordinator-proxy" = [RegisterWorker, AssignTask, GetStatus],
             "client:worker-proxy" = [GetState], default = "client:ui"),
))]
pub struct Session;
