use super::*;

#[test]
fn a_type_described_differently_by_the_two_contracts_gets_a_second_name() {
    let decoded: Map<String, Value> =
        serde_json::from_value(json!({ "Page": { "type": "object", "required": [] } })).unwrap();
    let mut encoded: Map<String, Value> = serde_json::from_value(json!({
        "Page": { "type": "object", "required": ["next"] },
        "Status": { "properties": { "page": { "$ref": "#/$defs/Page" } } },
        "Same": { "type": "string" }
    }))
    .unwrap();
    let renames = merge_names(&decoded, &mut encoded);
    assert_eq!(renames.get("Page").map(String::as_str), Some("PageOutput"));
    assert_eq!(
        Value::Object(encoded),
        json!({
            "PageOutput": { "type": "object", "required": ["next"] },
            "Status": { "properties": { "page": { "$ref": "#/$defs/PageOutput" } } },
            "Same": { "type": "string" }
        })
    );
}

#[test]
fn references_are_collected_and_relocated() {
    let mut value =
        json!({ "anyOf": [{ "$ref": "#/$defs/A" }, { "items": { "$ref": "#/$defs/B" } }] });
    let mut refs = BTreeSet::new();
    collect_refs(&value, &mut refs);
    assert_eq!(refs.into_iter().collect::<Vec<_>>(), ["A", "B"]);
    relocate_refs(&mut value, "worker.json");
    assert_eq!(
        value,
        json!({ "anyOf": [{ "$ref": "worker.json#/$defs/A" }, { "items": { "$ref": "worker.json#/$defs/B" } }] })
    );
}

#[test]
fn sync_reports_then_writes_stale_files() {
    let dir = std::env::temp_dir().join(format!("duract-schema-sync-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("old.json"), "{}").unwrap();
    let files = vec![(dir.join("a.json"), "{\"a\":1}\n".to_owned())];
    let clean = [(dir.as_path(), "json")];
    let stale = sync(&files, &clean, false).unwrap();
    assert_eq!(stale, vec![dir.join("a.json"), dir.join("old.json")]);
    assert!(sync(&files, &clean, true).unwrap().is_empty());
    assert!(sync(&files, &clean, false).unwrap().is_empty());
    assert!(!dir.join("old.json").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
