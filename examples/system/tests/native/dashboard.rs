//! The live dashboard (`watch_dashboard`): a watching session's sockets are pushed its page
//! after changes, throttled; the page pages; watchers are capped, expire, and are reached as
//! the principal that asked.

use crate::common::*;
use duract::Principal;
use serde_json::{json, Value};

const COORDINATOR: &str = "coordinator:main";

/// The `dashboard_update` pushes a connection received, oldest first.
fn updates(client: &Client) -> Vec<Value> {
    (client.conn.received().iter())
        .filter(|e| e.message_type == "dashboard_update")
        .map(payload)
        .collect()
}

fn watch(client: &Client, session: &str, extra: Value) -> Value {
    let mut request = json!({"session": session});
    request
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let reply = client.request(COORDINATOR, "watch_dashboard", request);
    assert_eq!(
        reply.message_type,
        "watch_dashboardResponse",
        "{}",
        reply.encode()
    );
    payload(&reply)
}

#[test]
fn a_watcher_sees_workers_queue_active_tasks_and_throughput_pushed() {
    let host = system().var("DASHBOARD_PUSH_MS", "0");
    let session = unique("s");
    let page = Client::connect(&host, &session);
    let first = watch(&page, &session, json!({}));
    assert_eq!(first["workerCount"], 0);
    assert_eq!(first["watchMs"], 60_000);
    assert!(updates(&page).is_empty(), "nothing changed yet");
    let other = Client::connect(&host, &unique("s"));
    other.request(
        COORDINATOR,
        "register_worker",
        json!({"workerId": "w1", "capabilities": ["gpu"]}),
    );
    other.request(COORDINATOR, "assign_task", json!("t1"));
    other.request(COORDINATOR, "assign_task", json!("t2"));
    let latest = updates(&page).pop().expect("pushed");
    assert_eq!(latest["workerCount"], 1);
    assert_eq!(latest["queuedTasks"], 1);
    assert_eq!(latest["activeCount"], 1);
    let worker = &latest["workers"][0];
    assert_eq!(
        (&worker["workerId"], &worker["state"], &worker["task"]),
        (&json!("w1"), &json!("busy"), &json!("t1"))
    );
    assert_eq!(worker["capabilities"], json!(["gpu"]));
    let active = &latest["active"][0];
    assert_eq!(
        (&active["taskId"], &active["workerId"]),
        (&json!("t1"), &json!("w1"))
    );
    let lease_expires_at = active["leaseExpiresAt"].as_u64().unwrap();
    assert_eq!(
        lease_expires_at,
        latest["now"].as_u64().unwrap() + LEASE_MS,
        "assigned now"
    );
    host.advance(WORK_MS).unwrap(); // t1 done, t2 taken
    host.advance(WORK_MS).unwrap(); // t2 done
    let latest = updates(&page).pop().unwrap();
    assert_eq!(latest["activeCount"], 0);
    assert_eq!(latest["workers"][0]["state"], "idle");
    assert_eq!(latest["workers"][0]["task"], Value::Null);
    let sum = |field: &str| -> u64 {
        (latest["throughput"].as_array().unwrap().iter())
            .map(|b| b[field].as_u64().unwrap())
            .sum()
    };
    assert_eq!((sum("assigned"), sum("completed")), (2, 2));
    let done: Vec<&Value> = latest["completed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["taskId"])
        .collect();
    assert_eq!(done, [&json!("t2"), &json!("t1")], "the latest first");
    assert!(
        updates(&other).is_empty(),
        "only the watching session is pushed"
    );
}

#[test]
fn pushes_are_coalesced_to_one_per_interval() {
    let host = system()
        .var("DASHBOARD_PUSH_MS", "1000")
        .var("WORK_MS", "600000");
    let session = unique("s");
    let page = Client::connect(&host, &session);
    watch(&page, &session, json!({}));
    let client = Client::connect(&host, &unique("s"));
    for n in 0..50 {
        client.request(COORDINATOR, "assign_task", json!(format!("t{n}")));
    }
    assert_eq!(
        updates(&page).len(),
        1,
        "the first change goes at once, the rest wait"
    );
    host.advance(1_000).unwrap();
    let pushed = updates(&page);
    assert_eq!(pushed.len(), 2, "one push for the 49 changes since");
    assert_eq!(pushed[1]["queuedTasks"], 50);
    host.advance(5_000).unwrap();
    assert_eq!(updates(&page).len(), 2, "no change, no push");
}

#[test]
fn the_page_pages_through_workers_and_active_tasks() {
    let host = system().var("WORK_MS", "600000");
    let client = Client::connect(&host, &unique("s"));
    for n in 0..5 {
        client.request(
            COORDINATOR,
            "register_worker",
            json!({"workerId": format!("w{n}")}),
        );
    }
    for n in 0..4 {
        client.request(COORDINATOR, "assign_task", json!(format!("t{n}")));
    }
    let session = unique("s");
    let page = Client::connect(&host, &session);
    // Each list pages on its own: one cursor moves, the other stays.
    let pages = |list: &str, cursor_field: &str, next: &str, id: &str| {
        let mut seen = Vec::new();
        let mut request = json!({"limit": 2});
        loop {
            let view = watch(&page, &session, request.clone());
            let counts = (view["workerCount"].as_u64(), view["activeCount"].as_u64());
            assert_eq!(counts, (Some(5), Some(4)));
            for row in view[list].as_array().unwrap() {
                seen.push(row[id].as_str().unwrap().to_owned());
            }
            if view[next].is_null() {
                return seen;
            }
            request = json!({"limit": 2, cursor_field: view[next]});
        }
    };
    let seen_workers = pages("workers", "workersCursor", "nextWorkers", "workerId");
    let seen_active = pages("active", "activeCursor", "nextActive", "taskId");
    assert_eq!(seen_workers, ["w0", "w1", "w2", "w3", "w4"]);
    assert_eq!(seen_active, ["t0", "t1", "t2", "t3"]);
}

#[test]
fn bad_watches_are_invalid_payload() {
    let host = system();
    let client = Client::connect(&host, &unique("s"));
    for bad in [
        json!({"session": "s", "limit": 0}),
        json!({"session": "s", "limit": 101}),
        json!({"session": "s", "workersCursor": "x"}),
        json!({"session": "s", "activeCursor": "12"}),
        json!({"session": ""}),
        json!({"session": "x".repeat(257)}),
        json!({"limit": 5}),
    ] {
        let reply = client.request(COORDINATOR, "watch_dashboard", bad.clone());
        assert_eq!(payload(&reply)["code"], "invalid_payload", "{bad}");
    }
}

#[test]
fn watchers_are_capped_and_expire_unless_renewed() {
    let host = system()
        .var("MAX_DASHBOARD_WATCHERS", "2")
        .var("DASHBOARD_WATCH_MS", "1000");
    let client = Client::connect(&host, &unique("s"));
    watch(&client, "a", json!({}));
    watch(&client, "b", json!({}));
    let refused = client.request(COORDINATOR, "watch_dashboard", json!({"session": "c"}));
    error(&refused, "limit_exceeded");
    watch(&client, "a", json!({})); // renewing a live watch is no new watcher
    host.advance(1_000).unwrap();
    watch(&client, "c", json!({})); // a and b expired
    let incidents = watch(&client, "c", json!({}))["incidents"].clone();
    assert_eq!(incidents[0]["code"], "limit_exceeded", "{incidents}");
}

#[test]
fn refusals_and_expired_leases_are_incidents() {
    let host = system()
        .var("WORK_MS", "600000")
        .var("DASHBOARD_PUSH_MS", "0");
    let session = unique("s");
    let page = Client::connect(&host, &session);
    watch(&page, &session, json!({}));
    page.request(COORDINATOR, "register_worker", json!({"workerId": "w1"}));
    page.request(COORDINATOR, "assign_task", json!("t1"));
    error(
        &page.request(COORDINATOR, "assign_task", json!("t1")),
        "duplicate_task",
    );
    host.advance(LEASE_MS).unwrap();
    let latest = updates(&page).pop().unwrap();
    let codes: Vec<&str> = (latest["incidents"].as_array().unwrap().iter())
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["lease_expired", "duplicate_task"],
        "the latest first"
    );
}

#[test]
fn with_authentication_a_watch_pushes_to_its_own_principals_session_only() {
    let host = system().var("DASHBOARD_PUSH_MS", "0");
    let alice = Client::connect_as(&host, "s", Principal::new("alice", "acme"));
    let mallory = Client::connect_as(&host, "s", Principal::new("mallory", "acme"));
    let rival = Client::connect_as(&host, "s", Principal::new("bob", "globex"));
    // Mallory names alice's session: the pushes go to mallory's own session "s".
    watch(&mallory, "s", json!({}));
    watch(&rival, "s", json!({}));
    alice.request(COORDINATOR, "assign_task", json!("t1"));
    assert!(updates(&alice).is_empty());
    assert_eq!(
        updates(&mallory).pop().unwrap()["queuedTasks"],
        1,
        "same tenant"
    );
    assert!(
        updates(&rival).is_empty(),
        "another tenant's coordinator changed nothing of bob's"
    );
}
