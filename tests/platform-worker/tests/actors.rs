//! The crate's actors, for the `duract` command: `duract check` compares wrangler.toml with
//! them and `duract checklist` writes their branch table. List every actor of the crate here.

use duract::{ActorInfo, Target};
use duract_platform_worker::{Notes, Session};

/// Every actor of the crate.
const ACTORS: &[&ActorInfo] = &[Session::INFO, Notes::INFO];

/// Writes the actors and their branch table where `DURACT_ACTORS_OUT` says (the command sets
/// it); does nothing otherwise.
#[test]
fn duract_actors() {
    let Some(path) = std::env::var_os("DURACT_ACTORS_OUT") else {
        return;
    };
    let actor = |a: &ActorInfo| serde_json::json!({ "kind": a.kind, "class": a.class, "binding": a.binding });
    let actors: Vec<_> = ACTORS
        .iter()
        .map(|a| {
            let mut json = actor(a);
            let forwards = a.gateway.map_or(&[][..], |g| g.forwards);
            json["forwards"] = forwards.iter().map(|f| actor(f.target)).collect();
            json
        })
        .collect();
    let table = duract::checklist::table_json(ACTORS);
    let out = serde_json::json!({ "actors": actors, "table": table });
    std::fs::write(path, out.to_string()).unwrap();
}
