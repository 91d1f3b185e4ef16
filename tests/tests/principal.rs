//! The principal a gateway authenticated reaches every handler its request leads to, and
//! scopes the instances it reaches by tenant.

use duract::native::{reply_payload, Host};
use duract::{actor, message, payload, route, Ctx, Error, Principal};

/// `who`: who caused this turn.
#[message]
pub struct Who;

/// `relay`: asks `desk:other` who caused its turn.
#[message]
pub struct Relay;

#[payload]
pub struct WhoAmI {
    pub subject: Option<String>,
    pub tenant: Option<String>,
    pub me: String,
}

#[actor]
#[derive(Default)]
pub struct Desk;

#[route]
impl Desk {
    async fn who(&mut self, ctx: &mut Ctx, _msg: Who) -> WhoAmI {
        WhoAmI {
            subject: ctx.principal().map(|p| p.subject.clone()),
            tenant: ctx.principal().map(|p| p.tenant.clone()),
            me: ctx.me().to_string(),
        }
    }

    async fn relay(&mut self, ctx: &mut Ctx, _msg: Relay) -> Result<WhoAmI, Error> {
        ctx.actor::<Desk>("other").ask(&Who).await
    }
}

#[actor(kind = "session", gateway(forward(desk = Desk)))]
pub struct Session;

fn ask(host: &Host, conn: &duract::native::Connection, ty: &str) -> WhoAmI {
    let client = host.client("client:ui").unwrap();
    let request = client.envelope("desk:main", ty, &()).unwrap();
    reply_payload(&conn.request(&request).unwrap()).unwrap()
}

#[test]
fn handlers_read_the_principal_and_it_travels_with_their_messages() {
    let host = Host::new().with::<Session>().with::<Desk>();
    let conn = host
        .connect_as("session:s", Principal::new("alice", "acme"))
        .unwrap();
    let direct = ask(&host, &conn, "who");
    assert_eq!(direct.subject.as_deref(), Some("alice"));
    assert_eq!(direct.tenant.as_deref(), Some("acme"));
    assert_eq!(direct.me, "desk:main", "addresses show no tenant");
    let relayed = ask(&host, &conn, "relay");
    assert_eq!(relayed.subject.as_deref(), Some("alice"));
    assert_eq!(relayed.me, "desk:other");
}

#[test]
fn without_authentication_there_is_no_principal() {
    let host = Host::new().with::<Session>().with::<Desk>();
    let conn = host.connect("session:s").unwrap();
    let anonymous = ask(&host, &conn, "who");
    assert_eq!(anonymous.subject, None);
    assert_eq!(anonymous.tenant, None);
}
