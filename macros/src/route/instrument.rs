//! The instrumentation stage of `#[route]`: the branches inside each handler's body (each
//! `if`, its `then` and its `else`, implicit or not; each `match` arm; each early `return`)
//! into the model, and in checklist builds a statement recording a hit first in each of them.
//! In mutants builds (feature `mutants`) each branch also gets its mutant, switched on at run
//! time by its id (`duract::checklist::mutant`): a plain `if`'s condition is negated where it
//! would enter the branch; a `match` arm gets a guard that refuses the value, which goes to the
//! next arm that matches (a last arm fails the turn); an `if let`'s branches and an early
//! `return` fail the turn (`mutant_abort`). Each is safe for the borrow checker wherever the
//! original compiles: no code runs on a path it did not run on before, except the other
//! branch of a plain `if` and the later arms of a `match`.
//!
//! Ids are built from the code, not from positions, so an unrelated edit elsewhere in the
//! handler does not renumber them: `if:<condition>`, `else:<condition>`,
//! `match:<scrutinee>/<pattern>[ if <guard>]`, `return:<expression>` (whitespace removed,
//! long texts shortened); a repeated text gets `#2`, `#3`, ... Closures and nested items are
//! not the handler's own control flow: their returns are not early returns of the handler.
//!
//! A branch that tests need not reach is waived in the source, with its reason:
//! `#[waive("reason")]` on an `if` (both its branches), a `match` (all arms), one match arm, or
//! a `return`; on the handler method it waives all of the handler's branches. Generated branches
//! are waived by key: `#[waive(invalid_payload = "..", handler_error = "..")]` on a handler,
//! `#[waive(unknown_type = "..")]` on the impl block (after `#[route]`). `host = "native"` or
//! `host = "workerd"` beside the reasons makes them hold on that host only. The attributes are
//! removed here, so rustc never sees them.

use super::model::{BodyBranch, RouteModel};
use super::waive::{take_waiver, Waiver};
use crate::branch::{BranchKind, Site};
use crate::errors::Errors;
use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};

/// Makes the statement that records a hit of the branch with the given id suffix
/// (checklist builds only).
pub type HitFn<'h> = &'h dyn Fn(&str) -> TokenStream;

/// Makes the id of the branch with the given suffix: a const `&str` expression.
pub type IdFn<'h> = &'h dyn Fn(&str) -> TokenStream;

/// What goes into each branch found: its hit (checklist builds) and its mutant (mutants
/// builds: the runtime crate's path and the branches' ids).
#[derive(Clone, Copy, Default)]
pub struct Probes<'h> {
    pub hit: Option<HitFn<'h>>,
    pub mutants: Option<(&'h syn::Path, IdFn<'h>)>,
}

/// Reads the branches of every handler's body into `model` (instrumenting them in checklist
/// and mutants builds) and removes the `#[waive]` attributes from the bodies of the block's
/// methods.
pub fn instrument(model: &mut RouteModel, item: &mut syn::ItemImpl, errors: &mut Errors) {
    let krate = model.krate.clone();
    let self_ty = model.self_ty.clone();
    for method in item.items.iter_mut().filter_map(|i| match i {
        syn::ImplItem::Fn(f) => Some(f),
        _ => None,
    }) {
        let name = &method.sig.ident;
        if let Some(handler) = model.handlers.iter_mut().find(|h| h.name == *name) {
            let message = handler.message.clone();
            let id = |suffix: &str| body_id(&krate, &self_ty, &message, suffix);
            let hit = |suffix: &str| crate::branch::hit_statement(&krate, id(suffix));
            let probes = Probes {
                hit: cfg!(feature = "checklist").then_some(&hit as HitFn<'_>),
                mutants: crate::branch::mutants().then_some((&krate, &id as IdFn<'_>)),
            };
            handler.body = branches(&mut method.block, probes, errors);
        } else if model.not_handlers.contains(name) {
            branches(&mut method.block, Probes::default(), errors);
        }
    }
}

/// The id of the body branch `suffix` of `message`'s handler.
fn body_id(
    krate: &syn::Path,
    self_ty: &syn::Type,
    message: &syn::Type,
    suffix: &str,
) -> TokenStream {
    let kind = quote!(<#self_ty as #krate::__private::ActorKind>::KIND);
    let wire = quote!(<#message as #krate::Message>::TYPE);
    crate::branch::id(krate, &kind, &wire, Site::Body(suffix))
}

/// The branches of `block`, in source order; removes the `#[waive]` attributes. Puts the
/// `probes` into each branch: a hit-recording statement first, then its mutant.
pub fn branches(
    block: &mut syn::Block,
    probes: Probes<'_>,
    errors: &mut Errors,
) -> Vec<BodyBranch> {
    let mut finder = Finder {
        out: Vec::new(),
        bases: Vec::new(),
        closures: 0,
        probes,
        errors,
    };
    finder.visit_block_mut(block);
    finder.out
}

struct Finder<'e, 'h> {
    out: Vec<BodyBranch>,
    /// The ids before `#n` was appended, to number repeats.
    bases: Vec<String>,
    /// How many closures or async blocks enclose the current expression.
    closures: usize,
    probes: Probes<'h>,
    errors: &'e mut Errors,
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

impl Finder<'_, '_> {
    /// Records a branch (a repeated id gets `#2`, `#3`, ...) and returns its id suffix.
    fn push(&mut self, base: String, kind: BranchKind, label: String, span: Span) -> String {
        let n = self.bases.iter().filter(|b| **b == base).count();
        let suffix = if n == 0 {
            base.clone()
        } else {
            format!("{base}#{}", n + 1)
        };
        self.bases.push(base);
        self.out.push(BodyBranch {
            suffix: suffix.clone(),
            kind,
            label,
            span,
            waiver: None,
        });
        suffix
    }

    /// The statement recording a hit of the branch `suffix` (checklist builds).
    fn hit(&self, suffix: &str) -> Option<syn::Stmt> {
        self.probes.hit.map(|hit| {
            let tokens = hit(suffix);
            syn::parse_quote!(#tokens)
        })
    }

    /// The statement failing the turn when the mutant of `suffix` is on (mutants builds).
    fn abort(&self, suffix: &str) -> Option<syn::Stmt> {
        self.probes.mutants.map(|(krate, id)| {
            let tokens = crate::branch::abort_statement(krate, id(suffix));
            syn::parse_quote!(#tokens)
        })
    }

    /// `mutant_on(<id of suffix>)` (mutants builds).
    fn mutant_on(&self, suffix: &str) -> Option<TokenStream> {
        self.probes
            .mutants
            .map(|(krate, id)| crate::branch::mutant_on(krate, id(suffix)))
    }

    /// What a plain `if`'s condition becomes in mutants builds: negated where it would enter
    /// a branch whose mutant is on.
    fn mutant_condition(
        &self,
        cond: &syn::Expr,
        then: &str,
        otherwise: Option<&str>,
    ) -> Option<syn::Expr> {
        let (krate, id) = self.probes.mutants?;
        let then = crate::branch::const_id(id(then));
        let otherwise = match otherwise {
            Some(suffix) => {
                let id = crate::branch::const_id(id(suffix));
                quote!(::core::option::Option::Some(#id))
            }
            None => quote!(::core::option::Option::None),
        };
        Some(syn::parse_quote!(#krate::__private::mutant_if(#cond, #then, #otherwise)))
    }

    fn waive_since(&mut self, from: usize, waiver: Option<Waiver>) {
        if let Some(reason) = waiver {
            for b in &mut self.out[from..] {
                b.waiver.get_or_insert_with(|| reason.clone());
            }
        }
    }
}

impl Finder<'_, '_> {
    /// The else branch of `if {cond}`, written or implicit; `None` for an `else if`, whose
    /// branches are the nested `if`'s own.
    fn else_of(&mut self, e: &syn::ExprIf, cond: &str) -> Option<String> {
        match &e.else_branch {
            Some((_, next)) if matches!(**next, syn::Expr::If(_)) => None,
            Some((else_token, _)) => Some(self.push(
                format!("else:{cond}"),
                BranchKind::IfElse,
                format!("else of if {cond}"),
                else_token.span,
            )),
            None => Some(self.push(
                format!("else:{cond}"),
                BranchKind::IfElse,
                format!("implicit else of if {cond}"),
                e.if_token.span,
            )),
        }
    }
}

/// Puts `probes` first in the else branch of `e`, writing an `else` when it has none.
fn prepend_to_else(e: &mut syn::ExprIf, probes: Vec<syn::Stmt>) {
    if probes.is_empty() {
        return;
    }
    match &mut e.else_branch {
        Some((_, expr)) => {
            let body = take_expr(expr);
            **expr = syn::parse_quote!({ #(#probes)* #body });
        }
        None => {
            e.else_branch = Some((
                syn::Token![else](e.if_token.span),
                Box::new(syn::parse_quote!({ #(#probes)* })),
            ));
        }
    }
}

impl VisitMut for Finder<'_, '_> {
    fn visit_expr_if_mut(&mut self, e: &mut syn::ExprIf) {
        let waiver = take_waiver(&mut e.attrs, self.errors);
        let from = self.out.len();
        let cond = text(&e.cond);
        // `if let` has no condition to negate: its branches' mutants fail the turn.
        let is_let = matches!(*e.cond, syn::Expr::Let(_));
        let then = self.push(
            format!("if:{cond}"),
            BranchKind::IfThen,
            format!("if {cond}"),
            e.if_token.span,
        );
        let otherwise = self.else_of(e, &cond);
        let probes = |suffix: &str| {
            let abort = if is_let { self.abort(suffix) } else { None };
            self.hit(suffix)
                .into_iter()
                .chain(abort)
                .collect::<Vec<_>>()
        };
        for (i, stmt) in probes(&then).into_iter().enumerate() {
            e.then_branch.stmts.insert(i, stmt);
        }
        let else_probes = otherwise.as_deref().map(probes).unwrap_or_default();
        prepend_to_else(e, else_probes);
        visit_mut::visit_expr_if_mut(self, e);
        if !is_let {
            if let Some(mutated) = self.mutant_condition(&e.cond, &then, otherwise.as_deref()) {
                *e.cond = mutated;
            }
        }
        // A waived `if`'s nested branches are waived with it.
        self.waive_since(from, waiver);
    }

    fn visit_expr_match_mut(&mut self, e: &mut syn::ExprMatch) {
        let waiver = take_waiver(&mut e.attrs, self.errors);
        let scrutinee = text(&e.expr);
        self.visit_expr_mut(&mut e.expr);
        for arm in &mut e.arms {
            let arm_waiver = take_waiver(&mut arm.attrs, self.errors).or_else(|| waiver.clone());
            let from = self.out.len();
            let mut pattern = text(&arm.pat);
            if let Some((_, guard)) = &arm.guard {
                pattern = format!("{pattern} if {}", text(guard));
            }
            let suffix = self.push(
                format!("match:{scrutinee}/{pattern}"),
                BranchKind::MatchArm,
                format!("match {scrutinee} => {pattern}"),
                arm.pat.span(),
            );
            if let Some(hit) = self.hit(&suffix) {
                let body = take_expr(&mut arm.body);
                *arm.body = syn::parse_quote!({ #hit #body });
                arm.comma.get_or_insert_with(Default::default);
            }
            if let Some((_, guard)) = &mut arm.guard {
                self.visit_expr_mut(guard);
            }
            self.visit_expr_mut(&mut arm.body);
            // The mutant: a guard refusing the value, which goes on to the next arms.
            if let Some(on) = self.mutant_on(&suffix) {
                let guard = match arm.guard.take() {
                    Some((_, guard)) => syn::parse_quote!((#guard) && !#on),
                    None => syn::parse_quote!(!#on),
                };
                arm.guard = Some((Default::default(), Box::new(guard)));
            }
            // A waived arm's nested branches are waived with it.
            self.waive_since(from, arm_waiver);
        }
        // Guards make no arm exhaustive: a value no later arm took fails the turn.
        if let (Some((krate, _)), false) = (self.probes.mutants, e.arms.is_empty()) {
            e.arms.push(syn::parse_quote! {
                #[allow(unreachable_patterns)]
                _ => #krate::__private::mutant_abort_active(),
            });
        }
    }

    fn visit_expr_return_mut(&mut self, e: &mut syn::ExprReturn) {
        let waiver = take_waiver(&mut e.attrs, self.errors);
        let from = self.out.len();
        if self.closures == 0 {
            let value = e.expr.as_ref().map(text).unwrap_or_default();
            let suffix = self.push(
                format!("return:{value}"),
                BranchKind::EarlyReturn,
                format!("return {value}"),
                e.return_token.span,
            );
            // Skipping a return cannot be done safely (the code before it may have moved
            // what the code after it uses): its mutant fails the turn instead.
            let probes: Vec<syn::Stmt> = self
                .hit(&suffix)
                .into_iter()
                .chain(self.abort(&suffix))
                .collect();
            if !probes.is_empty() {
                // `return { hit; value }` (or `return { hit; }`, which returns `()` as `return;`).
                let value = e.expr.take();
                e.expr = Some(Box::new(syn::parse_quote!({ #(#probes)* #value })));
            }
        }
        visit_mut::visit_expr_return_mut(self, e);
        self.waive_since(from, waiver);
    }

    fn visit_expr_closure_mut(&mut self, e: &mut syn::ExprClosure) {
        self.closures += 1;
        visit_mut::visit_expr_closure_mut(self, e);
        self.closures -= 1;
    }

    fn visit_expr_async_mut(&mut self, e: &mut syn::ExprAsync) {
        self.closures += 1;
        visit_mut::visit_expr_async_mut(self, e);
        self.closures -= 1;
    }

    // Nested items (fns, impls) are not the handler's control flow.
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// Moves an expression out, leaving an empty placeholder to overwrite.
fn take_expr(expr: &mut syn::Expr) -> syn::Expr {
    std::mem::replace(expr, syn::Expr::Verbatim(TokenStream::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_go_first_in_each_branch() {
        let mut block: syn::Block =
            syn::parse_str("{ if a { x(); } match m { X => 1, Y => { 2 } } if b { return; } }")
                .unwrap();
        let hit = |id: &str| quote::quote!(hit(#id););
        let probes = Probes {
            hit: Some(&hit),
            mutants: None,
        };
        branches(&mut block, probes, &mut Errors::new());
        let text = quote::quote!(#block).to_string();
        for expected in [
            r#"if a { hit ("if:a") ; x () ; } else { hit ("else:a") ; }"#,
            r#"X => { hit ("match:m/X") ; 1 } ,"#,
            r#"Y => { hit ("match:m/Y") ; { 2 } } ,"#,
            r#"return { hit ("return:") ; }"#,
        ] {
            assert!(text.contains(expected), "{expected} not in {text}");
        }
    }

    #[test]
    fn mutants_negate_conditions_refuse_arms_and_fail_the_turn_elsewhere() {
        let mut block: syn::Block = syn::parse_str(
            "{ if a { x(); } else if b {} match m { X => 1, Y => 2 } if let Some(v) = o {} return z; }",
        )
        .unwrap();
        let krate: syn::Path = syn::parse_str("k").unwrap();
        let id = |suffix: &str| quote!(#suffix);
        let probes = Probes {
            hit: None,
            mutants: Some((&krate, &id)),
        };
        branches(&mut block, probes, &mut Errors::new());
        let text = quote!(#block).to_string().replace(' ', "");
        let on = |suffix: &str| {
            format!(
                r#"k::__private::mutant_on({{const__DURACT_BRANCH:&str="{suffix}";__DURACT_BRANCH}})"#
            )
        };
        let id =
            |suffix: &str| format!(r#"{{const__DURACT_BRANCH:&str="{suffix}";__DURACT_BRANCH}}"#);
        for expected in [
            // `if a`: no else branch of its own (the `else if` is `b`'s).
            format!(
                "ifk::__private::mutant_if(a,{},::core::option::Option::None){{x();}}",
                id("if:a")
            ),
            format!(
                "ifk::__private::mutant_if(b,{},::core::option::Option::Some({})){{}}",
                id("if:b"),
                id("else:b")
            ),
            format!("Xif!{}=>1", on("match:m/X")),
            format!("Yif!{}=>2", on("match:m/Y")),
            "#[allow(unreachable_patterns)]_=>k::__private::mutant_abort_active()".to_owned(),
            format!(
                "ifletSome(v)=o{{k::__private::mutant_check({});}}",
                id("if:letSome(v)=o")
            ),
            format!(
                "else{{k::__private::mutant_check({});}}",
                id("else:letSome(v)=o")
            ),
            format!("return{{k::__private::mutant_check({});z}}", id("return:z")),
        ] {
            assert!(text.contains(&expected), "{expected} not in {text}");
        }
    }

    fn ids(body: &str) -> Vec<String> {
        let mut block: syn::Block = syn::parse_str(body).unwrap();
        branches(&mut block, Probes::default(), &mut Errors::new())
            .into_iter()
            .map(|b| b.suffix)
            .collect()
    }

    #[test]
    fn waivers_are_read_and_removed() {
        let mut block: syn::Block = syn::parse_str(
            r#"{ #[waive("never in tests")] if a {} match m { #[waive("legacy")] X => {}, Y => {} } }"#,
        )
        .unwrap();
        let found = branches(&mut block, Probes::default(), &mut Errors::new());
        let waivers: Vec<Option<&str>> = found
            .iter()
            .map(|b| b.waiver.as_ref().map(|w| w.reason.as_str()))
            .collect();
        assert_eq!(
            waivers,
            [
                Some("never in tests"),
                Some("never in tests"),
                Some("legacy"),
                None
            ]
        );
        assert!(!quote::quote!(#block).to_string().contains("waive"));
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
