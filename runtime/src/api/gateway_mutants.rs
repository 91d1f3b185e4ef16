//! The mutants of a gateway's branches (feature `mutants`; see `duract::checklist::mutant`),
//! as macros around the code of [`gateway`](super::gateway): without the feature each is the
//! very tokens it wraps, on the same lines, so the code (and the production wasm, panic
//! locations included) is the same as without them. With the feature, when the mutant of the
//! branch is on:
//!
//! - `check!(port, "!<code>" => condition)`: the check is not made (`too_large`,
//!   `invalid_address`);
//! - `public_if!`: an internal message's route taken as public (`forbidden`);
//! - `no_limit_if!`: no limit (`overloaded`);
//! - `text_if!`: a binary frame is read as text (`unsupported_frame`);
//! - `routed_if!`: the route answers `unknown_actor` (`route:<kind>`);
//! - `mutant_error!`: the mutant error instead of the errors whose check cannot be skipped
//!   (`invalid_format`, `unknown_actor`, `unknown_type`);
//! - `error_as_success_if!`: a target's error answered as a success, `null` (`actor_error`;
//!   in [`ClientReply::frame`](super::client_reply::ClientReply::frame), keyed by the gateway's kind).

#[cfg(feature = "mutants")]
pub(crate) mod on {
    use crate::checklist::mutant::{error as mutant_error, mutant_on_in};
    use crate::error::Error;
    use crate::gateway::Frame;
    use crate::info::RouteInfo;
    use crate::port::Port;

    /// Whether the mutant of this gateway's branch `<kind>/<suffix>` is on.
    pub fn on(port: &dyn Port, suffix: &str) -> bool {
        mutant_on_in(port.address().kind(), suffix)
    }

    /// A binary frame as text (empty when it is no UTF-8) when the mutant is on.
    pub fn frame<'a>(port: &dyn Port, frame: Frame<'a>) -> Frame<'a> {
        match frame {
            Frame::Binary(bytes) if on(port, "!unsupported_frame") => {
                Frame::Text(std::str::from_utf8(bytes).unwrap_or_default())
            }
            frame => frame,
        }
    }

    /// A route of an internal message as a public one, when the mutant is on (only its being
    /// internal is read).
    pub fn public(
        port: &dyn Port,
        route: Option<&'static RouteInfo>,
    ) -> Option<&'static RouteInfo> {
        static PUBLIC: RouteInfo = RouteInfo {
            message_type: "",
            internal: false,
            handler: "",
        };
        match route {
            Some(r) if r.internal && on(port, "!forbidden") => Some(&PUBLIC),
            route => route,
        }
    }

    /// `error`, or the mutant error when the mutant of its code is on.
    pub fn error(port: &dyn Port, error: Error) -> Error {
        let code = format!("!{}", error.code());
        if on(port, &code) {
            return mutant_error(&format!("{}/{code}", port.address().kind()));
        }
        error
    }
}

#[cfg(feature = "mutants")]
macro_rules! check {
    ($port:expr, $suffix:literal => $cond:expr) => {
        ($cond) && !$crate::api::gateway_mutants::on::on($port, $suffix)
    };
}
#[cfg(not(feature = "mutants"))]
macro_rules! check {
    ($port:expr, $suffix:literal => $cond:expr) => {
        $cond
    };
}

#[cfg(feature = "mutants")]
macro_rules! no_limit_if {
    ($port:expr, $suffix:literal, $limit:expr) => {
        if $crate::api::gateway_mutants::on::on($port, $suffix) {
            u64::MAX
        } else {
            $limit
        }
    };
}
#[cfg(not(feature = "mutants"))]
macro_rules! no_limit_if {
    ($port:expr, $suffix:literal, $limit:expr) => {
        $limit
    };
}

#[cfg(feature = "mutants")]
macro_rules! public_if {
    ($port:expr, $route:expr) => {
        $crate::api::gateway_mutants::on::public($port, $route)
    };
}
#[cfg(not(feature = "mutants"))]
macro_rules! public_if {
    ($port:expr, $route:expr) => {
        $route
    };
}

#[cfg(feature = "mutants")]
macro_rules! text_if {
    ($port:expr, $frame:expr) => {
        $crate::api::gateway_mutants::on::frame($port, $frame)
    };
}
#[cfg(not(feature = "mutants"))]
macro_rules! text_if {
    ($port:expr, $frame:expr) => {
        $frame
    };
}

#[cfg(feature = "mutants")]
macro_rules! routed_if {
    ($port:expr, $kind:expr, $target:expr) => {
        $target.filter(|_| {
            let route = format!("route:{}", $kind);
            !$crate::api::gateway_mutants::on::on($port, &route)
        })
    };
}
#[cfg(not(feature = "mutants"))]
macro_rules! routed_if {
    ($port:expr, $kind:expr, $target:expr) => {
        $target
    };
}

#[cfg(feature = "mutants")]
macro_rules! mutant_error {
    ($port:expr, $error:expr) => {
        $crate::api::gateway_mutants::on::error($port, $error)
    };
}
#[cfg(not(feature = "mutants"))]
macro_rules! mutant_error {
    ($port:expr, $error:expr) => {
        $error
    };
}

#[cfg(feature = "mutants")]
macro_rules! error_as_success_if {
    ($kind:expr, $result:expr) => {
        match $result {
            Err(_) if $crate::checklist::mutant::mutant_on_in($kind, "!actor_error") => {
                Ok($crate::envelope::null_payload())
            }
            result => result,
        }
    };
}
#[cfg(not(feature = "mutants"))]
macro_rules! error_as_success_if {
    ($kind:expr, $result:expr) => {
        $result
    };
}
