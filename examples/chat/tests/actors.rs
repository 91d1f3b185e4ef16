//! The crate's actors, for the `duract` command: `duract check` compares wrangler.toml with
//! them and `duract checklist` writes their branch table. List every actor of the crate here.

use duract::{ActorInfo, Target};
use duract_example_chat::{Room, Session, User};

/// Every actor of the crate.
const ACTORS: &[&ActorInfo] = &[Session::INFO, Room::INFO, User::INFO];

/// Writes the actors and their branch table for the `duract` command when it runs this test
/// (`duract::checklist::export_actors`); does nothing otherwise.
#[test]
fn duract_actors() {
    duract::checklist::export_actors(ACTORS).unwrap();
}
