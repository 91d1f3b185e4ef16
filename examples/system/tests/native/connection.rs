//! Category 1: Connection: the first frame is `SessionEstablished` with the session id.

use crate::common::{system, unique};
use duract::Envelope;

#[test]
fn the_first_frame_is_session_established_with_the_session_id() {
    let host = system();
    let session = unique("s");
    let conn = host.connect(&format!("session:{session}")).unwrap();
    host.run_until_idle().unwrap();
    let frames = conn.frames();
    let first = Envelope::decode(&frames[0]).unwrap();
    assert_eq!(first.message_type, "SessionEstablished");
    assert_eq!(first.to.as_str(), "client:ui");
    assert_eq!(first.from.as_str(), format!("session:{session}"));
    assert_eq!(
        first.payload.get(),
        format!(r#"{{"sessionId":"{session}"}}"#)
    );
    assert!(!first.id.is_empty());
    assert!(first.timestamp > 0.0);
    assert_eq!(first.reply_to, None);
}

#[test]
fn a_per_user_session_reports_its_instance_name() {
    let host = system();
    let conn = host.connect("session:user:bob").unwrap();
    host.run_until_idle().unwrap();
    let first = Envelope::decode(&conn.frames()[0]).unwrap();
    assert_eq!(first.from.as_str(), "session:user:bob");
    assert_eq!(first.payload.get(), r#"{"sessionId":"user:bob"}"#);
}

#[test]
fn two_sockets_of_one_session_each_get_their_own_established_frame() {
    let host = system();
    let session = unique("s");
    let a = host.connect(&format!("session:{session}")).unwrap();
    let b = host.connect(&format!("session:{session}")).unwrap();
    host.run_until_idle().unwrap();
    assert_eq!(a.frames().len(), 1);
    assert_eq!(b.frames().len(), 1);
}
