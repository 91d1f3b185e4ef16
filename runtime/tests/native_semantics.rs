//! The native host's turn semantics: ordering, isolation, activation, restart, faults,
//! the step bound and ask cycles.

mod native_common;

use duract::native::{assert_error_code, reply_payload, HostError};
use duract::Storage;
use native_common::{
    host, state, AddThenFail, Append, AskPeer, Background, PingSelf, Remind, Schedule, Tell,
};

#[test]
fn one_instance_handles_messages_one_at_a_time_in_arrival_order() {
    let host = host();
    let client = host.client("client:test").unwrap();
    let mut ids = Vec::new();
    for i in 0..20 {
        // Interleave two instances; each `append` yields mid-turn.
        for who in ["counter:a", "counter:b"] {
            let env = client.message(who, &Append(format!("{who}/{i}"))).unwrap();
            ids.push((who, i, env.id.clone()));
            host.deliver(env).unwrap();
        }
    }
    host.run_until_idle().unwrap();
    for who in ["counter:a", "counter:b"] {
        let expected: Vec<String> = (0..20).map(|i| format!("{who}/{i}")).collect();
        assert_eq!(state(&host, who).log, expected);
    }
    // Each reply (picked by replyTo) saw exactly the messages before it.
    for (_, i, id) in ids {
        let reply = host.reply_to(&id).expect("every request got its reply");
        assert_eq!(reply_payload::<usize>(&reply).unwrap(), i + 1);
    }
}

#[test]
fn instances_are_isolated_in_state_storage_and_faults() {
    let host = host();
    let client = host.client("client:test").unwrap();
    client.ask_raw("counter:a", "add", &5).unwrap();
    host.fail_next_writes("counter:a", 1).unwrap();
    let b = client.ask_raw("counter:b", "add", &1).unwrap();
    assert_eq!(
        reply_payload::<u64>(&b).unwrap(),
        1,
        "a's fault does not touch b"
    );
    assert_eq!(state(&host, "counter:a").count, 5);
    assert_eq!(
        host.storage("counter:b")
            .unwrap()
            .field::<u64>("count")
            .unwrap(),
        Some(1)
    );
    assert_eq!(host.activations("counter:a"), 1);
    assert_eq!(host.activations("counter:b"), 1);
}

#[test]
fn activation_loads_the_stored_state() {
    let host = host();
    let storage = host.storage_of("counter:x").unwrap();
    duract::block_on(storage.put("f/count", "41".into())).unwrap();
    duract::block_on(storage.put("f/log", r#"["old"]"#.into())).unwrap();
    assert!(!host.is_active("counter:x"));
    let client = host.client("client:test").unwrap();
    let reply = client.ask_raw("counter:x", "add", &1).unwrap();
    assert_eq!(reply_payload::<u64>(&reply).unwrap(), 42);
    assert!(host.is_active("counter:x"));
    assert_eq!(state(&host, "counter:x").log, ["old"]);
}

#[test]
fn restart_drops_memory_and_reloads_from_storage() {
    let host = host();
    let client = host.client("client:test").unwrap();
    client.ask("counter:a", &Append("one".into())).unwrap();
    client.ask_raw("counter:a", "add", &7).unwrap();
    host.restart("counter:a").unwrap();
    assert!(!host.is_active("counter:a"));
    assert_eq!(
        state(&host, "counter:a"),
        native_common::State {
            count: 7,
            log: vec!["one".into()]
        }
    );
    assert_eq!(host.activations("counter:a"), 2);
    client.ask_raw("counter:b", "add", &1).unwrap();
    host.restart_all();
    assert!(!host.is_active("counter:a") && !host.is_active("counter:b"));
    assert_eq!(state(&host, "counter:b").count, 1);
}

#[test]
fn a_failed_save_is_not_applied_and_the_caller_gets_actor_error() {
    let host = host();
    let client = host.client("client:test").unwrap();
    client.ask_raw("counter:a", "add", &10).unwrap();
    host.fail_next_writes("counter:a", 1).unwrap();
    let failed = client.ask_raw("counter:a", "add", &5).unwrap();
    assert_error_code(&failed, "actor_error");
    // Storage kept the last good state, and memory was dropped, not kept at 15.
    let stored = host.storage("counter:a").unwrap();
    assert_eq!(stored.field::<u64>("count").unwrap(), Some(10));
    let next = client.ask_raw("counter:a", "add", &1).unwrap();
    assert_eq!(reply_payload::<u64>(&next).unwrap(), 11);
    assert_eq!(host.storage_of("counter:a").unwrap().failed_writes(), 1);
}

#[test]
fn every_write_after_n_fails_until_the_faults_are_cleared() {
    let host = host();
    let client = host.client("client:test").unwrap();
    host.fail_writes_after("counter:a", 1).unwrap();
    let ok = client.ask_raw("counter:a", "add", &1).unwrap();
    assert_eq!(reply_payload::<u64>(&ok).unwrap(), 1);
    for _ in 0..3 {
        assert_error_code(
            &client.ask_raw("counter:a", "add", &1).unwrap(),
            "actor_error",
        );
    }
    host.clear_faults("counter:a").unwrap();
    let ok = client.ask_raw("counter:a", "add", &1).unwrap();
    assert_eq!(reply_payload::<u64>(&ok).unwrap(), 2);
}

#[test]
fn handler_errors_keep_their_code_and_unknown_types_are_unknown_type() {
    let host = host();
    let client = host.client("client:test").unwrap();
    assert_error_code(&client.ask_raw("counter:a", "fail", &()).unwrap(), "nope");
    assert_error_code(
        &client.ask_raw("counter:a", "nope", &()).unwrap(),
        "unknown_type",
    );
    assert_error_code(
        &client.ask_raw("counter:a", "add", &"x").unwrap(),
        "invalid_payload",
    );
    assert!(matches!(
        client.ask_raw("ghost:a", "add", &1),
        Err(HostError::UnknownKind { .. })
    ));
}

#[test]
fn a_livelock_fails_with_the_step_bound() {
    let host = host().step_bound(500);
    let client = host.client("client:test").unwrap();
    host.send(client.message("counter:a", &PingSelf).unwrap())
        .unwrap();
    let err = host.run_until_idle().unwrap_err();
    assert_eq!(err, HostError::StepBound { bound: 500 });
    assert!(err.to_string().contains("500"), "{err}");
}

#[test]
fn an_ask_cycle_ends_in_timeout_on_the_virtual_clock() {
    let host = host().ask_timeout_ms(5_000);
    let start = host.now();
    let client = host.client("client:test").unwrap();
    // a asks b, b asks a back while a's turn waits for b: a's turn gate is held.
    let reply = client
        .ask(
            "counter:a",
            &AskPeer {
                peer: "b".into(),
                hops: 2,
            },
        )
        .unwrap();
    assert_error_code(&reply, "timeout");
    assert_eq!(
        host.now() - start,
        5_000,
        "the deadline fired at its virtual time"
    );
    // Both instances work afterwards.
    let ok = client
        .ask(
            "counter:b",
            &AskPeer {
                peer: "a".into(),
                hops: 1,
            },
        )
        .unwrap();
    assert_eq!(reply_payload::<String>(&ok).unwrap(), "reached counter:a");
}

#[test]
fn sends_and_background_work_run_as_tasks_until_idle() {
    let host = host();
    let client = host.client("client:test").unwrap();
    let tell = Tell {
        peer: "b".into(),
        text: "told".into(),
    };
    client.ask_raw("counter:a", "tell", &tell).unwrap();
    let bg = Background {
        peer: "c".into(),
        text: "later".into(),
    };
    client.ask_raw("counter:a", "background", &bg).unwrap();
    assert_eq!(state(&host, "counter:b").log, ["told"]);
    assert_eq!(state(&host, "counter:c").log, ["later"]);
}

#[test]
fn wait_until_steps_to_a_condition_and_fails_when_idle() {
    let host = host();
    let client = host.client("client:test").unwrap();
    let env = client.message("counter:a", &Append("x".into())).unwrap();
    let id = env.id.clone();
    host.deliver(env).unwrap();
    let steps = host.wait_until(|h| h.reply_to(&id).is_some()).unwrap();
    assert!(steps >= 1);
    let err = host
        .wait_until(|h| h.reply_to("never").is_some())
        .unwrap_err();
    assert!(matches!(err, HostError::ConditionNotMet { .. }), "{err}");
}

#[test]
fn a_failed_turn_applies_none_of_its_writes_not_even_its_timer() {
    let host = host();
    let client = host.client("client:test").unwrap();
    client.ask_raw("counter:a", "add", &1).unwrap();
    // The turn's one write (its timer and its count) fails: neither is stored.
    host.fail_next_writes("counter:a", 1).unwrap();
    let remind = Remind(Schedule {
        delay_ms: 100,
        tag: "lost".into(),
    });
    assert_error_code(&client.ask("counter:a", &remind).unwrap(), "actor_error");
    host.clear_faults("counter:a").unwrap();
    let stored = host.storage("counter:a").unwrap();
    assert!(stored.timers().is_empty(), "{:?}", stored.entries());
    assert_eq!(stored.field::<u64>("count").unwrap(), Some(1));
    assert_eq!(host.alarm("counter:a"), None, "re-armed from storage");
    host.advance(1_000).unwrap();
    assert_eq!(
        state(&host, "counter:a"),
        native_common::State {
            count: 1,
            log: vec![]
        }
    );
    // The next turn works, from the stored state.
    let ok = client.ask("counter:a", &remind).unwrap();
    assert!(reply_payload::<String>(&ok).is_ok(), "{:?}", ok.payload);
    assert_eq!(state(&host, "counter:a").count, 2);
}

#[test]
fn a_handler_error_rolls_back_the_state_and_drops_the_sends_and_timers() {
    let host = host();
    let client = host.client("client:test").unwrap();
    client.ask_raw("counter:a", "add", &1).unwrap();
    let failed = client.ask("counter:a", &AddThenFail(5)).unwrap();
    assert_error_code(&failed, "nope");
    host.advance(1_000).unwrap();
    assert_eq!(state(&host, "counter:a").count, 1, "in memory too");
    assert!(
        state(&host, "counter:journal").log.is_empty(),
        "nothing sent"
    );
    let stored = host.storage("counter:a").unwrap();
    assert!(stored.timers().is_empty(), "{:?}", stored.entries());
    assert_eq!(stored.field::<u64>("count").unwrap(), Some(1));
}

#[test]
fn a_turn_whose_write_storage_would_refuse_stores_nothing_of_it() {
    let host = host();
    let client = host.client("client:test").unwrap();
    client.ask_raw("counter:a", "add", &1).unwrap();
    // The log field's value would be over MAX_VALUE_BYTES: the whole batch is refused.
    let huge = "x".repeat(duract::storage::MAX_VALUE_BYTES);
    let refused = client.ask("counter:a", &Append(huge)).unwrap();
    assert_error_code(&refused, "actor_error");
    let stored = host.storage("counter:a").unwrap();
    let log = stored.field::<Vec<String>>("log").unwrap();
    assert!(log.unwrap_or_default().is_empty());
    assert!(
        state(&host, "counter:a").log.is_empty(),
        "reloaded from storage"
    );
    assert_eq!(
        client
            .ask_raw("counter:a", "add", &1)
            .map(|r| r.payload.get().to_owned())
            .unwrap(),
        "2"
    );
}
