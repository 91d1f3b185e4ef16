//! The design's rules that the compiler does not check, checked on the source tree: the
//! modules of the runtime, the macros, the checklist and the command import each other without
//! cycles (the README's module map is a layering), and no function of theirs or of the Rust
//! client's is over 60 lines (tests aside).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The longest a function may be, in lines from its `fn` to its closing brace.
const MAX_FN_LINES: usize = 60;

/// The crates whose functions are held to [`MAX_FN_LINES`]: everything a user runs.
const CRATES: [&str; 5] = ["runtime", "macros", "checklist", "cli", "clients/rust"];

fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
        .join("src")
}

/// Every `.rs` file under `dir`, in a stable order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The source with comments, strings and character literals blanked out (newlines kept), so
/// that braces and paths in them count for nothing.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    while i < chars.len() {
        let (c, next) = (chars[i], chars.get(i + 1).copied());
        let after_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        let end = if c == '/' && next == Some('/') {
            (i..chars.len())
                .find(|&j| chars[j] == '\n')
                .unwrap_or(chars.len())
        } else if c == '/' && next == Some('*') {
            (i + 2..chars.len())
                .find(|&j| chars[j - 1] == '*' && chars[j] == '/')
                .map_or(chars.len(), |j| j + 1)
        } else if c == 'r' && !after_ident && matches!(next, Some('"' | '#')) {
            raw_string_end(&chars, i + 1).unwrap_or(i + 1)
        } else if c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            j + 1
        } else if c == '\'' && next == Some('\\') {
            (i + 2..chars.len())
                .find(|&j| chars[j] == '\'')
                .map_or(chars.len(), |j| j + 1)
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            i + 3
        } else {
            i + 1
        };
        let end = end.min(chars.len());
        if end == i + 1 {
            out.push(c);
        } else {
            chars[i..end].iter().for_each(|&c| blank(&mut out, c));
        }
        i = end;
    }
    out
}

/// Where a raw string whose `#`s or quote start at `at` ends; `None` when it is no raw string.
fn raw_string_end(chars: &[char], at: usize) -> Option<usize> {
    let hashes = chars[at..].iter().take_while(|&&c| c == '#').count();
    if chars.get(at + hashes) != Some(&'"') {
        return None;
    }
    let mut j = at + hashes + 1;
    while j < chars.len() {
        if chars[j] == '"'
            && chars[j + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == '#')
                .count()
                == hashes
        {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(chars.len())
}

/// The code with its `#[cfg(test)]` items (test modules) removed.
fn without_tests(code: &str) -> String {
    let mut out = code.to_owned();
    while let Some(at) = out.find("#[cfg(test)]") {
        let Some(open) = out[at..].find('{').map(|o| at + o) else {
            break;
        };
        let close = matching_brace(&out, open).unwrap_or(out.len() - 1);
        let lines = out[at..=close].matches('\n').count();
        out.replace_range(at..=close, &"\n".repeat(lines));
    }
    out
}

fn matching_brace(code: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in code.bytes().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Each function of `code` with a body: its name, first line and length in lines.
fn functions(code: &str) -> Vec<(String, usize, usize)> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let mut from = 0;
    while let Some(at) = code[from..].find("fn ").map(|o| from + o) {
        from = at + 3;
        if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
            continue;
        }
        let name: String = code[from..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let Some(stop) = code[from..].find(['{', ';']).map(|o| from + o) else {
            break;
        };
        if name.is_empty() || bytes[stop] == b';' {
            continue;
        }
        let Some(close) = matching_brace(code, stop) else {
            continue;
        };
        let line = code[..at].matches('\n').count() + 1;
        found.push((name, line, code[at..=close].matches('\n').count() + 1));
    }
    found
}

#[test]
fn no_function_is_over_60_lines() {
    let mut long = Vec::new();
    for krate in CRATES {
        for file in rust_files(&crate_src(krate)) {
            if file.file_name().is_some_and(|n| n == "tests.rs") {
                continue;
            }
            let code = without_tests(&code_only(&fs::read_to_string(&file).unwrap()));
            for (name, line, lines) in functions(&code) {
                if lines > MAX_FN_LINES {
                    long.push(format!("{}:{line} `{name}`: {lines} lines", file.display()));
                }
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FN_LINES} lines:\n{}",
        long.join("\n")
    );
}

/// The crate's top-level modules (files and folders beside `lib.rs`).
fn top_modules(src: &Path) -> BTreeSet<String> {
    let names = fs::read_dir(src).unwrap().map(|e| e.unwrap().path());
    names
        .filter(|p| p.file_stem().is_some_and(|s| s != "lib" && s != "main"))
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_owned()))
        .collect()
}

/// What the names `lib.rs` imports stand for: `use a::{b, c}` maps `b` and `c` to `a`.
fn lib_aliases(lib: &str) -> BTreeMap<String, String> {
    let mut aliases = BTreeMap::new();
    for item in lib.split(';') {
        let Some(path) = item
            .trim()
            .strip_prefix("pub use ")
            .or_else(|| item.trim().strip_prefix("use "))
        else {
            continue;
        };
        let Some((head, rest)) = path.split_once("::") else {
            continue;
        };
        let names = rest.rsplit("::").next().unwrap_or(rest);
        for name in names
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|n| !n.is_empty())
        {
            aliases
                .entry(name.to_owned())
                .or_insert_with(|| head.trim().to_owned());
        }
    }
    aliases
}

/// The top-level module that `crate::<name>` is in, following `lib.rs`'s imports.
fn resolve(
    name: &str,
    modules: &BTreeSet<String>,
    aliases: &BTreeMap<String, String>,
) -> Option<String> {
    let mut name = name.to_owned();
    for _ in 0..8 {
        if modules.contains(&name) {
            return Some(name);
        }
        name = aliases.get(&name)?.clone();
    }
    None
}

/// Which top-level modules each top-level module of the crate at `src` uses (tests aside).
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let modules = top_modules(src);
    let root = ["lib.rs", "main.rs"]
        .map(|f| src.join(f))
        .into_iter()
        .find(|p| p.exists());
    let lib = code_only(&fs::read_to_string(root.expect("a crate root")).unwrap());
    let aliases = lib_aliases(&without_tests(&lib));
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(src) {
        let top = file.strip_prefix(src).unwrap().components().next().unwrap();
        let top = Path::new(top.as_os_str())
            .file_stem()
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        if top == "lib" || top == "main" {
            continue;
        }
        let code = without_tests(&code_only(&fs::read_to_string(&file).unwrap()));
        for (at, _) in code.match_indices("crate::") {
            let name: String = code[at + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if let Some(used) = resolve(&name, &modules, &aliases).filter(|m| *m != top) {
                graph.entry(top.clone()).or_default().insert(used);
            }
        }
    }
    graph
}

/// A cycle of `graph`, if it has one (depth first, in a stable order).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if !done.insert(node.to_owned()) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_crates_modules_import_each_other_without_cycles() {
    for krate in ["runtime", "macros", "checklist", "cli"] {
        let graph = module_graph(&crate_src(krate));
        assert!(
            graph.len() > 3,
            "{krate}: the module graph was not read: {graph:?}"
        );
        if let Some(cycle) = find_cycle(&graph) {
            panic!(
                "{krate}: modules import each other in a cycle: {}",
                cycle.join(" -> ")
            );
        }
    }
}

#[test]
fn the_checks_see_what_they_check() {
    let code = code_only(
        "fn a() { let s = \"{\"; let c = '{'; // {\n let r = r#\"}\"#; }\nfn b<'a>(x: &'a str) {}",
    );
    let found = functions(&code);
    assert_eq!(found, [("a".to_owned(), 1, 2), ("b".to_owned(), 3, 1)]);
    let graph = BTreeMap::from([
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]);
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
    let tested = without_tests("fn x() {}\n#[cfg(test)]\nmod tests {\n fn y() {}\n}\n");
    assert_eq!(functions(&tested).len(), 1);
}
