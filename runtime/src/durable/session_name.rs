//! Which session instance a `GET /ws` request names (pure logic, no `worker` types).
//!
//! The rules of protocol.md: `userId=<u>` selects the instance `user:<u>` and wins over
//! `session=<name>`; an empty value counts as absent; the first occurrence of a parameter
//! counts (a later one is ignored even when the first is empty); with neither, the caller
//! draws a random name.

/// The instance name the query selects, or `None` when the caller must draw a random one.
///
/// `pairs` are the decoded query pairs in order (`url.query_pairs()`).
pub fn session_name<K, V, I>(pairs: I) -> Option<String>
where
    K: AsRef<str>,
    V: AsRef<str>,
    I: IntoIterator<Item = (K, V)>,
{
    let mut user: Option<String> = None;
    let mut session: Option<String> = None;
    for (key, value) in pairs {
        match key.as_ref() {
            "userId" if user.is_none() => user = Some(value.as_ref().to_owned()),
            "session" if session.is_none() => session = Some(value.as_ref().to_owned()),
            _ => {}
        }
    }
    let user = user.filter(|u| !u.is_empty()).map(|u| format!("user:{u}"));
    user.or_else(|| session.filter(|s| !s.is_empty()))
}

/// A random session name: 32 lowercase hex digits from two 64-bit draws.
pub fn random_name(mut draw: impl FnMut() -> u64) -> String {
    format!("{:016x}{:016x}", draw(), draw())
}
