//! The coordinator's variations beyond protocol.md (issue 8): priorities, worker
//! specialization, paged status, and an exact restore of a large state.

use crate::common::{error, payload, status, system, unique, Client, WORK_MS};
use duract_example_system::coordinator::{AssignTask, GetStatus, RegisterWorker};
use serde_json::{json, Value};

fn assign(c: &Client, task: Value) -> Value {
    payload(&c.request("coordinator:main", "assign_task", task))
}

fn register(c: &Client, worker: Value) -> Value {
    payload(&c.request("coordinator:main", "register_worker", worker))
}

#[test]
fn higher_priority_tasks_are_assigned_first_fifo_within_a_priority() {
    let c = Client::connect(&system(), &unique("s"));
    assert_eq!(assign(&c, json!({"taskId": "low1"}))["position"], 1);
    assert_eq!(assign(&c, json!({"taskId": "low2"}))["position"], 2);
    assert_eq!(
        assign(&c, json!({"taskId": "high1", "priority": 5}))["position"],
        1
    );
    assert_eq!(
        assign(&c, json!({"taskId": "high2", "priority": 5}))["position"],
        2
    );
    let mut order = Vec::new();
    register(&c, json!({"workerId": "w"}));
    for _ in 0..4 {
        let active = status(&c, "coordinator:main")["activeTasks"].clone();
        order.push(active[0][0].as_str().unwrap().to_owned());
        c.host.advance(WORK_MS).unwrap();
    }
    assert_eq!(order, ["high1", "high2", "low1", "low2"]);
}

#[test]
fn a_task_that_requires_a_capability_waits_for_a_matching_worker() {
    let c = Client::connect(&system(), &unique("s"));
    register(&c, json!({"workerId": "plain"}));
    let r = assign(&c, json!({"taskId": "render", "requires": "gpu"}));
    assert_eq!(
        r,
        json!({"status": "queued", "taskId": "render", "position": 1})
    );
    assert_eq!(assign(&c, json!("simple"))["workerId"], "plain");
    register(&c, json!({"workerId": "gpu1", "capabilities": ["gpu"]}));
    let s = status(&c, "coordinator:main");
    assert_eq!(
        s["activeTasks"],
        json!([["simple", "plain"], ["render", "gpu1"]]),
        "the earliest lease expiry first"
    );
}

#[test]
fn a_capable_worker_also_takes_plain_tasks() {
    let c = Client::connect(&system(), &unique("s"));
    register(&c, json!({"workerId": "gpu1", "capabilities": ["gpu"]}));
    assert_eq!(assign(&c, json!("plain"))["workerId"], "gpu1");
}

#[test]
fn an_unreadable_status_cursor_is_invalid_payload() {
    let c = Client::connect(&system(), &unique("s"));
    register(&c, json!({"workerId": "w"}));
    for cursor in ["bogus", "w:x", "a:1/2/3", "z:1"] {
        let page = json!({"limit": 2, "cursor": cursor});
        let reply = c.request("coordinator:main", "get_status", page);
        let text = error(&reply, "invalid_payload");
        assert!(text.contains("nextCursor"), "{cursor}: {text}");
    }
}

#[test]
fn status_pages_cover_workers_then_active_tasks_exactly_once() {
    let host = system();
    let actor = host.client("client:test").unwrap();
    for i in 0..7 {
        let msg = RegisterWorker {
            worker_id: Some(format!("w{i}")),
            capabilities: None,
        };
        actor.ask("coordinator:main", &msg).unwrap();
    }
    for i in 0..5 {
        actor
            .ask("coordinator:main", &AssignTask::Id(format!("t{i}")))
            .unwrap();
    }
    let (mut workers, mut active, mut cursor) = (Vec::new(), Vec::new(), None);
    loop {
        let page = payload(
            &actor
                .ask("coordinator:main", &GetStatus::Page { limit: 3, cursor })
                .unwrap(),
        );
        assert!(
            page["workers"].as_array().unwrap().len()
                + page["activeTasks"].as_array().unwrap().len()
                <= 3
        );
        assert_eq!(
            (page["workerCount"].clone(), page["activeCount"].clone()),
            (json!(7), json!(5))
        );
        workers.extend(page["workers"].as_array().unwrap().iter().cloned());
        active.extend(page["activeTasks"].as_array().unwrap().iter().cloned());
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let whole = payload(
        &actor
            .ask("coordinator:main", &GetStatus::default())
            .unwrap(),
    );
    assert_eq!(Value::from(workers), whole["workers"]);
    assert_eq!(Value::from(active), whole["activeTasks"]);
    assert!(
        whole.get("nextCursor").is_none(),
        "the unpaged answer is exactly protocol.md's"
    );
}

#[test]
fn a_large_state_restores_exactly_after_a_restart() {
    let host = system();
    let actor = host.client("client:test").unwrap();
    // Two coordinators built alike; only the first restarts.
    for coordinator in ["coordinator:big", "coordinator:twin"] {
        for i in 0..300 {
            let capabilities = (i % 3 == 0).then(|| vec!["gpu".to_owned()]);
            let msg = RegisterWorker {
                worker_id: Some(format!("w{i}")),
                capabilities,
            };
            actor.ask(coordinator, &msg).unwrap();
        }
        for i in 0..2000 {
            let requires = (i % 7 == 0).then(|| "gpu".to_owned());
            let msg = AssignTask::Task {
                task_id: format!("t{i}"),
                priority: i % 3,
                requires,
            };
            actor.ask(coordinator, &msg).unwrap();
        }
    }
    let whole = |c: &str| payload(&actor.ask(c, &GetStatus::default()).unwrap());
    let before = whole("coordinator:big");
    host.restart("coordinator:big").unwrap();
    assert_eq!(whole("coordinator:big"), before);
    assert_eq!(before["queuedTasks"], 1700);
    // The queue's order and the idle index survived too: the same work goes out next.
    for coordinator in ["coordinator:big", "coordinator:twin"] {
        for task in ["t0", "t1", "t7"] {
            let done = duract_example_system::coordinator::TaskComplete {
                task_id: task.into(),
                worker_id: "w0".into(),
                assignment: None,
            };
            actor.ask(coordinator, &done).unwrap();
        }
        let msg = RegisterWorker {
            worker_id: Some("late".into()),
            capabilities: Some(vec!["gpu".into()]),
        };
        actor.ask(coordinator, &msg).unwrap();
    }
    assert_eq!(whole("coordinator:big"), whole("coordinator:twin"));
}

#[test]
fn an_idle_worker_registering_again_with_a_new_capability_takes_a_matching_task() {
    let c = Client::connect(&system(), &unique("s"));
    register(&c, json!({"workerId": "w"}));
    assign(&c, json!({"taskId": "render", "requires": "gpu"}));
    assert_eq!(status(&c, "coordinator:main")["activeTasks"], json!([]));
    register(&c, json!({"workerId": "w", "capabilities": ["gpu"]}));
    assert_eq!(
        status(&c, "coordinator:main")["activeTasks"],
        json!([["render", "w"]])
    );
}

#[test]
fn an_expired_task_goes_to_another_idle_worker_when_its_holder_takes_a_better_one() {
    // h (gpu) works on t; x (plain) is idle; an urgent gpu task waits for h.
    let host = system().var("WORK_MS", &(3 * crate::common::LEASE_MS).to_string());
    let c = Client::connect(&host, &unique("s"));
    register(&c, json!({"workerId": "h", "capabilities": ["gpu"]}));
    assign(&c, json!("t"));
    register(&c, json!({"workerId": "x"}));
    assign(
        &c,
        json!({"taskId": "urgent", "priority": 5, "requires": "gpu"}),
    );
    c.host.advance(crate::common::LEASE_MS).unwrap();
    let s = status(&c, "coordinator:main");
    assert_eq!(
        s["activeTasks"],
        json!([["urgent", "h"], ["t", "x"]]),
        "same expiry: in the order they were assigned"
    );
    assert_eq!(s["queuedTasks"], 0);
}
