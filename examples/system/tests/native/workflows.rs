//! Category 4: Complete workflows: register -> assign -> process -> complete -> status; FIFO
//! auto-assignment; auto-assignment on completion; leases.

use crate::common::{payload, state, status, system, unique, Client, LEASE_MS, WORK_MS};
use serde_json::json;

#[test]
fn register_assign_process_complete_status() {
    let c = Client::connect(&system(), &unique("s"));
    c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w1"}),
    );
    let assigned = payload(&c.request("coordinator:main", "assign_task", json!("t1")));
    assert_eq!(
        assigned,
        json!({"status": "assigned", "taskId": "t1", "workerId": "w1"})
    );
    assert_eq!(
        status(&c, "coordinator:main")["activeTasks"],
        json!([["t1", "w1"]])
    );
    assert_eq!(state(&c, "worker:w1")["currentTask"], "t1");
    c.host.advance(WORK_MS).unwrap();
    let s = status(&c, "coordinator:main");
    assert_eq!(
        s,
        json!({"workers": ["w1"], "queuedTasks": 0, "activeTasks": []})
    );
    assert_eq!(
        state(&c, "worker:w1"),
        json!({"workerId": "w1", "currentTask": null, "processedCount": 1})
    );
}

#[test]
fn tasks_queued_before_workers_register_are_assigned_oldest_first() {
    let c = Client::connect(&system(), &unique("s"));
    for (i, t) in ["t1", "t2", "t3"].into_iter().enumerate() {
        let r = payload(&c.request("coordinator:main", "assign_task", json!({"taskId": t})));
        assert_eq!(
            r,
            json!({"status": "queued", "taskId": t, "position": i + 1})
        );
    }
    c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "a"}),
    );
    c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "b"}),
    );
    let s = status(&c, "coordinator:main");
    assert_eq!(s["queuedTasks"], 1);
    assert_eq!(s["activeTasks"], json!([["t1", "a"], ["t2", "b"]]));
}

#[test]
fn a_worker_that_completes_gets_the_next_queued_task() {
    let c = Client::connect(&system(), &unique("s"));
    c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w1"}),
    );
    for t in ["t1", "t2", "t3"] {
        c.request("coordinator:main", "assign_task", json!(t));
    }
    c.host.advance(WORK_MS).unwrap();
    assert_eq!(
        status(&c, "coordinator:main")["activeTasks"],
        json!([["t2", "w1"]])
    );
    c.host.advance(WORK_MS).unwrap();
    c.host.advance(WORK_MS).unwrap();
    let s = status(&c, "coordinator:main");
    assert_eq!(
        (s["queuedTasks"].clone(), s["activeTasks"].clone()),
        (json!(0), json!([]))
    );
    assert_eq!(state(&c, "worker:w1")["processedCount"], 3);
}

#[test]
fn a_busy_worker_registering_again_gets_no_second_task() {
    let c = Client::connect(&system(), &unique("s"));
    c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w1"}),
    );
    c.request("coordinator:main", "assign_task", json!("t1"));
    c.request("coordinator:main", "assign_task", json!("t2"));
    let again = payload(&c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w1"}),
    ));
    assert_eq!(again, json!({"status": "registered", "workerId": "w1"}));
    let s = status(&c, "coordinator:main");
    assert_eq!(
        (s["workers"].clone(), s["queuedTasks"].clone()),
        (json!(["w1"]), json!(1))
    );
    assert_eq!(s["activeTasks"], json!([["t1", "w1"]]));
}

#[test]
fn without_worker_id_the_sender_id_registers() {
    let c = Client::connect(&system(), &unique("s"));
    let r = payload(&c.request("coordinator:main", "register_worker", json!(null)));
    assert_eq!(r, json!({"status": "registered", "workerId": "ui"}));
    let r = payload(&c.request("coordinator:main", "register_worker", json!({})));
    assert_eq!(r["workerId"], "ui");
    assert_eq!(status(&c, "coordinator:main")["workers"], json!(["ui"]));
}

#[test]
fn an_expired_lease_puts_the_task_back_at_the_head_and_reassigns_it() {
    // Work longer than the lease: the worker is still busy when the lease runs out.
    let host = system().var("WORK_MS", &(3 * LEASE_MS).to_string());
    let c = Client::connect(&host, &unique("s"));
    c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w1"}),
    );
    c.request("coordinator:main", "assign_task", json!("t1"));
    c.request("coordinator:main", "assign_task", json!("t2"));
    c.host.advance(LEASE_MS).unwrap();
    // t1 went back to the head and, w1 counting as idle, was assigned to it again at once.
    let s = status(&c, "coordinator:main");
    assert_eq!(s["activeTasks"], json!([["t1", "w1"]]));
    assert_eq!(s["queuedTasks"], 1);
    // w1 went on with the work in progress (t1 sent again does not restart it), so it is done
    // when the first sending's work is, and takes t2.
    c.host.advance(2 * LEASE_MS).unwrap();
    assert_eq!(state(&c, "worker:w1")["processedCount"], 1);
    let s = status(&c, "coordinator:main");
    assert_eq!(s["activeTasks"], json!([["t2", "w1"]]));
}

#[test]
fn a_late_completion_of_a_reassigned_task_changes_nothing() {
    let host = system().var("WORK_MS", &(3 * LEASE_MS).to_string());
    let c = Client::connect(&host, &unique("s"));
    c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w1"}),
    );
    c.request("coordinator:main", "assign_task", json!("t1"));
    c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w2"}),
    );
    c.request("coordinator:main", "assign_task", json!("t2")); // w2 busy with t2
    c.host.advance(LEASE_MS).unwrap(); // both leases expire: t1 -> w1 again, t2 -> w2 again
    let actor = host.client("coordinator:other").unwrap();
    let late = duract_example_system::coordinator::TaskComplete {
        task_id: "t1".into(),
        worker_id: "w2".into(),
        assignment: None,
    };
    let reply = actor.ask("coordinator:main", &late).unwrap();
    assert_eq!(
        payload(&reply),
        json!({"status": "completed", "taskId": "t1"})
    );
    let s = status(&c, "coordinator:main");
    assert_eq!(s["activeTasks"], json!([["t1", "w1"], ["t2", "w2"]]));
}

#[test]
fn completing_an_unknown_task_is_idempotent() {
    let host = system();
    let c = Client::connect(&host, &unique("s"));
    c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w1"}),
    );
    let before = status(&c, "coordinator:main");
    let actor = host.client("worker:w1").unwrap();
    let msg = duract_example_system::coordinator::TaskComplete {
        task_id: "nope".into(),
        worker_id: "w1".into(),
        assignment: None,
    };
    for _ in 0..2 {
        let reply = actor.ask("coordinator:main", &msg).unwrap();
        assert_eq!(
            payload(&reply),
            json!({"status": "completed", "taskId": "nope"})
        );
    }
    assert_eq!(status(&c, "coordinator:main"), before);
}

/// The coordinator's durable timers (keys under the timer prefix).
fn timers(host: &duract::native::Host, coordinator: &str) -> usize {
    let stored = host.storage(coordinator).unwrap();
    let entries = stored.entries();
    entries
        .keys()
        .filter(|k| k.starts_with(duract::timer::PREFIX))
        .count()
}

#[test]
fn one_lease_timer_serves_every_active_task_and_a_completion_writes_three_keys() {
    let host = system().var("WORK_MS", &(3 * LEASE_MS).to_string());
    let c = Client::connect(&host, &unique("s"));
    for w in ["w1", "w2", "w3"] {
        c.request(
            "coordinator:main",
            "register_worker",
            json!({"workerId": w}),
        );
    }
    for t in ["t1", "t2", "t3", "t4", "t5"] {
        c.request("coordinator:main", "assign_task", json!(t));
    }
    assert_eq!(
        timers(&host, "coordinator:main"),
        1,
        "one timer for three leases"
    );
    let start = host.now();
    assert_eq!(host.alarm("coordinator:main"), Some(start + LEASE_MS));

    // w1 completes t1 and takes t4: the lease of t1 goes, that of t4 comes, t4 leaves the
    // queue. w1 is busy before and after, so its record is not written; nor is the timer.
    let stats = || {
        host.storage_of("coordinator:main")
            .unwrap()
            .memory()
            .stats()
    };
    let before = stats();
    let done = duract_example_system::coordinator::TaskComplete {
        task_id: "t1".into(),
        worker_id: "w1".into(),
        assignment: None,
    };
    host.client("worker:w1")
        .unwrap()
        .ask("coordinator:main", &done)
        .unwrap();
    let after = stats();
    assert_eq!(
        (after.puts - before.puts, after.deletes - before.deletes),
        (1, 2),
        "one lease put; one lease and one queue entry deleted"
    );
    assert_eq!(timers(&host, "coordinator:main"), 1);
    let s = status(&c, "coordinator:main");
    assert_eq!(
        s["activeTasks"],
        json!([["t2", "w2"], ["t3", "w3"], ["t4", "w1"]])
    );
}

#[test]
fn a_lowered_lease_re_arms_the_timer_for_the_earlier_expiry() {
    let host = system().var("WORK_MS", &(3 * LEASE_MS).to_string());
    let c = Client::connect(&host, &unique("s"));
    let start = host.now();
    c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w1"}),
    );
    c.request("coordinator:main", "assign_task", json!("t1"));
    assert_eq!(host.alarm("coordinator:main"), Some(start + LEASE_MS));
    host.set_var("TASK_LEASE_MS", "1000");
    c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w2"}),
    );
    c.request("coordinator:main", "assign_task", json!("t2"));
    assert_eq!(host.alarm("coordinator:main"), Some(start + 1000));
    assert_eq!(
        timers(&host, "coordinator:main"),
        1,
        "the later timer was cancelled"
    );
    // t2's lease runs out first: it is renewed (w2, counting as idle, takes it again), and
    // the timer follows the new earliest expiry; t1's lease is untouched.
    host.advance(1000).unwrap();
    assert_eq!(host.alarm("coordinator:main"), Some(start + 2000));
    let s = status(&c, "coordinator:main");
    assert_eq!(
        s["activeTasks"],
        json!([["t2", "w2"], ["t1", "w1"]]),
        "the earliest lease expiry first"
    );
}
