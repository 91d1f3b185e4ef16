//! The chat's bounds on what clients control: each is a variable (wrangler.toml `[vars]`,
//! `Host::var` natively) with a default, read with `ctx.limit(..)`.

use duract::{Error, Limit};

/// A message's text, in UTF-8 bytes; longer is `message_too_long`.
pub const MAX_MESSAGE_BYTES: Limit = Limit::new("MAX_MESSAGE_BYTES", 1000);
/// A member's name, in UTF-8 bytes; longer (or empty, or with control characters) is
/// `invalid_name`.
pub const MAX_NAME_BYTES: Limit = Limit::new("MAX_NAME_BYTES", 32);
/// Members of one room; one more is `room_full`.
pub const MAX_MEMBERS: Limit = Limit::new("MAX_MEMBERS", 100);
/// Rooms one user is in at once; joining one more is `too_many_rooms`.
pub const MAX_ROOMS_PER_USER: Limit = Limit::new("MAX_ROOMS_PER_USER", 20);
/// How long a room stays open without a join or a post, in ms; then it closes.
pub const ROOM_IDLE_MS: Limit = Limit::new("ROOM_IDLE_MS", 30 * 60 * 1000);

/// `Ok` when `name` is a member's name within `max` bytes, else `invalid_name`.
pub fn check_name(name: &str, max: u64) -> Result<(), Error> {
    let why = if name.trim().is_empty() {
        "a name cannot be empty"
    } else if name.len() as u64 > max {
        "a name is too long"
    } else if name.chars().any(char::is_control) {
        "a name cannot contain control characters"
    } else {
        return Ok(());
    };
    Err(Error::handler(
        "invalid_name",
        format!("{why} (at most {max} bytes)"),
    ))
}

/// `Ok` when `text` is a message's text within `max` bytes, else `empty_message` or
/// `message_too_long`.
pub fn check_text(text: &str, max: u64) -> Result<(), Error> {
    if text.trim().is_empty() {
        return Err(Error::handler("empty_message", "a message needs some text"));
    }
    if text.len() as u64 > max {
        return Err(Error::handler(
            "message_too_long",
            format!(
                "a message is at most {max} bytes, this one is {}",
                text.len()
            ),
        ));
    }
    Ok(())
}
