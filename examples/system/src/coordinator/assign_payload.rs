//! How an `assign_task` payload decodes: a task id string, or `{taskId, priority?,
//! requires?}`, told apart by the JSON value's type in one pass. (An untagged enum would
//! buffer the payload and build an error for every object, since it tries the string form
//! first.)

use super::AssignTask;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;

/// The decoded payload, turned into [`AssignTask`] (`#[serde(from = ..)]`).
pub struct AssignPayload(AssignTask);

impl From<AssignPayload> for AssignTask {
    fn from(payload: AssignPayload) -> AssignTask {
        payload.0
    }
}

/// The object form's fields.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskFields {
    task_id: String,
    #[serde(default)]
    priority: Option<i64>,
    #[serde(default)]
    requires: Option<String>,
}

struct PayloadVisitor;

impl<'de> Visitor<'de> for PayloadVisitor {
    type Value = AssignPayload;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a task id string or {taskId, priority?, requires?}")
    }

    fn visit_str<E: de::Error>(self, id: &str) -> Result<AssignPayload, E> {
        Ok(AssignPayload(AssignTask::Id(id.to_owned())))
    }

    fn visit_string<E: de::Error>(self, id: String) -> Result<AssignPayload, E> {
        Ok(AssignPayload(AssignTask::Id(id)))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<AssignPayload, A::Error> {
        let fields = TaskFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(AssignPayload(AssignTask::Task {
            task_id: fields.task_id,
            priority: fields.priority.unwrap_or(0),
            requires: fields.requires,
        }))
    }
}

impl<'de> Deserialize<'de> for AssignPayload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PayloadVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(json: &str) -> Result<AssignTask, String> {
        serde_json::from_str::<AssignPayload>(json)
            .map(AssignTask::from)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_string_is_a_task_id_and_an_object_a_task() {
        assert!(matches!(decode(r#""t1""#), Ok(AssignTask::Id(id)) if id == "t1"));
        let task = decode(r#"{"taskId":"t2","priority":5,"requires":"gpu","other":1}"#);
        assert!(matches!(
            task,
            Ok(AssignTask::Task { task_id, priority: 5, requires: Some(r) })
                if task_id == "t2" && r == "gpu"
        ));
        assert!(matches!(
            decode(r#"{"taskId":"t3"}"#),
            Ok(AssignTask::Task {
                priority: 0,
                requires: None,
                ..
            })
        ));
    }

    #[test]
    fn anything_else_says_what_was_expected() {
        for bad in ["5", "null", "[]", r#"{"taskId":5}"#, r#"{"priority":1}"#] {
            let Err(error) = decode(bad) else {
                panic!("{bad} decoded");
            };
            assert!(
                error.contains("task id string")
                    || error.contains("taskId")
                    || error.contains("string"),
                "{bad}: {error}"
            );
        }
    }
}
