//! The counter's tests. With the feature `drop-assertion`, the refusal's test asserts nothing:
//! it still hits every branch, so the hit checklist passes, but the kill matrix shows that no
//! test notices the refusal broken (`scripts/mutants-demo`).

use duract::native::Host;
use duract_mutants_demo::{Add, Counter};

#[test]
fn adding_returns_the_total() {
    let host = Host::new().with::<Counter>();
    let client = host.client("client:ui").unwrap();
    let counter = client.actor::<Counter>("c");
    assert_eq!(counter.ask(&Add { by: 2 }).unwrap().value, 2);
    assert_eq!(counter.ask(&Add { by: 3 }).unwrap().value, 5);
}

#[test]
fn a_negative_amount_is_refused() {
    let host = Host::new().with::<Counter>();
    let client = host.client("client:ui").unwrap();
    let counter = client.actor::<Counter>("c");
    let refused = counter.ask(&Add { by: -1 });
    #[cfg(not(feature = "drop-assertion"))]
    assert_eq!(refused.map(|t| t.value).unwrap_err().code(), "negative");
    #[cfg(feature = "drop-assertion")]
    let _ = refused;
}
