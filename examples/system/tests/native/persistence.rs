//! Category 5: Persistence: coordinator and worker state survive a restart, with tasks queued and
//! active at the restart.

use crate::common::{error, payload, state, status, system, unique, Client, WORK_MS};
use duract_example_system::coordinator::AssignTask;
use serde_json::json;

#[test]
fn coordinator_state_survives_a_restart_with_queued_and_active_tasks() {
    let host = system();
    let c = Client::connect(&host, &unique("s"));
    c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w1"}),
    );
    for t in ["t1", "t2", "t3"] {
        c.request("coordinator:main", "assign_task", json!(t));
    }
    let before = status(&c, "coordinator:main");
    host.restart_all();
    let c = Client::connect(&host, &unique("s"));
    assert_eq!(status(&c, "coordinator:main"), before);
    assert_eq!(before["queuedTasks"], 2);
    assert!(
        host.activations("coordinator:main") >= 2,
        "the coordinator was reactivated"
    );
}

#[test]
fn a_worker_resumes_its_current_task_after_a_restart() {
    let host = system();
    let c = Client::connect(&host, &unique("s"));
    c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w1"}),
    );
    c.request("coordinator:main", "assign_task", json!("t1"));
    assert_eq!(state(&c, "worker:w1")["currentTask"], "t1");
    host.restart_all();
    let c = Client::connect(&host, &unique("s"));
    assert_eq!(state(&c, "worker:w1")["currentTask"], "t1");
    host.advance(WORK_MS).unwrap();
    assert_eq!(
        state(&c, "worker:w1"),
        json!({"workerId": "w1", "currentTask": null, "processedCount": 1})
    );
    assert_eq!(status(&c, "coordinator:main")["activeTasks"], json!([]));
}

#[test]
fn queued_tasks_are_assigned_in_order_after_a_restart() {
    let host = system();
    let c = Client::connect(&host, &unique("s"));
    for t in ["t1", "t2"] {
        c.request("coordinator:main", "assign_task", json!(t));
    }
    host.restart("coordinator:main").unwrap();
    let r = payload(&c.request(
        "coordinator:main",
        "register_worker",
        json!({"workerId": "w9"}),
    ));
    assert_eq!(r["status"], "registered");
    assert_eq!(
        status(&c, "coordinator:main")["activeTasks"],
        json!([["t1", "w9"]])
    );
}

#[test]
fn one_operation_writes_a_constant_number_of_keys_whatever_the_queue_depth() {
    let host = system();
    let actor = host.client("client:test").unwrap();
    let mut writes_per_assign = Vec::new();
    for depth in [10usize, 1000] {
        let coordinator = format!("coordinator:{}", unique("depth"));
        for i in 0..depth {
            actor
                .ask(&coordinator, &AssignTask::Id(format!("t{i}")))
                .unwrap();
        }
        let before = host.storage_of(&coordinator).unwrap().memory().stats();
        actor
            .ask(&coordinator, &AssignTask::Id("last".into()))
            .unwrap();
        let after = host.storage_of(&coordinator).unwrap().memory().stats();
        writes_per_assign.push((after.puts + after.deletes) - (before.puts + before.deletes));
    }
    assert_eq!(
        writes_per_assign[0], writes_per_assign[1],
        "{writes_per_assign:?}"
    );
    assert!(writes_per_assign[0] <= 3, "{writes_per_assign:?}");
}

#[test]
fn after_a_restart_a_long_queue_loads_when_first_needed_and_a_failed_read_fails_only_its_turn() {
    let host = system();
    let actor = host.client("client:test").unwrap();
    let queued = duract::collections::COUNTED_FROM + 6; // long enough to keep its count
    for i in 0..queued {
        let task = AssignTask::Id(format!("t{i}"));
        actor.ask("coordinator:main", &task).unwrap();
    }
    host.restart("coordinator:main").unwrap();
    // Every read of stored rows fails from now on: the queue's stored count answers alone.
    host.fail_next_reads("coordinator:main", u64::MAX).unwrap();
    let c = Client::connect(&host, &unique("s"));
    assert_eq!(status(&c, "coordinator:main")["queuedTasks"], queued);
    // A duplicate check needs the queue's rows: the turn fails and changes nothing.
    let refused = c.request("coordinator:main", "assign_task", json!("new"));
    assert!(error(&refused, "actor_error").contains("could not be read"));
    host.clear_faults("coordinator:main").unwrap();
    let accepted = payload(&c.request("coordinator:main", "assign_task", json!("new")));
    assert_eq!(accepted["position"], queued + 1, "{accepted}");
    let again = c.request("coordinator:main", "assign_task", json!("t1"));
    error(&again, "duplicate_task");
}
