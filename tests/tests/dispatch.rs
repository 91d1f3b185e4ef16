//! Generated dispatch against the in-memory storage: every outcome of a dispatch, and the
//! static descriptions `#[actor]` writes.

use duract::gateway::{handle_frame, Frame, LocalSocket};
use duract::instance::Instance;
use duract::{Actor, Error, MemoryStorage, Target};
use duract_tests::fixtures::{Coordinator, Session, Worker};
use duract_tests::port::{load, request, turn, TestPort};
use serde_json::{json, Value};
use std::rc::Rc;

fn coordinator() -> (Rc<TestPort>, Instance<Coordinator>) {
    let port = TestPort::new("coordinator:main", Rc::new(MemoryStorage::new()));
    let actor = load::<Coordinator>(&port);
    (port, actor)
}

fn call<A: Actor>(
    port: &Rc<TestPort>,
    actor: &Instance<A>,
    message_type: &str,
    payload: &str,
) -> Result<Value, Error> {
    let to = port.storage_address();
    turn(actor, &request(&to, message_type, payload))
        .map(|text| serde_json::from_str(&text).expect("reply is JSON"))
}

trait Address {
    fn storage_address(&self) -> String;
}

impl Address for Rc<TestPort> {
    fn storage_address(&self) -> String {
        duract::Port::address(&**self).to_string()
    }
}

#[test]
fn a_route_decodes_camel_case_and_replies() {
    let (port, c) = coordinator();
    let reply = call(&port, &c, "register_worker", r#"{"workerId":"w1"}"#).unwrap();
    assert_eq!(reply, json!({"status": "registered", "workerId": "w1"}));
    // Absent optional field: the sender's id.
    let reply = call(&port, &c, "register_worker", "{}").unwrap();
    assert_eq!(reply["workerId"], "ui");
}

#[test]
fn an_infallible_handler_replies_directly() {
    let (port, c) = coordinator();
    let reply = call(&port, &c, "assign_task", r#"{"taskId":"t1"}"#).unwrap();
    assert_eq!(reply, json!({"taskId": "t1", "position": 1}));
}

#[test]
fn a_unit_message_ignores_its_payload() {
    let (port, c) = coordinator();
    for payload in ["null", "{}", r#"{"anything":[1,2]}"#, "7"] {
        let reply = call(&port, &c, "get_status", payload).unwrap();
        assert_eq!(reply["queuedTasks"], 0, "payload {payload}");
    }
    // An envelope without payload.
    let text = r#"{"to":"coordinator:main","from":"client:ui","type":"get_status","id":"r","timestamp":1}"#;
    let env = duract::Envelope::decode(text).unwrap();
    assert!(turn(&c, &env).is_ok());
}

#[test]
fn a_payload_that_does_not_decode_is_invalid_payload_with_serdes_reason() {
    let (port, c) = coordinator();
    let err = call(&port, &c, "register_worker", r#"{"workerId":5}"#).unwrap_err();
    assert_eq!(err.code(), "invalid_payload");
    assert!(
        err.to_string().contains("invalid type: integer `5`"),
        "{err}"
    );
    let err = call(&port, &c, "assign_task", "null").unwrap_err();
    assert_eq!(err.code(), "invalid_payload");
    // Unknown fields are ignored (forward compatibility).
    assert!(call(&port, &c, "assign_task", r#"{"taskId":"t","x":1}"#).is_ok());
}

#[test]
fn an_unhandled_type_is_unknown_type() {
    let (port, c) = coordinator();
    let err = call(&port, &c, "nobody", "null").unwrap_err();
    assert_eq!(
        err,
        Error::UnknownType {
            message_type: "nobody".into()
        }
    );
    assert_eq!(err.code(), "unknown_type");
    // `process_task` belongs to the worker: unknown here.
    assert_eq!(
        call(&port, &c, "process_task", "{}").unwrap_err().code(),
        "unknown_type"
    );
    // The handler of `TakeTask` is reached by its declared wire type only.
    assert_eq!(
        call(&port, &c, "take_task", "null").unwrap_err().code(),
        "unknown_type"
    );
}

#[test]
fn a_handler_error_keeps_its_code() {
    let (port, c) = coordinator();
    let err = call(&port, &c, "take_next", "null").unwrap_err();
    assert_eq!(
        (err.code(), err.to_string().as_str()),
        ("empty_queue", "No task is queued")
    );
    let err = call(&port, &c, "register_worker", r#"{"workerId":""}"#).unwrap_err();
    assert_eq!(err.code(), "invalid_payload");
    call(&port, &c, "assign_task", r#"{"taskId":"t1"}"#).unwrap();
    assert_eq!(call(&port, &c, "take_next", "null").unwrap(), json!("t1"));
}

#[test]
fn enum_messages_use_camel_case_variants_and_fields() {
    let port = TestPort::new("worker:w1", Rc::new(MemoryStorage::new()));
    let w = load::<Worker>(&port);
    let reply = call(&port, &w, "command", r#"{"setLast":{"taskId":"t9"}}"#).unwrap();
    assert_eq!(reply, json!("ok"));
    let state = call(&port, &w, "get_state", "{}").unwrap();
    assert_eq!(state, json!({"processedCount": 0, "lastTask": "t9"}));
    assert_eq!(
        call(&port, &w, "command", r#""reset""#).unwrap(),
        json!("ok")
    );
}

#[test]
fn handlers_reach_other_actors_through_ctx() {
    let port = TestPort::new("worker:w1", Rc::new(MemoryStorage::new()));
    let w = load::<Worker>(&port);
    let reply = call(&port, &w, "process_task", r#"{"taskId":"t1"}"#).unwrap();
    assert_eq!(reply, json!(1));
    let sent = port.sent.borrow();
    assert_eq!(sent.len(), 1);
    let (kind, env) = &sent[0];
    assert_eq!(*kind, "coordinator");
    assert_eq!(env.to.to_string(), "coordinator:main");
    assert_eq!(env.message_type, "task_complete");
    assert_eq!(env.payload.get(), r#"{"taskId":"t1","workerId":"w1"}"#);
}

#[test]
fn actor_info_has_the_defaults_and_the_overrides() {
    let info = Coordinator::INFO;
    assert_eq!(
        (info.kind, info.class, info.binding),
        ("coordinator", "CoordinatorActor", "COORDINATOR_ACTOR")
    );
    let routes: Vec<_> = info
        .routes
        .iter()
        .map(|r| (r.message_type, r.internal, r.handler))
        .collect();
    assert_eq!(
        routes,
        [
            ("register_worker", false, "register_worker"),
            ("assign_task", false, "assign_task"),
            ("take_next", false, "take_task"),
            ("task_complete", true, "task_complete"),
            ("get_status", false, "get_status"),
        ]
    );
    assert!(info.gateway.is_none());
    let worker = Worker::INFO;
    assert_eq!(
        (worker.kind, worker.class, worker.binding),
        ("worker", "WorkerActor", "WORKERS")
    );
    assert!(worker.route("process_task").unwrap().internal);
}

#[test]
fn a_gateway_has_its_routing_table_and_handles_no_message() {
    let info = Session::INFO;
    assert_eq!(
        (info.kind, info.class, info.binding),
        ("session", "SessionActor", "SESSION_ACTOR")
    );
    assert!(info.routes.is_empty());
    let gateway = info.gateway.expect("a gateway");
    assert_eq!(gateway.forward("coordinator").unwrap().kind, "coordinator");
    assert_eq!(gateway.forward("worker").unwrap().binding, "WORKERS");
    assert!(gateway.forward("session").is_none());
    assert_eq!(
        gateway.reply_to("register_worker"),
        "client:coordinator-proxy"
    );
    assert_eq!(gateway.reply_to("assign_task"), "client:coordinator-proxy");
    assert_eq!(gateway.reply_to("get_status"), "client:coordinator-proxy");
    assert_eq!(gateway.reply_to("get_state"), "client:worker-proxy");
    assert_eq!(gateway.reply_to("process_task"), "client:ui");
    assert_eq!(gateway.default_reply_to, "client:ui");
    // A gateway has no state and no turns: no instance to run.
    let port: Rc<dyn duract::Port> = TestPort::new("session:s1", Rc::new(MemoryStorage::new()));
    assert!(Session::__turns(port).is_none());
}

#[test]
fn the_gateway_table_drives_the_runtimes_frame_checks() {
    let info = Session::INFO.gateway.unwrap();
    let port = TestPort::new("session:s1", Rc::new(MemoryStorage::new()));
    let frame = |to: &str, ty: &str| {
        let text = format!(
            r#"{{"to":"{to}","from":"client:ui","type":"{ty}","payload":{{}},"id":"q","timestamp":1}}"#
        );
        let reply = duract::block_on(handle_frame(
            info,
            &*port,
            &LocalSocket::default(),
            Frame::Text(&text),
        ));
        serde_json::from_str::<Value>(&reply).unwrap()["payload"]["code"].clone()
    };
    assert_eq!(frame("worker:w1", "process_task"), "forbidden");
    assert_eq!(frame("coordinator:main", "task_complete"), "forbidden");
    assert_eq!(frame("coordinator:main", "process_task"), "unknown_type");
    assert_eq!(frame("session:x", "get_status"), "unknown_actor");
    // Routed: the test port delivers nothing, so the call itself fails.
    assert_eq!(frame("coordinator:main", "get_status"), "actor_error");
}
