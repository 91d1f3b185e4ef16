//! The README's code, compiled and run: what a new user copies must work.

use duract::native::Host;
use duract::{actor, message, payload, route, Ctx, Error, PMap};

#[message] // wire type "register_worker"; fields camelCase on the wire
pub struct RegisterWorker {
    pub worker_id: Option<String>,
}

#[message(internal)] // only actors may send it: a gateway answers `forbidden`
pub struct ProcessTask {
    pub task_id: String,
}

#[payload] // serde glue for replies and nested types
pub struct Registered {
    pub status: String,
    pub worker_id: String,
}

#[payload]
pub struct Done {
    pub task_id: String,
}

#[actor] // kind "coordinator", Durable Object class CoordinatorActor, binding COORDINATOR_ACTOR
#[derive(Default)]
pub struct Coordinator {
    next_number: u64, // stored as one key, rewritten only when it changed
    #[persist(entries)]
    workers: PMap<String, u64>, // stored one key per entry: a turn writes what it changed
}

#[route]
impl Coordinator {
    async fn register_worker(
        &mut self,
        ctx: &mut Ctx,
        msg: RegisterWorker,
    ) -> Result<Registered, Error> {
        let worker_id = msg
            .worker_id
            .unwrap_or_else(|| ctx.sender().id().to_owned());
        if !self.workers.contains_key(&worker_id) {
            self.workers.insert(worker_id.clone(), self.next_number);
            self.next_number += 1;
        }
        Ok(Registered {
            status: "registered".into(),
            worker_id,
        })
    }

    async fn process_task(&mut self, _ctx: &mut Ctx, msg: ProcessTask) -> Done {
        Done {
            task_id: msg.task_id,
        }
    }
}

// A gateway: clients connect over WebSockets; frames are checked and forwarded by address kind.
#[actor(kind = "session", gateway(
    forward(coordinator = Coordinator),
    reply_to("client:coordinator-proxy" = [RegisterWorker], default = "client:ui"),
))]
pub struct Session;

#[test]
fn register_then_status() {
    let host = Host::new().with::<Session>().with::<Coordinator>();
    let conn = host.connect("session:s1").unwrap(); // first frame: SessionEstablished
    let client = host.client("client:ui").unwrap();
    let request = client
        .message("coordinator:main", &RegisterWorker { worker_id: None })
        .unwrap();
    let reply = conn.request(&request).unwrap(); // found by its replyTo
    assert_eq!(reply.to.as_str(), "client:coordinator-proxy");
    assert_eq!(
        reply.payload.get(),
        r#"{"status":"registered","workerId":"ui"}"#
    );
    host.restart_all(); // state reloads from storage
    let stored = host.storage("coordinator:main").unwrap();
    assert_eq!(stored.field::<u64>("next_number").unwrap(), Some(1));
    // Typed asks: the reply's type is the handler's return type.
    let coordinator = client.actor::<Coordinator>("main");
    let done = coordinator
        .ask(&ProcessTask {
            task_id: "t1".into(),
        })
        .unwrap();
    assert_eq!(done.task_id, "t1");
}
