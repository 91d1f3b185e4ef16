//! The expansion snapshot: `tests/expand/<name>.rs` run through the expand functions (no
//! compiler involved) must print as `tests/expand/<name>.expanded.rs`. Set
//! `DURACT_BLESS=1` to rewrite the snapshot after an intended change, then review the diff.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::ToTokens;
use std::path::PathBuf;

/// Expands every `#[message]`, `#[payload]`, `#[actor]` and `#[route]` item of a file.
fn expand_file(source: &str) -> String {
    let file = syn::parse_file(source).expect("the snapshot input parses");
    let mut out = TokenStream::new();
    for mut item in file.items {
        let attrs = match &mut item {
            syn::Item::Struct(s) => &mut s.attrs,
            syn::Item::Enum(e) => &mut e.attrs,
            syn::Item::Impl(i) => &mut i.attrs,
            _ => {
                item.to_tokens(&mut out);
                continue;
            }
        };
        let Some(at) = attrs.iter().position(|a| {
            ["message", "payload", "actor", "route"]
                .iter()
                .any(|m| a.path().is_ident(m))
        }) else {
            item.to_tokens(&mut out);
            continue;
        };
        let attr = attrs.remove(at);
        let args = match &attr.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            _ => TokenStream::new(),
        };
        let name = attr
            .path()
            .get_ident()
            .map(|i| i.to_string())
            .unwrap_or_default();
        let item = item.into_token_stream();
        out.extend(match name.as_str() {
            "message" => crate::message::expand(crate::message::Which::Message, args, item),
            "payload" => crate::message::expand(crate::message::Which::Payload, args, item),
            "actor" => crate::actor::expand(args, item),
            _ => crate::route::expand(args, item),
        });
    }
    pretty(out)
}

/// Token text with a line break after `;`, `,` at block level and around braces, indented.
pub fn pretty(tokens: TokenStream) -> String {
    let mut out = String::new();
    write_tokens(tokens, 0, &mut out);
    let lines: Vec<&str> = out
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    lines.join("\n") + "\n"
}

fn newline(depth: usize, out: &mut String) {
    out.push('\n');
    out.push_str(&"    ".repeat(depth));
}

fn is_punct(tree: Option<&TokenTree>, c: char) -> bool {
    matches!(tree, Some(TokenTree::Punct(p)) if p.as_char() == c)
}

/// Whether a `::` after `prev` starts a path (`= ::duract`) rather than continues one.
fn path_start(prev: Option<&TokenTree>, out_arrow: bool) -> bool {
    const KEYWORDS: [&str; 9] = [
        "in", "as", "dyn", "mut", "for", "impl", "return", "let", "const",
    ];
    match prev {
        Some(TokenTree::Ident(i)) => KEYWORDS.contains(&i.to_string().as_str()),
        Some(TokenTree::Punct(p)) => match p.as_char() {
            ':' => p.spacing() == Spacing::Alone,
            '>' => out_arrow,
            '<' => false,
            _ => true,
        },
        _ => true,
    }
}

/// Whether a space goes between the text written so far and `tree`.
fn space_before(out: &str, prev: Option<&TokenTree>, tree: &TokenTree) -> bool {
    if out.is_empty()
        || out.ends_with(['\n', ' ', '(', '[', '.', '#', '&', '<', '\''])
        || out.ends_with("::")
    {
        return false;
    }
    if matches!(prev, Some(TokenTree::Punct(p)) if p.spacing() == Spacing::Joint && p.as_char() != '\'')
    {
        return false;
    }
    match tree {
        TokenTree::Punct(p) => match p.as_char() {
            ',' | ';' | '.' | '?' | '!' | '>' => false,
            ':' => p.spacing() == Spacing::Joint && path_start(prev, out.ends_with("->")),
            '<' => !matches!(prev, Some(TokenTree::Ident(_))),
            _ => true,
        },
        TokenTree::Group(g) => match g.delimiter() {
            Delimiter::Parenthesis | Delimiter::Bracket => {
                !matches!(prev, Some(TokenTree::Ident(_)))
                    && !is_punct(prev, '!')
                    && !is_punct(prev, '>')
                    || matches!(prev, Some(TokenTree::Ident(i)) if ["in", "for", "if", "match", "return"].contains(&i.to_string().as_str()))
            }
            _ => true,
        },
        _ => !out.ends_with('!') || out.ends_with(" !"),
    }
}

fn write_tokens(tokens: TokenStream, depth: usize, out: &mut String) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| trees.get(p));
        if space_before(out, prev, tree) {
            out.push(' ');
        }
        match tree {
            TokenTree::Group(g) => match g.delimiter() {
                Delimiter::Brace => {
                    out.push('{');
                    newline(depth + 1, out);
                    write_tokens(g.stream(), depth + 1, out);
                    newline(depth, out);
                    out.push('}');
                    if !is_punct(trees.get(i + 1), ',') && !is_punct(trees.get(i + 1), ';') {
                        newline(depth, out);
                    }
                }
                Delimiter::Parenthesis => {
                    out.push('(');
                    write_tokens(g.stream(), depth, out);
                    out.push(')');
                }
                Delimiter::Bracket => {
                    out.push('[');
                    write_tokens(g.stream(), depth, out);
                    out.push(']');
                    if is_punct(prev, '#') {
                        newline(depth, out);
                    }
                }
                Delimiter::None => write_tokens(g.stream(), depth, out),
            },
            TokenTree::Punct(p) => {
                out.push(p.as_char());
                let block_comma = p.as_char() == ',' && out.ends_with("},");
                if p.as_char() == ';' || block_comma {
                    newline(depth, out);
                }
            }
            other => out.push_str(&other.to_string()),
        }
    }
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/expand")
}

#[test]
fn coordinator_expansion_matches_snapshot() {
    check("coordinator");
}

#[test]
fn gateway_expansion_matches_snapshot() {
    check("gateway");
}

fn check(name: &str) {
    let input = std::fs::read_to_string(dir().join(format!("{name}.rs"))).expect("input");
    let actual = expand_file(&input);
    let path = dir().join(format!("{name}.expanded.rs"));
    if std::env::var_os("DURACT_BLESS").is_some() {
        std::fs::write(&path, &actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "expansion of tests/expand/{name}.rs changed; rerun with DURACT_BLESS=1 and review.\n--- actual ---\n{actual}"
    );
}
