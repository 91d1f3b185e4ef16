//! The branch tables: stable ids, kinds, and the source lines of the declaring tokens,
//! available at run time and printable as JSON.

use duract::{Actor, BranchKind, Target};
use duract_tests::fixtures::{Coordinator, Session, Worker};

fn ids<A: Target>() -> Vec<&'static str> {
    A::INFO.branches.iter().map(|b| b.id).collect()
}

/// The branches the macros generate (routes, error paths), without those of handler bodies.
fn generated<A: Actor>() -> Vec<&'static str> {
    let body = [
        BranchKind::IfThen,
        BranchKind::IfElse,
        BranchKind::MatchArm,
        BranchKind::EarlyReturn,
    ];
    A::INFO
        .branches
        .iter()
        .filter(|b| !body.contains(&b.kind))
        .map(|b| b.id)
        .collect()
}

#[test]
fn an_actor_lists_its_routes_and_error_paths() {
    assert_eq!(
        generated::<Coordinator>(),
        [
            "coordinator/register_worker",
            "coordinator/!invalid_payload:register_worker",
            "coordinator/!handler_error:register_worker",
            "coordinator/assign_task",
            "coordinator/!invalid_payload:assign_task",
            "coordinator/take_next",
            "coordinator/!invalid_payload:take_next",
            "coordinator/!handler_error:take_next",
            "coordinator/task_complete",
            "coordinator/!invalid_payload:task_complete",
            "coordinator/get_status",
            "coordinator/!invalid_payload:get_status",
            "coordinator/!unknown_type",
        ]
    );
    let kinds: Vec<BranchKind> = Coordinator::INFO.branches.iter().map(|b| b.kind).collect();
    assert_eq!(
        &kinds[..3],
        [
            BranchKind::Route,
            BranchKind::DecodeError,
            BranchKind::HandlerError
        ]
    );
    assert_eq!(kinds.last(), Some(&BranchKind::UnknownType));
    // 4 routes, 4 decode errors, 1 fallible handler, unknown_type.
    assert_eq!(generated::<Worker>().len(), 4 * 2 + 1 + 1);
}

#[test]
fn handler_bodies_list_their_ifs_match_arms_and_early_returns() {
    let all = ids::<Coordinator>();
    let at = all
        .iter()
        .position(|id| *id == "coordinator/!handler_error:register_worker")
        .unwrap();
    assert_eq!(
        all[at + 1..at + 7],
        [
            "coordinator/register_worker/match:msg.worker_id/Some(id) if id.is_empty()",
            // Long texts are shortened to 60 characters.
            r#"coordinator/register_worker/return:Err(Error::InvalidPayload{reason:"workerId is empty".into(),.."#,
            "coordinator/register_worker/match:msg.worker_id/Some(id)",
            "coordinator/register_worker/match:msg.worker_id/None",
            "coordinator/register_worker/if:!self.workers.contains(&worker_id)",
            "coordinator/register_worker/else:!self.workers.contains(&worker_id)",
        ]
    );
    let kinds: Vec<BranchKind> = Coordinator::INFO.branches[at + 1..at + 7]
        .iter()
        .map(|b| b.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            BranchKind::MatchArm,
            BranchKind::EarlyReturn,
            BranchKind::MatchArm,
            BranchKind::MatchArm,
            BranchKind::IfThen,
            BranchKind::IfElse,
        ]
    );
    // A waived branch carries its reason; the others none.
    let waived: Vec<(&str, Option<&str>)> = Worker::INFO
        .branches
        .iter()
        .filter(|b| b.id.starts_with("worker/heartbeat/"))
        .map(|b| (b.id, b.waiver))
        .collect();
    let reason = Some("clocks in the fixtures never go backwards");
    assert_eq!(
        waived,
        [
            ("worker/heartbeat/if:msg.at<0.0", reason),
            ("worker/heartbeat/else:msg.at<0.0", reason),
            (
                r#"worker/heartbeat/return:"before the epoch".into()"#,
                reason
            ),
        ]
    );
    // The coordinator waives nothing in its source; only the types waive the decode error
    // of a message without fields, which no payload can reach.
    let waived: Vec<_> = Coordinator::INFO
        .branches
        .iter()
        .filter_map(|b| b.waiver.map(|w| (b.id, w)))
        .collect();
    let any_payload = "a message without fields: every payload decodes";
    assert_eq!(
        waived,
        [
            ("coordinator/!invalid_payload:take_next", any_payload),
            ("coordinator/!invalid_payload:get_status", any_payload)
        ]
    );
    // The worker's `command` handler: one branch per arm.
    assert!(ids::<Worker>().contains(&"worker/command/match:msg/Command::Reset"));
}

#[test]
fn a_gateway_lists_its_forwards_and_its_error_paths() {
    assert_eq!(
        ids::<Session>(),
        [
            "session/route:coordinator",
            "session/route:worker",
            "session/!unsupported_frame",
            "session/!too_large",
            "session/!invalid_format",
            "session/!invalid_address",
            "session/!unknown_actor",
            "session/!forbidden",
            "session/!unknown_type",
            "session/!overloaded",
            "session/!actor_error",
        ]
    );
}

#[test]
fn branches_point_at_the_declaring_tokens() {
    let source = include_str!("../src/fixtures.rs");
    let line_of =
        |needle: &str| source.lines().position(|l| l.contains(needle)).unwrap() as u32 + 1;
    let find = |id: &str| {
        Coordinator::INFO
            .branches
            .iter()
            .find(|b| b.id == id)
            .copied()
            .unwrap()
    };
    let route = find("coordinator/assign_task");
    assert!(route.file.ends_with("fixtures.rs"), "{}", route.file);
    assert_eq!(route.line, line_of("async fn assign_task"));
    assert_eq!(route.label, "AssignTask -> Coordinator::assign_task");
    assert_eq!(
        find("coordinator/!handler_error:take_next").line,
        line_of("async fn take_task")
    );
    let arm = Coordinator::INFO
        .branches
        .iter()
        .find(|b| b.id.ends_with("match:msg.worker_id/None"))
        .unwrap();
    assert_eq!(arm.line, line_of("None => ctx.sender()"));
    assert_eq!(
        arm.label,
        "Coordinator::register_worker: match msg.worker_id => None"
    );
    let gateway = Session::INFO.branches[0];
    assert_eq!(gateway.line, line_of("forward(coordinator = Coordinator"));
}

#[test]
fn the_table_prints_as_json() {
    let json = serde_json::to_value(Coordinator::INFO.branches).unwrap();
    assert_eq!(json[0]["id"], "coordinator/register_worker");
    assert_eq!(json[0]["kind"], "route");
    assert_eq!(json[1]["kind"], "decode_error");
    assert!(json[0]["line"].as_u64().unwrap() > 0);
}

/// An actor whose waivers hold on one host each.
mod host_waivers {
    use duract::{actor, message, route, Ctx, Error};

    #[message]
    pub struct Ping {
        pub n: u32,
    }

    #[message]
    pub struct Tick {}

    #[actor]
    #[derive(Default)]
    pub struct Pinger {
        pings: u32,
    }

    #[route]
    #[waive(host = "workerd", unknown_type = "clients go through a gateway")]
    impl Pinger {
        #[waive(host = "native", invalid_payload = "tests send typed messages")]
        async fn ping(&mut self, _ctx: &mut Ctx, msg: Ping) -> Result<u32, Error> {
            #[waive(host = "workerd", reason = "no e2e test sends 0")]
            if msg.n == 0 {
                return Err(Error::handler("zero", "0"));
            }
            #[waive("every host")]
            if msg.n == u32::MAX {
                self.pings = 0;
            }
            self.pings += 1;
            Ok(self.pings)
        }

        #[waive(host = "workerd", reason = "a timer's, tested on virtual time")]
        async fn tick(&mut self, _ctx: &mut Ctx, _msg: Tick) {}
    }
}

#[test]
fn a_waiver_may_hold_on_one_host() {
    use host_waivers::Pinger;
    let waived: Vec<(&str, &str, Option<&str>)> = Pinger::INFO
        .branches
        .iter()
        .filter_map(|b| b.waiver.map(|w| (b.id, w, b.waiver_host)))
        .collect();
    let native = Some("native");
    let workerd = Some("workerd");
    let zero = "no e2e test sends 0";
    assert_eq!(
        waived,
        [
            (
                "pinger/!invalid_payload:ping",
                "tests send typed messages",
                native
            ),
            ("pinger/ping/if:msg.n==0", zero, workerd),
            ("pinger/ping/else:msg.n==0", zero, workerd),
            (
                "pinger/ping/return:Err(Error::handler(\"zero\",\"0\"))",
                zero,
                workerd
            ),
            ("pinger/ping/if:msg.n==u32::MAX", "every host", None),
            ("pinger/ping/else:msg.n==u32::MAX", "every host", None),
            ("pinger/tick", "a timer's, tested on virtual time", workerd),
            // No payload can fail to decode: waived on every host, whatever the source says.
            (
                "pinger/!invalid_payload:tick",
                "a message without fields: every payload decodes",
                None
            ),
            (
                "pinger/!unknown_type",
                "clients go through a gateway",
                workerd
            ),
        ]
    );
    let table = duract::checklist::table_json(&[Pinger::INFO]);
    assert!(table.contains(r#""waiver_host": "workerd""#), "{table}");
}
