#[derive(::duract::__private::serde::Serialize, ::duract::__private::serde::Deserialize)]
#[serde(crate = "::duract::__private::serde")]
#[serde(rename_all = "camelCase")]
pub struct RegisterWorker {
    pub worker_id: Option<String>,
}
impl ::duract::Payload for RegisterWorker where RegisterWorker: ::duract::__private::serde::Serialize + ::duract::__private::serde::de::DeserializeOwned + 'static {
}
impl ::duract::Message for RegisterWorker {
    const TYPE: &'static str = "register_worker";
    const INTERNAL: bool = false;
    const ANY_PAYLOAD: bool = false;
}
#[derive(::duract::__private::serde::Serialize, ::duract::__private::serde::Deserialize)]
#[serde(crate = "::duract::__private::serde")]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    pub status: String, pub worker_id: String,
}
impl ::duract::Payload for Registered where Registered: ::duract::__private::serde::Serialize + ::duract::__private::serde::de::DeserializeOwned + 'static {
}
#[derive(Default)]
pub struct Coordinator {
    workers: Vec<String>, queue: PQueue<String>, scratch: u32,
}
const _: () = {
    #[allow(clippy::type_complexity)]
    fn __duract_entries(this: &mut Coordinator) ->[(&'static str, ::core::option::Option<&'static str>, &mut dyn ::duract::__private::DynEntries);
    1usize] {
        [(::duract::__concat_str!(::duract::__private::ENTRIES_PREFIX, "queue", "/"), ::core::option::Option::None, {
            let field: &mut dyn ::duract::__private::DynEntries = &mut this.queue;
            field
        }
        )]
    }
    const __DURACT_KEY_0: &str = ::duract::__concat_str!(::duract::__private::FIELD_PREFIX, "workers");
    impl ::duract::__private::ActorKind for Coordinator {
        const KIND: &'static str = "coordinator";
    }
    impl ::duract::Target for Coordinator {
        const INFO: &'static::duract::ActorInfo = &::duract::__private::ActorInfo {
            kind: "coordinator", class: "CoordinatorActor", binding: "COORDINATOR_ACTOR", routes: <Coordinator as ::duract::__private::Routes>::ROUTES, branches: <Coordinator as ::duract::__private::Routes>::BRANCHES, gateway: ::core::option::Option::None,
        };
        fn __turns(port: ::std::rc::Rc<dyn ::duract::Port>,) -> ::core::option::Option<::std::rc::Rc<dyn ::duract::__private::Turns>> {
            let _ = &port;
            ::core::option::Option::Some(::std::rc::Rc::new(::duract::__private::Instance::<Self>::new(port),))
        }
    }
    impl ::duract::Actor for Coordinator {
        async fn load(_id: &str, storage: &dyn ::duract::__private::Storage,) -> ::duract::__private::LoadResult<Self> {
            let mut this: Self = <Coordinator as ::core::default::Default>::default();
            let mut saved = ::duract::__private::Saved::new(1usize);
            for (key, json) in ::duract::__private::list(storage, ::duract::__private::FIELD_PREFIX).await? {
                match key.as_str() {
                    __DURACT_KEY_0 => this.workers = ::duract::__private::load_field(&mut saved, 0usize, __DURACT_KEY_0, json)?, _ => {
                    }
                }
            }
            ::duract::__private::record_absent(&mut saved, 0usize, &this.workers)?;
            for (prefix, old, field) in __duract_entries(&mut this) {
                let _ = old;
                ::duract::__private::load_entries(storage, prefix, field).await?;
            }
            ::core::result::Result::Ok((this, saved))
        }
        fn save(&mut self, saved: &::duract::__private::Saved, batch: &mut ::duract::__private::SaveBatch,) -> ::duract::__private::SaveResult {
            let _ = (saved, &batch);
            batch.field(saved, 0usize, __DURACT_KEY_0, &self.workers)?;
            for (prefix, _, field) in __duract_entries(self) {
                batch.entries(prefix, field)?;
            }
            ::core::result::Result::Ok(())
        }
        async fn migrate(from: u32, store: &mut ::duract::persist::Migration<'_>,) -> ::core::result::Result<(), ::duract::Error> {
            <Coordinator as ::duract::__private::Routes>::migrate(from, store).await
        }
        async fn dispatch(&mut self, ctx: &mut ::duract::Ctx, envelope: &::duract::Envelope,) -> ::duract::__private::DispatchResult {
            <Coordinator as ::duract::__private::Routes>::dispatch(self, ctx, envelope).await
        }
        async fn on_activate(&mut self, ctx: &mut ::duract::Ctx,) -> ::core::result::Result<(), ::duract::Error> {
            <Coordinator as ::duract::__private::Routes>::on_activate(self, ctx).await
        }
    }
};
#[cfg(target_arch = "wasm32")]
::duract::__durable_object!(CoordinatorActor, Coordinator);
impl Coordinator {
    #[allow(clippy::unused_async)]
    async fn register_worker(&mut self, ctx: &mut Ctx, msg: RegisterWorker) -> Result<Registered, Error> {
        let worker_id = msg.worker_id.unwrap_or_else(| | ctx.sender().id().to_owned());
        if self.workers.contains(&worker_id) {
            return Err(Error::handler("duplicate", "already registered"));
        }
        self.workers.push(worker_id.clone());
        Ok(Registered {
            status: "registered".into(), worker_id
        }
        )
    }
    #[allow(clippy::unused_async)]
    async fn get_status(&mut self, _ctx: &mut Ctx, _msg: GetStatus) -> Status {
        Status {
            workers: self.workers.clone()
        }
    }
}
const _: () = {
    impl ::duract::Handles<RegisterWorker> for Coordinator {
        type Reply = Registered;
    }
    impl ::duract::Handles<GetStatus> for Coordinator {
        type Reply = Status;
    }
    impl ::duract::__private::Routes for Coordinator {
        const ROUTES: &'static[::duract::__private::RouteInfo] = &[::duract::__private::RouteInfo {
            message_type: <RegisterWorker as ::duract::Message>::TYPE, internal: <RegisterWorker as ::duract::Message>::INTERNAL, handler: "register_worker",
        },
        ::duract::__private::RouteInfo {
            message_type: <GetStatus as ::duract::Message>::TYPE, internal: <GetStatus as ::duract::Message>::INTERNAL, handler: "get_status",
        }
        ];
        const BRANCHES: &'static[::duract::__private::Branch] = &[::duract::__private::Branch {
            id: ::duract::__concat_str!(<Coordinator as ::duract::__private::ActorKind>::KIND, ::duract::branch::id::ROUTE, <RegisterWorker as ::duract::Message>::TYPE), kind: ::duract::__private::BranchKind::Route, label: "RegisterWorker -> Coordinator::register_worker", file: ::core::file!(), line: 24u32, waiver: ::core::option::Option::None, waiver_host: ::core::option::Option::None,
        },
        ::duract::__private::Branch {
            id: ::duract::__concat_str!(<Coordinator as ::duract::__private::ActorKind>::KIND, ::duract::branch::id::DECODE_ERROR, <RegisterWorker as ::duract::Message>::TYPE), kind: ::duract::__private::BranchKind::DecodeError, label: "payload does not decode as RegisterWorker", file: ::core::file!(), line: 24u32, waiver: if<RegisterWorker as ::duract::Message>::ANY_PAYLOAD {
                ::core::option::Option::Some("a message without fields: every payload decodes")
            }
            else {
                ::core::option::Option::None
            },
            waiver_host: ::core::option::Option::None,
        },
        ::duract::__private::Branch {
            id: ::duract::__concat_str!(<Coordinator as ::duract::__private::ActorKind>::KIND, ::duract::branch::id::HANDLER_ERROR, <RegisterWorker as ::duract::Message>::TYPE), kind: ::duract::__private::BranchKind::HandlerError, label: "Coordinator::register_worker returns Err", file: ::core::file!(), line: 24u32, waiver: ::core::option::Option::None, waiver_host: ::core::option::Option::None,
        },
        ::duract::__private::Branch {
            id: ::duract::__concat_str!(<Coordinator as ::duract::__private::ActorKind>::KIND, ::duract::branch::id::ROUTE, <RegisterWorker as ::duract::Message>::TYPE, ::duract::branch::id::BODY, "if:self.workers.contains(&worker_id)"), kind: ::duract::__private::BranchKind::IfThen, label: "Coordinator::register_worker: if self.workers.contains(&worker_id)", file: ::core::file!(), line: 26u32, waiver: ::core::option::Option::None, waiver_host: ::core::option::Option::None,
        },
        ::duract::__private::Branch {
            id: ::duract::__concat_str!(<Coordinator as ::duract::__private::ActorKind>::KIND, ::duract::branch::id::ROUTE, <RegisterWorker as ::duract::Message>::TYPE, ::duract::branch::id::BODY, "else:self.workers.contains(&worker_id)"), kind: ::duract::__private::BranchKind::IfElse, label: "Coordinator::register_worker: implicit else of if self.workers.contains(&worker_id)", file: ::core::file!(), line: 26u32, waiver: ::core::option::Option::None, waiver_host: ::core::option::Option::None,
        },
        ::duract::__private::Branch {
            id: ::duract::__concat_str!(<Coordinator as ::duract::__private::ActorKind>::KIND, ::duract::branch::id::ROUTE, <RegisterWorker as ::duract::Message>::TYPE, ::duract::branch::id::BODY, "return:Err(Error::handler(\"duplicate\",\"already registered\"))"), kind: ::duract::__private::BranchKind::EarlyReturn, label: "Coordinator::register_worker: return Err(Error::handler(\"duplicate\",\"already registered\"))", file: ::core::file!(), line: 27u32, waiver: ::core::option::Option::None, waiver_host: ::core::option::Option::None,
        },
        ::duract::__private::Branch {
            id: ::duract::__concat_str!(<Coordinator as ::duract::__private::ActorKind>::KIND, ::duract::branch::id::ROUTE, <GetStatus as ::duract::Message>::TYPE), kind: ::duract::__private::BranchKind::Route, label: "GetStatus -> Coordinator::get_status", file: ::core::file!(), line: 33u32, waiver: ::core::option::Option::None, waiver_host: ::core::option::Option::None,
        },
        ::duract::__private::Branch {
            id: ::duract::__concat_str!(<Coordinator as ::duract::__private::ActorKind>::KIND, ::duract::branch::id::DECODE_ERROR, <GetStatus as ::duract::Message>::TYPE), kind: ::duract::__private::BranchKind::DecodeError, label: "payload does not decode as GetStatus", file: ::core::file!(), line: 33u32, waiver: if<GetStatus as ::duract::Message>::ANY_PAYLOAD {
                ::core::option::Option::Some("a message without fields: every payload decodes")
            }
            else {
                ::core::option::Option::None
            },
            waiver_host: ::core::option::Option::None,
        },
        ::duract::__private::Branch {
            id: ::duract::__concat_str!(<Coordinator as ::duract::__private::ActorKind>::KIND, ::duract::branch::id::UNKNOWN_TYPE), kind: ::duract::__private::BranchKind::UnknownType, label: "no route of Coordinator for the type", file: ::core::file!(), line: 23u32, waiver: ::core::option::Option::None, waiver_host: ::core::option::Option::None,
        }
        ];
        async fn dispatch(&mut self, ctx: &mut ::duract::Ctx, envelope: &::duract::Envelope,) -> ::duract::__private::DispatchResult {
            let _ = &ctx;
            let __type = envelope.message_type.as_str();
            if __type == <RegisterWorker as ::duract::Message>::TYPE {
                let msg = ::duract::__private::decode::<RegisterWorker>(envelope)?;
                let reply: Registered = match self.register_worker(ctx, msg).await {
                    ::core::result::Result::Ok(reply) => reply, ::core::result::Result::Err(error) => {
                        return ::core::result::Result::Err(::duract::__private::handler_error::<Error>(error));
                    }
                };
                return ::duract::__private::reply::<Self, RegisterWorker>(&reply);
            }
            if __type == <GetStatus as ::duract::Message>::TYPE {
                let msg = ::duract::__private::decode::<GetStatus>(envelope)?;
                let reply: Status = self.get_status(ctx, msg).await;
                return ::duract::__private::reply::<Self, GetStatus>(&reply);
            }
            ::duract::__private::unknown_type(envelope)
        }
    }
    const _: () = ::core::assert!(! ::duract::__private::str_eq(<GetStatus as ::duract::Message>::TYPE, <RegisterWorker as ::duract::Message>::TYPE), "`GetStatus` and `RegisterWorker` have the same wire type (`Message::TYPE`): one actor cannot route both");
};
