//! A chat room on Durable Objects, the second example of duract (the README's "your own
//! system"): small enough to read at once, and using what a system of one's own needs beyond
//! requests and replies.
//!
//! - [`Room`] (`room:<name>`): its members (each a name, the session it joined from and the
//!   principal it joined as) and its last [`HISTORY_LEN`](room::HISTORY_LEN) messages. A post is
//!   **pushed** to every member's session, so every socket of every member gets it as a frame of
//!   type `chat_message`; a room left idle for `ROOM_IDLE_MS` closes (a durable timer) and pushes
//!   `room_closed`.
//! - [`User`] (`user:<name>`): counts a member's posts and the rooms they are in (bounded).
//! - [`Session`]: the gateway clients connect to (`GET /ws?session=<name>`).
//!
//! Every input a client controls is bounded ([`limits`]), and each refusal is an `Error` reply
//! with a stable code. A client's first frame is `SessionEstablished` (its `sessionId` is what
//! `join` takes); then, for example:
//!
//! ```text
//! {"to": "room:lobby", "type": "join", "payload": {"name": "alice", "session": "s1"}, ...}
//! {"to": "room:lobby", "type": "post", "payload": {"name": "alice", "session": "s1", "text": "hi"}, ...}
//! ```

pub mod limits;
pub mod room;
pub mod session;
pub mod user;

pub use {room::Room, session::Session, user::User};

/// The worker's entry point: `GET /ws?session=<name>` opens a WebSocket to that session.
#[cfg(target_arch = "wasm32")]
mod entry {
    use worker::{event, Context, Env, Request, Response};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
        duract::durable::gateway_entry::<crate::Session>(req, &env).await
    }
}
