//! Entries of the branch tables (`duract::Branch`), with the line of the declaring tokens,
//! and their ids, built in one place from the runtime's separators (`duract::branch::id`).

use proc_macro2::{Span, TokenStream};
use quote::quote;

/// The `BranchKind` of an entry (the runtime's enum, variant for variant).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BranchKind {
    Route,
    DecodeError,
    UnknownType,
    HandlerError,
    GatewayRoute,
    IfThen,
    IfElse,
    MatchArm,
    EarlyReturn,
}

impl BranchKind {
    fn variant(self) -> TokenStream {
        match self {
            BranchKind::Route => quote!(Route),
            BranchKind::DecodeError => quote!(DecodeError),
            BranchKind::UnknownType => quote!(UnknownType),
            BranchKind::HandlerError => quote!(HandlerError),
            BranchKind::GatewayRoute => quote!(GatewayRoute),
            BranchKind::IfThen => quote!(IfThen),
            BranchKind::IfElse => quote!(IfElse),
            BranchKind::MatchArm => quote!(MatchArm),
            BranchKind::EarlyReturn => quote!(EarlyReturn),
        }
    }
}

/// Where a branch of an actor's dispatch sits, which spells its id.
pub enum Site<'a> {
    /// `<kind>/<wire type>`.
    Route,
    /// `<kind>/!invalid_payload:<wire type>`.
    DecodeError,
    /// `<kind>/!handler_error:<wire type>`.
    HandlerError,
    /// `<kind>/<wire type>/<suffix>`: inside a handler's body.
    Body(&'a str),
    /// `<kind>/!unknown_type`.
    UnknownType,
}

/// The id of the branch at `site` of the actor whose kind is the const `kind`, for the
/// handler of the message whose wire type is the const `wire` (unused for `UnknownType`):
/// a const `&str` expression.
pub fn id(
    krate: &syn::Path,
    kind: &TokenStream,
    wire: &TokenStream,
    site: Site<'_>,
) -> TokenStream {
    let sep = |name: &str| {
        let name = syn::Ident::new(name, Span::call_site());
        quote!(#krate::branch::id::#name)
    };
    match site {
        Site::Route => {
            let sep = sep("ROUTE");
            quote!(#krate::__concat_str!(#kind, #sep, #wire))
        }
        Site::DecodeError => {
            let sep = sep("DECODE_ERROR");
            quote!(#krate::__concat_str!(#kind, #sep, #wire))
        }
        Site::HandlerError => {
            let sep = sep("HANDLER_ERROR");
            quote!(#krate::__concat_str!(#kind, #sep, #wire))
        }
        Site::Body(suffix) => {
            let (route, body) = (sep("ROUTE"), sep("BODY"));
            quote!(#krate::__concat_str!(#kind, #route, #wire, #body, #suffix))
        }
        Site::UnknownType => {
            let sep = sep("UNKNOWN_TYPE");
            quote!(#krate::__concat_str!(#kind, #sep))
        }
    }
}

/// `{ const ID: &str = <id>; hit(ID); }` in checklist builds, nothing otherwise: the
/// statement that records a hit of the branch `id` where it is taken.
pub fn hit_statement(krate: &syn::Path, id: TokenStream) -> TokenStream {
    if !cfg!(feature = "checklist") {
        return TokenStream::new();
    }
    quote! {
        {
            const __DURACT_BRANCH: &str = #id;
            #krate::__private::hit(__DURACT_BRANCH);
        }
    }
}

/// Why tests need not reach a branch (`#[waive(..)]`), and the one host it holds on (`None`:
/// every host).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiver {
    pub reason: String,
    pub host: Option<String>,
}

/// `{ const ID: &str = <id>; ID }`: the id as a value computed at compile time.
pub fn const_id(id: TokenStream) -> TokenStream {
    quote!({
        const __DURACT_BRANCH: &str = #id;
        __DURACT_BRANCH
    })
}

/// Whether the macros write mutants (the feature `mutants`, which implies `checklist`).
pub fn mutants() -> bool {
    cfg!(feature = "mutants")
}

/// `mutant_on(<id>)`: whether the mutant of the branch `id` is on (mutants builds only).
pub fn mutant_on(krate: &syn::Path, id: TokenStream) -> TokenStream {
    let id = const_id(id);
    quote!(#krate::__private::mutant_on(#id))
}

/// In mutants builds, `if mutant_on(<id>) { <then> }`; nothing otherwise.
pub fn when_mutant(krate: &syn::Path, id: TokenStream, then: TokenStream) -> TokenStream {
    if !mutants() {
        return TokenStream::new();
    }
    let on = mutant_on(krate, id);
    quote!(if #on { #then })
}

/// `mutant_check(<id>);`: the statement that fails the turn at the branch `id` when its
/// mutant is on (a call, not an `if`: the instrumentation finds no branch in it).
pub fn abort_statement(krate: &syn::Path, id: TokenStream) -> TokenStream {
    let id = const_id(id);
    quote!(#krate::__private::mutant_check(#id);)
}

/// One branch to write into a table.
pub struct BranchTokens {
    /// An expression of type `&'static str` (see [`id`]).
    pub id: TokenStream,
    pub kind: BranchKind,
    pub label: String,
    /// The tokens that declared the branch: their line is recorded.
    pub span: Span,
    /// Why tests need not reach it (`#[waive("..")]`).
    pub waiver: Option<Waiver>,
    /// Without a waiver: a const `bool` expression that, when true, waives it for the
    /// reason given (a fact of the types, e.g. a message that takes any payload).
    pub waived_when: Option<(TokenStream, &'static str)>,
}

impl BranchTokens {
    /// `Branch { .. }` as an expression.
    pub fn to_tokens(&self, krate: &syn::Path) -> TokenStream {
        let id = &self.id;
        let kind = self.kind.variant();
        let label = &self.label;
        let line = line_of(self.span);
        let none = quote!(::core::option::Option::None);
        let some = |value: &str| quote!(::core::option::Option::Some(#value));
        let (waiver, host) = match (&self.waiver, &self.waived_when) {
            (Some(Waiver { reason, host }), None) => (
                some(reason),
                host.as_ref().map_or(none.clone(), |h| some(h)),
            ),
            (Some(Waiver { reason, host: None }), Some(_)) => (some(reason), none),
            // A fact of the types waives on every host; else the source's waiver, on its host.
            (
                Some(Waiver {
                    reason,
                    host: Some(host),
                }),
                Some((when, fact)),
            ) => (
                quote!(if #when { ::core::option::Option::Some(#fact) } else { ::core::option::Option::Some(#reason) }),
                quote!(if #when { ::core::option::Option::None } else { ::core::option::Option::Some(#host) }),
            ),
            (None, Some((when, fact))) => (
                quote!(if #when { ::core::option::Option::Some(#fact) } else { ::core::option::Option::None }),
                none,
            ),
            (None, None) => (none.clone(), none),
        };
        quote! {
            #krate::__private::Branch {
                id: #id,
                kind: #krate::__private::BranchKind::#kind,
                label: #label,
                file: ::core::file!(),
                line: #line,
                waiver: #waiver,
                waiver_host: #host,
            }
        }
    }
}

/// The 1-based line of `span` (stable since Rust 1.88 through proc-macro2's
/// `span-locations`; 0 if the compiler cannot tell).
pub fn line_of(span: Span) -> u32 {
    u32::try_from(span.start().line).unwrap_or(0)
}
