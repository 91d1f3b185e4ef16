//! Pushes to clients: an actor sends a message to a session, and the session's sockets get it,
//! typed like any other send. A chat room is the example: members join from their session,
//! a post goes to every member's session (each with the principal it joined with, so with
//! authentication each reaches its own user's session).

use duract::native::Host;
use duract::{actor, message, payload, route, Ctx, Error, Principal};

/// `join` (from a session's client): the sender's session joins the room.
#[message]
pub struct Join {
    /// The session's id (the one in `SessionEstablished`).
    pub session: String,
}

/// `post`: a line for every member.
#[message]
pub struct Post {
    pub text: String,
}

/// What members' sockets receive: `{"type": "chat", "payload": {"text": ..}}`.
#[message]
pub struct Chat {
    pub text: String,
}

/// The reply to `post`: how many sockets got the line.
#[payload]
pub struct Posted {
    pub sockets: usize,
}

/// A room: its members, each a session and the principal it joined with.
#[actor]
#[derive(Default)]
pub struct Room {
    members: Vec<(String, Option<Principal>)>,
}

#[route]
impl Room {
    async fn join(&mut self, ctx: &mut Ctx, msg: Join) {
        self.members.push((msg.session, ctx.principal().cloned()));
    }

    async fn post(&mut self, ctx: &mut Ctx, msg: Post) -> Result<Posted, Error> {
        let mut sockets = 0;
        for (session, principal) in &self.members {
            let chat = Chat {
                text: msg.text.clone(),
            };
            let session = ctx
                .actor::<Session>(session)
                .for_principal(principal.as_ref());
            sockets += session.ask(&chat).await?.delivered;
        }
        Ok(Posted { sockets })
    }
}

#[actor(kind = "session", gateway(forward(room = Room)))]
pub struct Session;

fn request(host: &Host, conn: &duract::native::Connection, ty: &str, payload: serde_json::Value) {
    let client = host.client("client:ui").unwrap();
    let envelope = client.envelope("room:lobby", ty, &payload).unwrap();
    let reply = conn.request(&envelope).unwrap();
    assert!(!reply.is_error(), "{ty}: {}", reply.payload.get());
}

fn chats(conn: &duract::native::Connection) -> Vec<String> {
    conn.received()
        .iter()
        .filter(|e| e.message_type == "chat")
        .map(|e| e.payload.get().to_owned())
        .collect()
}

#[test]
fn a_post_reaches_every_socket_of_every_member_and_no_one_else() {
    let host = Host::new().with::<Room>().with::<Session>();
    let alice = host.connect("session:a").unwrap();
    let alice_phone = host.connect("session:a").unwrap();
    let bob = host.connect("session:b").unwrap();
    let stranger = host.connect("session:c").unwrap();
    request(&host, &alice, "join", serde_json::json!({"session": "a"}));
    request(&host, &bob, "join", serde_json::json!({"session": "b"}));
    let client = host.client("client:ui").unwrap();
    let posted = client
        .actor::<Room>("lobby")
        .ask(&Post { text: "hi".into() })
        .unwrap();
    assert_eq!(posted.sockets, 3, "alice's two sockets and bob's");
    for conn in [&alice, &alice_phone, &bob] {
        assert_eq!(chats(conn), [r#"{"text":"hi"}"#]);
        let chat = conn
            .received()
            .into_iter()
            .find(|e| e.message_type == "chat");
        assert!(
            chat.unwrap().principal.is_none(),
            "principals stay server-side"
        );
    }
    assert!(chats(&stranger).is_empty());
}

#[test]
fn with_authentication_each_member_is_reached_in_their_own_session() {
    let host = Host::new().with::<Room>().with::<Session>();
    let user = |sub: &str| Principal {
        subject: sub.into(),
        tenant: "acme".into(),
    };
    // Both call their session "s": as different principals they are different sessions.
    let alice = host.connect_as("session:s", user("alice")).unwrap();
    let bob = host.connect_as("session:s", user("bob")).unwrap();
    request(&host, &alice, "join", serde_json::json!({"session": "s"}));
    request(&host, &bob, "join", serde_json::json!({"session": "s"}));
    // Bob posts: the room pushes to alice's session as alice, to bob's as bob.
    request(&host, &bob, "post", serde_json::json!({"text": "hello"}));
    assert_eq!(chats(&alice), [r#"{"text":"hello"}"#]);
    assert_eq!(chats(&bob), [r#"{"text":"hello"}"#]);
}
