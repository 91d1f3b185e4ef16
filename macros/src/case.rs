//! Name conversions for the defaults: `RegisterWorker` -> `register_worker` -> `REGISTER_WORKER`.

/// The snake_case of a Rust type name: a `_` goes before an upper-case letter that follows a
/// lower-case letter or digit, or that starts a word after an acronym (`HTTPServer` ->
/// `http_server`).
pub fn snake_case(name: &str) -> String {
    let name = name.strip_prefix("r#").unwrap_or(name);
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// The binding name of a kind: upper case, `-` as `_`, then `_ACTOR`.
pub fn binding_of(kind: &str) -> String {
    format!("{}_ACTOR", kind.to_uppercase().replace('-', "_"))
}

/// Whether `kind` is a valid address kind: `[a-z][a-z0-9_-]*` (the runtime's rule).
pub fn is_valid_kind(kind: &str) -> bool {
    let mut bytes = kind.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
}

/// Why `text` is not an address `kind:id`, if it is not (the runtime's `Address::parse` rule).
pub fn address_problem(text: &str) -> Option<&'static str> {
    let Some((kind, id)) = text.split_once(':') else {
        return Some("an address is `kind:id`, and this has no `:`");
    };
    if kind.is_empty() {
        Some("the kind of an address is empty")
    } else if id.is_empty() {
        Some("the id of an address is empty")
    } else if !is_valid_kind(kind) {
        Some("the kind of an address must match [a-z][a-z0-9_-]*")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_of_type_names() {
        assert_eq!(snake_case("RegisterWorker"), "register_worker");
        assert_eq!(snake_case("GetStatus"), "get_status");
        assert_eq!(snake_case("HTTPServer"), "http_server");
        assert_eq!(snake_case("Worker2Task"), "worker2_task");
        assert_eq!(snake_case("Session"), "session");
    }

    #[test]
    fn bindings_and_addresses() {
        assert_eq!(binding_of("task-queue"), "TASK_QUEUE_ACTOR");
        assert!(address_problem("client:ui").is_none());
        assert!(address_problem("client:a:b").is_none());
        assert!(address_problem("client").is_some());
        assert!(address_problem("Client:ui").is_some());
        assert!(address_problem("client:").is_some());
    }
}
