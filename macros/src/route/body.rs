//! The branches inside a handler's body: each `if` (its `then`, and its `else`, implicit or
//! not), each `match` arm, each early `return`. Metadata only: ids, kinds, labels, lines.
//!
//! Ids are built from the code, not from positions, so an unrelated edit elsewhere in the
//! handler does not renumber them: `if:<condition>`, `else:<condition>`,
//! `match:<scrutinee>/<pattern>[ if <guard>]`, `return:<expression>` (whitespace removed,
//! long texts shortened); a repeated text gets `#2`, `#3`, ... Closures and nested items are
//! not the handler's own control flow: their returns are not early returns of the handler.

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};

/// One branch found in a body.
pub struct BodyBranch {
    /// The id after `<kind>/<wire type>/`.
    pub suffix: String,
    /// The `BranchKind` variant.
    pub kind: &'static str,
    pub label: String,
    pub span: Span,
}

/// The branches of `block`, in source order.
pub fn branches(block: &syn::Block) -> Vec<BodyBranch> {
    let mut finder = Finder {
        out: Vec::new(),
        closures: 0,
    };
    finder.visit_block(block);
    dedup(finder.out)
}

struct Finder {
    out: Vec<BodyBranch>,
    /// How many closures or async blocks enclose the current expression.
    closures: usize,
}

const MAX_TEXT: usize = 60;

/// Token text without whitespace (outside string literals), shortened to [`MAX_TEXT`]
/// characters.
fn text<T: ToTokens>(tokens: &T) -> String {
    let mut full = String::new();
    let (mut in_string, mut escaped) = (false, false);
    for c in tokens.to_token_stream().to_string().chars() {
        if in_string {
            in_string = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if c == '"' {
            in_string = true;
        } else if c.is_whitespace() {
            continue;
        }
        full.push(c);
    }
    if full.chars().count() <= MAX_TEXT {
        return full;
    }
    let short: String = full.chars().take(MAX_TEXT).collect();
    format!("{short}..")
}

impl Finder {
    fn push(&mut self, suffix: String, kind: &'static str, label: String, span: Span) {
        self.out.push(BodyBranch {
            suffix,
            kind,
            label,
            span,
        });
    }
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_expr_if(&mut self, e: &'ast syn::ExprIf) {
        let cond = text(&e.cond);
        self.push(
            format!("if:{cond}"),
            "IfThen",
            format!("if {cond}"),
            e.if_token.span,
        );
        match &e.else_branch {
            // `else if`: the else is the nested `if`'s own branches.
            Some((_, next)) if matches!(**next, syn::Expr::If(_)) => {}
            Some((else_token, _)) => self.push(
                format!("else:{cond}"),
                "IfElse",
                format!("else of if {cond}"),
                else_token.span,
            ),
            None => self.push(
                format!("else:{cond}"),
                "IfElse",
                format!("implicit else of if {cond}"),
                e.if_token.span,
            ),
        }
        visit::visit_expr_if(self, e);
    }

    fn visit_expr_match(&mut self, e: &'ast syn::ExprMatch) {
        let scrutinee = text(&e.expr);
        for arm in &e.arms {
            let mut pattern = text(&arm.pat);
            if let Some((_, guard)) = &arm.guard {
                pattern = format!("{pattern} if {}", text(guard));
            }
            self.push(
                format!("match:{scrutinee}/{pattern}"),
                "MatchArm",
                format!("match {scrutinee} => {pattern}"),
                arm.pat.span(),
            );
        }
        visit::visit_expr_match(self, e);
    }

    fn visit_expr_return(&mut self, e: &'ast syn::ExprReturn) {
        if self.closures == 0 {
            let value = e.expr.as_ref().map(text).unwrap_or_default();
            self.push(
                format!("return:{value}"),
                "EarlyReturn",
                format!("return {value}"),
                e.return_token.span,
            );
        }
        visit::visit_expr_return(self, e);
    }

    fn visit_expr_closure(&mut self, e: &'ast syn::ExprClosure) {
        self.closures += 1;
        visit::visit_expr_closure(self, e);
        self.closures -= 1;
    }

    fn visit_expr_async(&mut self, e: &'ast syn::ExprAsync) {
        self.closures += 1;
        visit::visit_expr_async(self, e);
        self.closures -= 1;
    }

    // Nested items (fns, impls) are not the handler's control flow.
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Appends `#2`, `#3`, ... to repeated ids.
fn dedup(mut branches: Vec<BodyBranch>) -> Vec<BodyBranch> {
    let mut seen: Vec<String> = Vec::new();
    for b in &mut branches {
        let n = seen.iter().filter(|s| **s == b.suffix).count();
        seen.push(b.suffix.clone());
        if n > 0 {
            b.suffix = format!("{}#{}", b.suffix, n + 1);
        }
    }
    branches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(body: &str) -> Vec<String> {
        let block: syn::Block = syn::parse_str(body).unwrap();
        branches(&block).into_iter().map(|b| b.suffix).collect()
    }

    #[test]
    fn ifs_matches_and_returns() {
        let found = ids(
            "{ if a.is_empty() { return Err(e); } match x { Some(v) if v > 1 => {}, None => {}, _ => {} } if b {} else if c {} else {} }",
        );
        assert_eq!(
            found,
            [
                "if:a.is_empty()",
                "else:a.is_empty()",
                "return:Err(e)",
                "match:x/Some(v) if v>1",
                "match:x/None",
                "match:x/_",
                "if:b",
                "if:c",
                "else:c",
            ]
        );
    }

    #[test]
    fn closures_do_not_return_from_the_handler_and_repeats_are_numbered() {
        let found = ids("{ let f = || { return 1; }; if a {} if a {} }");
        assert_eq!(found, ["if:a", "else:a", "if:a#2", "else:a#2"]);
        let found = ids(r#"{ if s == "a b \" c" { return "x y"; } }"#);
        assert_eq!(found[0], r#"if:s=="a b \" c""#);
        assert_eq!(found[2], r#"return:"x y""#);
    }

    #[test]
    fn ids_do_not_move_with_unrelated_edits() {
        let before = ids("{ if a {} match m { X => {} } }");
        let after = ids("{ let z = 1; if q {} if a {} match m { X => {} } }");
        assert!(before.iter().all(|id| after.contains(id)));
    }
}
