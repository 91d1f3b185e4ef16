pub struct Session;
const _: () = {
    impl<M: ::duract::Message>::duract::Handles<M> for Session {
        type Reply = ::duract::__private::Delivered;
    }
    impl ::duract::__private::ActorKind for Session {
        const KIND: &'static str = "session";
    }
    impl ::duract::Actor for Session {
        const INFO: &'static::duract::ActorInfo = &::duract::__private::ActorInfo {
            kind: "session", class: "SessionActor", binding: "SESSION_ACTOR", routes: &[], branches: ::duract::__gateway_branches!("session", 1u32;
            ::duract::__private::Branch {
                id: ::duract::__concat_str!("session", ::duract::branch::id::GATEWAY_ROUTE, "coordinator"), kind: ::duract::__private::BranchKind::GatewayRoute, label: "coordinator:* -> Coordinator", file: ::core::file!(), line: 2u32, waiver: ::core::option::Option::None,
            },
            ::duract::__private::Branch {
                id: ::duract::__concat_str!("session", ::duract::branch::id::GATEWAY_ROUTE, "worker"), kind: ::duract::__private::BranchKind::GatewayRoute, label: "worker:* -> Worker", file: ::core::file!(), line: 2u32, waiver: ::core::option::Option::None,
            }
            ), gateway: ::core::option::Option::Some(&::duract::__private::GatewayInfo {
                forwards: &[::duract::__private::Forward {
                    kind: "coordinator", target: ::duract::__private::actor_info::<Coordinator>()
                },
                ::duract::__private::Forward {
                    kind: "worker", target: ::duract::__private::actor_info::<Worker>()
                }
                ], replies: &[::duract::__private::ReplyRoute {
                    message_type: <RegisterWorker as ::duract::Message>::TYPE, to: "client:coordinator-proxy"
                },
                ::duract::__private::ReplyRoute {
                    message_type: <GetStatus as ::duract::Message>::TYPE, to: "client:coordinator-proxy"
                },
                ::duract::__private::ReplyRoute {
                    message_type: <GetState as ::duract::Message>::TYPE, to: "client:worker-proxy"
                }
                ], default_reply_to: "client:ui",
            }
            ),
        };
        async fn load(_id: &str, _storage: &dyn ::duract::__private::Storage,) -> ::duract::__private::LoadResult<Self> {
            ::core::result::Result::Ok((Session, ::duract::__private::Saved::new(0)))
        }
        fn save(&mut self, _saved: &::duract::__private::Saved, _batch: &mut ::duract::__private::SaveBatch,) -> ::duract::__private::SaveResult {
            ::core::result::Result::Ok(())
        }
        async fn dispatch(&mut self, _ctx: &mut ::duract::Ctx, envelope: &::duract::Envelope,) -> ::duract::__private::DispatchResult {
            ::duract::__private::unknown_type(envelope)
        }
    }
};
#[cfg(target_arch = "wasm32")]
::duract::__durable_object!(SessionActor, Session);
