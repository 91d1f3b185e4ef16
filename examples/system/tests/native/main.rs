//! The example system on the native host, in the seven categories of the seed's methodology.
//! Every request has a unique id and every reply is found by its `replyTo`.

mod common;

mod connection;
mod dashboard;
mod direct_calls;
mod edge_cases;
mod fuzz;
mod persistence;
mod protocol;
mod revision3;
mod routing;
mod simulation;
mod variations;
mod workflows;
