//! Lone UTF-16 surrogates in client frames.
//!
//! Clients are JavaScript: their strings are UTF-16, and `JSON.stringify("\ud800")` writes a
//! lone surrogate as the escape `\ud800`, which a Rust `String` cannot hold (serde refuses
//! it). The contract still wants such a frame read like any other (an unknown field ignored,
//! an `id` echoed in `replyTo`). So the gateway reads a client frame with each lone surrogate
//! escape replaced by one of 2,048 private-use code points (U+10F000 + the surrogate's
//! offset, a valid character), and writes each of those back as the original escape in the
//! frames it sends to clients: what a client sent comes back byte for byte.

use std::borrow::Cow;

/// The private-use code point standing for the surrogate `unit`.
fn stand_in(unit: u16) -> char {
    char::from_u32(0x10_F000 + u32::from(unit - 0xD800)).expect("in plane 16")
}

/// The surrogate a stand-in stands for.
fn stood_for(c: char) -> Option<u16> {
    let offset = u32::from(c).checked_sub(0x10_F000)?;
    (offset < 0x800).then(|| 0xD800 + offset as u16)
}

/// The hex value of a `\uXXXX` escape starting at `at`.
fn escape_at(bytes: &[u8], at: usize) -> Option<u16> {
    if bytes.get(at..at + 2)? != b"\\u" {
        return None;
    }
    let hex = std::str::from_utf8(bytes.get(at + 2..at + 6)?).ok()?;
    u16::from_str_radix(hex, 16).ok()
}

/// `text` with every lone surrogate escape replaced by its stand-in (unchanged, without
/// copying, when there is none).
pub(crate) fn read(text: &str) -> Cow<'_, str> {
    if !text.contains("\\u") {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let (mut out, mut copied, mut at) = (String::new(), 0, 0);
    while let Some(found) = text[at..].find('\\') {
        let start = at + found;
        if bytes.get(start + 1) == Some(&b'\\') {
            at = start + 2; // an escaped backslash: `\\u..` is no escape
            continue;
        }
        let Some(unit) = escape_at(bytes, start) else {
            at = start + 1;
            continue;
        };
        let low = escape_at(bytes, start + 6).filter(|u| (0xDC00..=0xDFFF).contains(u));
        match unit {
            0xD800..=0xDBFF if low.is_some() => at = start + 12, // a pair: fine as it is
            0xD800..=0xDFFF => {
                out.push_str(&text[copied..start]);
                out.push(stand_in(unit));
                copied = start + 6;
                at = copied;
            }
            _ => at = start + 6,
        }
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// `json` with every stand-in written back as the surrogate escape it stands for.
pub(crate) fn write(json: String) -> String {
    if !json.chars().any(|c| stood_for(c).is_some()) {
        return json;
    }
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match stood_for(c) {
            Some(unit) => out.push_str(&format!("\\u{unit:04x}")),
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_come_back_as_they_were_sent() {
        let frame = r#"{"id":"a\ud800b","x\uDC01":1,"ok":"\ud83d\ude00","esc":"\\ud800"}"#;
        let read = read(frame);
        let value: serde_json::Value = serde_json::from_str(&read).unwrap();
        let id = value["id"].as_str().unwrap();
        assert_eq!(id.chars().count(), 3);
        assert_eq!(value["ok"], "😀", "pairs are left alone");
        assert_eq!(value["esc"], "\\ud800", "an escaped backslash is no escape");
        let echoed = write(serde_json::json!({ "replyTo": id }).to_string());
        assert_eq!(echoed, r#"{"replyTo":"a\ud800b"}"#);
    }

    #[test]
    fn frames_without_lone_surrogates_are_not_copied() {
        for frame in [r#"{"id":"plain"}"#, r#"{"id":"\u00e9\ud83d\ude00"}"#] {
            assert!(matches!(read(frame), Cow::Borrowed(_)));
        }
        assert_eq!(write("{}".into()), "{}");
    }
}
