pub struct Session;
const _: () = {
    impl<M: ::duract::Message>::duract::Handles<M> for Session {
        type Reply = ::duract::__private::Delivered;
    }
    impl ::duract::__private::ActorKind for Session {
        const KIND: &'static str = "session";
    }
    impl ::duract::Target for Session {
        const INFO: &'static::duract::ActorInfo = &::duract::__private::ActorInfo {
            kind: "session", class: "SessionActor", binding: "SESSION_ACTOR", routes: &[], branches: ::duract::__gateway_branches!("session", 1u32;
            ::duract::__private::Branch {
                id: ::duract::__concat_str!("session", ::duract::branch::id::GATEWAY_ROUTE, "coordinator"), kind: ::duract::__private::BranchKind::GatewayRoute, label: "coordinator:* -> Coordinator", file: ::core::file!(), line: 2u32, waiver: ::core::option::Option::None, waiver_host: ::core::option::Option::None,
            },
            ::duract::__private::Branch {
                id: ::duract::__concat_str!("session", ::duract::branch::id::GATEWAY_ROUTE, "worker"), kind: ::duract::__private::BranchKind::GatewayRoute, label: "worker:* -> Worker", file: ::core::file!(), line: 2u32, waiver: ::core::option::Option::None, waiver_host: ::core::option::Option::None,
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
        fn __turns(port: ::std::rc::Rc<dyn ::duract::Port>,) -> ::core::option::Option<::std::rc::Rc<dyn ::duract::__private::Turns>> {
            let _ = &port;
            ::core::option::Option::None
        }
    }
    impl ::duract::Gateway for Session {
    }
};
#[cfg(target_arch = "wasm32")]
::duract::__durable_object!(SessionActor, Session);
