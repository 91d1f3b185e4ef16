//! Generated persistence against the in-memory storage: per-field keys, per-entry writes,
//! restarts, and no write for a turn that changes nothing.

use duract::{Actor, MemoryStorage};
use duract_tests::fixtures::{Coordinator, Worker};
use duract_tests::port::{load, request, turn, TestPort};
use serde_json::Value;
use std::rc::Rc;

fn send<A: Actor>(
    port: &Rc<TestPort>,
    actor: &mut (A, duract::persist::Saved),
    ty: &str,
    payload: &str,
) -> Value {
    let to = duract::Port::address(&**port).to_string();
    let reply = turn(port, actor, &request(&to, ty, payload)).expect("turn");
    serde_json::from_str(&reply).unwrap()
}

fn setup() -> (
    Rc<MemoryStorage>,
    Rc<TestPort>,
    (Coordinator, duract::persist::Saved),
) {
    let storage = Rc::new(MemoryStorage::new());
    let port = TestPort::new("coordinator:main", storage.clone());
    let c = load::<Coordinator>(&port, "main");
    (storage, port, c)
}

#[test]
fn a_new_instance_from_the_same_storage_restores_the_state() {
    let (storage, port, mut c) = setup();
    send(&port, &mut c, "register_worker", r#"{"workerId":"w1"}"#);
    send(&port, &mut c, "register_worker", r#"{"workerId":"w2"}"#);
    for t in ["t1", "t2", "t3"] {
        send(
            &port,
            &mut c,
            "assign_task",
            &format!(r#"{{"taskId":"{t}"}}"#),
        );
    }
    send(&port, &mut c, "take_next", "null");
    send(
        &port,
        &mut c,
        "task_complete",
        r#"{"taskId":"t1","workerId":"w2"}"#,
    );
    let before = send(&port, &mut c, "get_status", "null");
    assert_eq!(c.0.turns, 8);

    // Restart: drop the instance, load a new one from the same storage.
    drop(c);
    let port = TestPort::new("coordinator:main", storage.clone());
    let mut restored = load::<Coordinator>(&port, "main");
    assert_eq!(restored.0.turns, 0, "skip fields start from Default");
    assert_eq!(restored.0.queue.iter().collect::<Vec<_>>(), ["t2", "t3"]);
    let after = send(&port, &mut restored, "get_status", "null");
    assert_eq!(before, after);
    assert_eq!(after["workers"], serde_json::json!(["w1", "w2"]));
    assert_eq!(after["done"], serde_json::json!([["w2", 1]]));
    // The queue keeps its order across the restart: the next task is t2.
    assert_eq!(send(&port, &mut restored, "take_next", "null"), "t2");
}

#[test]
fn each_field_has_its_own_key_and_skip_fields_none() {
    let (storage, port, mut c) = setup();
    send(&port, &mut c, "register_worker", r#"{"workerId":"w1"}"#);
    send(&port, &mut c, "assign_task", r#"{"taskId":"t1"}"#);
    send(
        &port,
        &mut c,
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
    let (storage, port, mut c) = setup();
    send(&port, &mut c, "register_worker", r#"{"workerId":"w1"}"#);
    for i in 0..2000 {
        send(
            &port,
            &mut c,
            "assign_task",
            &format!(r#"{{"taskId":"t{i}"}}"#),
        );
    }
    assert_eq!(storage.len(), 2001);

    let before = storage.stats();
    send(&port, &mut c, "assign_task", r#"{"taskId":"last"}"#);
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
    send(&port, &mut c, "take_next", "null");
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
    let (storage, port, mut c) = setup();
    send(&port, &mut c, "register_worker", r#"{"workerId":"w1"}"#);
    let before = storage.stats();
    send(&port, &mut c, "get_status", "null");
    // Registering again is idempotent: the plain field's JSON is unchanged.
    send(&port, &mut c, "register_worker", r#"{"workerId":"w1"}"#);
    assert_eq!(storage.stats(), before);
    // An unchanged plain field is not rewritten when another field changes.
    send(&port, &mut c, "assign_task", r#"{"taskId":"t1"}"#);
    let after = storage.stats();
    assert_eq!(after.puts - before.puts, 1);
    assert!(!storage.snapshot().keys().any(|k| k.contains("turns")));
}

#[test]
fn a_restored_plain_field_is_not_rewritten_until_it_changes() {
    let storage = Rc::new(MemoryStorage::new());
    let port = TestPort::new("worker:w1", storage.clone());
    let mut w = load::<Worker>(&port, "w1");
    send(&port, &mut w, "process_task", r#"{"taskId":"t1"}"#);
    assert_eq!(storage.stats().puts, 2, "processed_count and last_task");
    let port = TestPort::new("worker:w1", storage.clone());
    let mut w = load::<Worker>(&port, "w1");
    send(&port, &mut w, "get_state", "null");
    assert_eq!(storage.stats().puts, 2);
    send(&port, &mut w, "process_task", r#"{"taskId":"t2"}"#);
    assert_eq!(storage.stats().puts, 4);
    let state = send(&port, &mut w, "get_state", "null");
    assert_eq!(state["processedCount"], 2);
}
