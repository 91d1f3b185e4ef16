//! The check stage of `#[route]`: rules across handlers, each mistake reported at its tokens
//! and the offending handler left out, so the expansion stays consistent (one error each).

use super::model::RouteModel;
use crate::errors::Errors;
use quote::ToTokens;

/// Checks `model`'s handlers together.
pub fn check(model: &mut RouteModel, errors: &mut Errors) {
    one_handler_per_message(model, errors);
}

/// The same message type twice would also be two `Handles<M>` impls: say it plainly once and
/// keep the first.
fn one_handler_per_message(model: &mut RouteModel, errors: &mut Errors) {
    let mut seen: Vec<String> = Vec::new();
    let mut dropped = Vec::new();
    model.handlers.retain(|h| {
        let text = h.message.to_token_stream().to_string();
        if seen.contains(&text) {
            errors.at(
                &h.message,
                format!("a second handler for `{text}`: each message type has one handler"),
            );
            dropped.push(h.name.clone());
            return false;
        }
        seen.push(text);
        true
    });
    model.not_handlers.extend(dropped);
}
