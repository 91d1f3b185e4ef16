//! The typed client against the example system in real workerd (the build in
//! examples/system/build, started with e2e/launch.mjs). Needs the build and Node, so it is
//! ignored by `cargo test`; the test command runs it after building:
//! `cargo test -p duract-client --test workerd -- --ignored`.

use duract_client::{Client, ClientError};
use duract_example_system::coordinator::{
    AssignTask, Assignment, Coordinator, GetStatus, RegisterWorker,
};
use duract_example_system::worker::{GetState, Worker};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The example in workerd, stopped when dropped.
struct Workerd {
    child: Child,
    url: String,
}

impl Workerd {
    fn start() -> Workerd {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let persist = std::env::temp_dir().join(format!("duract-client-{}", std::process::id()));
        let mut child = Command::new("node")
            .current_dir(root)
            .args(["e2e/launch.mjs", "--persist"])
            .arg(&persist)
            .args(["--var", "WORK_MS=50"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs e2e/launch.mjs");
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the launcher prints its URL");
        let value: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
        let url = value["url"]
            .as_str()
            .expect("url")
            .replace("http://", "ws://");
        Workerd { child, url }
    }

    fn session(&self, name: &str) -> Client {
        let mut client = Client::connect(&format!("{}/ws?session={name}", self.url)).unwrap();
        client.set_timeout(Some(Duration::from_secs(10))).unwrap();
        client
    }
}

impl Drop for Workerd {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

#[test]
#[ignore = "needs the wasm build and Node: run by the test command after building"]
fn typed_asks_through_a_session_in_workerd() {
    let workerd = Workerd::start();
    let mut client = workerd.session("rust-client");
    assert_eq!(client.session(), "rust-client");
    let coordinator = "rust";
    let register = RegisterWorker {
        worker_id: Some("w-rust".into()),
        capabilities: None,
    };
    let registered = client
        .actor::<Coordinator>(coordinator)
        .ask(&register)
        .unwrap();
    assert_eq!(registered.worker_id, "w-rust");
    let assigned = client
        .actor::<Coordinator>(coordinator)
        .ask(&AssignTask::Id("t-rust".into()))
        .unwrap();
    assert!(
        matches!(assigned, Assignment::Assigned { ref worker_id, .. } if worker_id == "w-rust")
    );
    // The same task again: the coordinator's error, with its code.
    let duplicate = client
        .actor::<Coordinator>(coordinator)
        .ask(&AssignTask::Id("t-rust".into()));
    match duplicate {
        Err(ClientError::Reply(e)) => assert_eq!(e.code(), "duplicate_task"),
        Ok(_) => panic!("a duplicate task was accepted"),
        Err(e) => panic!("{e}"),
    }
    // The work (50 ms) completes: the worker's state, typed.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let state = client.actor::<Worker>("w-rust").ask(&GetState).unwrap();
        if state.processed_count == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the task never completed: {:?}",
            state.current_task
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = client
        .actor::<Coordinator>(coordinator)
        .ask(&GetStatus::default())
        .unwrap();
    assert_eq!(status.workers, ["w-rust"]);
    assert!(status.active_tasks.is_empty());
}
