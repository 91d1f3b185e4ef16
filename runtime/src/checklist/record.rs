//! The hit recorder (crate feature `checklist` only).
//!
//! One table of counts per process (native) or per wasm instance (in workerd, shared by the
//! entry worker and every Durable Object of the isolate), behind a mutex: libtest runs tests on several threads, and
//! every thread records into the same table. Natively each hit is attributed to the current
//! test: the name of a [`test_scope`] when one is active on the thread, else the thread's name
//! (libtest names each test's thread after the test), prefixed by the test binary's name.

use super::{table_fingerprint, HitFile, Hits, HITS_FORMAT};
use crate::info::ActorInfo;
use duract_checklist::Fnv;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The variable naming the directory native test processes write their hit file into.
pub const HITS_DIR_VAR: &str = "DURACT_HITS_DIR";

/// The host this build records for: `native` or `workerd`.
pub const HOST: &str = if cfg!(target_arch = "wasm32") {
    "workerd"
} else {
    "native"
};

/// No test known for the thread.
const NO_TEST: u32 = u32::MAX;
/// The thread's test not looked up yet.
const UNKNOWN: u32 = u32::MAX - 1;

/// FNV-1a for the hit table's keys: short strings, hashed on every hit.
#[derive(Default)]
struct FnvHasher(Fnv);

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0.finish()
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }
}

type Fast = BuildHasherDefault<FnvHasher>;

/// For the `(address, length)` keys of static ids: one multiply per word (Fibonacci hashing),
/// so a hit does not hash the id's bytes.
#[derive(Default)]
struct PtrHasher(u64);

impl std::hash::Hasher for PtrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type ByAddress = BuildHasherDefault<PtrHasher>;

struct Count {
    count: u64,
    /// Indices into `Recorder::tests`, in first-hit order.
    tests: Vec<u32>,
}

impl Count {
    fn first(test: u32) -> Count {
        Count {
            count: 1,
            tests: if test == NO_TEST {
                Vec::new()
            } else {
                vec![test]
            },
        }
    }

    #[inline]
    fn add(&mut self, test: u32) {
        self.count += 1;
        if test != NO_TEST && self.tests.last() != Some(&test) && !self.tests.contains(&test) {
            self.tests.push(test);
        }
    }
}

#[derive(Default)]
struct Recorder {
    /// Hits of static ids ([`hit`], what generated code calls), by the id's address and
    /// length: the same text at two addresses is merged when the file is written.
    statics: HashMap<(usize, usize), (&'static str, Count), ByAddress>,
    /// Hits of ids built at run time ([`hit_dyn`]).
    hits: HashMap<Box<str>, Count, Fast>,
    /// Registered tables: kind -> (fingerprint, table).
    tables: BTreeMap<&'static str, (String, &'static ActorInfo)>,
    tests: Vec<String>,
    test_ids: HashMap<String, u32, Fast>,
}

static RECORDER: Mutex<Option<Recorder>> = Mutex::new(None);

fn recorder() -> MutexGuard<'static, Option<Recorder>> {
    // A test that panicked elsewhere must not lose every later hit.
    RECORDER.lock().unwrap_or_else(PoisonError::into_inner)
}

thread_local! {
    /// The thread's test, as an index into `Recorder::tests` (or NO_TEST / UNKNOWN).
    static TEST: Cell<u32> = const { Cell::new(UNKNOWN) };
    /// The names of the active [`test_scope`]s, innermost last.
    static SCOPES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

impl Recorder {
    fn intern_test(&mut self, name: Option<String>) -> u32 {
        let Some(name) = name else { return NO_TEST };
        if let Some(&i) = self.test_ids.get(&name) {
            return i;
        }
        let i = u32::try_from(self.tests.len())
            .unwrap_or(NO_TEST)
            .min(UNKNOWN - 1);
        self.tests.push(name.clone());
        self.test_ids.insert(name, i);
        i
    }

    fn record_static(&mut self, id: &'static str, test: u32) {
        let key = (id.as_ptr() as usize, id.len());
        if let Some((_, c)) = self.statics.get_mut(&key) {
            c.add(test);
            return;
        }
        self.statics.insert(key, (id, Count::first(test)));
        #[cfg(not(target_arch = "wasm32"))]
        exit::arm();
    }

    fn record(&mut self, id: &str, test: u32) {
        if let Some(c) = self.hits.get_mut(id) {
            c.add(test);
            return;
        }
        self.hits.insert(id.into(), Count::first(test));
        #[cfg(not(target_arch = "wasm32"))]
        exit::arm();
    }

    fn clear_hits(&mut self) {
        self.statics.clear();
        self.hits.clear();
    }

    /// Every hit, by id text.
    fn merged(&self) -> BTreeMap<&str, (u64, Vec<u32>)> {
        let mut out: BTreeMap<&str, (u64, Vec<u32>)> = BTreeMap::new();
        let all = self
            .statics
            .values()
            .map(|(id, c)| (*id, c))
            .chain(self.hits.iter().map(|(id, c)| (&**id, c)));
        for (id, c) in all {
            let slot = out.entry(id).or_default();
            slot.0 = slot.0.saturating_add(c.count);
            slot.1.extend_from_slice(&c.tests);
        }
        out
    }

    fn file(&self) -> HitFile {
        HitFile {
            format: HITS_FORMAT.to_owned(),
            host: HOST.to_owned(),
            source: source(),
            tables: self
                .tables
                .iter()
                .map(|(kind, (hash, _))| ((*kind).to_owned(), hash.clone()))
                .collect(),
            hits: self
                .merged()
                .into_iter()
                .map(|(id, (count, tests))| {
                    let mut tests: Vec<String> = tests
                        .iter()
                        .filter_map(|&t| self.tests.get(t as usize).cloned())
                        .collect();
                    tests.sort_unstable();
                    tests.dedup();
                    (id.to_owned(), Hits { count, tests })
                })
                .collect(),
        }
    }
}

/// The current thread's test name: the innermost [`test_scope`], else the thread's name (not
/// `main`: libtest runs every test on a thread named after it).
fn current_test_name() -> Option<String> {
    let scoped = SCOPES.with(|s| s.borrow().last().cloned());
    if scoped.is_some() {
        return scoped;
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let thread = std::thread::current();
        let name = thread.name().filter(|n| *n != "main")?;
        Some(match binary_name() {
            Some(bin) => format!("{bin}: {name}"),
            None => name.to_owned(),
        })
    }
    #[cfg(target_arch = "wasm32")]
    None
}

/// The running executable's name without cargo's `-<16 hex digits>` suffix (`native` for
/// `target/debug/deps/native-0123456789abcdef`).
#[cfg(not(target_arch = "wasm32"))]
fn binary_name() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let stem = exe.file_stem()?.to_str()?;
    Some(strip_hash(stem).to_owned())
}

#[cfg(not(target_arch = "wasm32"))]
fn strip_hash(stem: &str) -> &str {
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            name
        }
        _ => stem,
    }
}

fn source() -> String {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let bin = binary_name().unwrap_or_else(|| "process".to_owned());
        format!("{bin}-{}", std::process::id())
    }
    #[cfg(target_arch = "wasm32")]
    {
        "instance".to_owned()
    }
}

/// Records one hit of branch `id` for the current test. What the generated code calls (as
/// `::duract::__private::hit`) at the start of each branch.
#[inline]
pub fn hit(id: &'static str) {
    with_test(|rec, test| rec.record_static(id, test));
}

/// [`hit`] for an id built at run time (the gateway's branches: `<kind>/!<code>`).
pub fn hit_dyn(id: &str) {
    with_test(|rec, test| rec.record(id, test));
}

/// Runs `f` on the table with the current thread's test.
#[inline]
fn with_test(f: impl FnOnce(&mut Recorder, u32)) {
    let mut test = TEST.with(Cell::get);
    let mut guard = recorder();
    let rec = guard.get_or_insert_with(Recorder::default);
    if test == UNKNOWN {
        test = rec.intern_test(current_test_name());
        TEST.with(|t| t.set(test));
    }
    f(rec, test);
}

/// Records a hit of `<kind>/<suffix>` (the branches the gateway's `admit` and `answer` decide).
pub fn hit_in(kind: &str, suffix: &str) {
    let mut id = String::with_capacity(kind.len() + 1 + suffix.len());
    id.push_str(kind);
    id.push('/');
    id.push_str(suffix);
    hit_dyn(&id);
}

/// Records the fingerprint of an actor's branch table, so hit files say which table their
/// hits belong to. Hosts call it for each actor instance they create; call it yourself when
/// a test dispatches to an actor without a host.
pub fn register(info: &'static ActorInfo) {
    let mut guard = recorder();
    let rec = guard.get_or_insert_with(Recorder::default);
    if !rec.tables.contains_key(info.kind) {
        rec.tables
            .insert(info.kind, (table_fingerprint(info.branches), info));
        #[cfg(not(target_arch = "wasm32"))]
        exit::arm();
    }
}

/// Attributes the hits of the current thread to `name` until the guard drops (scopes nest).
/// Natively the test's thread name is used without a scope; use it for harnesses that do not
/// name threads after tests, or in the wasm build to name the end-to-end test running.
pub fn test_scope(name: impl Into<String>) -> TestScope {
    SCOPES.with(|s| s.borrow_mut().push(name.into()));
    TEST.with(|t| t.set(UNKNOWN));
    TestScope {
        _not_send: std::marker::PhantomData,
    }
}

/// The guard of [`test_scope`].
#[must_use = "the scope ends when the guard drops"]
pub struct TestScope {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for TestScope {
    fn drop(&mut self) {
        SCOPES.with(|s| s.borrow_mut().pop());
        TEST.with(|t| t.set(UNKNOWN));
    }
}

/// This process's (or instance's) hits so far, as a hit file.
pub fn snapshot() -> HitFile {
    let guard = recorder();
    match guard.as_ref() {
        Some(rec) => rec.file(),
        None => Recorder::default().file(),
    }
}

/// [`snapshot`] as JSON: what the Durable Object build hands to the end-to-end harness.
pub fn export_json() -> String {
    serde_json::to_string(&snapshot()).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// [`export_json`], then forgets the hits (registered tables stay): lets a harness collect
/// per test.
pub fn take_json() -> String {
    let mut guard = recorder();
    let rec = guard.get_or_insert_with(Recorder::default);
    let json =
        serde_json::to_string(&rec.file()).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    rec.clear_hits();
    json
}

/// Forgets every hit (registered tables stay).
pub fn reset() {
    if let Some(rec) = recorder().as_mut() {
        rec.clear_hits();
    }
}

/// How many times branch `id` was hit in this process (or instance).
pub fn count(id: &str) -> u64 {
    recorder()
        .as_ref()
        .and_then(|r| r.merged().get(id).map(|(count, _)| *count))
        .unwrap_or(0)
}

/// Writes this process's hit file into the directory `DURACT_HITS_DIR` names, as
/// `<binary>-<pid>.json` (replacing the file this process wrote before). `Ok(None)` when the
/// variable is unset or nothing was recorded. Also runs by itself when the process exits
/// (after `main` returns or `std::process::exit`, as libtest ends), once anything was recorded
/// while the variable was set.
#[cfg(not(target_arch = "wasm32"))]
pub fn write_hits() -> std::io::Result<Option<std::path::PathBuf>> {
    match std::env::var_os(HITS_DIR_VAR) {
        Some(dir) if !dir.is_empty() => write_hits_to(std::path::Path::new(&dir)),
        _ => Ok(None),
    }
}

/// [`write_hits`] into `dir` (created if missing). `Ok(None)` when nothing was recorded.
#[cfg(not(target_arch = "wasm32"))]
pub fn write_hits_to(dir: &std::path::Path) -> std::io::Result<Option<std::path::PathBuf>> {
    let file = snapshot();
    if file.hits.is_empty() && file.tables.is_empty() {
        return Ok(None);
    }
    let json = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)?;
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{}.json", file.source));
    // Write then rename: a reader never sees half a file.
    let tmp = dir.join(format!(".{}.json.tmp", file.source));
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, &path)?;
    Ok(Some(path))
}

/// Writing the hit file when the process exits.
#[cfg(not(target_arch = "wasm32"))]
mod exit {
    use std::sync::Once;

    static ARMED: Once = Once::new();

    extern "C" {
        // The C runtime's exit hooks: they run when `main` returns and on
        // `std::process::exit` (how libtest ends), on every platform std supports.
        fn atexit(callback: extern "C" fn()) -> std::os::raw::c_int;
    }

    extern "C" fn write_at_exit() {
        // A thread still running at exit might hold the table's lock: wait for it a little,
        // never forever.
        for _ in 0..100 {
            match super::RECORDER.try_lock() {
                Ok(_) | Err(std::sync::TryLockError::Poisoned(_)) => break,
                Err(std::sync::TryLockError::WouldBlock) => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
            }
        }
        if matches!(
            super::RECORDER.try_lock(),
            Err(std::sync::TryLockError::WouldBlock)
        ) {
            eprintln!("duract checklist: the hit table stayed locked at exit; no hit file written");
            return;
        }
        // Nothing may unwind out of an exit hook.
        let result = std::panic::catch_unwind(super::write_hits);
        match result {
            Ok(Err(e)) => eprintln!("duract checklist: cannot write the hit file: {e}"),
            Err(_) => eprintln!("duract checklist: writing the hit file panicked"),
            Ok(Ok(_)) => {}
        }
    }

    /// Registers the exit hook once, when `DURACT_HITS_DIR` is set.
    pub(super) fn arm() {
        ARMED.call_once(|| {
            if std::env::var_os(super::HITS_DIR_VAR).is_some_and(|d| !d.is_empty()) {
                // SAFETY: `atexit` takes a plain function pointer with no arguments; the hook
                // only touches statics (never thread-locals) and cannot unwind.
                unsafe {
                    atexit(write_at_exit);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_hash_suffixes_are_stripped() {
        assert_eq!(strip_hash("native-0123456789abcdef"), "native");
        assert_eq!(strip_hash("duract-checklist"), "duract-checklist");
        assert_eq!(strip_hash("a-b-0123456789ABCDEF"), "a-b");
    }

    #[test]
    fn hits_are_attributed_to_the_test_thread() {
        hit("unit/attributed");
        hit("unit/attributed");
        let file = snapshot();
        let hits = &file.hits["unit/attributed"];
        assert_eq!(hits.count, 2);
        assert_eq!(hits.tests.len(), 1);
        assert!(
            hits.tests[0]
                .ends_with(": checklist::record::tests::hits_are_attributed_to_the_test_thread"),
            "{:?}",
            hits.tests
        );
    }

    #[test]
    fn one_id_at_several_addresses_or_built_at_run_time_is_one_branch() {
        let elsewhere: &'static str = Box::leak("unit/merged".to_owned().into_boxed_str());
        hit("unit/merged");
        hit(elsewhere);
        hit_in("unit", "merged");
        assert_eq!(count("unit/merged"), 3);
        assert_eq!(snapshot().hits["unit/merged"].count, 3);
        assert_eq!(snapshot().hits["unit/merged"].tests.len(), 1);
    }

    #[test]
    fn scopes_override_the_thread_name_and_nest() {
        {
            let _outer = test_scope("outer");
            hit("unit/scoped");
            {
                let _inner = test_scope("inner");
                hit("unit/scoped");
            }
            hit_in("unit", "scoped");
        }
        let file = snapshot();
        assert_eq!(file.hits["unit/scoped"].count, 3);
        assert_eq!(file.hits["unit/scoped"].tests, ["inner", "outer"]);
    }

    #[test]
    fn registered_tables_carry_their_fingerprint() {
        static INFO: ActorInfo = ActorInfo {
            kind: "unit_registered",
            class: "UnitActor",
            binding: "UNIT_ACTOR",
            routes: &[],
            branches: &[],
            gateway: None,
        };
        register(&INFO);
        register(&INFO);
        assert_eq!(snapshot().tables["unit_registered"], table_fingerprint(&[]));
    }
}
