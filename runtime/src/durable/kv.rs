//! [`KvStore`] over a Workers KV binding (`worker::kv::KvStore`).

use crate::error::Error;
use crate::future::LocalBoxFuture;
use crate::platform::KvStore;
use worker::kv::KvError;

/// A KV namespace of the worker's environment.
pub struct WorkerKv(pub worker::kv::KvStore);

fn failed(what: &str, key: &str, e: KvError) -> Error {
    Error::ActorError {
        reason: format!("KV {what} of `{key}` failed: {e}"),
    }
}

impl KvStore for WorkerKv {
    fn get(&self, key: &str) -> LocalBoxFuture<'static, Result<Option<String>, Error>> {
        let (read, key) = (self.0.get(key), key.to_owned());
        Box::pin(async move { read.text().await.map_err(|e| failed("get", &key, e)) })
    }

    fn put(&self, key: &str, value: String) -> LocalBoxFuture<'static, Result<(), Error>> {
        let write = self.0.put(key, value);
        let key = key.to_owned();
        Box::pin(async move {
            let write = write.map_err(|e| failed("put", &key, e))?;
            write.execute().await.map_err(|e| failed("put", &key, e))
        })
    }

    fn delete(&self, key: &str) -> LocalBoxFuture<'static, Result<(), Error>> {
        let (store, key) = (self.0.clone(), key.to_owned());
        Box::pin(async move {
            store
                .delete(&key)
                .await
                .map_err(|e| failed("delete", &key, e))
        })
    }

    fn list(
        &self,
        prefix: &str,
        limit: usize,
    ) -> LocalBoxFuture<'static, Result<Vec<String>, Error>> {
        let list = self.0.list().prefix(prefix.to_owned()).limit(limit as u64);
        let prefix = prefix.to_owned();
        Box::pin(async move {
            let listed = list
                .execute()
                .await
                .map_err(|e| failed("list", &prefix, e))?;
            Ok(listed.keys.into_iter().map(|k| k.name).collect())
        })
    }
}
