//! Hygiene: actors and messages declared in a module without the implicit prelude, with the
//! runtime crate renamed (`renamed`, so `::duract` does not exist here), under
//! `#![deny(warnings)]` plus whole lint groups (`rust_2018_idioms`, `unused_qualifications`,
//! `missing_docs`, `clippy::all` and `clippy::pedantic` under `cargo clippy`) over the
//! generated code. Compiling is the test; `tests/hygiene.rs` also runs the dispatch.
#![deny(warnings, rust_2018_idioms, unused_qualifications, missing_docs)]
#![deny(clippy::all, clippy::pedantic)]

/// Everything declared without the prelude.
pub mod hygienic {
    #![no_implicit_prelude]

    use ::renamed::{actor, message, payload, route, Ctx, Error, PMap};
    // schemars' derive (the feature `duract/schema`) calls `.into()` and `Schema::from`: in a
    // module without the prelude, those two traits must be in scope (no names are imported).
    #[cfg(feature = "schema")]
    use ::std::convert::{From as _, Into as _};
    use ::std::option::Option;
    use ::std::string::String;
    use ::std::vec::Vec;

    /// A message with a renamed runtime.
    #[message(crate = "::renamed")]
    pub struct Ping {
        /// How many.
        pub count: u32,
    }

    /// A unit message.
    #[message(type = "reset_all", crate = "::renamed", internal)]
    pub struct Reset;

    /// An enum message.
    #[message(crate = "::renamed")]
    pub enum Bump {
        /// By one.
        One,
        /// By many.
        Many {
            /// How many.
            by_count: u32,
        },
    }

    /// A reply.
    #[payload(crate = "::renamed")]
    pub struct Pong {
        /// The total.
        pub total_count: u32,
        /// Who asked.
        pub asked_by: Option<String>,
    }

    /// An actor with every kind of field.
    #[actor(crate = "::renamed")]
    #[derive(Default)]
    pub struct Counter {
        total: u32,
        #[persist(entries)]
        seen: PMap<String, u32>,
        #[persist(skip)]
        scratch: Vec<u32>,
    }

    #[route(crate = "::renamed")]
    impl Counter {
        async fn ping(&mut self, ctx: &mut Ctx, msg: Ping) -> Result<Pong, Error> {
            self.total += msg.count;
            self.scratch.push(msg.count);
            let who = ::std::borrow::ToOwned::to_owned(ctx.sender().id());
            self.seen
                .insert(::std::clone::Clone::clone(&who), self.total);
            Result::Ok(Pong {
                total_count: self.total,
                asked_by: Option::Some(who),
            })
        }

        async fn reset(&mut self, _ctx: &mut Ctx, _msg: Reset) {
            self.total = 0;
        }

        #[waive("bumps are exercised by the hygiene run test only")]
        async fn bump(&mut self, _ctx: &mut Ctx, msg: Bump) -> u32 {
            match msg {
                #[waive("one is the easy case")]
                Bump::One => self.total += 1,
                Bump::Many { by_count } => self.total += by_count,
            }
            self.total
        }

        /// Not a handler.
        #[route(skip)]
        #[must_use]
        pub fn total(&self) -> u32 {
            self.total
        }
    }

    use ::std::result::Result;

    /// A stateless actor.
    #[actor(crate = "::renamed", kind = "echo-er", class = "Echoer")]
    #[derive(Default)]
    pub struct Echo;

    #[route(crate = "::renamed")]
    impl Echo {
        async fn ping(&mut self, _ctx: &mut Ctx, msg: Ping) -> Pong {
            Pong {
                total_count: msg.count,
                asked_by: Option::None,
            }
        }
    }

    /// A versioned actor with renamed fields and a migration.
    #[actor(crate = "::renamed", version = 3)]
    #[derive(Default)]
    pub struct Tally {
        #[persist(renamed_from = "count")]
        total: u32,
        #[persist(entries, renamed_from = "seen_by")]
        seen: PMap<String, u32>,
    }

    #[route(crate = "::renamed")]
    impl Tally {
        #[route(migrate)]
        async fn upgrade(
            from: u32,
            store: &mut ::renamed::persist::Migration<'_>,
        ) -> Result<(), Error> {
            if from < 3 {
                store.remove_field("legacy");
            }
            Result::Ok(())
        }

        async fn ping(&mut self, _ctx: &mut Ctx, msg: Ping) -> u32 {
            self.total += msg.count;
            self.seen.insert(String::new(), self.total);
            self.total
        }
    }

    /// A gateway.
    #[actor(crate = "::renamed", gateway(
        forward(counter = Counter, "echo-er" = Echo),
        reply_to("client:counter" = [Ping, Bump], default = "client:ui"),
    ))]
    pub struct Gate {}
}
