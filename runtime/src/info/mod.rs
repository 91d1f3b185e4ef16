//! Static descriptions, the bottom layer: what an actor type is (its kind, class, binding,
//! routes, branches) and a gateway's routing table. Written by the macros as constants; hosts
//! route by them, the checklist reads them.

pub mod branch;

use branch::Branch;

/// The static description of an actor type: everything a host needs to route to it.
#[derive(Debug)]
pub struct ActorInfo {
    /// The address kind (`coordinator` in `coordinator:main`).
    pub kind: &'static str,
    /// The Durable Object class it runs as (`CoordinatorActor`).
    pub class: &'static str,
    /// The Durable Object namespace binding other actors reach it by (`COORDINATOR_ACTOR`).
    pub binding: &'static str,
    /// The message types it handles.
    pub routes: &'static [RouteInfo],
    /// Every branch it has.
    pub branches: &'static [Branch],
    /// Present when the actor is a gateway for client connections.
    pub gateway: Option<&'static GatewayInfo>,
}

impl ActorInfo {
    /// The route for a wire message type.
    pub fn route(&self, message_type: &str) -> Option<&'static RouteInfo> {
        self.routes.iter().find(|r| r.message_type == message_type)
    }
}

/// One message type an actor handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteInfo {
    /// The wire type.
    pub message_type: &'static str,
    /// Whether only actors may send it.
    pub internal: bool,
    /// The handler method's name.
    pub handler: &'static str,
}

/// A gateway's routing table.
#[derive(Debug)]
pub struct GatewayInfo {
    /// Which address kinds go to which actor types.
    pub forwards: &'static [Forward],
    /// Where replies go, by request type.
    pub replies: &'static [ReplyRoute],
    /// Where every other reply goes (errors and `SessionEstablished` included).
    pub default_reply_to: &'static str,
}

/// Frames whose `to` has kind `kind` go to actors of type `target`.
#[derive(Debug)]
pub struct Forward {
    /// The address kind.
    pub kind: &'static str,
    /// The actor type (and so its Durable Object binding).
    pub target: &'static ActorInfo,
}

/// Successful replies to requests of type `message_type` go to the client address `to`.
#[derive(Debug)]
pub struct ReplyRoute {
    /// The request's wire type.
    pub message_type: &'static str,
    /// The client address, e.g. `client:coordinator-proxy`.
    pub to: &'static str,
}

impl GatewayInfo {
    /// The forward route of an address kind.
    pub fn forward(&self, kind: &str) -> Option<&'static ActorInfo> {
        self.forwards
            .iter()
            .find(|f| f.kind == kind)
            .map(|f| f.target)
    }

    /// Where the reply to a successful request of `message_type` goes.
    pub fn reply_to(&self, message_type: &str) -> &'static str {
        self.replies
            .iter()
            .find(|r| r.message_type == message_type)
            .map_or(self.default_reply_to, |r| r.to)
    }
}
