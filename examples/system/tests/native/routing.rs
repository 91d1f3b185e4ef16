//! Category 2: Routing: each message type reaches its actor, and its reply goes to the declared client.

use crate::common::{payload, system, unique, Client};
use serde_json::json;

#[test]
fn register_worker_reaches_the_coordinator_and_replies_to_the_coordinator_proxy() {
    let client = Client::connect(&system(), &unique("s"));
    let reply = client.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w1"}),
    );
    assert_eq!(reply.message_type, "register_workerResponse");
    assert_eq!(reply.to.as_str(), "client:coordinator-proxy");
    assert_eq!(
        payload(&reply),
        json!({"status": "registered", "workerId": "w1"})
    );
}

#[test]
fn assign_task_replies_to_the_coordinator_proxy() {
    let client = Client::connect(&system(), &unique("s"));
    let reply = client.request("coordinator:main", "assign_task", json!("t1"));
    assert_eq!(reply.message_type, "assign_taskResponse");
    assert_eq!(reply.to.as_str(), "client:coordinator-proxy");
    assert_eq!(
        payload(&reply),
        json!({"status": "queued", "taskId": "t1", "position": 1})
    );
}

#[test]
fn get_status_replies_to_the_coordinator_proxy() {
    let client = Client::connect(&system(), &unique("s"));
    let reply = client.request("coordinator:main", "get_status", json!(null));
    assert_eq!(reply.message_type, "get_statusResponse");
    assert_eq!(reply.to.as_str(), "client:coordinator-proxy");
    assert_eq!(
        payload(&reply),
        json!({"workers": [], "queuedTasks": 0, "activeTasks": []})
    );
}

#[test]
fn get_state_reaches_a_worker_and_replies_to_the_worker_proxy() {
    let client = Client::connect(&system(), &unique("s"));
    let reply = client.request("worker:w7", "get_state", json!({}));
    assert_eq!(reply.message_type, "get_stateResponse");
    assert_eq!(reply.to.as_str(), "client:worker-proxy");
    assert_eq!(
        payload(&reply),
        json!({"workerId": "w7", "currentTask": null, "processedCount": 0})
    );
}

#[test]
fn coordinators_with_different_names_are_different_instances() {
    let client = Client::connect(&system(), &unique("s"));
    client.request(
        "coordinator:a",
        "register_worker",
        json!({"workerId": "wa"}),
    );
    let b = payload(&client.request("coordinator:b", "get_status", json!(null)));
    assert_eq!(b["workers"], json!([]));
}

#[test]
fn replies_come_from_the_session_address() {
    let session = unique("s");
    let client = Client::connect(&system(), &session);
    let reply = client.request("worker:w1", "get_state", json!(null));
    assert_eq!(reply.from.as_str(), format!("session:{session}"));
}
