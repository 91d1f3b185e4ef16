//! [`ClientReply`]: how a gateway answers a client's request, written down so that whoever
//! holds the target's result can write the client's frame: the gateway itself, or (in
//! workerd) the target, which then hands the gateway a frame to send as it is.

use crate::address::Address;
use crate::envelope::{reply_parts, Envelope};
use crate::error::Error;
use crate::info::GatewayInfo;
use crate::port::Port;
use serde_json::value::RawValue;

/// Where a gateway's reply to one client request goes: from the gateway's address, to the
/// client address its routing table declares for the request's type (`to`), or for an error
/// to its default client address (`error_to`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientReply {
    /// The gateway's address: every client frame's `from`.
    pub from: Address,
    /// Where a success reply goes ([`GatewayInfo::reply_to`] of the request's type).
    pub to: Address,
    /// Where an error reply goes ([`GatewayInfo::default_reply_to`]).
    pub error_to: Address,
}

impl ClientReply {
    /// How the gateway `info` at `gateway` answers a request of `message_type`.
    pub fn new(info: &GatewayInfo, gateway: &Address, message_type: &str) -> ClientReply {
        ClientReply {
            from: gateway.clone(),
            to: client_address(info.reply_to(message_type)),
            error_to: client_address(info.default_reply_to),
        }
    }

    /// The client's frame answering the request `id` of type `message_type` with `result`:
    /// `<type>Response` with the payload, or `Error` with `{error, code}`; a fresh `id` and
    /// the time from `port`, `replyTo` = `id`. A failed result is the gateway's branch
    /// `!actor_error`, recorded here for the gateway's kind (the one recorder of a checklist
    /// build serves every object of the worker).
    pub fn frame(
        &self,
        id: String,
        message_type: String,
        result: Result<Box<RawValue>, Error>,
        port: &dyn Port,
    ) -> String {
        #[cfg(feature = "checklist")]
        if result.is_err() {
            crate::checklist::hit_in(self.from.kind(), "!actor_error");
        }
        let answered = error_as_success_if!(self.from.kind(), result);
        let to = match answered {
            Ok(_) => &self.to,
            Err(_) => &self.error_to,
        };
        let (message_type, payload) = reply_parts(message_type, answered);
        client_frame(
            to.clone(),
            &self.from,
            message_type,
            payload,
            Some(id),
            port,
        )
    }

    /// The text that carries it to the target, next to the request ([`ClientReply::decode`]).
    pub fn encode(&self) -> String {
        let fields = (&self.to, &self.error_to, &self.from);
        serde_json::to_string(&fields).unwrap_or_default()
    }

    /// A [`ClientReply::encode`]d reply route; `None` for any other text.
    pub fn decode(text: &str) -> Option<ClientReply> {
        let (to, error_to, from): (&str, &str, &str) = serde_json::from_str(text).ok()?;
        Some(ClientReply {
            from: Address::parse(from).ok()?,
            to: Address::parse(to).ok()?,
            error_to: Address::parse(error_to).ok()?,
        })
    }
}

/// A frame to a client at `to` from the gateway at `from`: `message_type` with `payload`, a
/// fresh `id` and the time from `port`, `replyTo` when it answers a request; lone surrogates
/// the client sent written back as it sent them ([`Envelope::encode_for_client`]).
pub(crate) fn client_frame(
    to: Address,
    from: &Address,
    message_type: String,
    payload: Box<RawValue>,
    reply_to: Option<String>,
    port: &dyn Port,
) -> String {
    Envelope {
        to,
        from: from.clone(),
        message_type,
        payload,
        id: port.fresh_id(),
        timestamp: port.now() as f64,
        reply_to,
        principal: None,
    }
    .encode_for_client()
}

/// A client address of a gateway's routing table.
pub(crate) fn client_address(text: &str) -> Address {
    Address::parse(text).expect("gateway reply addresses are checked at compile time")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_travels_as_text_and_back() {
        let reply = ClientReply {
            from: Address::parse("session:s1:x").unwrap(),
            to: Address::parse("client:ui").unwrap(),
            error_to: Address::parse("client:errors").unwrap(),
        };
        assert_eq!(ClientReply::decode(&reply.encode()), Some(reply));
        assert_eq!(ClientReply::decode(r#"["a:b","c:d","no address"]"#), None);
        assert_eq!(ClientReply::decode(r#"["a:b","c:d"]"#), None);
        assert_eq!(ClientReply::decode("{}"), None);
    }
}
