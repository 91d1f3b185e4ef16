//! Generated persistence against the in-memory storage: per-field keys, per-entry writes,
//! restarts, and no write for a turn that changes nothing.

use duract::instance::Instance;
use duract::{Actor, MemoryStorage};
use duract_tests::fixtures::{Coordinator, Worker};
use duract_tests::port::{load, request, turn, TestPort};
use serde_json::Value;
use std::rc::Rc;

fn send<A: Actor>(port: &Rc<TestPort>, actor: &Instance<A>, ty: &str, payload: &str) -> Value {
    let to = duract::Port::address(&**port).to_string();
    let reply = turn(actor, &request(&to, ty, payload)).expect("turn");
    serde_json::from_str(&reply).unwrap()
}

fn setup() -> (Rc<MemoryStorage>, Rc<TestPort>, Instance<Coordinator>) {
    let storage = Rc::new(MemoryStorage::new());
    let port = TestPort::new("coordinator:main", storage.clone());
    let c = load::<Coordinator>(&port);
    (storage, port, c)
}

#[test]
fn a_new_instance_from_the_same_storage_restores_the_state() {
    let (storage, port, c) = setup();
    send(&port, &c, "register_worker", r#"{"workerId":"w1"}"#);
    send(&port, &c, "register_worker", r#"{"workerId":"w2"}"#);
    for t in ["t1", "t2", "t3"] {
        send(&port, &c, "assign_task", &format!(r#"{{"taskId":"{t}"}}"#));
    }
    send(&port, &c, "take_next", "null");
    send(
        &port,
        &c,
        "task_complete",
        r#"{"taskId":"t1","workerId":"w2"}"#,
    );
    let before = send(&port, &c, "get_status", "null");
    assert_eq!(c.inspect(|c| c.turns), Some(8));

    // Restart: drop the instance, load a new one from the same storage.
    drop(c);
    let port = TestPort::new("coordinator:main", storage.clone());
    let restored = load::<Coordinator>(&port);
    let after = send(&port, &restored, "get_status", "null");
    assert_eq!(
        restored.inspect(|c| c.turns),
        Some(1),
        "skip fields start from Default"
    );
    let queue = restored.inspect(|c| c.queue.iter().cloned().collect::<Vec<_>>());
    assert_eq!(queue.unwrap(), ["t2", "t3"]);
    assert_eq!(before, after);
    assert_eq!(after["workers"], serde_json::json!(["w1", "w2"]));
    assert_eq!(after["done"], serde_json::json!([["w2", 1]]));
    // The queue keeps its order across the restart: the next task is t2.
    assert_eq!(send(&port, &restored, "take_next", "null"), "t2");
}

#[test]
fn each_field_has_its_own_key_and_skip_fields_none() {
    let (storage, port, c) = setup();
    send(&port, &c, "register_worker", r#"{"workerId":"w1"}"#);
    send(&port, &c, "assign_task", r#"{"taskId":"t1"}"#);
    send(
        &port,
        &c,
        "task_complete",
        r#"{"taskId":"t1","workerId":"w1"}"#,
    );
    let keys: Vec<String> = storage.snapshot().into_keys().collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert_eq!(keys[0], r#"e/done/"w1""#);
    assert!(keys[1].starts_with("e/queue/"), "{keys:?}");
    assert_eq!(keys[2], "f/workers");
    assert_eq!(storage.snapshot()["f/workers"], r#"["w1"]"#);
}

#[test]
fn a_turn_that_changes_one_entry_writes_one_key() {
    let (storage, port, c) = setup();
    send(&port, &c, "register_worker", r#"{"workerId":"w1"}"#);
    for i in 0..2000 {
        send(&port, &c, "assign_task", &format!(r#"{{"taskId":"t{i}"}}"#));
    }
    assert_eq!(storage.len(), 2001);

    let before = storage.stats();
    send(&port, &c, "assign_task", r#"{"taskId":"last"}"#);
    let after = storage.stats();
    assert_eq!(
        (
            after.batches - before.batches,
            after.puts - before.puts,
            after.deletes - before.deletes
        ),
        (1, 1, 0)
    );

    let before = storage.stats();
    send(&port, &c, "take_next", "null");
    let after = storage.stats();
    assert_eq!(
        (
            after.batches - before.batches,
            after.puts - before.puts,
            after.deletes - before.deletes
        ),
        (1, 0, 1)
    );
}

#[test]
fn a_turn_that_changes_nothing_writes_nothing() {
    let (storage, port, c) = setup();
    send(&port, &c, "register_worker", r#"{"workerId":"w1"}"#);
    let before = storage.stats();
    send(&port, &c, "get_status", "null");
    // Registering again is idempotent: the plain field's JSON is unchanged.
    send(&port, &c, "register_worker", r#"{"workerId":"w1"}"#);
    assert_eq!(storage.stats(), before);
    // An unchanged plain field is not rewritten when another field changes.
    send(&port, &c, "assign_task", r#"{"taskId":"t1"}"#);
    let after = storage.stats();
    assert_eq!(after.puts - before.puts, 1);
    assert!(!storage.snapshot().keys().any(|k| k.contains("turns")));
}

#[test]
fn a_restored_plain_field_is_not_rewritten_until_it_changes() {
    let storage = Rc::new(MemoryStorage::new());
    let port = TestPort::new("worker:w1", storage.clone());
    let w = load::<Worker>(&port);
    send(&port, &w, "process_task", r#"{"taskId":"t1"}"#);
    assert_eq!(storage.stats().puts, 2, "processed_count and last_task");
    let port = TestPort::new("worker:w1", storage.clone());
    let w = load::<Worker>(&port);
    send(&port, &w, "get_state", "null");
    assert_eq!(storage.stats().puts, 2);
    send(&port, &w, "process_task", r#"{"taskId":"t2"}"#);
    assert_eq!(storage.stats().puts, 4);
    let state = send(&port, &w, "get_state", "null");
    assert_eq!(state["processedCount"], 2);
}
