//! The hygienic actors (declared without the prelude, runtime renamed) also run.
#![deny(warnings)]

use duract_hygiene::hygienic::{Counter, Echo, Gate};
use renamed::{Envelope, MemoryStorage, Target};

fn envelope(to: &str, ty: &str, payload: &str) -> Envelope {
    let text = format!(
        r#"{{"to":"{to}","from":"client:ui","type":"{ty}","payload":{payload},"id":"r","timestamp":1}}"#
    );
    Envelope::decode(&text).unwrap()
}

struct NoPort(renamed::Address, MemoryStorage);

impl renamed::Port for NoPort {
    fn address(&self) -> &renamed::Address {
        &self.0
    }
    fn now(&self) -> u64 {
        0
    }
    fn fresh_id(&self) -> String {
        "id".into()
    }
    fn storage(&self) -> &dyn renamed::Storage {
        &self.1
    }
    fn send(&self, _: &'static renamed::ActorInfo, _: Envelope) {}
    fn ask(
        &self,
        _: &'static renamed::ActorInfo,
        _: Envelope,
    ) -> renamed::future::LocalBoxFuture<'static, Result<Envelope, renamed::Error>> {
        Box::pin(async {
            Err(renamed::Error::ActorError {
                reason: "none".into(),
            })
        })
    }
    fn spawn(&self, _: renamed::future::LocalBoxFuture<'static, ()>) {}
    fn arm_alarm(&self, _: Option<u64>) {}
    fn deliver_later(&self, _: std::time::Duration, _: renamed::later::Later) {}
    fn var(&self, _: &str) -> Option<String> {
        None
    }
}

#[test]
fn hygienic_actors_dispatch_and_persist() {
    let address = renamed::Address::parse("counter:c").unwrap();
    let port = std::rc::Rc::new(NoPort(address.clone(), MemoryStorage::new()));
    let counter = renamed::instance::Instance::<Counter>::new(port.clone());
    let turn = |instance: &renamed::instance::Instance<Counter>, ty: &str, payload: &str| {
        let envelope = envelope("counter:c", ty, payload);
        let reply = renamed::block_on(instance.run_turn(&envelope)).unwrap();
        reply.get().to_owned()
    };
    assert_eq!(
        turn(&counter, "ping", r#"{"count":2}"#),
        r#"{"totalCount":2,"askedBy":"ui"}"#
    );
    assert_eq!(turn(&counter, "bump", r#"{"many":{"byCount":3}}"#), "5");
    let restored = renamed::instance::Instance::<Counter>::new(port.clone());
    assert_eq!(turn(&restored, "bump", r#"{"many":{"byCount":0}}"#), "5");
    assert_eq!(turn(&counter, "reset_all", "{}"), "null");
    assert_eq!(counter.inspect(Counter::total), Some(0));
    assert_eq!(Echo::INFO.kind, "echo-er");
    assert_eq!(Echo::INFO.class, "Echoer");
    assert_eq!(Echo::INFO.binding, "ECHO_ER_ACTOR");
    assert!(Counter::INFO.route("reset_all").unwrap().internal);
    let bump: Vec<_> = Counter::INFO
        .branches
        .iter()
        .filter(|b| b.id.starts_with("counter/bump"))
        .collect();
    assert_eq!(bump.len(), 3, "the route and two arms");
    assert!(bump.iter().all(|b| b.waiver.is_some()));
    assert_eq!(bump[1].waiver, Some("one is the easy case"));
    let gateway = Gate::INFO.gateway.unwrap();
    assert_eq!(gateway.forward("echo-er").unwrap().class, "Echoer");
    assert_eq!(gateway.reply_to("bump"), "client:counter");
}

/// With the feature `schema`: the hygienic declarations give their schemas and types too.
#[cfg(feature = "schema")]
#[test]
fn schemas_of_the_hygienic_declarations() {
    let generated = renamed::schema::Api::new()
        .gateway::<Gate>()
        .actor::<Counter>()
        .actor::<Echo>()
        .generate();
    let names: Vec<&str> = generated.json.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["counter.json", "echo-er.json", "gate.json"]);
    let ts = &generated.typescript;
    for expected in [
        "export interface Ping {",
        "export type Bump =",
        "ping: { payload: Ping; reply: Pong; internal: false };",
        "reset_all: { payload: unknown; reply: null; internal: true };",
        "bump: { payload: Bump; reply: number; internal: false };",
        "export type EchoErRoutes = {",
        "  \"echo-er\": EchoErRoutes;",
    ] {
        assert!(ts.contains(expected), "{expected} not in\n{ts}");
    }
}
