//! A minimal host for tests: one actor instance's [`Port`] over a [`MemoryStorage`].

use duract::future::LocalBoxFuture;
use duract::{Actor, ActorInfo, Address, Ctx, Envelope, Error, MemoryStorage, Port, Storage};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// A port for one instance: fixed clock, counting ids, sends recorded (not delivered).
pub struct TestPort {
    address: Address,
    storage: Rc<MemoryStorage>,
    ids: Cell<u64>,
    /// Envelopes sent with `send`, with their target kind.
    pub sent: RefCell<Vec<(&'static str, Envelope)>>,
}

impl TestPort {
    /// A port for `address` over `storage`.
    pub fn new(address: &str, storage: Rc<MemoryStorage>) -> Rc<TestPort> {
        Rc::new(TestPort {
            address: Address::parse(address).expect("test address"),
            storage,
            ids: Cell::new(0),
            sent: RefCell::new(Vec::new()),
        })
    }

    /// A handler context for a message from `sender`.
    pub fn ctx(self: &Rc<Self>, sender: &str) -> Ctx {
        Ctx::new(
            self.clone(),
            Address::parse(sender).expect("sender address"),
        )
    }
}

impl Port for TestPort {
    fn address(&self) -> &Address {
        &self.address
    }
    fn now(&self) -> f64 {
        1_700_000_000_000.0
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
    fn arm_alarm(&self, _next: Option<f64>) {}
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

/// Loads `A` from `storage`, dispatches `envelope`, saves; returns the actor and the result.
pub fn turn<A: Actor>(
    port: &Rc<TestPort>,
    actor: &mut (A, duract::persist::Saved),
    envelope: &Envelope,
) -> Result<String, Error> {
    duract::block_on(async {
        let mut ctx = port.ctx(&envelope.from.to_string());
        let result = actor.0.dispatch(&mut ctx, envelope).await;
        ctx.commit_timers().await?;
        actor.0.save(port.storage(), &mut actor.1).await?;
        ctx.flush_sends();
        result.map(|raw| raw.get().to_owned())
    })
}

/// Loads an `A` named `id` from `port`'s storage.
pub fn load<A: Actor>(port: &Rc<TestPort>, id: &str) -> (A, duract::persist::Saved) {
    duract::block_on(A::load(id, port.storage())).expect("load")
}
