//! A typed Rust client for a duract gateway: connect to a session over a WebSocket and ask
//! actors through it, each reply typed by the handler that answers it.
//!
//! ```no_run
//! # use duract::{actor, message, route, Ctx};
//! # #[message] pub struct GetStatus;
//! # #[actor] #[derive(Default)] pub struct Coordinator { n: u32 }
//! # #[route] impl Coordinator { async fn get_status(&mut self, _c: &mut Ctx, _m: GetStatus) -> u32 { self.n } }
//! let mut client = duract_client::Client::connect("ws://127.0.0.1:8788/ws?session=s1")?;
//! let n: u32 = client.actor::<Coordinator>("main").ask(&GetStatus)?;
//! # Ok::<(), duract_client::ClientError>(())
//! ```
//!
//! Blocking: one request at a time on a connection (open more for parallel requests). Frames
//! that answer nothing (pushes to the session) are kept for [`Client::pushes`].

use duract::{Address, Envelope, Error, Handles, Message, Target};
use std::fmt;
use std::marker::PhantomData;
use std::net::TcpStream;
use std::time::Duration;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message as Frame, WebSocket};

/// Why a request got no reply: the connection, or a reply that was no envelope.
#[derive(Debug)]
pub enum ClientError {
    /// The WebSocket failed or closed.
    Socket(tungstenite::Error),
    /// The gateway answered something that is no reply of the protocol.
    Protocol(String),
    /// The actor (or the gateway) answered with an error.
    Reply(Error),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Socket(e) => write!(f, "socket: {e}"),
            ClientError::Protocol(why) => write!(f, "protocol: {why}"),
            ClientError::Reply(e) => write!(f, "{} ({})", e, e.code()),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<tungstenite::Error> for ClientError {
    fn from(e: tungstenite::Error) -> Self {
        ClientError::Socket(e)
    }
}

/// A connection to one session of a gateway.
pub struct Client {
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    from: Address,
    session: String,
    next_id: u64,
    pushes: Vec<Envelope>,
}

impl Client {
    /// Connects to a gateway's session URL (`ws://host/ws?session=..`, with `token=..` when
    /// authentication is on) and reads its `SessionEstablished` frame.
    pub fn connect(url: &str) -> Result<Client, ClientError> {
        let (socket, _) = tungstenite::connect(url)?;
        let from = Address::parse("client:rust").expect("a valid address");
        let mut client = Client {
            socket,
            from,
            session: String::new(),
            next_id: 0,
            pushes: Vec::new(),
        };
        let established = client.read_envelope()?;
        let payload: serde_json::Value = serde_json::from_str(established.payload.get())
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        client.session = payload["sessionId"].as_str().unwrap_or_default().to_owned();
        Ok(client)
    }

    /// The session's name, from `SessionEstablished`.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// How long a request waits for its reply (default: none).
    pub fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<(), ClientError> {
        if let MaybeTlsStream::Plain(stream) = self.socket.get_ref() {
            stream
                .set_read_timeout(timeout)
                .map_err(|e| ClientError::Socket(e.into()))?;
        }
        Ok(())
    }

    /// The actor of type `A` named `id`, to ask through the session.
    pub fn actor<A: Target>(&mut self, id: &str) -> ActorRef<'_, A> {
        ActorRef {
            client: self,
            to: format!("{}:{id}", A::INFO.kind),
            actor: PhantomData,
        }
    }

    /// The frames received so far that answered no request (pushes to the session).
    pub fn pushes(&mut self) -> Vec<Envelope> {
        std::mem::take(&mut self.pushes)
    }

    /// Sends `msg` to `to` and waits for the reply to it: its payload, or the error it carries.
    fn request<M: Message>(
        &mut self,
        to: &str,
        msg: &M,
    ) -> Result<Box<serde_json::value::RawValue>, ClientError> {
        self.next_id += 1;
        let id = format!("rust-{}", self.next_id);
        let to = Address::parse(to).map_err(|e| ClientError::Protocol(e.to_string()))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_millis() as f64);
        let request = Envelope::request(to, self.from.clone(), M::TYPE, msg, id.as_str(), now)
            .map_err(ClientError::Reply)?;
        self.socket.send(Frame::text(request.encode()))?;
        loop {
            let envelope = self.read_envelope()?;
            if envelope.reply_to.as_deref() == Some(id.as_str()) {
                return envelope.into_result().map_err(ClientError::Reply);
            }
            self.pushes.push(envelope);
        }
    }

    fn read_envelope(&mut self) -> Result<Envelope, ClientError> {
        loop {
            match self.socket.read()? {
                Frame::Text(text) => {
                    return Envelope::decode(text.as_str())
                        .map_err(|e| ClientError::Protocol(e.error.to_string()));
                }
                Frame::Close(_) => {
                    return Err(ClientError::Socket(tungstenite::Error::ConnectionClosed))
                }
                _ => {}
            }
        }
    }
}

/// An actor to ask through a [`Client`]'s session.
pub struct ActorRef<'c, A> {
    client: &'c mut Client,
    to: String,
    actor: PhantomData<A>,
}

impl<A: Target> ActorRef<'_, A> {
    /// Asks with `msg`: the handler's reply, typed by it, or the error the reply carries.
    pub fn ask<M: Message>(self, msg: &M) -> Result<<A as Handles<M>>::Reply, ClientError>
    where
        A: Handles<M>,
    {
        let payload = self.client.request(&self.to, msg)?;
        serde_json::from_str(payload.get()).map_err(|e| ClientError::Protocol(e.to_string()))
    }
}
