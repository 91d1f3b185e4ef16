//! With the `checklist` feature, generated dispatch and instrumented handler bodies record a
//! hit first thing in each branch, under the ids of the branch table.
//! Run: `cargo test -p duract-tests --features checklist --test checklist_hits`.
#![cfg(feature = "checklist")]

use duract::checklist::count;
use duract::instance::Instance;
use duract::{Actor, MemoryStorage, Target};
use duract_tests::fixtures::{Coordinator, Worker};
use duract_tests::port::{load, request, turn, TestPort};
use std::rc::Rc;

fn send<A: Actor>(port: &Rc<TestPort>, actor: &Instance<A>, ty: &str, payload: &str) {
    let to = duract::Port::address(&**port).to_string();
    let _ = turn(actor, &request(&to, ty, payload));
}

#[test]
fn every_generated_and_body_branch_records_its_id() {
    let port = TestPort::new("coordinator:main", Rc::new(MemoryStorage::new()));
    let c = load::<Coordinator>(&port);
    send(&port, &c, "register_worker", r#"{"workerId":"w1"}"#); // Some(id), if (new)
    send(&port, &c, "register_worker", r#"{"workerId":"w1"}"#); // Some(id), implicit else
    send(&port, &c, "register_worker", "{}"); // None
    send(&port, &c, "register_worker", r#"{"workerId":""}"#); // guard arm, return, handler error
    send(&port, &c, "register_worker", r#"{"workerId":1}"#); // decode error
    send(&port, &c, "take_next", "null"); // handler error (empty queue)
    send(&port, &c, "nope", "null"); // unknown type
    for id in [
        "coordinator/register_worker",
        "coordinator/!invalid_payload:register_worker",
        "coordinator/!handler_error:register_worker",
        "coordinator/register_worker/match:msg.worker_id/Some(id) if id.is_empty()",
        "coordinator/register_worker/match:msg.worker_id/Some(id)",
        "coordinator/register_worker/match:msg.worker_id/None",
        "coordinator/register_worker/if:!self.workers.contains(&worker_id)",
        "coordinator/register_worker/else:!self.workers.contains(&worker_id)",
        "coordinator/!handler_error:take_next",
        "coordinator/!unknown_type",
    ] {
        assert!(
            Coordinator::INFO.branches.iter().any(|b| b.id == id),
            "{id} is not in the table"
        );
        assert!(count(id) >= 1, "{id} was not hit");
    }
    let early_return = Coordinator::INFO
        .branches
        .iter()
        .find(|b| b.id.starts_with("coordinator/register_worker/return:"))
        .unwrap();
    assert!(count(early_return.id) >= 1);
    // Branches not taken record nothing.
    assert_eq!(count("coordinator/assign_task"), 0);
    assert_eq!(count("coordinator/!invalid_payload:assign_task"), 0);

    let port = TestPort::new("worker:w1", Rc::new(MemoryStorage::new()));
    let w = load::<Worker>(&port);
    send(&port, &w, "command", r#""reset""#);
    assert_eq!(count("worker/command/match:msg/Command::Reset"), 1);
    assert_eq!(
        count("worker/command/match:msg/Command::SetLast{task_id}"),
        0
    );
}
