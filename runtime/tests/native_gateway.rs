//! Client connections to a gateway on the native host: the established frame, replies by
//! `replyTo`, error codes, broadcast, hibernation (eviction) and restart.

mod native_common;

use duract::native::{assert_error_code, reply_payload, HostError};
use duract::Envelope;
use native_common::{host, state};

#[test]
fn the_first_frame_is_session_established_with_the_session_id() {
    let host = host();
    let conn = host.connect("session:abc").unwrap();
    let frames = conn.received();
    assert_eq!(frames.len(), 1);
    let first = &frames[0];
    assert_eq!(first.message_type, "SessionEstablished");
    assert_eq!(first.from.as_str(), "session:abc");
    assert_eq!(first.to.as_str(), "client:ui");
    assert_eq!(first.payload.get(), r#"{"sessionId":"abc"}"#);
}

#[test]
fn frames_are_forwarded_and_answered_on_their_own_connection() {
    let host = host();
    let client = host.client("client:ui").unwrap();
    let one = host.connect("session:s").unwrap();
    let two = host.connect("session:s").unwrap();
    let a = client.envelope("counter:main", "add", &2).unwrap();
    let b = client.envelope("counter:main", "get", &()).unwrap();
    one.send(&a).unwrap();
    two.send(&b).unwrap();
    one.send(&client.envelope("counter:main", "add", &3).unwrap())
        .unwrap();
    host.run_until_idle().unwrap();
    let reply = one
        .reply_to(&a.id)
        .expect("reply on the sending connection");
    assert_eq!(reply.message_type, "addResponse");
    assert_eq!(reply.to.as_str(), "client:counter-proxy");
    assert_eq!(reply.from.as_str(), "session:s");
    assert_eq!(reply_payload::<u64>(&reply).unwrap(), 2);
    assert!(two.reply_to(&a.id).is_none(), "other sockets do not see it");
    let got = two.reply_to(&b.id).unwrap();
    assert_eq!(got.to.as_str(), "client:ui", "default reply route");
    assert_eq!(state(&host, "counter:main").count, 5);
}

#[test]
fn protocol_errors_come_back_with_their_codes_and_the_socket_keeps_working() {
    let host = host();
    let client = host.client("client:ui").unwrap();
    let conn = host.connect("session:s").unwrap();
    conn.send_binary(vec![1, 2, 3]).unwrap();
    conn.send_text("not json").unwrap();
    host.run_until_idle().unwrap();
    let frames = conn.received();
    assert_eq!(frames.len(), 3);
    for (frame, code) in frames[1..]
        .iter()
        .zip(["unsupported_frame", "invalid_format"])
    {
        assert_error_code(frame, code);
        assert_eq!(frame.reply_to, None);
    }
    let cases = [
        (
            client.envelope("nobody:x", "add", &1).unwrap(),
            "unknown_actor",
        ),
        (
            client.envelope("counter:x", "tick", &()).unwrap(),
            "forbidden",
        ),
        (
            client.envelope("counter:x", "nope", &()).unwrap(),
            "unknown_type",
        ),
        (
            client.envelope("counter:x", "add", &"one").unwrap(),
            "invalid_payload",
        ),
        (client.envelope("counter:x", "fail", &()).unwrap(), "nope"),
    ];
    for (request, code) in cases {
        let reply = conn.request(&request).unwrap();
        assert_error_code(&reply, code);
        assert_eq!(reply.reply_to.as_deref(), Some(request.id.as_str()));
    }
    let ok = conn
        .request(&client.envelope("counter:x", "add", &1).unwrap())
        .unwrap();
    assert_eq!(reply_payload::<u64>(&ok).unwrap(), 1);
}

#[test]
fn a_storage_fault_reaches_the_client_as_actor_error() {
    let host = host();
    let client = host.client("client:ui").unwrap();
    let conn = host.connect("session:s").unwrap();
    host.fail_next_writes("counter:x", 1).unwrap();
    let reply = conn
        .request(&client.envelope("counter:x", "add", &1).unwrap())
        .unwrap();
    assert_error_code(&reply, "actor_error");
}

#[test]
fn broadcast_reaches_every_socket_of_the_session_only() {
    let host = host();
    let one = host.connect("session:s").unwrap();
    let two = host.connect("session:s").unwrap();
    let other = host.connect("session:t").unwrap();
    let news = Envelope::request(
        "client:ui".parse().unwrap(),
        "session:s".parse().unwrap(),
        "news",
        &"hello",
        host.fresh_id(),
        host.now() as f64,
    )
    .unwrap();
    assert_eq!(host.broadcast_envelope("session:s", &news).unwrap(), 2);
    for conn in [&one, &two] {
        assert_eq!(conn.received().last(), Some(&news));
    }
    assert_eq!(other.received().len(), 1, "only SessionEstablished");
    two.close();
    assert_eq!(host.broadcast("session:s", "x").unwrap(), 1);
}

#[test]
fn eviction_keeps_connections_and_the_next_frame_reactivates() {
    let host = host();
    let client = host.client("client:ui").unwrap();
    let conn = host.connect("session:s").unwrap();
    conn.request(&client.envelope("counter:x", "add", &4).unwrap())
        .unwrap();
    host.evict("session:s").unwrap();
    host.evict("counter:x").unwrap();
    assert!(!host.is_active("session:s") && !host.is_active("counter:x"));
    assert!(conn.is_open());
    assert_eq!(host.open_connections("session:s"), 1);
    let reply = conn
        .request(&client.envelope("counter:x", "add", &1).unwrap())
        .unwrap();
    assert_eq!(
        reply_payload::<u64>(&reply).unwrap(),
        5,
        "state reloaded from storage"
    );
    assert_eq!(reply.from.as_str(), "session:s", "the session id survived");
    assert_eq!(host.activations("session:s"), 2);
    assert_eq!(host.activations("counter:x"), 2);
}

#[test]
fn a_busy_instance_is_not_evicted() {
    let host = host();
    let client = host.client("client:ui").unwrap();
    host.deliver(client.envelope("counter:x", "add", &1).unwrap())
        .unwrap();
    assert!(matches!(
        host.evict("counter:x"),
        Err(HostError::Busy { .. })
    ));
    host.run_until_idle().unwrap();
    host.evict("counter:x").unwrap();
}

#[test]
fn restart_closes_the_gateway_connections() {
    let host = host();
    let conn = host.connect("session:s").unwrap();
    host.restart("session:s").unwrap();
    assert!(!conn.is_open());
    assert!(matches!(
        conn.send_text("{}"),
        Err(HostError::Closed { .. })
    ));
    let again = host.connect("session:s").unwrap();
    assert!(again.is_open(), "clients reconnect");
    host.evict("session:s").unwrap();
    host.restart_all();
    assert!(
        !again.is_open(),
        "a restart of everything closes hibernated sockets too"
    );
}

#[test]
fn only_gateways_take_connections() {
    let host = host();
    assert!(matches!(
        host.connect("counter:x"),
        Err(HostError::NotAGateway { .. })
    ));
    assert!(matches!(
        host.connect("bogus"),
        Err(HostError::InvalidAddress { .. })
    ));
}

#[test]
fn a_forward_to_an_unregistered_actor_type_is_actor_error_and_recorded() {
    // The gateway routes `counter`, but this host has no Counter registered.
    let host = duract::native::Host::new().with::<native_common::Session>();
    let client = host.client("client:ui").unwrap();
    let conn = host.connect("session:s").unwrap();
    let request = client.envelope("counter:x", "add", &1).unwrap();
    assert_error_code(&conn.request(&request).unwrap(), "actor_error");
    let undelivered = host.undelivered();
    assert_eq!(undelivered.len(), 1);
    assert_eq!(undelivered[0].envelope.id, request.id);
    assert!(
        undelivered[0].reason.contains("counter"),
        "{}",
        undelivered[0].reason
    );
}
