//! Activation: an actor's state loaded from storage, an older store migrated first (see
//! [`persist::Migration`](crate::persist::Migration)).

use crate::actor::Actor;
use crate::error::Error;
use crate::storage::migrate::{stored_version, Migration, Overlay, VERSION_KEY};
use crate::storage::persist::Saved;
use crate::storage::Storage;

/// Loads `A` from `storage`, migrating an older store first (see the module docs). The
/// migration's writes and the new version wait in the returned [`Saved`] for the first commit.
pub(crate) async fn load<A: Actor>(id: &str, storage: &dyn Storage) -> Result<(A, Saved), Error> {
    if A::VERSION <= 1 {
        return A::load(id, storage).await;
    }
    let version = A::VERSION.to_string();
    match stored_version(storage).await? {
        Some(stored) if stored == A::VERSION => A::load(id, storage).await,
        Some(stored) if stored > A::VERSION => Err(Error::ActorError {
            reason: format!(
                "{}:{id} was stored by version {stored}; this build reads up to version {}",
                A::INFO.kind,
                A::VERSION
            ),
        }),
        None => {
            // Nothing stored yet: the version is written with the first state written.
            let (actor, mut saved) = A::load(id, storage).await?;
            saved.stamp(VERSION_KEY, version);
            Ok((actor, saved))
        }
        Some(from) => {
            let overlay = Overlay::new(storage);
            A::migrate(from, &mut Migration::over(&overlay)).await?;
            overlay.stage(VERSION_KEY.to_owned(), Some(version));
            let (actor, mut saved) = A::load(id, &overlay).await?;
            saved.stage_before(overlay.into_batch());
            Ok((actor, saved))
        }
    }
}
