//! Envelope decode with a raw payload (duract) vs parsing the whole message into a
//! `serde_json::Value` and matching on `type` (the seed's style), at 64 B, 4 KiB and 64 KiB.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use duract::Envelope;
use serde_json::{json, Value};
use std::hint::black_box;

/// A `register_worker` frame whose payload is about `size` bytes of JSON.
fn frame(size: usize) -> String {
    let item = json!({"taskId": "task-0000", "weight": 12345, "tags": ["a", "b"]}).to_string();
    let count = (size / (item.len() + 1)).max(1);
    let items: Vec<Value> = (0..count)
        .map(|i| json!({"taskId": format!("task-{i:04}"), "weight": 12345, "tags": ["a", "b"]}))
        .collect();
    json!({
        "to": "coordinator:main", "from": "client:ui", "type": "register_worker",
        "payload": {"workerId": "w1", "items": items},
        "id": "req-1", "timestamp": 1700000000000u64
    })
    .to_string()
}

/// The seed's style: the whole frame into a `Value`, then look at `type`.
fn decode_as_value(text: &str) -> Option<usize> {
    let v: Value = serde_json::from_str(text).ok()?;
    let t = v.get("type")?.as_str()?;
    match t {
        "register_worker" => Some(v.get("payload")?.as_object()?.len()),
        _ => None,
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("envelope_decode");
    for (label, size) in [("64B", 64), ("4KiB", 4096), ("64KiB", 65536)] {
        let text = frame(size);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("raw_payload", label), &text, |b, t| {
            b.iter(|| Envelope::decode(black_box(t)).map(|e| e.message_type.len()))
        });
        group.bench_with_input(BenchmarkId::new("whole_value", label), &text, |b, t| {
            b.iter(|| decode_as_value(black_box(t)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
