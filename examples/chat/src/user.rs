//! A user (`user:<name>`): how many messages they posted and which rooms they are in. Rooms tell
//! it; clients only read it.

use crate::limits::MAX_ROOMS_PER_USER;
use duract::{actor, message, payload, route, Ctx, Error, PSet};

/// `enter_room` (from a room, when its member joins): counts the room; `too_many_rooms` when
/// the user is in `MAX_ROOMS_PER_USER` rooms already.
#[message(internal)]
pub struct EnterRoom {
    pub room: String,
}

/// `leave_room` (from a room, when its member leaves or it closes).
#[message(internal)]
pub struct LeaveRoom {
    pub room: String,
}

/// `count_post` (from a room, for each message the user posted).
#[message(internal)]
pub struct CountPost {}

/// `get_user`: the user's figures.
#[message]
pub struct GetUser {}

/// The reply to `get_user`.
#[payload]
pub struct UserStats {
    pub name: String,
    pub posts: u64,
    /// The rooms the user is in, by name.
    pub rooms: Vec<String>,
}

/// A user: one per name.
#[actor]
#[derive(Default)]
pub struct User {
    posts: u64,
    #[persist(entries)]
    rooms: PSet<String>,
}

#[route]
#[waive(
    host = "workerd",
    unknown_type = "clients go through the gateway, which answers an unknown type itself"
)]
impl User {
    #[waive(
        host = "workerd",
        invalid_payload = "internal: only rooms send it, typed"
    )]
    async fn enter_room(&mut self, ctx: &mut Ctx, msg: EnterRoom) -> Result<(), Error> {
        let max = ctx.limit(MAX_ROOMS_PER_USER);
        if !self.rooms.contains(&msg.room) && self.rooms.len() as u64 >= max {
            return Err(Error::handler(
                "too_many_rooms",
                format!("a user is in at most {max} rooms: leave one first"),
            ));
        }
        self.rooms.insert(msg.room);
        Ok(())
    }

    #[waive(
        host = "workerd",
        invalid_payload = "internal: only rooms send it, typed"
    )]
    async fn leave_room(&mut self, _ctx: &mut Ctx, msg: LeaveRoom) {
        self.rooms.remove(&msg.room);
    }

    async fn count_post(&mut self, _ctx: &mut Ctx, _msg: CountPost) {
        self.posts += 1;
    }

    async fn get_user(&mut self, ctx: &mut Ctx, _msg: GetUser) -> UserStats {
        UserStats {
            name: ctx.me().id().to_owned(),
            posts: self.posts,
            rooms: self.rooms.iter().cloned().collect(),
        }
    }
}
