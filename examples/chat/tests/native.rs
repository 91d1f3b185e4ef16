//! The chat room on the native host: the code that runs in workerd, in-process, with a virtual
//! clock. Pushes are modelled: a room's `send` to a session reaches every socket of it.

use duract::native::{assert_error_code, Connection, Host};
use duract::{Envelope, Principal};
use duract_example_chat::room::{GetHistory, Post, HISTORY_LEN};
use duract_example_chat::user::{CountPost, GetUser};
use duract_example_chat::{Room, Session, User};
use serde_json::{json, Value};

fn host() -> Host {
    Host::new().with::<Session>().with::<Room>().with::<User>()
}

/// A request from `conn`'s client to `to`; its reply (an `Error` reply too).
fn ask(host: &Host, conn: &Connection, to: &str, ty: &str, payload: Value) -> Envelope {
    let client = host.client("client:ui").unwrap();
    let envelope = client.envelope(to, ty, &payload).unwrap();
    conn.request(&envelope).unwrap()
}

/// A request that must succeed; its reply's payload.
fn ok(host: &Host, conn: &Connection, to: &str, ty: &str, payload: Value) -> Value {
    let reply = ask(host, conn, to, ty, payload);
    assert!(!reply.is_error(), "{ty}: {}", reply.payload.get());
    serde_json::from_str(reply.payload.get()).unwrap()
}

/// `name` joins `room` from `session` (over `conn`); the reply.
fn join(host: &Host, conn: &Connection, room: &str, name: &str, session: &str) -> Value {
    let payload = json!({ "name": name, "session": session });
    ok(host, conn, &format!("room:{room}"), "join", payload)
}

fn post(host: &Host, conn: &Connection, name: &str, session: &str, text: &str) -> Envelope {
    let payload = json!({ "name": name, "session": session, "text": text });
    ask(host, conn, "room:lobby", "post", payload)
}

/// The pushes of type `ty` a connection received, as JSON.
fn pushes(conn: &Connection, ty: &str) -> Vec<Value> {
    conn.received()
        .iter()
        .filter(|e| e.message_type == ty && e.reply_to.is_none())
        .map(|e| serde_json::from_str(e.payload.get()).unwrap())
        .collect()
}

fn texts(conn: &Connection) -> Vec<String> {
    pushes(conn, "chat_message")
        .iter()
        .map(|m| {
            format!(
                "{}: {}",
                m["name"].as_str().unwrap(),
                m["text"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn two_members_receive_each_others_messages_as_pushes() {
    let host = host();
    let alice = host.connect("session:a").unwrap();
    let alice_phone = host.connect("session:a").unwrap();
    let bob = host.connect("session:b").unwrap();
    let stranger = host.connect("session:c").unwrap();
    join(&host, &alice, "lobby", "alice", "a");
    let joined = join(&host, &bob, "lobby", "bob", "b");
    assert_eq!(joined["members"], json!(["alice", "bob"]));

    let posted = post(&host, &alice, "alice", "a", "hi bob");
    assert_eq!(posted.payload.get(), r#"{"seq":1}"#);
    post(&host, &bob, "bob", "b", "hi alice");
    host.run_until_idle().unwrap();

    let both = ["alice: hi bob", "bob: hi alice"];
    for conn in [&alice, &alice_phone, &bob] {
        assert_eq!(texts(conn), both, "every socket of every member");
    }
    assert!(texts(&stranger).is_empty(), "no one else");
    let first = &pushes(&bob, "chat_message")[0];
    assert_eq!(first["room"], "lobby");
    assert_eq!(first["seq"], 1);
    let frame = bob
        .received()
        .into_iter()
        .find(|e| e.message_type == "chat_message");
    assert!(
        frame.unwrap().principal.is_none(),
        "principals stay server-side"
    );
}

#[test]
fn the_room_keeps_the_last_messages_across_a_restart() {
    let host = host();
    let alice = host.connect("session:a").unwrap();
    join(&host, &alice, "lobby", "alice", "a");
    for n in 1..=HISTORY_LEN + 5 {
        post(&host, &alice, "alice", "a", &format!("line {n}"));
    }
    host.restart_all();
    let bob = host.connect("session:b").unwrap();
    let joined = join(&host, &bob, "lobby", "bob", "b");
    let history = joined["history"].as_array().unwrap();
    assert_eq!(history.len(), HISTORY_LEN);
    assert_eq!(history[0]["text"], "line 6", "the oldest five are gone");
    assert_eq!(history[HISTORY_LEN - 1]["seq"], HISTORY_LEN as u64 + 5);
    let client = host.client("client:ui").unwrap();
    let kept = client.actor::<Room>("lobby").ask(&GetHistory {}).unwrap();
    assert_eq!(kept.messages.len(), HISTORY_LEN);
    assert_eq!(kept.messages[0].text, "line 6");
}

#[test]
fn each_users_posts_and_rooms_are_counted() {
    let host = host();
    let alice = host.connect("session:a").unwrap();
    join(&host, &alice, "lobby", "alice", "a");
    join(&host, &alice, "kitchen", "alice", "a");
    join(&host, &alice, "kitchen", "alice", "a"); // again: changes nothing
    post(&host, &alice, "alice", "a", "one");
    post(&host, &alice, "alice", "a", "two");
    host.run_until_idle().unwrap();
    let stats = ok(&host, &alice, "user:alice", "get_user", json!({}));
    assert_eq!(
        stats,
        json!({ "name": "alice", "posts": 2, "rooms": ["kitchen", "lobby"] })
    );
    let left = ok(
        &host,
        &alice,
        "room:kitchen",
        "leave",
        json!({ "name": "alice", "session": "a" }),
    );
    assert_eq!(left["members"], 0);
    host.run_until_idle().unwrap();
    let client = host.client("client:ui").unwrap();
    let stats = client.actor::<User>("alice").ask(&GetUser {}).unwrap();
    assert_eq!(stats.rooms, ["lobby"]);
}

#[test]
fn a_member_who_left_gets_no_more_pushes() {
    let host = host();
    let alice = host.connect("session:a").unwrap();
    let bob = host.connect("session:b").unwrap();
    join(&host, &alice, "lobby", "alice", "a");
    join(&host, &bob, "lobby", "bob", "b");
    ok(
        &host,
        &bob,
        "room:lobby",
        "leave",
        json!({ "name": "bob", "session": "b" }),
    );
    post(&host, &alice, "alice", "a", "anyone?");
    host.run_until_idle().unwrap();
    assert_eq!(texts(&alice), ["alice: anyone?"]);
    assert!(texts(&bob).is_empty());
    let code = post(&host, &bob, "bob", "b", "me?");
    assert_error_code(&code, "not_a_member");
    let again = ask(
        &host,
        &bob,
        "room:lobby",
        "leave",
        json!({ "name": "bob", "session": "b" }),
    );
    assert_error_code(&again, "not_a_member");
}

#[test]
fn an_idle_room_closes_and_tells_its_members() {
    let host = host().var("ROOM_IDLE_MS", "60000");
    let alice = host.connect("session:a").unwrap();
    join(&host, &alice, "lobby", "alice", "a");
    host.advance(50_000).unwrap();
    post(&host, &alice, "alice", "a", "still here"); // sets the timer again
    host.advance(50_000).unwrap();
    assert!(
        pushes(&alice, "room_closed").is_empty(),
        "a post keeps the room open"
    );
    host.advance(10_000).unwrap();
    host.run_until_idle().unwrap();
    assert_eq!(
        pushes(&alice, "room_closed"),
        [json!({ "room": "lobby", "reason": "idle" })]
    );
    let client = host.client("client:ui").unwrap();
    assert!(client
        .actor::<Room>("lobby")
        .ask(&GetHistory {})
        .unwrap()
        .messages
        .is_empty());
    assert!(client
        .actor::<User>("alice")
        .ask(&GetUser {})
        .unwrap()
        .rooms
        .is_empty());
    assert_error_code(&post(&host, &alice, "alice", "a", "hello?"), "not_a_member");
}

#[test]
fn what_a_client_sends_is_bounded() {
    let host = host()
        .var("MAX_MESSAGE_BYTES", "10")
        .var("MAX_NAME_BYTES", "5")
        .var("MAX_MEMBERS", "2")
        .var("MAX_ROOMS_PER_USER", "2");
    let conn = host.connect("session:a").unwrap();
    let room = "room:lobby";
    let join_as = |name: &str, session: &str| {
        ask(
            &host,
            &conn,
            room,
            "join",
            json!({ "name": name, "session": session }),
        )
    };
    assert_error_code(&join_as("", "a"), "invalid_name");
    assert_error_code(&join_as("  ", "a"), "invalid_name");
    join(&host, &conn, "lobby", "ann", "a");
    assert_error_code(&join_as("bobby!", "b"), "invalid_name");
    assert_error_code(&join_as("a\u{7}", "b"), "invalid_name");
    assert_error_code(&join_as("ann", "b"), "name_taken");
    assert_error_code(&join_as("bo", &"s".repeat(300)), "invalid_payload");
    join(&host, &conn, "lobby", "bo", "b");
    assert_error_code(&join_as("cy", "c"), "room_full");
    join(&host, &conn, "den", "ann", "a");
    let third = ask(
        &host,
        &conn,
        "room:attic",
        "join",
        json!({ "name": "ann", "session": "a" }),
    );
    assert_error_code(&third, "too_many_rooms");
    let attic = host.client("client:ui").unwrap();
    let history = attic.actor::<Room>("attic").ask(&GetHistory {}).unwrap();
    assert!(history.messages.is_empty());

    assert_error_code(
        &post(&host, &conn, "ann", "a", "0123456789!"),
        "message_too_long",
    );
    assert_error_code(&post(&host, &conn, "ann", "a", " \n "), "empty_message");
    assert_error_code(&post(&host, &conn, "ann", "b", "hi"), "not_a_member"); // bo's session
    assert_error_code(&post(&host, &conn, "eve", "a", "hi"), "not_a_member");
    let fits = post(&host, &conn, "ann", "a", "0123456789");
    assert!(!fits.is_error(), "{}", fits.payload.get());
}

#[test]
fn with_authentication_a_member_posts_only_as_the_principal_it_joined_as() {
    let host = host();
    let user = |sub: &str| Principal::new(sub, "acme");
    let alice = host.connect_as("session:s", user("alice")).unwrap();
    let mallory = host.connect_as("session:s", user("mallory")).unwrap();
    join(&host, &alice, "lobby", "alice", "s");
    // Same session name, same member name, another principal: refused.
    assert_error_code(
        &post(&host, &mallory, "alice", "s", "it's me"),
        "not_a_member",
    );
    post(&host, &alice, "alice", "s", "hello");
    host.run_until_idle().unwrap();
    assert_eq!(texts(&alice), ["alice: hello"]);
    assert!(
        texts(&mallory).is_empty(),
        "mallory's session is another instance"
    );
}

#[test]
fn clients_cannot_send_what_rooms_tell_users() {
    let host = host();
    let conn = host.connect("session:a").unwrap();
    let reply = ask(&host, &conn, "user:alice", "count_post", json!({}));
    assert_error_code(&reply, "forbidden");
    let reply = ask(&host, &conn, "room:lobby", "idle", json!({}));
    assert_error_code(&reply, "forbidden");
    // An actor may: the count goes up.
    let client = host.client("client:ui").unwrap();
    client.actor::<User>("alice").send(&CountPost {}).unwrap();
    host.run_until_idle().unwrap();
    assert_eq!(
        client
            .actor::<User>("alice")
            .ask(&GetUser {})
            .unwrap()
            .posts,
        1
    );
    let posted = client.actor::<Room>("lobby").ask(&Post {
        name: "alice".into(),
        session: "a".into(),
        text: "x".into(),
    });
    assert_eq!(posted.err().unwrap().code(), "not_a_member");
}

/// A request frame with id `id`.
fn frame(id: &str, to: &str, ty: &str, payload: &str) -> String {
    let head = format!(r#""id":"{id}","timestamp":0,"from":"client:ui""#);
    format!(r#"{{{head},"to":"{to}","type":"{ty}","payload":{payload}}}"#)
}

/// Sends a raw text frame; the last frame the connection received.
fn send_raw(host: &Host, conn: &Connection, text: &str) -> Envelope {
    conn.send_text(text).unwrap();
    host.run_until_idle().unwrap();
    conn.received().pop().expect("a frame")
}

#[test]
fn bad_frames_and_payloads_get_their_codes() {
    let host = host().var("MAX_FRAME_BYTES", "1000");
    let conn = host.connect("session:a").unwrap();
    conn.send_binary(vec![1, 2, 3]).unwrap();
    host.run_until_idle().unwrap();
    assert_error_code(&conn.received().pop().unwrap(), "unsupported_frame");
    let cases = [
        ("x".repeat(2000), "too_large"),
        ("not json".to_owned(), "invalid_format"),
        (frame("r", "lobby", "join", "{}"), "invalid_address"),
        (frame("r", "hall:x", "join", "{}"), "unknown_actor"),
        (
            frame("r", "user:ann", "enter_room", r#"{"room":"x"}"#),
            "forbidden",
        ),
        (frame("r", "room:lobby", "shout", "{}"), "unknown_type"),
        (
            frame("r", "room:lobby", "join", r#"{"name":1}"#),
            "invalid_payload",
        ),
        (frame("r", "room:lobby", "post", "[]"), "invalid_payload"),
        (frame("r", "room:lobby", "leave", "7"), "invalid_payload"),
    ];
    for (text, code) in cases {
        assert_error_code(&send_raw(&host, &conn, &text), code);
    }
}

#[test]
fn what_only_actors_send_is_checked_too() {
    // Types and payloads a gateway refuses first, sent by an actor (a test client here).
    let host = host();
    let client = host.client("client:ui").unwrap();
    for to in ["room:lobby", "user:ann"] {
        let reply = host
            .ask(client.envelope(to, "shout", &()).unwrap())
            .unwrap();
        assert_error_code(&reply, "unknown_type");
    }
    for ty in ["enter_room", "leave_room"] {
        let reply = host
            .ask(client.envelope("user:ann", ty, &7).unwrap())
            .unwrap();
        assert_error_code(&reply, "invalid_payload");
    }
}

#[test]
fn a_burst_over_max_inflight_is_refused() {
    let host = host().var("MAX_INFLIGHT", "1");
    let conn = host.connect("session:a").unwrap();
    let history = |id| frame(id, "room:lobby", "get_history", "{}");
    conn.send_text(history("a")).unwrap();
    conn.send_text(history("b")).unwrap();
    host.run_until_idle().unwrap();
    assert_eq!(
        conn.reply_to("a").unwrap().message_type,
        "get_historyResponse"
    );
    assert_error_code(&conn.reply_to("b").unwrap(), "overloaded");
}

#[test]
fn a_session_that_is_no_address_cannot_join() {
    let host = host();
    let conn = host.connect("session:a").unwrap();
    let reply = ask(
        &host,
        &conn,
        "room:lobby",
        "join",
        json!({ "name": "ann", "session": "" }),
    );
    assert_error_code(&reply, "invalid_address");
}
