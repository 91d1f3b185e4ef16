//! A chat room (`room:<name>`): members join from their session, and each post is pushed to
//! every member's session (all of its sockets). The room keeps its last [`HISTORY_LEN`]
//! messages for those who join later, counts each post at its author's [`User`], and closes
//! when nobody joined or posted for `ROOM_IDLE_MS` (a durable timer, set again by each join and
//! post).

use crate::limits::{
    check_name, check_text, MAX_MEMBERS, MAX_MESSAGE_BYTES, MAX_NAME_BYTES, ROOM_IDLE_MS,
};
use crate::session::Session;
use crate::user::{CountPost, EnterRoom, LeaveRoom, User};
use duract::{actor, message, payload, route, Ctx, Error, PMap, PQueue, Principal};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The messages a room keeps.
pub const HISTORY_LEN: usize = 50;

/// The name of the room's idle timer.
const IDLE_TIMER: &str = "idle";

/// `join`: `name` joins the room from `session` (the `sessionId` of its `SessionEstablished`).
/// Joining again from the same session changes nothing; a name another session holds is
/// `name_taken`.
#[message]
pub struct Join {
    pub name: String,
    pub session: String,
}

/// `post`: `name` (a member, from its session) says `text` to the room.
#[message]
pub struct Post {
    pub name: String,
    pub session: String,
    pub text: String,
}

/// `leave`: `name` (a member, from its session) leaves the room.
#[message]
pub struct Leave {
    pub name: String,
    pub session: String,
}

/// `get_history`: the messages the room keeps, oldest first.
#[message]
pub struct GetHistory {}

/// `idle` (the room's own timer): nothing happened for `ROOM_IDLE_MS`; the room closes.
#[message(internal)]
pub struct Idle {}

/// A message of the room: the reply's history, and what a post pushes to the members' sockets
/// (frame type `chat_message`).
#[message]
#[derive(Clone)]
pub struct ChatMessage {
    /// The room's name.
    pub room: String,
    /// The message's number in the room, from 1.
    pub seq: u64,
    pub name: String,
    pub text: String,
    /// When the room got it, ms since the epoch.
    pub at: u64,
}

/// What an idle room pushes to its members' sockets before it forgets them: frame type
/// `room_closed`.
#[message]
pub struct RoomClosed {
    pub room: String,
    pub reason: String,
}

/// The reply to `join`: who is in the room (the new member included) and its history.
#[payload]
pub struct Joined {
    pub members: Vec<String>,
    pub history: Vec<ChatMessage>,
}

/// The reply to `post`: the message's number.
#[payload]
pub struct Posted {
    pub seq: u64,
}

/// The reply to `leave`: how many members remain.
#[payload]
pub struct Left {
    pub members: usize,
}

/// The reply to `get_history`.
#[payload]
pub struct History {
    pub messages: Vec<ChatMessage>,
}

/// A member: where to push to it, and who it joined as.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Member {
    pub session: String,
    pub principal: Option<Principal>,
}

/// A room: one per name.
#[actor]
#[derive(Default)]
pub struct Room {
    /// By name.
    #[persist(entries)]
    members: PMap<String, Member>,
    /// The last [`HISTORY_LEN`] messages, oldest first.
    #[persist(entries)]
    history: PQueue<ChatMessage>,
    /// The number of the last message.
    last_seq: u64,
}

#[route]
#[waive(
    host = "workerd",
    unknown_type = "clients go through the gateway, which answers an unknown type itself"
)]
impl Room {
    async fn join(&mut self, ctx: &mut Ctx, msg: Join) -> Result<Joined, Error> {
        check_name(&msg.name, ctx.limit(MAX_NAME_BYTES))?;
        ctx.check_id("session", &msg.session)?;
        ctx.actor::<Session>(&msg.session).address()?; // pushes to it cannot fail later
        match self.members.get(&msg.name) {
            Some(member) if member.session != msg.session => {
                return Err(Error::handler(
                    "name_taken",
                    format!("{} is in the room from another session", msg.name),
                ));
            }
            Some(_) => {}
            None => {
                let max = ctx.limit(MAX_MEMBERS);
                if self.members.len() as u64 >= max {
                    return Err(Error::handler(
                        "room_full",
                        format!("a room has at most {max} members"),
                    ));
                }
                let room = ctx.me().id().to_owned();
                ctx.actor::<User>(&msg.name)
                    .ask(&EnterRoom { room })
                    .await?;
                let member = Member {
                    session: msg.session,
                    principal: ctx.principal().cloned(),
                };
                self.members.insert(msg.name, member);
            }
        }
        self.stay_open(ctx)?;
        Ok(Joined {
            members: self.members.iter().map(|(name, _)| name.clone()).collect(),
            history: self.history.iter().cloned().collect(),
        })
    }

    async fn post(&mut self, ctx: &mut Ctx, msg: Post) -> Result<Posted, Error> {
        self.check_member(ctx, &msg.name, &msg.session)?;
        check_text(&msg.text, ctx.limit(MAX_MESSAGE_BYTES))?;
        self.last_seq += 1;
        let message = ChatMessage {
            room: ctx.me().id().to_owned(),
            seq: self.last_seq,
            name: msg.name,
            text: msg.text,
            at: ctx.now(),
        };
        self.push_to_members(ctx, &message)?;
        ctx.actor::<User>(&message.name).send(&CountPost {})?;
        self.history.push_back(message);
        while self.history.len() > HISTORY_LEN {
            self.history.pop_front();
        }
        self.stay_open(ctx)?;
        Ok(Posted { seq: self.last_seq })
    }

    async fn leave(&mut self, ctx: &mut Ctx, msg: Leave) -> Result<Left, Error> {
        self.check_member(ctx, &msg.name, &msg.session)?;
        self.members.remove(&msg.name);
        let room = ctx.me().id().to_owned();
        ctx.actor::<User>(&msg.name).send(&LeaveRoom { room })?;
        Ok(Left {
            members: self.members.len(),
        })
    }

    async fn get_history(&mut self, _ctx: &mut Ctx, _msg: GetHistory) -> History {
        History {
            messages: self.history.iter().cloned().collect(),
        }
    }

    #[waive(
        host = "workerd",
        reason = "the room closes after ROOM_IDLE_MS (30 min): tests/native.rs runs it on virtual time"
    )]
    #[waive(
        handler_error = "it pushes and sends to sessions and users whose addresses join checked"
    )]
    async fn idle(&mut self, ctx: &mut Ctx, _msg: Idle) -> Result<(), Error> {
        let room = ctx.me().id().to_owned();
        let closed = RoomClosed {
            room: room.clone(),
            reason: "idle".to_owned(),
        };
        self.push_to_members(ctx, &closed)?;
        let names: Vec<String> = self.members.iter().map(|(name, _)| name.clone()).collect();
        for name in names {
            ctx.actor::<User>(&name)
                .send(&LeaveRoom { room: room.clone() })?;
            self.members.remove(&name);
        }
        while self.history.pop_front().is_some() {}
        Ok(())
    }
}

impl Room {
    /// `Ok` when `name` is a member that joined from `session` as the principal of this turn,
    /// else `not_a_member`.
    fn check_member(&self, ctx: &Ctx, name: &str, session: &str) -> Result<(), Error> {
        let joined = self
            .members
            .get(&name.to_owned())
            .is_some_and(|m| m.session == session && m.principal.as_ref() == ctx.principal());
        if joined {
            Ok(())
        } else {
            Err(Error::handler(
                "not_a_member",
                format!("{name} is not in the room from this session"),
            ))
        }
    }

    /// Pushes `msg` to the session of every member, as the principal it joined as: every
    /// socket of that session gets it. Leaves when the turn commits.
    fn push_to_members<M: duract::Message>(&self, ctx: &Ctx, msg: &M) -> Result<(), Error> {
        for (_, member) in self.members.iter() {
            ctx.actor::<Session>(&member.session)
                .for_principal(member.principal.as_ref())
                .send(msg)?;
        }
        Ok(())
    }

    /// (Re)sets the idle timer: the room closes after `ROOM_IDLE_MS` without a join or a post.
    fn stay_open(&self, ctx: &Ctx) -> Result<(), Error> {
        let after = Duration::from_millis(ctx.limit(ROOM_IDLE_MS));
        ctx.set_timer(IDLE_TIMER, after, &Idle {})
    }
}
