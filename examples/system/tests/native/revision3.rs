//! protocol.md revision 3 on the native host: limits, wrongly typed optional fields, tenants
//! and principals, and reads that leave no storage behind.

use crate::common::{error, payload, state, status, system, unique, Client, WORK_MS};
use duract::Principal;
use serde_json::{json, Value};

#[test]
fn max_workers_refuses_new_ids_but_not_known_ones() {
    let host = system().var("MAX_WORKERS", "2");
    let c = Client::connect(&host, &unique("s"));
    for w in ["w1", "w2"] {
        let r = c.request(
            "coordinator:main",
            "register_worker",
            json!({"workerId": w}),
        );
        assert_eq!(payload(&r)["status"], "registered");
    }
    let over = c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w3"}),
    );
    assert_eq!(
        error(&over, "limit_exceeded"),
        "Limit exceeded: 2 workers are registered"
    );
    let again = c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w1"}),
    );
    assert_eq!(payload(&again)["workerId"], "w1");
    assert_eq!(
        status(&c, "coordinator:main")["workers"],
        json!(["w1", "w2"])
    );
}

#[test]
fn max_queued_tasks_refuses_to_queue_but_still_assigns() {
    let host = system().var("MAX_QUEUED_TASKS", "2");
    let c = Client::connect(&host, &unique("s"));
    for t in ["t1", "t2"] {
        let r = c.request("coordinator:main", "assign_task", json!(t));
        assert_eq!(payload(&r)["status"], "queued");
    }
    let over = c.request("coordinator:main", "assign_task", json!("t3"));
    error(&over, "limit_exceeded");
    assert_eq!(
        status(&c, "coordinator:main")["queuedTasks"],
        2,
        "nothing lost"
    );
    c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w"}),
    );
    c.host.advance(WORK_MS).unwrap(); // t1 done, t2 taken: the worker is busy again
    c.host.advance(WORK_MS).unwrap(); // t2 done: the worker is idle
    let assigned = c.request("coordinator:main", "assign_task", json!("t4"));
    assert_eq!(payload(&assigned)["status"], "assigned");
}

#[test]
fn ids_over_256_bytes_are_refused_where_they_appear() {
    let c = Client::connect(&system(), &unique("s"));
    let long = "é".repeat(129); // 258 bytes
    let fits = "x".repeat(256);
    let cases = [
        ("register_worker", json!({"workerId": long})),
        (
            "register_worker",
            json!({"workerId": "w", "capabilities": [long]}),
        ),
        ("assign_task", json!(long)),
        ("assign_task", json!({"taskId": "t", "requires": long})),
    ];
    for (ty, p) in cases {
        let reason = error(&c.request("coordinator:main", ty, p), "invalid_payload");
        assert!(reason.contains("longer than 256 bytes"), "{reason}");
    }
    let ok = c.request("coordinator:main", "assign_task", json!(fits));
    assert_eq!(payload(&ok)["status"], "queued");
    let to = format!("worker:{}", "x".repeat(257));
    error(&c.request(&to, "get_state", Value::Null), "invalid_address");
    let to = format!("worker:{fits}");
    assert_eq!(state(&c, &to)["workerId"], fits);
}

#[test]
fn optional_fields_of_the_wrong_type_are_invalid_payload() {
    let c = Client::connect(&system(), &unique("s"));
    let bad = [
        ("get_status", json!({"limit": "5"})),
        ("get_status", json!({"limit": -1})),
        ("get_status", json!({"limit": 1.5})),
        ("get_status", json!({"limit": 1, "cursor": 7})),
        ("assign_task", json!({"taskId": "t", "priority": "high"})),
        ("assign_task", json!({"taskId": "t", "priority": 1.5})),
        ("assign_task", json!({"taskId": "t", "requires": 3})),
        (
            "register_worker",
            json!({"workerId": "w", "capabilities": "gpu"}),
        ),
        ("register_worker", json!({"workerId": 5})),
    ];
    for (ty, p) in bad {
        error(
            &c.request("coordinator:main", ty, p.clone()),
            "invalid_payload",
        );
    }
    // Absent and null are the same; unknown fields are still ignored.
    let whole = c.request(
        "coordinator:main",
        "get_status",
        json!({"cursor": null, "x": 1}),
    );
    assert!(payload(&whole)["workers"].is_array());
    let nulls = json!({"taskId": "t", "priority": null, "requires": null, "other": [1]});
    let r = c.request("coordinator:main", "assign_task", nulls);
    assert_eq!(payload(&r)["status"], "queued");
}

#[test]
fn requests_beyond_max_inflight_on_one_socket_are_overloaded() {
    let host = system().var("MAX_INFLIGHT", "2");
    let c = Client::connect(&host, &unique("s"));
    let frames: Vec<(String, String)> = (0..3)
        .map(|i| c.frame("coordinator:main", "assign_task", json!(format!("t{i}"))))
        .collect();
    for (_, text) in &frames {
        c.conn.send_text(text.as_str()).unwrap();
    }
    host.run_until_idle().unwrap();
    let replies: Vec<_> = frames
        .iter()
        .map(|(id, _)| c.conn.reply_to(id).expect("one reply each"))
        .collect();
    assert_eq!(payload(&replies[0])["status"], "queued");
    assert_eq!(payload(&replies[1])["status"], "queued");
    error(&replies[2], "overloaded");
    // Another socket of the session has its own count, and this one recovers.
    let other = Client::connect(&host, c.conn.address().id());
    assert_eq!(status(&other, "coordinator:main")["queuedTasks"], 2);
    assert_eq!(status(&c, "coordinator:main")["queuedTasks"], 2);
}

#[test]
fn tenants_have_separate_actors_and_principals_separate_sessions() {
    let host = system();
    let alice = Client::connect_as(&host, "s", Principal::new("alice", "acme"));
    let bob = Client::connect_as(&host, "s", Principal::new("bob", "globex"));
    let carol = Client::connect_as(&host, "s", Principal::new("carol", "acme"));
    alice.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w1"}),
    );
    alice.request("coordinator:main", "assign_task", json!("t1"));
    host.advance(WORK_MS).unwrap();
    assert_eq!(status(&bob, "coordinator:main")["workers"], json!([]));
    assert_eq!(state(&bob, "worker:w1")["processedCount"], 0);
    assert_eq!(status(&carol, "coordinator:main")["workers"], json!(["w1"]));
    assert_eq!(
        state(&carol, "worker:w1")["processedCount"],
        1,
        "same tenant, same worker"
    );
    // The same session name, three principals: three sessions, each reporting the name asked.
    assert_eq!(
        host.open_connections("session:s"),
        0,
        "no unscoped session exists"
    );
    let established = payload(&bob.conn.received()[0]);
    assert_eq!(established["sessionId"], "s");
    // A client cannot name another tenant: an `auth` field in its frame is ignored.
    let (id, _) = bob.frame("coordinator:main", "get_status", Value::Null);
    let forged = json!({
        "to": "coordinator:main", "from": "client:ui", "type": "get_status", "payload": null,
        "id": id, "timestamp": 1, "auth": {"sub": "alice", "tenant": "acme"},
    });
    let reply = bob.send_raw(&id, &forged.to_string());
    assert_eq!(payload(&reply)["workers"], json!([]));
}

#[test]
fn reads_of_actors_never_written_leave_no_storage() {
    let host = system();
    let c = Client::connect(&host, &unique("s"));
    let worker = unique("worker:fresh");
    assert_eq!(state(&c, &worker)["processedCount"], 0);
    assert_eq!(status(&c, "coordinator:read-only")["workers"], json!([]));
    host.restart_all();
    assert!(host.storage(&worker).unwrap().is_empty());
    assert!(host.storage("coordinator:read-only").unwrap().is_empty());
}

#[test]
fn cursors_at_the_edge_of_their_numbers_give_an_answer_not_a_panic() {
    let c = Client::connect(&system(), &unique("s"));
    c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w"}),
    );
    for cursor in [
        "w:18446744073709551615",
        "w:0",
        "a:1e308/18446744073709551615",
    ] {
        let page = c.request(
            "coordinator:main",
            "get_status",
            json!({"limit": 1, "cursor": cursor}),
        );
        assert_eq!(payload(&page)["workerCount"], 1, "cursor {cursor}");
    }
    let past_the_end = c.request(
        "coordinator:main",
        "get_status",
        json!({"limit": 1, "cursor": "w:18446744073709551615"}),
    );
    assert_eq!(payload(&past_the_end)["workers"], json!([]));
    for cursor in ["w:18446744073709551616", "w:-1", "a:x/1"] {
        let r = c.request(
            "coordinator:main",
            "get_status",
            json!({"limit": 1, "cursor": cursor}),
        );
        error(&r, "invalid_payload");
    }
}
