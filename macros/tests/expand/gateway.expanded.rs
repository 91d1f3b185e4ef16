pub struct Session;
const _: () = {
    impl ::duract::__private::ActorKind for Session {
        const KIND: &'static str = "session";
    }
    impl ::duract::Actor for Session {
        const INFO: &'static::duract::ActorInfo = &::duract::ActorInfo {
            kind: "session", class: "SessionActor", binding: "SESSION_ACTOR", routes: &[], branches: &[::duract::Branch {
                id: "session/route:coordinator", kind: ::duract::BranchKind::GatewayRoute, label: "coordinator:* -> Coordinator", file: ::core::file!(), line: 2u32, waiver: ::core::option::Option::None,
            },
            ::duract::Branch {
                id: "session/route:worker", kind: ::duract::BranchKind::GatewayRoute, label: "worker:* -> Worker", file: ::core::file!(), line: 2u32, waiver: ::core::option::Option::None,
            },
            ::duract::Branch {
                id: "session/!unsupported_frame", kind: ::duract::BranchKind::GatewayError, label: "binary frame", file: ::core::file!(), line: 1u32, waiver: ::core::option::Option::None,
            },
            ::duract::Branch {
                id: "session/!too_large", kind: ::duract::BranchKind::GatewayError, label: "frame over MAX_FRAME_BYTES", file: ::core::file!(), line: 1u32, waiver: ::core::option::Option::None,
            },
            ::duract::Branch {
                id: "session/!invalid_format", kind: ::duract::BranchKind::GatewayError, label: "frame is not an envelope", file: ::core::file!(), line: 1u32, waiver: ::core::option::Option::None,
            },
            ::duract::Branch {
                id: "session/!invalid_address", kind: ::duract::BranchKind::GatewayError, label: "`to` is not kind:id", file: ::core::file!(), line: 1u32, waiver: ::core::option::Option::None,
            },
            ::duract::Branch {
                id: "session/!unknown_actor", kind: ::duract::BranchKind::GatewayError, label: "`to` kind not routed", file: ::core::file!(), line: 1u32, waiver: ::core::option::Option::None,
            },
            ::duract::Branch {
                id: "session/!forbidden", kind: ::duract::BranchKind::Forbidden, label: "client sent an internal message", file: ::core::file!(), line: 1u32, waiver: ::core::option::Option::None,
            },
            ::duract::Branch {
                id: "session/!unknown_type", kind: ::duract::BranchKind::UnknownType, label: "target has no route for the type", file: ::core::file!(), line: 1u32, waiver: ::core::option::Option::None,
            },
            ::duract::Branch {
                id: "session/!overloaded", kind: ::duract::BranchKind::GatewayError, label: "the socket has MAX_INFLIGHT requests awaiting replies", file: ::core::file!(), line: 1u32, waiver: ::core::option::Option::None,
            },
            ::duract::Branch {
                id: "session/!actor_error", kind: ::duract::BranchKind::GatewayError, label: "the call to the target failed or it answered an error", file: ::core::file!(), line: 1u32, waiver: ::core::option::Option::None,
            }
            ], gateway: ::core::option::Option::Some(&::duract::gateway::GatewayInfo {
                forwards: &[::duract::gateway::Forward {
                    kind: "coordinator", target: ::duract::__private::actor_info::<Coordinator>()
                },
                ::duract::gateway::Forward {
                    kind: "worker", target: ::duract::__private::actor_info::<Worker>()
                }
                ], replies: &[::duract::gateway::ReplyRoute {
                    message_type: <RegisterWorker as ::duract::Message>::TYPE, to: "client:coordinator-proxy"
                },
                ::duract::gateway::ReplyRoute {
                    message_type: <GetStatus as ::duract::Message>::TYPE, to: "client:coordinator-proxy"
                },
                ::duract::gateway::ReplyRoute {
                    message_type: <GetState as ::duract::Message>::TYPE, to: "client:worker-proxy"
                }
                ], default_reply_to: "client:ui",
            }
            ),
        };
        async fn load(_id: &str, _storage: &dyn ::duract::Storage,) -> ::duract::__private::LoadResult<Self> {
            ::core::result::Result::Ok((Session, ::duract::persist::Saved::new(0)))
        }
        fn save(&mut self, _saved: &::duract::persist::Saved, _batch: &mut ::duract::persist::SaveBatch,) -> ::duract::__private::SaveResult {
            ::core::result::Result::Ok(())
        }
        async fn dispatch(&mut self, _ctx: &mut ::duract::Ctx, envelope: &::duract::Envelope,) -> ::duract::__private::DispatchResult {
            ::duract::__private::unknown_type(envelope)
        }
    }
};
#[cfg(target_arch = "wasm32")]
::duract::__durable_object!(SessionActor, Session);
