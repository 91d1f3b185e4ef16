//! Category 7: Edge cases: the socket answers after every kind of error; many sessions at once each see
//! only their own replies; sockets of one session see only their own replies.

use crate::common::{error, payload, system, unique, Client};
use serde_json::{json, Value};

#[test]
fn the_socket_still_answers_after_every_kind_of_error() {
    let host = system().var("MAX_FRAME_BYTES", "300");
    let c = Client::connect(&host, &unique("s"));
    type Provoke = Box<dyn Fn(&Client)>;
    let errors: Vec<Provoke> = vec![
        Box::new(|c| drop(c.send_unparsed(|conn| conn.send_binary(vec![0u8; 4]).unwrap()))),
        Box::new(|c| drop(c.send_unparsed(|conn| conn.send_text("x".repeat(301)).unwrap()))),
        Box::new(|c| drop(c.send_unparsed(|conn| conn.send_text("{").unwrap()))),
        Box::new(|c| drop(c.request("nocolon", "get_status", Value::Null))),
        Box::new(|c| drop(c.request("session:x", "get_status", Value::Null))),
        Box::new(|c| drop(c.request("worker:w1", "process_task", json!({"taskId": "t"})))),
        Box::new(|c| drop(c.request("worker:w1", "nope", Value::Null))),
        Box::new(|c| drop(c.request("coordinator:main", "assign_task", json!(1)))),
        Box::new(|c| {
            c.request("coordinator:main", "assign_task", json!("dup"));
            c.request("coordinator:main", "assign_task", json!("dup"));
        }),
    ];
    for (i, provoke) in errors.iter().enumerate() {
        provoke(&c);
        let r = c.request("worker:w1", "get_state", Value::Null);
        assert_eq!(r.message_type, "get_stateResponse", "after error case {i}");
    }
    assert!(c.conn.is_open());
}

#[test]
fn many_sessions_at_once_each_see_only_their_own_replies() {
    let host = system();
    let clients: Vec<Client> = (0..20)
        .map(|_| Client::connect(&host, &unique("s")))
        .collect();
    let mut ids = Vec::new();
    for (i, c) in clients.iter().enumerate() {
        let (id, text) = c.frame(&format!("worker:w{i}"), "get_state", Value::Null);
        c.conn.send_text(text).unwrap();
        ids.push(id);
    }
    host.run_until_idle().unwrap();
    for (i, c) in clients.iter().enumerate() {
        let replies: Vec<_> = c
            .conn
            .received()
            .into_iter()
            .filter(|e| e.reply_to.is_some())
            .collect();
        assert_eq!(replies.len(), 1, "session {i} sees exactly its one reply");
        assert_eq!(replies[0].reply_to.as_deref(), Some(ids[i].as_str()));
        assert_eq!(payload(&replies[0])["workerId"], format!("w{i}"));
    }
}

#[test]
fn a_reply_goes_only_to_the_socket_that_sent_the_request() {
    let host = system();
    let session = unique("s");
    let a = Client::connect(&host, &session);
    let b = Client::connect(&host, &session);
    let reply = a.request("coordinator:main", "get_status", Value::Null);
    assert!(b
        .conn
        .reply_to(reply.reply_to.as_deref().unwrap())
        .is_none());
    assert_eq!(
        b.conn.frames().len(),
        1,
        "b saw only its SessionEstablished"
    );
}

#[test]
fn an_evicted_session_answers_on_its_open_socket() {
    let host = system();
    let session = unique("s");
    let c = Client::connect(&host, &session);
    host.evict(&format!("session:{session}")).unwrap();
    assert!(!host.is_active(&format!("session:{session}")));
    let r = c.request("worker:w1", "get_state", Value::Null);
    assert_eq!(r.from.as_str(), format!("session:{session}"));
}

#[test]
fn errors_go_to_client_ui_even_for_coordinator_requests() {
    let c = Client::connect(&system(), &unique("s"));
    let r = c.request("coordinator:main", "assign_task", json!(""));
    error(&r, "invalid_payload");
    assert_eq!(r.to.as_str(), "client:ui");
}
