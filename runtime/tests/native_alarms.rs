//! Durable timers on the virtual clock: alarms fire at their own time, in time order, across
//! instances and after restarts.

mod native_common;

use duract::native::clock::DEFAULT_EPOCH_MS;
use duract::native::{reply_payload, Host};
use native_common::{host, state, Every, ListTimers, Schedule};

fn schedule(host: &Host, address: &str, delay_ms: u64, tag: &str) -> String {
    let client = host.client("client:test").unwrap();
    let msg = Schedule {
        delay_ms,
        tag: tag.into(),
    };
    reply_payload(&client.ask(address, &msg).unwrap()).unwrap()
}

#[test]
fn alarms_fire_at_the_virtual_time_they_were_set_for() {
    let host = host();
    assert_eq!(host.now(), DEFAULT_EPOCH_MS);
    schedule(&host, "counter:a", 1000, "late");
    schedule(&host, "counter:a", 500, "early");
    assert_eq!(host.alarm("counter:a"), Some(DEFAULT_EPOCH_MS + 500));
    assert_eq!(host.storage("counter:a").unwrap().timers().len(), 2);

    host.advance(499).unwrap();
    assert!(
        state(&host, "counter:a").log.is_empty(),
        "nothing is due yet"
    );
    host.advance(1).unwrap();
    assert_eq!(state(&host, "counter:a").log, ["early@500"]);
    // One advance past both: the second fires at its own time, not at the target.
    host.advance(10_000).unwrap();
    assert_eq!(state(&host, "counter:a").log, ["early@500", "late@1000"]);
    assert_eq!(host.now(), DEFAULT_EPOCH_MS + 10_500);
    assert!(host.storage("counter:a").unwrap().timers().is_empty());
    assert_eq!(host.alarm("counter:a"), None);
}

#[test]
fn alarms_of_different_instances_fire_in_time_order() {
    let host = host();
    schedule(&host, "counter:a", 300, "a");
    schedule(&host, "counter:b", 200, "b");
    schedule(&host, "counter:c", 250, "c");
    host.advance(1_000).unwrap();
    assert_eq!(
        state(&host, "counter:journal").log,
        ["b@200", "c@250", "a@300"]
    );
}

#[test]
fn alarms_fire_after_a_restart_and_reactivate_the_instance() {
    let host = host();
    schedule(&host, "counter:a", 1000, "after-restart");
    host.restart_all();
    assert!(!host.is_active("counter:a"));
    host.advance(1000).unwrap();
    assert!(host.is_active("counter:a"));
    assert_eq!(host.activations("counter:a"), 2);
    // The tick's write went to storage: it survives one more restart.
    host.restart("counter:a").unwrap();
    assert_eq!(state(&host, "counter:a").log, ["after-restart@1000"]);
}

#[test]
fn a_zero_delay_timer_fires_in_run_until_idle() {
    let host = host();
    schedule(&host, "counter:a", 0, "now");
    host.run_until_idle().unwrap();
    assert_eq!(state(&host, "counter:a").log, ["now@0"]);
}

#[test]
fn a_failed_alarm_delivery_is_retried_later() {
    let host = host();
    schedule(&host, "counter:a", 100, "retried");
    host.fail_next_writes("counter:a", 1).unwrap();
    host.advance(100).unwrap();
    // The tick's save failed: nothing stored, the timer stays, the alarm is re-armed.
    let stored = host.storage("counter:a").unwrap();
    assert!(stored
        .field::<Vec<String>>("log")
        .unwrap()
        .unwrap_or_default()
        .is_empty());
    assert_eq!(host.storage("counter:a").unwrap().timers().len(), 1);
    let retry = host.alarm("counter:a").expect("re-armed");
    assert!(retry > host.now());
    host.advance(duract::native::ALARM_RETRY_MS).unwrap();
    let log = state(&host, "counter:a").log;
    assert_eq!(log.len(), 1);
    assert!(log[0].starts_with("retried@"), "{log:?}");
    assert!(host.storage("counter:a").unwrap().timers().is_empty());
}

#[test]
fn an_activation_re_arms_a_lost_alarm_from_the_stored_timers() {
    let host = host();
    schedule(&host, "counter:a", 500, "kept");
    host.lose_alarm("counter:a").unwrap();
    host.restart("counter:a").unwrap();
    assert_eq!(
        host.alarm("counter:a"),
        None,
        "stranded: stored but never due"
    );
    assert!(state(&host, "counter:a").log.is_empty()); // activates it
    assert_eq!(host.alarm("counter:a"), Some(DEFAULT_EPOCH_MS + 500));
    host.advance(500).unwrap();
    assert_eq!(state(&host, "counter:a").log, ["kept@500"]);
}

#[test]
fn setting_a_timer_again_replaces_it() {
    let host = host();
    schedule(&host, "counter:a", 100, "x");
    schedule(&host, "counter:a", 300, "x");
    assert_eq!(host.storage("counter:a").unwrap().timers().len(), 1);
    assert_eq!(host.alarm("counter:a"), Some(DEFAULT_EPOCH_MS + 300));
    host.advance(200).unwrap();
    assert!(state(&host, "counter:a").log.is_empty(), "the replaced one");
    host.advance(100).unwrap();
    assert_eq!(state(&host, "counter:a").log, ["x@300"]);
}

#[test]
fn a_timer_cancelled_by_an_earlier_timer_of_the_same_alarm_is_not_delivered() {
    let host = host();
    schedule(&host, "counter:a", 100, "zz");
    schedule(&host, "counter:a", 100, "cancel zz"); // sorts first: delivered first
    host.advance(100).unwrap();
    assert_eq!(state(&host, "counter:a").log, ["cancel zz@100"]);
    assert!(host.storage("counter:a").unwrap().timers().is_empty());
}

#[test]
fn a_timer_whose_handler_fails_stays_for_the_next_alarm_and_the_others_are_delivered() {
    let host = host();
    host.set_var("FAIL_FLAKY", "1");
    schedule(&host, "counter:a", 100, "flaky");
    schedule(&host, "counter:a", 100, "steady");
    host.advance(100).unwrap();
    assert_eq!(state(&host, "counter:a").log, ["steady@100"]);
    let timers = host.storage("counter:a").unwrap().timers();
    assert_eq!(timers.len(), 1);
    assert_eq!(timers[0].1, "flaky");
    let retry = host.alarm("counter:a").expect("the alarm is retried");
    assert!(retry > host.now());
    host.set_var("FAIL_FLAKY", "0");
    host.advance(duract::native::ALARM_RETRY_MS).unwrap();
    assert_eq!(state(&host, "counter:a").log.len(), 2);
    assert!(host.storage("counter:a").unwrap().timers().is_empty());
}

#[test]
fn a_recurring_timer_fires_every_period_across_restarts_until_cancelled() {
    let host = host();
    let client = host.client("client:test").unwrap();
    let every = Every(Schedule {
        delay_ms: 100,
        tag: "beat".into(),
    });
    client.ask("counter:a", &every).unwrap();
    host.advance(350).unwrap();
    assert_eq!(
        state(&host, "counter:a").log,
        ["beat@100", "beat@200", "beat@300"]
    );
    host.restart("counter:a").unwrap();
    host.advance(50).unwrap();
    assert_eq!(
        state(&host, "counter:a").log.len(),
        4,
        "beat@400 after the restart"
    );
    let listed = client.ask("counter:a", &ListTimers).unwrap();
    let listed: Vec<(String, u64)> = reply_payload(&listed).unwrap();
    assert_eq!(listed, [("beat".to_owned(), DEFAULT_EPOCH_MS + 500)]);
    // A one-shot tick named "cancel beat" cancels it.
    schedule(&host, "counter:a", 10, "cancel beat");
    host.advance(1_000).unwrap();
    let log = state(&host, "counter:a").log;
    assert_eq!(log.last().map(String::as_str), Some("cancel beat@410"));
    assert!(host.storage("counter:a").unwrap().timers().is_empty());
}
