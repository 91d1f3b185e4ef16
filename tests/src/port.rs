//! A minimal host for tests: one actor instance's [`Port`] over a [`MemoryStorage`].

use duract::future::LocalBoxFuture;
use duract::instance::Instance;
use duract::later::Later;
use duract::{Actor, ActorInfo, Address, Ctx, Envelope, Error, MemoryStorage, Port, Storage};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

/// A port for one instance: fixed clock, counting ids, sends and messages for later recorded
/// (not delivered).
pub struct TestPort {
    address: Address,
    storage: Rc<MemoryStorage>,
    ids: Cell<u64>,
    /// Envelopes sent with `send`, with their target kind.
    pub sent: RefCell<Vec<(&'static str, Envelope)>>,
    /// Envelopes sent for later ([`Ctx::send_self_after`]), with their delay.
    pub later: RefCell<Vec<(Duration, Envelope)>>,
}

impl TestPort {
    /// A port for `address` over `storage`.
    pub fn new(address: &str, storage: Rc<MemoryStorage>) -> Rc<TestPort> {
        Rc::new(TestPort {
            address: Address::parse(address).expect("test address"),
            storage,
            ids: Cell::new(0),
            sent: RefCell::new(Vec::new()),
            later: RefCell::new(Vec::new()),
        })
    }

    /// A context outside any turn, for benchmarks of dispatch alone.
    pub fn detached_ctx(self: &Rc<Self>, sender: &str) -> Ctx {
        let sender = Address::parse(sender).expect("sender address");
        duract::__private::detached_ctx(self.clone(), sender)
    }
}

impl Port for TestPort {
    fn address(&self) -> &Address {
        &self.address
    }
    fn now(&self) -> u64 {
        1_700_000_000_000
    }
    fn fresh_id(&self) -> String {
        self.ids.set(self.ids.get() + 1);
        format!("id-{}", self.ids.get())
    }
    fn storage(&self) -> &dyn Storage {
        &*self.storage
    }
    fn send(&self, target: &'static ActorInfo, envelope: Envelope) {
        self.sent.borrow_mut().push((target.kind, envelope));
    }
    fn ask(
        &self,
        _target: &'static ActorInfo,
        _envelope: Envelope,
    ) -> LocalBoxFuture<'static, Result<Envelope, Error>> {
        Box::pin(async {
            Err(Error::ActorError {
                reason: "the test port delivers nothing".into(),
            })
        })
    }
    fn spawn(&self, _work: LocalBoxFuture<'static, ()>) {}
    fn arm_alarm(&self, _next: Option<u64>) {}
    fn deliver_later(&self, delay: Duration, later: Later) {
        self.later.borrow_mut().push((delay, later.envelope));
    }
    fn var(&self, _name: &str) -> Option<String> {
        None
    }
}

/// A request envelope of `message_type` with raw JSON `payload` to `to`.
pub fn request(to: &str, message_type: &str, payload: &str) -> Envelope {
    let text = format!(
        r#"{{"to":"{to}","from":"client:ui","type":"{message_type}","payload":{payload},"id":"r1","timestamp":1}}"#
    );
    Envelope::decode(&text).expect("test envelope")
}

/// Runs `envelope` in a turn of `instance` (dispatch, then the commit); the reply's JSON.
pub fn turn<A: Actor>(instance: &Instance<A>, envelope: &Envelope) -> Result<String, Error> {
    duract::block_on(instance.run_turn(envelope)).map(|raw| raw.get().to_owned())
}

/// An instance of `A` on `port`; its state loads from the port's storage on its first turn.
pub fn load<A: Actor>(port: &Rc<TestPort>) -> Instance<A> {
    Instance::new(port.clone())
}
