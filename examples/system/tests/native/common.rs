//! The example system on a native host, and a client session over a gateway connection.

use duract::native::{Connection, Host};
use duract::Envelope;
use duract_example_system::{Coordinator, Session, Worker};
use serde_json::{json, Value};

/// The simulated work, in virtual ms.
pub const WORK_MS: u64 = 5;
/// The task lease, in virtual ms.
pub const LEASE_MS: u64 = 10_000;

/// The three actors, with short work and a known lease.
pub fn system() -> Host {
    Host::new()
        .with::<Session>()
        .with::<Coordinator>()
        .with::<Worker>()
        .var("WORK_MS", &WORK_MS.to_string())
        .var("TASK_LEASE_MS", &LEASE_MS.to_string())
}

/// A client on one WebSocket of a session.
pub struct Client {
    pub host: Host,
    pub conn: Connection,
    pub from: String,
}

impl Client {
    /// Opens a connection to `session:<session>` sending as `client:ui`.
    pub fn connect(host: &Host, session: &str) -> Client {
        Client::open(host, host.connect(&format!("session:{session}")))
    }

    /// Opens a connection to `session:<session>` as `principal` had authenticated.
    pub fn connect_as(host: &Host, session: &str, principal: duract::Principal) -> Client {
        Client::open(
            host,
            host.connect_as(&format!("session:{session}"), principal),
        )
    }

    fn open(host: &Host, conn: Result<Connection, duract::native::HostError>) -> Client {
        let conn = conn.expect("connect");
        host.run_until_idle().expect("idle");
        Client {
            host: host.clone(),
            conn,
            from: "client:ui".into(),
        }
    }

    /// A request envelope with a fresh id, as JSON.
    pub fn frame(&self, to: &str, message_type: &str, payload: Value) -> (String, String) {
        let id = self.host.fresh_id();
        let frame = json!({
            "to": to, "from": self.from, "type": message_type, "payload": payload,
            "id": id, "timestamp": self.host.now(),
        });
        (id, frame.to_string())
    }

    /// Sends a raw text frame and returns the reply whose `replyTo` is `id`.
    pub fn send_raw(&self, id: &str, text: &str) -> Envelope {
        self.conn.send_text(text).expect("send");
        self.host.run_until_idle().expect("idle");
        self.conn
            .reply_to(id)
            .unwrap_or_else(|| panic!("no reply to {id}: {:?}", self.conn.frames()))
    }

    /// Sends a request and returns its reply.
    pub fn request(&self, to: &str, message_type: &str, payload: Value) -> Envelope {
        let (id, text) = self.frame(to, message_type, payload);
        self.send_raw(&id, &text)
    }

    /// Sends a frame that gets a reply without `replyTo` (binary, oversize) and returns the
    /// frames that arrived because of it.
    pub fn send_unparsed(&self, send: impl FnOnce(&Connection)) -> Vec<Envelope> {
        let before = self.conn.frames().len();
        send(&self.conn);
        self.host.run_until_idle().expect("idle");
        self.conn.frames()[before..]
            .iter()
            .map(|f| Envelope::decode(f).expect("a reply envelope"))
            .collect()
    }
}

/// The reply's payload as JSON.
pub fn payload(reply: &Envelope) -> Value {
    serde_json::from_str(reply.payload.get()).expect("payload is JSON")
}

/// Asserts an `Error` reply with `code`, and returns its `error` text.
#[track_caller]
pub fn error(reply: &Envelope, code: &str) -> String {
    assert_eq!(
        reply.message_type,
        "Error",
        "expected an Error, got {}",
        reply.encode()
    );
    let p = payload(reply);
    assert_eq!(p["code"], code, "{}", reply.encode());
    p["error"].as_str().expect("error text").to_owned()
}

/// The coordinator's status, asked through `client`.
pub fn status(client: &Client, coordinator: &str) -> Value {
    payload(&client.request(coordinator, "get_status", Value::Null))
}

/// A worker's state, asked through `client`.
pub fn state(client: &Client, worker: &str) -> Value {
    payload(&client.request(worker, "get_state", Value::Null))
}

/// A name unique within the test binary.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A seeded pseudo-random number generator (splitmix64) for the simulator and the fuzzer:
/// a seed is a whole run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }

    /// An index in `0..len` (0 when `len` is 0).
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// True `percent` times in 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items` (not empty).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.index(items.len())]
    }
}
