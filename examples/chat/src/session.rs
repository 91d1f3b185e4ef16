//! The gateway (`session:<sessionId>`): clients connect to it over WebSockets; it checks each
//! frame and forwards it by the kind of its `to`. Rooms push to it, and it passes what they
//! push to every socket of the session.

use crate::{Room, User};
use duract::actor;

/// The gateway: a routing table, no state.
#[actor(kind = "session", gateway(forward(room = Room, user = User)))]
pub struct Session;
