//! The one boxed-future type of duract: local (no `Send`), since Durable Objects run
//! single-threaded wasm.

use core::future::Future;
use core::pin::Pin;

/// A boxed future that need not be `Send`.
pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;
