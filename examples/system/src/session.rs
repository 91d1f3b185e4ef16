//! The session gateway (`session:<sessionId>`): one per client session, holding its WebSockets.
//! It forwards each frame to the coordinator or a worker by the kind of its `to`, and routes
//! each reply to the client address declared for the request's type.

use crate::coordinator::{AssignTask, Coordinator, GetStatus, RegisterWorker};
use crate::worker::{GetState, Worker};
use duract::actor;

/// The gateway: a routing table, no state.
#[actor(kind = "session", gateway(
    forward(coordinator = Coordinator, worker = Worker),
    reply_to(
        "client:coordinator-proxy" = [RegisterWorker, AssignTask, GetStatus],
        "client:worker-proxy" = [GetState],
        default = "client:ui",
    ),
))]
pub struct Session;
