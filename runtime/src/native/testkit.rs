//! Helpers for tests: envelopes with unique ids, replies picked by `replyTo`, error
//! assertions by code, and a view of an instance's stored state.

use super::engine::parse;
use super::error::HostError;
use super::host::Host;
use crate::actor::{Handles, Target};
use crate::address::Address;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::message::Message;
use crate::persist::{entries_prefix, field_key};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;
use std::marker::PhantomData;

/// A client address that builds requests with ids unique on its host.
#[derive(Clone)]
pub struct Client {
    host: Host,
    from: Address,
}

impl Host {
    /// A client sending from `from` (e.g. `client:ui`).
    pub fn client(&self, from: &str) -> Result<Client, HostError> {
        Ok(Client {
            host: self.clone(),
            from: parse(from)?,
        })
    }
}

impl Client {
    /// The client's address.
    pub fn address(&self) -> &Address {
        &self.from
    }

    /// A request to `to` of wire type `message_type` with `payload`, a fresh id and the
    /// host's virtual time.
    pub fn envelope<P: Serialize + ?Sized>(
        &self,
        to: &str,
        message_type: &str,
        payload: &P,
    ) -> Result<Envelope, HostError> {
        Envelope::request(
            parse(to)?,
            self.from.clone(),
            message_type,
            payload,
            self.host.fresh_id(),
            self.host.now() as f64,
        )
        .map_err(|e| HostError::Encode {
            reason: e.to_string(),
        })
    }

    /// A request carrying message `msg` (its type is `M::TYPE`).
    pub fn message<M: Message>(&self, to: &str, msg: &M) -> Result<Envelope, HostError> {
        self.envelope(to, M::TYPE, msg)
    }

    /// Asks `to` with `msg` ([`Host::ask`]) and returns the reply envelope.
    pub fn ask<M: Message>(&self, to: &str, msg: &M) -> Result<Envelope, HostError> {
        self.host.ask(self.message(to, msg)?)
    }

    /// The actor of type `A` with instance id `id`, to ask with typed replies:
    /// `client.actor::<Coordinator>("main").ask(&GetStatus)` is a `Result<Status, Error>`.
    pub fn actor<A: Target>(&self, id: &str) -> ClientRef<'_, A> {
        ClientRef {
            client: self,
            to: format!("{}:{id}", A::INFO.kind),
            actor: PhantomData,
        }
    }

    /// Asks `to` with a raw `message_type` and payload.
    pub fn ask_raw<P: Serialize + ?Sized>(
        &self,
        to: &str,
        message_type: &str,
        payload: &P,
    ) -> Result<Envelope, HostError> {
        self.host.ask(self.envelope(to, message_type, payload)?)
    }
}

/// An actor to ask from a [`Client`], with the reply typed by its handler
/// ([`Handles::Reply`]); from [`Client::actor`].
pub struct ClientRef<'c, A> {
    client: &'c Client,
    to: String,
    actor: PhantomData<A>,
}

impl<A: Target> ClientRef<'_, A> {
    /// Asks with `msg` and runs the host until the reply: the handler's reply, or the wire
    /// error the reply carries. Panics when the host itself fails (the address is not an
    /// actor of a registered kind, or the run exceeds its step bound): a broken test setup.
    #[track_caller]
    pub fn ask<M: Message>(&self, msg: &M) -> Result<<A as Handles<M>>::Reply, Error>
    where
        A: Handles<M>,
    {
        match self.client.ask(&self.to, msg) {
            Ok(reply) => reply_payload(&reply),
            Err(e) => panic!("asking {} with {}: {e}", self.to, M::TYPE),
        }
    }

    /// Delivers `msg` without waiting for the reply ([`Host::send`]).
    pub fn send<M: Message>(&self, msg: &M) -> Result<(), HostError>
    where
        A: Handles<M>,
    {
        self.client.host.send(self.client.message(&self.to, msg)?)
    }
}

/// Panics unless `reply` is an `Error` reply with code `code` (a test assertion).
#[track_caller]
pub fn assert_error_code(reply: &Envelope, code: &str) {
    assert!(
        reply.is_error(),
        "expected an Error reply with code `{code}`, got `{}`: {}",
        reply.message_type,
        reply.payload.get()
    );
    match reply.clone().into_result() {
        Err(error) => assert_eq!(
            error.code(),
            code,
            "expected error code `{code}`, got `{}` ({error})",
            error.code()
        ),
        Ok(_) => unreachable!("is_error() was checked"),
    }
}

/// A reply's payload decoded as `T`, or the error it carries.
pub fn reply_payload<T: DeserializeOwned>(reply: &Envelope) -> Result<T, Error> {
    let payload = reply.clone().into_result()?;
    serde_json::from_str(payload.get()).map_err(|e| Error::InvalidPayload {
        reason: e.to_string(),
    })
}

/// A snapshot of an instance's storage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stored {
    entries: BTreeMap<String, String>,
}

impl Host {
    /// A snapshot of what `address` has in storage (empty when it has none).
    pub fn storage(&self, address: &str) -> Result<Stored, HostError> {
        Ok(Stored {
            entries: self.storage_of(address)?.memory().snapshot(),
        })
    }
}

impl Stored {
    /// Every key and its JSON, in key order.
    pub fn entries(&self) -> &BTreeMap<String, String> {
        &self.entries
    }

    /// The JSON stored at `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// A plain field of the actor (`f/<name>`), decoded; `Ok(None)` when not stored.
    pub fn field<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, Error> {
        self.get(&field_key(name))
            .map(|json| crate::persist::decode_field(name, json))
            .transpose()
    }

    /// The entries of a `#[persist(entries)]` field (`e/<name>/<entry>`), as (entry key,
    /// value) in key order.
    pub fn entry_values<T: DeserializeOwned>(&self, name: &str) -> Result<Vec<(String, T)>, Error> {
        let prefix = entries_prefix(name);
        self.entries
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| {
                Ok((
                    k[prefix.len()..].to_owned(),
                    crate::persist::decode_field(name, v)?,
                ))
            })
            .collect()
    }

    /// The durable timers stored, as (due ms, name, envelope), in due order.
    pub fn timers(&self) -> Vec<(u64, String, Envelope)> {
        use crate::timer::{parse_key, PREFIX};
        self.entries
            .range(PREFIX.to_owned()..)
            .take_while(|(k, _)| k.starts_with(PREFIX))
            .filter_map(|(k, v)| {
                let (due, name) = parse_key(k)?;
                Some((due, name.to_owned(), Envelope::decode_trusted(v).ok()?))
            })
            .collect()
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
