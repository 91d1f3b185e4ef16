//! Every envelope rule of protocol.md, one test each.

use duract::{Address, Envelope, Error};
use serde_json::json;

fn valid() -> serde_json::Value {
    json!({
        "to": "coordinator:main",
        "from": "client:ui",
        "type": "register_worker",
        "payload": {"workerId": "w1"},
        "id": "req-1",
        "timestamp": 1700000000000u64
    })
}

fn with(field: &str, value: serde_json::Value) -> String {
    let mut v = valid();
    v[field] = value;
    v.to_string()
}

fn without(field: &str) -> String {
    let mut v = valid();
    v.as_object_mut().unwrap().remove(field);
    v.to_string()
}

fn code_of(text: &str) -> String {
    Envelope::decode(text).unwrap_err().error.code().to_owned()
}

#[test]
fn a_valid_envelope_decodes_every_field() {
    let e = Envelope::decode(&valid().to_string()).unwrap();
    assert_eq!(e.to.as_str(), "coordinator:main");
    assert_eq!(e.from.as_str(), "client:ui");
    assert_eq!(e.message_type, "register_worker");
    assert_eq!(e.payload.get(), r#"{"workerId":"w1"}"#);
    assert_eq!(e.id, "req-1");
    assert_eq!(e.timestamp, 1700000000000.0);
    assert_eq!(e.reply_to, None);
}

#[test]
fn each_missing_required_field_is_invalid_format() {
    for field in ["to", "from", "type", "id", "timestamp"] {
        assert_eq!(
            code_of(&without(field)),
            "invalid_format",
            "missing {field}"
        );
    }
}

#[test]
fn each_required_field_of_the_wrong_type_is_invalid_format() {
    for (field, value) in [
        ("to", json!(5)),
        ("from", json!(["client:ui"])),
        ("type", json!({"t": 1})),
        ("id", json!(7)),
        ("timestamp", json!("1700000000000")),
        ("replyTo", json!(3)),
    ] {
        assert_eq!(
            code_of(&with(field, value)),
            "invalid_format",
            "{field} of wrong type"
        );
    }
}

#[test]
fn empty_required_strings_are_invalid_format() {
    for field in ["to", "from", "type", "id"] {
        assert_eq!(
            code_of(&with(field, json!(""))),
            "invalid_format",
            "empty {field}"
        );
    }
}

#[test]
fn null_required_fields_are_invalid_format() {
    for field in ["to", "from", "type", "id", "timestamp"] {
        assert_eq!(
            code_of(&with(field, json!(null))),
            "invalid_format",
            "null {field}"
        );
    }
}

#[test]
fn to_without_colon_is_invalid_address_with_the_protocol_message() {
    let err = Envelope::decode(&with("to", json!("invalidformat"))).unwrap_err();
    assert_eq!(
        err.error,
        Error::InvalidAddress {
            to: "invalidformat".into()
        }
    );
    assert_eq!(err.error.to_string(), "Invalid 'to' field: invalidformat");
}

#[test]
fn to_with_empty_part_or_bad_kind_is_invalid_address() {
    for to in [
        ":main",
        "coordinator:",
        "Coordinator:main",
        "9c:main",
        "c d:main",
    ] {
        assert_eq!(
            code_of(&with("to", json!(to))),
            "invalid_address",
            "to = {to}"
        );
    }
}

#[test]
fn a_malformed_from_is_invalid_format() {
    for from in ["clientui", "client:", ":ui", "Client:ui"] {
        assert_eq!(
            code_of(&with("from", json!(from))),
            "invalid_format",
            "from = {from}"
        );
    }
}

#[test]
fn ids_may_contain_colons() {
    let e = Envelope::decode(&with("to", json!("session:user:bob"))).unwrap();
    assert_eq!((e.to.kind(), e.to.id()), ("session", "user:bob"));
}

#[test]
fn extra_fields_are_ignored() {
    let mut v = valid();
    v["extra"] = json!({"nested": [1, 2, 3]});
    v["priority"] = json!(5);
    let e = Envelope::decode(&v.to_string()).unwrap();
    assert_eq!(e.id, "req-1");
}

#[test]
fn payload_absent_or_null_is_null() {
    assert_eq!(
        Envelope::decode(&without("payload")).unwrap().payload.get(),
        "null"
    );
    assert_eq!(
        Envelope::decode(&with("payload", json!(null)))
            .unwrap()
            .payload
            .get(),
        "null"
    );
}

#[test]
fn payload_of_any_json_type_is_kept_raw() {
    for p in [
        json!("t1"),
        json!(42),
        json!([1, "a"]),
        json!({"a": {"b": true}}),
    ] {
        let e = Envelope::decode(&with("payload", p.clone())).unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(e.payload.get()).unwrap(),
            p
        );
    }
}

#[test]
fn reply_to_present_and_absent() {
    assert_eq!(
        Envelope::decode(&valid().to_string()).unwrap().reply_to,
        None
    );
    let e = Envelope::decode(&with("replyTo", json!("req-0"))).unwrap();
    assert_eq!(e.reply_to.as_deref(), Some("req-0"));
}

#[test]
fn timestamp_as_integer_and_as_float() {
    assert_eq!(
        Envelope::decode(&with("timestamp", json!(1700000000123u64)))
            .unwrap()
            .timestamp,
        1700000000123.0
    );
    assert_eq!(
        Envelope::decode(&with("timestamp", json!(1700000000123.5)))
            .unwrap()
            .timestamp,
        1700000000123.5
    );
}

#[test]
fn non_objects_and_broken_json_are_invalid_format() {
    for text in [
        "",
        "not json",
        "[1,2]",
        "\"str\"",
        "42",
        "null",
        "{\"to\":",
        "[\"coordinator:main\",\"client:ui\",\"t\",null,\"id\",1]",
    ] {
        assert_eq!(code_of(text), "invalid_format", "frame {text:?}");
    }
}

#[test]
fn a_failed_frame_keeps_its_id_for_reply_to_when_it_is_a_non_empty_string() {
    let err = Envelope::decode(&without("to")).unwrap_err();
    assert_eq!(err.request_id.as_deref(), Some("req-1"));
    let err = Envelope::decode(&with("to", json!("nocolon"))).unwrap_err();
    assert_eq!(err.request_id.as_deref(), Some("req-1"));
    let mut v = valid();
    v["id"] = json!(12);
    assert_eq!(
        Envelope::decode(&v.to_string()).unwrap_err().request_id,
        None
    );
    assert_eq!(
        Envelope::decode(&with("id", json!("")))
            .unwrap_err()
            .request_id,
        None
    );
    assert_eq!(Envelope::decode("not json").unwrap_err().request_id, None);
}

#[test]
fn encoding_writes_exactly_the_protocol_fields() {
    let e = Envelope::decode(&valid().to_string()).unwrap();
    let reply = e.reply(
        Ok(duract::envelope::to_raw(&json!({"status": "registered"})).unwrap()),
        "r-2".into(),
        1700000000001.0,
    );
    let v: serde_json::Value = serde_json::from_str(&reply.encode()).unwrap();
    assert_eq!(
        v,
        json!({
            "to": "client:ui", "from": "coordinator:main", "type": "register_workerResponse",
            "payload": {"status": "registered"}, "id": "r-2", "timestamp": 1700000000001u64,
            "replyTo": "req-1"
        })
    );
    assert!(
        reply.encode().contains("\"timestamp\":1700000000001,"),
        "whole ms are integers"
    );
}

#[test]
fn an_error_reply_has_type_error_and_error_and_code() {
    let e = Envelope::decode(&valid().to_string()).unwrap();
    let reply = e.reply(
        Err(Error::UnknownType {
            message_type: "nope".into(),
        }),
        "r-3".into(),
        5.0,
    );
    let v: serde_json::Value = serde_json::from_str(&reply.encode()).unwrap();
    assert_eq!(v["type"], "Error");
    assert_eq!(
        v["payload"],
        json!({"error": "Unknown message type: nope", "code": "unknown_type"})
    );
    assert_eq!(v["replyTo"], "req-1");
    assert_eq!(reply.into_result().unwrap_err().code(), "unknown_type");
}

#[test]
fn requests_have_no_reply_to_field() {
    let a = Address::parse("worker:w1").unwrap();
    let e = Envelope::request(a.clone(), a, "get_state", &(), "q", 1.5).unwrap();
    let text = e.encode();
    assert!(!text.contains("replyTo"));
    assert_eq!(Envelope::decode(&text).unwrap(), e);
}

#[test]
fn decode_payload_reports_the_decoders_reason() {
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct P {
        #[serde(rename = "workerId")]
        worker_id: u32,
    }
    let e = Envelope::decode(&valid().to_string()).unwrap();
    let err = e.decode_payload::<P>().unwrap_err();
    assert_eq!(err.code(), "invalid_payload");
    assert!(err.to_string().contains("invalid type"), "{err}");
}

#[test]
fn into_reply_builds_the_same_reply_as_reply() {
    let e = Envelope::decode(&valid().to_string()).unwrap();
    for result in [
        Ok(duract::envelope::to_raw(&json!([1])).unwrap()),
        Err(Error::InvalidFormat),
    ] {
        let by_ref = e.reply(result.clone(), "r".into(), 9.0);
        assert_eq!(e.clone().into_reply(result, "r".into(), 9.0), by_ref);
    }
}

#[test]
fn a_client_frame_stands_for_itself_between_actors_only_without_auth_or_lone_surrogates() {
    // Plain frame: its text, read as between actors, is the same envelope.
    let plain = with("payload", json!({"workerId": "w1", "extra": [1, 2]}));
    let (envelope, verbatim) = Envelope::decode_client(&plain).unwrap();
    assert!(verbatim);
    assert_eq!(Envelope::decode_trusted(&plain).unwrap(), envelope);
    // A client's `auth` is ignored by the gateway, but would be read between actors.
    let forged = with("auth", json!({"sub": "mallory", "tenant": "other"}));
    let (envelope, verbatim) = Envelope::decode_client(&forged).unwrap();
    assert!(!verbatim);
    assert_eq!(envelope.principal, None);
    // A lone surrogate escape is read as a stand-in that the text does not hold.
    let lone = valid().to_string().replace("w1", "w\\ud800");
    let (_, verbatim) = Envelope::decode_client(&lone).unwrap();
    assert!(!verbatim);
    // What does not decode is refused the same way as by `decode`.
    let bad = without("id");
    assert_eq!(
        Envelope::decode_client(&bad).unwrap_err(),
        Envelope::decode(&bad).unwrap_err()
    );
}
