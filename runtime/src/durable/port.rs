//! [`Port`] over a Durable Object's state and environment.

use super::kv::WorkerKv;
use super::rpc::{Method, Stubs};
use super::storage::{describe, DurableStorage};
use super::timeout::Timeout;
use crate::address::Address;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::future::LocalBoxFuture;
use crate::info::ActorInfo;
use crate::later::Later;
use crate::platform::KvStore;
use crate::port::Port;
use crate::principal::{scoped_name, Principal};
use crate::storage::Storage;
use crate::turn::Turns;
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::time::Duration;
use wasm_bindgen::JsValue;
use worker::worker_sys::DurableObjectState;
use worker::Env;

/// The header the worker entry uses to tell a gateway instance its session name and
/// principal (a percent-encoded [`crate::upgrade::Ticket`]).
pub const INSTANCE_HEADER: &str = "X-Duract-Instance";

/// The host side of one Durable Object instance.
pub struct DurablePort {
    state: DurableObjectState,
    env: Env,
    storage: DurableStorage,
    kind: &'static str,
    gateway: bool,
    /// The Durable Object's name, when workerd propagated it (`getByName`).
    instance_name: Option<String>,
    address: OnceCell<Address>,
    /// The principal of a gateway's connections, or the tenant principal an actor's
    /// instance was first reached with (its tenant scopes the instance).
    principal: OnceCell<Option<Arc<Principal>>>,
    /// Answers `address()` before the instance learnt its name (never used by a turn).
    placeholder: Address,
    /// This instance's id prefix, from the platform's cryptographic source.
    id_prefix: String,
    sequence: Cell<u64>,
    /// The environment's values read so far, by name (fixed for the object's life).
    env_cache: RefCell<HashMap<String, Cached>>,
    /// The Durable Objects this instance calls.
    stubs: Rc<Stubs>,
    /// The instance's turns, for the messages it sends itself for later (an actor's; a
    /// gateway has none).
    turns: OnceCell<Weak<dyn Turns>>,
}

impl DurablePort {
    /// The port of an instance of actor kind `kind` (a gateway's when `gateway`), named
    /// `instance_name` when workerd told it.
    pub fn new(
        state: DurableObjectState,
        env: Env,
        kind: &'static str,
        gateway: bool,
        instance_name: Option<String>,
    ) -> DurablePort {
        let raw_storage = state
            .storage()
            .expect("a Durable Object always has storage");
        let placeholder = Address::new(kind, "unknown")
            .unwrap_or_else(|_| Address::parse("actor:unknown").expect("valid address"));
        DurablePort {
            state,
            env: env.clone(),
            storage: DurableStorage::new(raw_storage),
            kind,
            gateway,
            instance_name,
            address: OnceCell::new(),
            principal: OnceCell::new(),
            placeholder,
            id_prefix: super::random::random_bytes()[..8]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            sequence: Cell::new(0),
            env_cache: RefCell::new(HashMap::new()),
            stubs: Rc::new(Stubs::new(env.clone())),
            turns: OnceCell::new(),
        }
    }

    /// Gives the port its instance's turns, where messages for later are delivered.
    pub fn attach(&self, turns: &Rc<dyn Turns>) {
        let _ = self.turns.set(Rc::downgrade(turns));
    }

    /// Records the instance's id and principal when first learnt. They must name this very
    /// Durable Object: its instance name is the id scoped by the principal's tenant (for a
    /// gateway, by the principal itself), so an envelope of another tenant is refused here
    /// whatever its address says. One Durable Object is one instance.
    pub fn identify(&self, id: &str, principal: Option<&Arc<Principal>>) -> Result<(), Error> {
        let scope = self.scope_of(principal);
        let misrouted = || Error::ActorError {
            reason: format!("{}:{id} was routed to another instance", self.kind),
        };
        if let Some(known) = self.address.get() {
            let known_scope = self.principal.get().and_then(|p| self.scope_of(p.as_ref()));
            if known.id() == id && known_scope == scope {
                return Ok(());
            }
            return Err(misrouted());
        }
        if let Some(name) = &self.instance_name {
            if *name != scoped_name(scope, id) {
                return Err(misrouted());
            }
        }
        let address = Address::new(self.kind, id).map_err(|e| Error::InvalidAddress {
            to: format!("{}:{id} ({e})", self.kind),
        })?;
        let _ = self.address.set(address);
        let _ = self.principal.set(principal.cloned());
        Ok(())
    }

    /// The principal a gateway instance serves (all its sockets are this principal's).
    pub fn principal(&self) -> Option<Arc<Principal>> {
        self.principal.get().cloned().flatten()
    }

    /// What scopes this instance's name: the tenant, or for a gateway the principal.
    fn scope_of<'p>(&self, principal: Option<&'p Arc<Principal>>) -> Option<&'p str> {
        principal.map(|p| p.scope(self.gateway))
    }

    /// Whether the instance knows its name.
    pub fn is_identified(&self) -> bool {
        self.address.get().is_some()
    }

    /// The raw Durable Object state.
    pub fn state(&self) -> &DurableObjectState {
        &self.state
    }

    /// The environment.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// The Durable Object storage.
    pub fn durable_storage(&self) -> &DurableStorage {
        &self.storage
    }

    fn ask_timeout(&self) -> Duration {
        Duration::from_millis(self.limit(crate::limit::ASK_TIMEOUT_MS))
    }

    /// What calling `envelope`'s target takes (its stub, RPC method and the envelope's text,
    /// `text` if given), for a caller that makes the call itself (the gateway glue).
    pub(crate) fn prepare_call(
        &self,
        target: &'static ActorInfo,
        envelope: &Envelope,
        text: Option<JsValue>,
    ) -> Result<super::rpc::Call, Error> {
        self.stubs.prepare(target, envelope, text, Method::Call)
    }

    /// Keeps the instance's events open until `promise` settles (`waitUntil`).
    fn keep_alive(&self, promise: &js_sys::Promise) {
        if let Err(e) = self.state.wait_until(promise) {
            worker::console_error!("duract: waitUntil failed: {}", describe(&e));
        }
    }

    /// Runs `work` until the instance's events settle (`waitUntil`).
    fn wait_until(&self, work: impl std::future::Future<Output = ()> + 'static) {
        let promise = wasm_bindgen_futures::future_to_promise(async move {
            work.await;
            Ok(JsValue::UNDEFINED)
        });
        self.keep_alive(&promise);
    }

    /// The call of `envelope` to an actor of type `target`, bounded by the ask timeout.
    fn timed_call(
        &self,
        target: &'static ActorInfo,
        envelope: Envelope,
    ) -> impl std::future::Future<Output = Result<Envelope, Error>> + 'static {
        let stubs = self.stubs.clone();
        let timeout = self.ask_timeout();
        let what = format!("the reply of {} to {}", envelope.to, envelope.message_type);
        async move {
            let call = stubs.call(target, envelope);
            match Timeout::new(call, worker::Delay::from(timeout)).await {
                Some(result) => result,
                None => Err(Error::Timeout {
                    what: format!("{what} ({} ms)", timeout.as_millis()),
                }),
            }
        }
    }
}

impl Port for DurablePort {
    fn address(&self) -> &Address {
        self.address.get().unwrap_or(&self.placeholder)
    }

    fn now(&self) -> u64 {
        js_sys::Date::now() as u64
    }

    fn fresh_id(&self) -> String {
        let n = self.sequence.get().wrapping_add(1);
        self.sequence.set(n);
        crate::envelope::sequenced_id(&self.id_prefix, n)
    }

    fn storage(&self) -> &dyn Storage {
        &self.storage
    }

    fn send(&self, target: &'static ActorInfo, envelope: Envelope) {
        // No timeout: nothing waits on a send (the turn has moved on), so no cycle can form,
        // and the target's work may take as long as it takes. The call is made and watched
        // in JavaScript (`duractSend`): no Rust future or wasm closure per send.
        let what = format!("{} to {}", envelope.message_type, envelope.to);
        match self.stubs.prepare(target, &envelope, None, Method::Post) {
            Ok(call) => {
                let sent = duract_send(&call.method, &call.stub, &call.request, &what);
                self.keep_alive(&sent);
            }
            Err(e) => worker::console_warn!("duract: send of {what} failed: {e}"),
        }
    }

    fn ask(
        &self,
        target: &'static ActorInfo,
        envelope: Envelope,
    ) -> LocalBoxFuture<'static, Result<Envelope, Error>> {
        Box::pin(self.timed_call(target, envelope))
    }

    fn spawn(&self, work: LocalBoxFuture<'static, ()>) {
        self.wait_until(work);
    }

    fn deliver_later(&self, delay: Duration, later: Later) {
        let Some(turns) = self.turns.get().cloned() else {
            return; // a gateway takes no turns
        };
        self.wait_until(async move {
            worker::Delay::from(delay).await;
            let Some(turns) = turns.upgrade() else {
                return;
            };
            if let Err(e) = turns.deliver_later(later).await {
                worker::console_warn!("duract: a message for later failed: {e}");
            }
        });
    }

    fn arm_alarm(&self, next: Option<u64>) {
        let raw = self.storage.raw();
        let promise = match next {
            Some(at) => raw.set_alarm(
                js_sys::Date::new(&JsValue::from_f64(at as f64)),
                js_sys::Object::new(),
            ),
            None => raw.delete_alarm(js_sys::Object::new()),
        };
        match promise {
            Ok(promise) => {
                let watched = ALARM_FAILED.with(|log| promise.catch(log));
                self.keep_alive(&watched);
            }
            Err(e) => worker::console_error!("duract: arming the alarm failed: {}", describe(&e)),
        }
    }

    fn var(&self, name: &str) -> Option<String> {
        // The environment is fixed for the object's life: read each name from JS once.
        if let Some(Cached::Text(known)) = self.env_cache.borrow().get(name) {
            return known.clone();
        }
        let value = read_var(&self.env, name);
        self.env_cache
            .borrow_mut()
            .insert(name.to_owned(), Cached::Text(value.clone()));
        value
    }

    fn kv(&self, name: &str) -> Option<Rc<dyn KvStore>> {
        if let Some(Cached::Kv(known)) = self.env_cache.borrow().get(name) {
            return known.clone();
        }
        let store = self
            .env
            .kv(name)
            .ok()
            .map(|kv| Rc::new(WorkerKv(kv)) as Rc<dyn KvStore>);
        self.env_cache
            .borrow_mut()
            .insert(name.to_owned(), Cached::Kv(store.clone()));
        store
    }

    fn worker_env(&self) -> Option<&Env> {
        Some(&self.env)
    }

    fn commit_sql(&self, writes: Vec<crate::platform::sql::SqlWrite>) -> Result<(), Error> {
        if writes.is_empty() {
            return Ok(());
        }
        let sql = self
            .sql()
            .ok_or_else(crate::platform::sql::not_on_this_host)?;
        crate::Sql::commit(self.storage.raw(), sql, writes)
    }

    fn sql(&self) -> Option<worker::SqlStorage> {
        // `ctx.storage.sql` exists only on classes created by `new_sqlite_classes`.
        let sql = js_sys::Reflect::get(self.storage.raw(), &JsValue::from_str("sql")).ok()?;
        if sql.is_undefined() {
            return None;
        }
        let state: DurableObjectState =
            wasm_bindgen::JsCast::unchecked_into(JsValue::from(&self.state));
        Some(worker::State::from(state).storage().sql())
    }
}

/// A value of the environment as read once: a text (variable, secret) or a KV namespace.
enum Cached {
    Text(Option<String>),
    Kv(Option<Rc<dyn KvStore>>),
}

thread_local! {
    /// The one handler given to every `setAlarm`/`deleteAlarm` promise.
    static ALARM_FAILED: wasm_bindgen::closure::Closure<dyn FnMut(JsValue)> =
        wasm_bindgen::closure::Closure::new(|e: JsValue| {
            worker::console_error!("duract: arming the alarm failed: {}", describe(&e));
        });
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export function duractSend(method, stub, request, what) {
  let call;
  try {
    call = Promise.resolve(Reflect.apply(method, stub, [request]));
  } catch (e) {
    call = Promise.reject(e);
  }
  const failed = (why) => console.warn(`duract: send of ${what} failed: ${why}`);
  return call.then(
    (error) => {
      if (error !== undefined) failed(error);
    },
    (e) => failed(`unreachable (${e?.message ?? e})`),
  );
}
"#)]
extern "C" {
    /// Calls `Reflect.apply(method, stub, [request])` (`duractPost`) and logs a failed call or
    /// the error the target answered (`what`: "<type> to <address>"); the promise settles when
    /// the target's turn is done.
    #[wasm_bindgen(js_name = duractSend)]
    fn duract_send(
        method: &js_sys::Function,
        stub: &JsValue,
        request: &JsValue,
        what: &str,
    ) -> js_sys::Promise;
}

/// A variable of the environment as text (a number or boolean in `[vars]` arrives as such).
fn read_var(env: &Env, name: &str) -> Option<String> {
    let value = js_sys::Reflect::get(env, &JsValue::from_str(name)).ok()?;
    if value.is_undefined() || value.is_null() {
        return None;
    }
    value.as_string().or_else(|| {
        js_sys::JSON::stringify(&value)
            .ok()
            .and_then(|s| s.as_string())
    })
}
