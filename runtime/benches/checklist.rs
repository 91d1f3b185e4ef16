//! The cost of recording one branch hit (crate feature `checklist`): what every branch of
//! generated code pays in checklist builds. Compare with the dispatch benchmark's time per
//! message (tests/benches/dispatch.rs) times the branches one message passes (2 to 6).
//!
//! `cargo bench -p duract --features checklist --bench checklist`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use duract::checklist;

fn hits(c: &mut Criterion) {
    let mut group = c.benchmark_group("checklist");
    group.bench_function("hit (known id, same test)", |b| {
        checklist::hit("bench/route");
        b.iter(|| checklist::hit(black_box("bench/route")));
    });
    group.bench_function("hit_in (gateway id built at run time)", |b| {
        b.iter(|| checklist::hit_in(black_box("bench"), black_box("!unknown_type")));
    });
    group.finish();
}

criterion_group!(benches, hits);
criterion_main!(benches);
