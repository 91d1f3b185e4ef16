//! Properties: every envelope round-trips, and no input makes decoding panic.

use duract::{Address, Envelope};
use proptest::prelude::*;
use serde_json::value::RawValue;

fn address() -> impl Strategy<Value = Address> {
    ("[a-z][a-z0-9_-]{0,8}", "[^\u{0}]{1,12}").prop_map(|(k, i)| Address::new(&k, &i).unwrap())
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        ".{0,16}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-zA-Z]{1,6}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn timestamp() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u64..4_000_000_000_000).prop_map(|t| t as f64),
        (0.0f64..4.0e12),
    ]
}

fn envelope() -> impl Strategy<Value = Envelope> {
    (
        address(),
        address(),
        "[a-zA-Z_]{1,16}",
        json_value(),
        ".{1,20}",
        timestamp(),
        proptest::option::of(".{1,20}"),
    )
        .prop_map(
            |(to, from, message_type, payload, id, timestamp, reply_to)| Envelope {
                to,
                from,
                message_type,
                payload: RawValue::from_string(payload.to_string()).unwrap(),
                id,
                timestamp,
                reply_to,
                principal: None,
            },
        )
}

proptest! {
    #[test]
    fn any_envelope_encodes_and_decodes_to_itself(e in envelope()) {
        let decoded = Envelope::decode(&e.encode()).unwrap();
        prop_assert_eq!(decoded, e);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = Envelope::decode(&text);
    }

    #[test]
    fn decoding_mutated_envelopes_never_panics(e in envelope(), cut in 0usize..400, junk in ".{0,8}") {
        let mut text = e.encode();
        let chars = text.chars().count().max(1);
        let at = text.char_indices().map(|(i, _)| i).nth(cut % chars).unwrap_or(0);
        text.insert_str(at, &junk);
        let _ = Envelope::decode(&text);
        let _ = Envelope::decode(&text[..at]);
    }
}
