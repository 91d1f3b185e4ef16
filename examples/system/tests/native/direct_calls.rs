//! Category 6, direct actor calls: the coordinator and workers addressed without the gateway, as
//! other actors call them (internal messages allowed).

use crate::common::{payload, system, LEASE_MS, WORK_MS};
use duract::native::assert_error_code;
use duract_example_system::coordinator::{
    AssignTask, CheckLeases, Coordinator, GetStatus, RegisterWorker, TaskComplete,
};
use duract_example_system::worker::{GetState, ProcessTask, WorkDone, Worker};
use serde_json::json;

#[test]
fn the_coordinator_answers_a_direct_call() {
    let host = system();
    let actor = host.client("worker:w5").unwrap();
    let r = actor
        .ask(
            "coordinator:main",
            &RegisterWorker {
                worker_id: None,
                capabilities: None,
            },
        )
        .unwrap();
    assert_eq!(r.message_type, "register_workerResponse");
    assert_eq!(
        r.to.as_str(),
        "worker:w5",
        "a direct reply goes back to the caller"
    );
    assert_eq!(
        payload(&r),
        json!({"status": "registered", "workerId": "w5"})
    );
    let r = actor
        .ask("coordinator:main", &AssignTask::Id("t1".into()))
        .unwrap();
    assert_eq!(payload(&r)["status"], "assigned");
    let r = actor
        .ask("coordinator:main", &GetStatus::default())
        .unwrap();
    assert_eq!(payload(&r)["activeTasks"], json!([["t1", "w5"]]));
}

#[test]
fn a_worker_processes_a_task_sent_directly_and_reports_to_its_sender() {
    let host = system();
    let coordinator = host.client("coordinator:c2").unwrap();
    let r = coordinator
        .ask(
            "worker:w1",
            &ProcessTask {
                task_id: "t1".into(),
                assignment: None,
            },
        )
        .unwrap();
    assert_eq!(payload(&r), json!({"status": "processing", "taskId": "t1"}));
    host.advance(WORK_MS).unwrap();
    let r = host
        .client("client:ui")
        .unwrap()
        .ask("worker:w1", &GetState)
        .unwrap();
    assert_eq!(
        payload(&r),
        json!({"workerId": "w1", "currentTask": null, "processedCount": 1})
    );
    // The report went to coordinator:c2, which did not know the task: nothing changed there.
    let s = host
        .client("client:ui")
        .unwrap()
        .ask("coordinator:c2", &GetStatus::default())
        .unwrap();
    assert_eq!(
        payload(&s),
        json!({"workers": [], "queuedTasks": 0, "activeTasks": []})
    );
}

#[test]
fn direct_calls_get_the_same_coded_errors() {
    let host = system();
    let actor = host.client("client:test").unwrap();
    assert_error_code(
        &actor
            .ask_raw("coordinator:main", "nope", &json!(null))
            .unwrap(),
        "unknown_type",
    );
    assert_error_code(
        &actor
            .ask_raw("coordinator:main", "assign_task", &json!(7))
            .unwrap(),
        "invalid_payload",
    );
    assert_error_code(
        &actor
            .ask_raw("worker:w1", "process_task", &json!({}))
            .unwrap(),
        "invalid_payload",
    );
}

#[test]
fn a_failed_write_is_actor_error_and_loses_nothing_stored() {
    let host = system();
    let actor = host.client("client:test").unwrap();
    actor
        .ask("coordinator:main", &AssignTask::Id("t1".into()))
        .unwrap();
    host.fail_next_writes("coordinator:main", 1).unwrap();
    let r = actor
        .ask("coordinator:main", &AssignTask::Id("t2".into()))
        .unwrap();
    assert_error_code(&r, "actor_error");
    let r = actor
        .ask("coordinator:main", &GetStatus::default())
        .unwrap();
    assert_eq!(
        payload(&r)["queuedTasks"],
        1,
        "the failed turn's writes were not applied"
    );
}

#[test]
fn a_worker_called_directly_with_an_unknown_type_is_unknown_type() {
    let host = system();
    let actor = host.client("coordinator:main").unwrap();
    assert_error_code(
        &actor.ask_raw("worker:w1", "nope", &json!(null)).unwrap(),
        "unknown_type",
    );
}

#[test]
fn malformed_internal_messages_are_invalid_payload() {
    let host = system();
    let actor = host.client("worker:w1").unwrap();
    for (to, message_type) in [
        ("coordinator:main", "task_complete"),
        ("worker:w1", "work_done"),
    ] {
        let reply = actor
            .ask_raw(to, message_type, &json!({"taskId": 5}))
            .unwrap();
        assert_error_code(&reply, "invalid_payload");
    }
}

#[test]
fn stale_timers_change_nothing() {
    let host = system();
    let client = host.client("client:test").unwrap();
    let coordinator = client.actor::<Coordinator>("main");
    let worker = client.actor::<Worker>("w1");
    let register = RegisterWorker {
        worker_id: Some("w1".into()),
        capabilities: None,
    };
    assert_eq!(coordinator.ask(&register).unwrap().worker_id, "w1");
    coordinator.ask(&AssignTask::Id("t1".into())).unwrap();
    coordinator.ask(&CheckLeases).unwrap(); // before any lease ran out
    let stale = WorkDone {
        task_id: "other".into(),
    };
    worker.ask(&stale).unwrap();
    let status = coordinator.ask(&GetStatus::default()).unwrap();
    assert_eq!(status.active_tasks, [("t1".into(), "w1".into())]);
    let state = worker.ask(&GetState).unwrap();
    assert_eq!(
        (state.current_task.as_deref(), state.processed_count),
        (Some("t1"), 0)
    );
}

#[test]
fn storage_failures_in_each_handler_are_actor_error() {
    let host = system();
    let actor = host.client("client:test").unwrap();
    // process_task: its new state cannot be stored.
    host.fail_next_writes("worker:w9", 1).unwrap();
    let coordinator = host.client("coordinator:main").unwrap();
    assert_error_code(
        &coordinator
            .ask(
                "worker:w9",
                &ProcessTask {
                    task_id: "t0".into(),
                    assignment: None,
                },
            )
            .unwrap(),
        "actor_error",
    );
    // task_complete: the worker's new state and the lease's removal cannot be stored.
    actor
        .ask(
            "coordinator:main",
            &RegisterWorker {
                worker_id: Some("w1".into()),
                capabilities: None,
            },
        )
        .unwrap();
    actor
        .ask("coordinator:main", &AssignTask::Id("t1".into()))
        .unwrap();
    host.fail_next_writes("coordinator:main", 1).unwrap();
    let done = TaskComplete {
        task_id: "t1".into(),
        worker_id: "w1".into(),
        assignment: None,
    };
    assert_error_code(
        &actor.ask("coordinator:main", &done).unwrap(),
        "actor_error",
    );
    let s = payload(
        &actor
            .ask("coordinator:main", &GetStatus::default())
            .unwrap(),
    );
    assert_eq!(
        s["activeTasks"],
        json!([["t1", "w1"]]),
        "the failed turn changed nothing"
    );
}

#[test]
fn a_lease_expiry_that_cannot_store_its_reassignment_is_retried() {
    let host = system().var("WORK_MS", "100000");
    let actor = host.client("client:test").unwrap();
    actor
        .ask(
            "coordinator:main",
            &RegisterWorker {
                worker_id: Some("w1".into()),
                capabilities: None,
            },
        )
        .unwrap();
    actor
        .ask("coordinator:main", &AssignTask::Id("t1".into()))
        .unwrap();
    host.fail_next_writes("coordinator:main", 1).unwrap();
    host.advance(LEASE_MS).unwrap(); // the expiry's turn fails to store the new lease
    host.advance(2_000).unwrap(); // the alarm retries
    let s = payload(
        &actor
            .ask("coordinator:main", &GetStatus::default())
            .unwrap(),
    );
    assert_eq!(s["activeTasks"], json!([["t1", "w1"]]));
    assert_eq!(s["queuedTasks"], 0);
}

#[test]
fn a_task_sent_again_while_its_work_goes_on_keeps_that_work() {
    let host = system();
    let coordinator = host.client("coordinator:main").unwrap();
    let task = |assignment| ProcessTask {
        task_id: "t1".into(),
        assignment: Some(assignment),
    };
    coordinator.ask("worker:w1", &task(1)).unwrap();
    host.advance(WORK_MS - 1).unwrap();
    // Its lease ran out meanwhile, say: the same task again, while the work goes on.
    let again = coordinator.ask("worker:w1", &task(2)).unwrap();
    assert_eq!(payload(&again)["status"], "processing");
    let waiting: Vec<u64> = host
        .later("worker:w1")
        .iter()
        .map(|(due, _)| *due)
        .collect();
    assert_eq!(waiting.len(), 1, "one work in progress, not a second one");
    assert_eq!(waiting[0], host.now() + 1, "due when the first work ends");
    host.advance(1).unwrap();
    let state = host
        .client("client:test")
        .unwrap()
        .actor::<Worker>("w1")
        .ask(&GetState)
        .unwrap();
    assert_eq!((state.current_task, state.processed_count), (None, 1));
    assert!(host.later("worker:w1").is_empty());
}
