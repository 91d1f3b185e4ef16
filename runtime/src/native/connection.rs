//! Client connections to gateway actors: the native stand-in for hibernatable WebSockets.
//!
//! A connection belongs to the host, not to the gateway instance: evicting the gateway
//! ([`Host::evict`]) keeps its connections and their session address (what the hibernation
//! API keeps as socket tags and attachments), and the next frame reactivates it. Every
//! frame runs [`gateway::handle_frame`] on the gateway's port, without the turn gate, and
//! its one reply goes back on the connection that sent it.

use super::engine::parse;
use super::error::HostError;
use super::host::Host;
use crate::address::Address;
use crate::envelope::Envelope;
use crate::gateway::{self, Frame};
use crate::principal::Principal;
use std::sync::Arc;

enum OwnedFrame {
    Text(String),
    Binary(Vec<u8>),
}

impl Host {
    /// Opens a client connection to the gateway `address` (activating it); its first frame
    /// is `SessionEstablished`. Authentication off: the connection has no principal.
    pub fn connect(&self, address: &str) -> Result<Connection, HostError> {
        self.open_connection(address, None)
    }

    /// Opens a connection as `principal` had authenticated at the upgrade: it reaches the
    /// principal's own session instance, and everything it causes runs in its tenant's
    /// instances ([`crate::scoped_name`]).
    pub fn connect_as(&self, address: &str, principal: Principal) -> Result<Connection, HostError> {
        self.open_connection(address, Some(Arc::new(principal)))
    }

    fn open_connection(
        &self,
        address: &str,
        principal: Option<Arc<Principal>>,
    ) -> Result<Connection, HostError> {
        let address = parse(address)?;
        let info = self
            .info(address.kind())
            .ok_or_else(|| HostError::UnknownKind {
                kind: address.kind().to_owned(),
            })?;
        let Some(gateway) = info.gateway else {
            return Err(HostError::NotAGateway {
                kind: address.kind().to_owned(),
            });
        };
        let key = self
            .inner
            .instance_key(&address, principal.as_deref(), true)
            .map_err(|reason| HostError::InvalidAddress {
                address: address.to_string(),
                reason,
            })?;
        let active = self.activate(&key)?;
        let id = self.inner.connections.open(key.clone(), principal);
        self.inner
            .connections
            .push(id, gateway::established(gateway, &*active.port));
        Ok(Connection {
            host: self.clone(),
            id,
            address,
            key,
        })
    }

    /// Sends `frame` to every open connection of the gateway `address` (what a gateway's
    /// broadcast does on Durable Objects); returns how many got it.
    pub fn broadcast(&self, address: &str, frame: &str) -> Result<usize, HostError> {
        Ok(self.inner.connections.broadcast(&parse(address)?, frame))
    }

    /// [`Host::broadcast`] of an envelope.
    pub fn broadcast_envelope(
        &self,
        address: &str,
        envelope: &Envelope,
    ) -> Result<usize, HostError> {
        self.broadcast(address, &envelope.encode())
    }

    /// How many connections to `address` are open.
    pub fn open_connections(&self, address: &str) -> usize {
        let Ok(address) = parse(address) else {
            return 0;
        };
        self.inner
            .connections
            .conns
            .borrow()
            .values()
            .filter(|c| c.open && c.address == address)
            .count()
    }
}

/// A client's connection to a gateway instance. Frames sent are handled when the host runs
/// ([`Host::run_until_idle`]); frames received are kept in order.
#[derive(Clone)]
pub struct Connection {
    host: Host,
    id: u64,
    address: Address,
    /// The gateway instance's key on the host.
    key: Address,
}

impl Connection {
    /// The gateway instance (the session) this connection is to.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// Whether the connection is open.
    pub fn is_open(&self) -> bool {
        self.host
            .inner
            .connections
            .with(self.id, |c| c.open)
            .unwrap_or(false)
    }

    /// Closes the connection; frames in flight to it are dropped.
    pub fn close(&self) {
        if let Some(conn) = self
            .host
            .inner
            .connections
            .conns
            .borrow_mut()
            .get_mut(&self.id)
        {
            conn.open = false;
        }
    }

    /// Sends a text frame.
    pub fn send_text(&self, text: impl Into<String>) -> Result<(), HostError> {
        self.send_frame(OwnedFrame::Text(text.into()))
    }

    /// Sends a binary frame.
    pub fn send_binary(&self, bytes: impl Into<Vec<u8>>) -> Result<(), HostError> {
        self.send_frame(OwnedFrame::Binary(bytes.into()))
    }

    /// Sends an envelope as a text frame.
    pub fn send(&self, envelope: &Envelope) -> Result<(), HostError> {
        self.send_text(envelope.encode())
    }

    /// Sends `envelope`, runs the host until idle and returns the frame whose `replyTo` is
    /// the envelope's id.
    pub fn request(&self, envelope: &Envelope) -> Result<Envelope, HostError> {
        self.send(envelope)?;
        self.host.run_until_idle()?;
        self.reply_to(&envelope.id)
            .ok_or_else(|| HostError::NoReply {
                id: envelope.id.clone(),
            })
    }

    /// The frames received, in order (the first is `SessionEstablished`).
    pub fn frames(&self) -> Vec<String> {
        self.host
            .inner
            .connections
            .with(self.id, |c| c.frames.clone())
            .unwrap_or_default()
    }

    /// The frames received that decode as envelopes, in order.
    pub fn received(&self) -> Vec<Envelope> {
        self.frames()
            .iter()
            .filter_map(|f| Envelope::decode(f).ok())
            .collect()
    }

    /// The received envelope whose `replyTo` is `id`.
    pub fn reply_to(&self, id: &str) -> Option<Envelope> {
        self.received()
            .into_iter()
            .find(|e| e.reply_to.as_deref() == Some(id))
    }

    fn send_frame(&self, frame: OwnedFrame) -> Result<(), HostError> {
        if !self.is_open() {
            return Err(HostError::Closed {
                address: self.address.to_string(),
            });
        }
        // Reactivates a hibernated gateway: only the connection and storage remain.
        let active = self.host.activate(&self.key)?;
        let socket = self
            .host
            .inner
            .connections
            .with(self.id, |c| c.socket.clone())
            .ok_or_else(|| HostError::Closed {
                address: self.address.to_string(),
            })?;
        let Some(gateway) = active.info.gateway else {
            return Err(HostError::NotAGateway {
                kind: self.address.kind().to_owned(),
            });
        };
        let host = self.host.clone();
        let id = self.id;
        let owner = active.port.activation();
        self.host.inner.executor.spawn(
            Some(owner),
            Box::pin(async move {
                let frame = match &frame {
                    OwnedFrame::Text(text) => Frame::Text(text),
                    OwnedFrame::Binary(bytes) => Frame::Binary(bytes),
                };
                let reply = gateway::handle_frame(gateway, &*active.port, &*socket, frame).await;
                host.inner.connections.push(id, reply);
            }),
        );
        Ok(())
    }
}
