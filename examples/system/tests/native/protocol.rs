//! Category 3: Protocol validation: every error code of protocol.md, the full reply envelope, `replyTo`.

use crate::common::{error, payload, system, unique, Client};
use serde_json::{json, Value};

fn client() -> Client {
    Client::connect(&system(), &unique("s"))
}

#[test]
fn a_reply_carries_every_envelope_field_with_its_type() {
    let c = client();
    let (id, text) = c.frame("coordinator:main", "get_status", Value::Null);
    let reply = c.send_raw(&id, &text);
    let v: Value = serde_json::from_str(&reply.encode()).unwrap();
    for field in ["to", "from", "type", "id"] {
        assert!(
            v[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field} in {v}"
        );
    }
    assert!(v["timestamp"].is_number());
    assert!(v.get("payload").is_some());
    assert_eq!(v["replyTo"], json!(id));
    assert_ne!(v["id"], json!(id), "a reply has a fresh id");
}

#[test]
fn invalid_json_is_invalid_format_without_reply_to() {
    let c = client();
    let replies = c.send_unparsed(|conn| conn.send_text("{not json").unwrap());
    assert_eq!(replies.len(), 1);
    assert_eq!(
        error(&replies[0], "invalid_format"),
        "Invalid message format"
    );
    assert_eq!(replies[0].reply_to, None);
    assert_eq!(replies[0].to.as_str(), "client:ui");
}

#[test]
fn a_frame_missing_a_required_field_is_invalid_format_with_reply_to() {
    let c = client();
    for missing in ["to", "from", "type", "timestamp"] {
        let (id, text) = c.frame("coordinator:main", "get_status", Value::Null);
        let mut v: Value = serde_json::from_str(&text).unwrap();
        v.as_object_mut().unwrap().remove(missing);
        let reply = c.send_raw(&id, &v.to_string());
        assert_eq!(
            error(&reply, "invalid_format"),
            "Invalid message format",
            "without {missing}"
        );
    }
}

#[test]
fn a_malformed_from_is_invalid_format() {
    let mut c = client();
    c.from = "nocolon".into();
    let reply = c.request("coordinator:main", "get_status", Value::Null);
    error(&reply, "invalid_format");
}

#[test]
fn a_to_without_kind_and_id_is_invalid_address() {
    let c = client();
    let reply = c.request("invalidformat", "get_status", Value::Null);
    assert_eq!(
        error(&reply, "invalid_address"),
        "Invalid 'to' field: invalidformat"
    );
}

#[test]
fn an_empty_to_is_invalid_format() {
    let c = client();
    let reply = c.request("", "get_status", Value::Null);
    error(&reply, "invalid_format");
}

#[test]
fn kinds_the_gateway_does_not_route_are_unknown_actor() {
    let c = client();
    for to in ["session:x", "client:ui", "nosuch:1"] {
        let reply = c.request(to, "get_status", Value::Null);
        let kind = to.split(':').next().unwrap();
        assert_eq!(
            error(&reply, "unknown_actor"),
            format!("Unknown actor type: {kind}")
        );
    }
}

#[test]
fn internal_messages_from_clients_are_forbidden() {
    let c = client();
    let cases = [
        ("worker:w1", "process_task", json!({"taskId": "t"})),
        ("worker:w1", "work_done", json!({"taskId": "t"})),
        (
            "coordinator:main",
            "task_complete",
            json!({"taskId": "t", "workerId": "w1"}),
        ),
        ("coordinator:main", "check_leases", json!({"due": 1})),
    ];
    for (to, t, p) in cases {
        error(&c.request(to, t, p), "forbidden");
    }
}

#[test]
fn internal_is_per_target_so_process_task_to_a_coordinator_is_unknown_type() {
    let c = client();
    let reply = c.request("coordinator:main", "process_task", json!({"taskId": "t"}));
    assert_eq!(
        error(&reply, "unknown_type"),
        "Unknown message type: process_task"
    );
}

#[test]
fn unknown_types_are_unknown_type() {
    let c = client();
    error(
        &c.request("coordinator:main", "dance", Value::Null),
        "unknown_type",
    );
    error(
        &c.request("worker:w1", "register_worker", Value::Null),
        "unknown_type",
    );
}

#[test]
fn payloads_that_do_not_decode_are_invalid_payload_with_a_reason() {
    let c = client();
    let cases = [
        ("register_worker", json!({"workerId": ""})),
        ("register_worker", json!({"workerId": 5})),
        ("register_worker", json!("w1")),
        ("assign_task", json!("")),
        ("assign_task", json!({"taskId": ""})),
        ("assign_task", json!({})),
        ("assign_task", json!(5)),
        ("assign_task", Value::Null),
    ];
    for (t, p) in cases {
        let reply = c.request("coordinator:main", t, p.clone());
        let reason = error(&reply, "invalid_payload");
        assert!(!reason.is_empty(), "{t} {p}");
    }
}

#[test]
fn a_duplicate_task_is_duplicate_task_whether_queued_or_active() {
    let c = client();
    c.request("coordinator:main", "assign_task", json!("t1"));
    error(
        &c.request("coordinator:main", "assign_task", json!({"taskId": "t1"})),
        "duplicate_task",
    );
    c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w1"}),
    );
    error(
        &c.request("coordinator:main", "assign_task", json!("t1")),
        "duplicate_task",
    );
}

#[test]
fn a_binary_frame_is_unsupported_frame_without_reply_to() {
    let c = client();
    let replies = c.send_unparsed(|conn| conn.send_binary(vec![1, 2, 3]).unwrap());
    assert_eq!(replies.len(), 1);
    error(&replies[0], "unsupported_frame");
    assert_eq!(replies[0].reply_to, None);
}

#[test]
fn a_frame_over_max_frame_bytes_is_too_large_without_reply_to() {
    let host = system().var("MAX_FRAME_BYTES", "200");
    let c = Client::connect(&host, &unique("s"));
    let (_, text) = c.frame("coordinator:main", "assign_task", json!("x".repeat(300)));
    let replies = c.send_unparsed(|conn| conn.send_text(text).unwrap());
    error(&replies[0], "too_large");
    assert_eq!(replies[0].reply_to, None);
    let (id, at_limit) = c.frame("coordinator:main", "get_status", Value::Null);
    assert!(at_limit.len() <= 200);
    assert_eq!(
        c.send_raw(&id, &at_limit).message_type,
        "get_statusResponse"
    );
}

#[test]
fn the_limit_counts_utf8_bytes_not_characters() {
    let host = system().var("MAX_FRAME_BYTES", "400");
    let c = Client::connect(&host, &unique("s"));
    // 150 two-byte characters: 150 chars, 300 bytes of payload.
    let (_, text) = c.frame("coordinator:main", "assign_task", json!("é".repeat(150)));
    assert!(text.chars().count() <= 400 && text.len() > 400);
    error(
        &c.send_unparsed(|conn| conn.send_text(text).unwrap())[0],
        "too_large",
    );
}

#[test]
fn replies_correlate_by_reply_to_when_requests_interleave() {
    let c = client();
    let (a, ta) = c.frame("coordinator:main", "get_status", Value::Null);
    let (b, tb) = c.frame("worker:w1", "get_state", Value::Null);
    c.conn.send_text(ta).unwrap();
    c.conn.send_text(tb).unwrap();
    c.host.run_until_idle().unwrap();
    assert_eq!(
        c.conn.reply_to(&a).unwrap().message_type,
        "get_statusResponse"
    );
    assert_eq!(
        c.conn.reply_to(&b).unwrap().message_type,
        "get_stateResponse"
    );
    assert_eq!(payload(&c.conn.reply_to(&b).unwrap())["workerId"], "w1");
}
