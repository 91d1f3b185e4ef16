//! The `Actor` impl: `INFO`, `load`, `save`, `dispatch`, and the Durable Object glue.

use super::gateway;
use super::model::{ActorModel, FieldModel, Persist};
use crate::span::respan;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

/// Everything `#[actor]` adds beside the struct.
pub fn expand(model: &ActorModel) -> TokenStream {
    let krate = &model.krate;
    let ident = &model.ident;
    let kind = &model.kind;
    let info = info(model);
    let (helpers, role) = match &model.gateway {
        // A gateway: no state, no turns; any message an actor sends it goes to its sockets.
        Some(_) => (pushes(model), quote!(impl #krate::Gateway for #ident {})),
        None => {
            let (helpers, body) = state_methods(model);
            (helpers, quote!(impl #krate::Actor for #ident { #body }))
        }
    };
    let turns = match &model.gateway {
        Some(_) => quote!(::core::option::Option::None),
        None => quote! {
            ::core::option::Option::Some(::std::rc::Rc::new(
                #krate::__private::Instance::<Self>::new(port),
            ))
        },
    };
    let glue = durable_object_glue(model);
    quote! {
        const _: () = {
            #helpers
            impl #krate::__private::ActorKind for #ident {
                const KIND: &'static str = #kind;
            }
            impl #krate::Target for #ident {
                const INFO: &'static #krate::ActorInfo = &#info;
                fn __turns(
                    port: ::std::rc::Rc<dyn #krate::Port>,
                ) -> ::core::option::Option<::std::rc::Rc<dyn #krate::__private::Turns>> {
                    let _ = &port;
                    #turns
                }
            }
            #role
        };
        #glue
    }
}

/// A gateway takes any message from an actor and pushes it to its sockets, so
/// `ctx.actor::<Session>(id).send(&msg)` compiles for every message; the reply says how many
/// sockets got it.
fn pushes(model: &ActorModel) -> TokenStream {
    let (krate, ident) = (&model.krate, &model.ident);
    quote! {
        impl<M: #krate::Message> #krate::Handles<M> for #ident {
            type Reply = #krate::__private::Delivered;
        }
    }
}

/// The `ActorInfo` value.
fn info(model: &ActorModel) -> TokenStream {
    let krate = &model.krate;
    let (kind, class, binding) = (&model.kind, &model.class, &model.binding);
    let (routes, branches, gateway) = match &model.gateway {
        Some(g) => {
            let branches = gateway::branches(model, g);
            (quote!(&[]), branches, gateway::info(model, g))
        }
        None => (
            routes_item(model, "ROUTES"),
            routes_item(model, "BRANCHES"),
            quote!(::core::option::Option::None),
        ),
    };
    quote! {
        #krate::__private::ActorInfo {
            kind: #kind,
            class: #class,
            binding: #binding,
            routes: #routes,
            branches: #branches,
            gateway: #gateway,
        }
    }
}

/// `<Actor as Routes>`, spanned at the struct's name: "`X` has no `#[route]` impl block"
/// points there.
fn routes_item(model: &ActorModel, item: &str) -> TokenStream {
    let ident = &model.ident;
    let krate = &model.krate;
    let item = format_ident!("{}", item);
    respan(
        &quote!(<#ident as #krate::__private::Routes>::#item),
        ident.span(),
    )
}

fn stored(model: &ActorModel, persist: Persist) -> impl Iterator<Item = &FieldModel> {
    model.fields.iter().filter(move |f| f.persist == persist)
}

/// The entries fields with their key prefixes, each coerced once to `&mut dyn DynEntries`
/// (spanned at the field's type: "`T` cannot be persisted per entry" points there, once).
fn entries_fn(model: &ActorModel, entries: &[&FieldModel]) -> TokenStream {
    if entries.is_empty() {
        return TokenStream::new();
    }
    let krate = &model.krate;
    let ident = &model.ident;
    let n = entries.len();
    let prefix_of =
        |name: String| quote!(#krate::__concat_str!(#krate::__private::ENTRIES_PREFIX, #name, "/"));
    let items = entries.iter().map(|f| {
        let prefix = prefix_of(f.ident.to_string());
        let old = match &f.renamed_from {
            Some(old) => {
                let old = prefix_of(old.value());
                quote!(::core::option::Option::Some(#old))
            }
            None => quote!(::core::option::Option::None),
        };
        let span = f.ty.span();
        let field = respan(&f.ident, span);
        let dyn_entries = respan(&quote!(#krate::__private::DynEntries), span);
        quote_spanned!(span=> (#prefix, #old, { let field: &mut dyn #dyn_entries = &mut this.#field; field }))
    });
    quote! {
        #[allow(clippy::type_complexity)]
        fn __duract_entries(this: &mut #ident) -> [(&'static str, ::core::option::Option<&'static str>, &mut dyn #krate::__private::DynEntries); #n] {
            [#(#items),*]
        }
    }
}

/// `load`, `save` and `dispatch` of an actor with state and routes, and the entries accessor.
fn state_methods(model: &ActorModel) -> (TokenStream, TokenStream) {
    let krate = &model.krate;
    let ident = &model.ident;
    let stored = Stored::of(model);
    let entries_fn = entries_fn(model, &stored.entries);
    let key_consts = stored.key_consts(krate);
    let (load, save) = (load_fn(model, &stored), save_fn(model, &stored));
    // Spanned at the struct's name as a whole (the `.await` too), so a missing `#[route]` is
    // reported there once.
    let dispatch = routes_item(model, "dispatch");
    let dispatch = respan(&quote!(#dispatch(self, ctx, envelope).await), ident.span());
    let on_activate = routes_item(model, "on_activate");
    let on_activate = respan(&quote!(#on_activate(self, ctx).await), ident.span());
    let migrate = routes_item(model, "migrate");
    let migrate = respan(&quote!(#migrate(from, store).await), ident.span());
    let version = model.version.as_ref().map(|(n, lit)| {
        let n = syn::LitInt::new(&n.to_string(), lit.span());
        quote!(const VERSION: u32 = #n;)
    });
    (
        quote!(#entries_fn #key_consts),
        quote! {
            #version
            #load
            #save
            async fn migrate(
                from: u32,
                store: &mut #krate::persist::Migration<'_>,
            ) -> ::core::result::Result<(), #krate::Error> {
                #migrate
            }
            async fn dispatch(
                &mut self,
                ctx: &mut #krate::Ctx,
                envelope: &#krate::Envelope,
            ) -> #krate::__private::DispatchResult {
                #dispatch
            }

            async fn on_activate(
                &mut self,
                ctx: &mut #krate::Ctx,
            ) -> ::core::result::Result<(), #krate::Error> {
                #on_activate
            }
        },
    )
}

/// The stored fields of an actor: plain ones (each with the const holding its key) and
/// entries ones.
struct Stored<'m> {
    plain: Vec<&'m syn::Ident>,
    keys: Vec<syn::Ident>,
    /// Plain fields renamed: index into `plain`, the const of the old key, the old name.
    renamed: Vec<(usize, syn::Ident, String)>,
    entries: Vec<&'m FieldModel>,
}

impl<'m> Stored<'m> {
    fn of(model: &'m ActorModel) -> Stored<'m> {
        let plain_fields: Vec<_> = stored(model, Persist::Plain).collect();
        let plain: Vec<_> = plain_fields.iter().map(|f| &f.ident).collect();
        let keys = (0..plain.len())
            .map(|i| format_ident!("__DURACT_KEY_{i}"))
            .collect();
        let renamed = plain_fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let old = f.renamed_from.as_ref()?.value();
                Some((i, format_ident!("__DURACT_OLD_{i}"), old))
            })
            .collect();
        let entries = stored(model, Persist::Entries).collect();
        Stored {
            plain,
            keys,
            renamed,
            entries,
        }
    }

    /// Each plain field's key (and old key) as a const built from the runtime's prefix (a
    /// match pattern).
    fn key_consts(&self, krate: &syn::Path) -> TokenStream {
        let (keys, names) = (&self.keys, self.plain.iter().map(|f| f.to_string()));
        let (olds, old_names) = (
            self.renamed.iter().map(|(_, c, _)| c),
            self.renamed.iter().map(|(_, _, n)| n),
        );
        quote! {
            #(const #keys: &str = #krate::__concat_str!(#krate::__private::FIELD_PREFIX, #names);)*
            #(const #olds: &str = #krate::__concat_str!(#krate::__private::FIELD_PREFIX, #old_names);)*
        }
    }

    fn has_renamed_entries(&self) -> bool {
        self.entries.iter().any(|f| f.renamed_from.is_some())
    }
}

/// `Actor::load`: defaults, then what storage holds of each field.
fn load_fn(model: &ActorModel, stored: &Stored<'_>) -> TokenStream {
    let (krate, ident) = (&model.krate, &model.ident);
    let plain = &stored.plain;
    let n = plain.len();
    let this_mut = (!plain.is_empty() || !stored.entries.is_empty()).then(|| quote!(mut));
    let saved_mut = (!plain.is_empty() || stored.has_renamed_entries()).then(|| quote!(mut));
    let load_plain = (!plain.is_empty()).then(|| load_plain(krate, stored));
    let load_entries = (!stored.entries.is_empty()).then(|| load_entries(krate, stored));
    let default = quote_spanned!(ident.span()=> <#ident as ::core::default::Default>::default());
    quote! {
        async fn load(
            _id: &str,
            storage: &dyn #krate::__private::Storage,
        ) -> #krate::__private::LoadResult<Self> {
            let #this_mut this: Self = #default;
            let #saved_mut saved = #krate::__private::Saved::new(#n);
            #load_plain
            #load_entries
            ::core::result::Result::Ok((this, saved))
        }
    }
}

/// In `load`: the plain fields, each from its key (or from its old key, when renamed).
fn load_plain(krate: &syn::Path, stored: &Stored<'_>) -> TokenStream {
    let (plain, keys) = (&stored.plain, &stored.keys);
    let (idx, idx2) = (0..plain.len(), 0..plain.len());
    let olds: Vec<_> = stored.renamed.iter().map(|(_, c, _)| c).collect();
    let old_vars: Vec<_> = stored
        .renamed
        .iter()
        .map(|(i, _, _)| format_ident!("__duract_old_{i}"))
        .collect();
    let renamed_idx = stored.renamed.iter().map(|(i, _, _)| *i);
    let renamed_keys = stored.renamed.iter().map(|(i, _, _)| &keys[*i]);
    let renamed_fields = stored.renamed.iter().map(|(i, _, _)| plain[*i]);
    quote! {
        #(let mut #old_vars: ::core::option::Option<::std::string::String> = ::core::option::Option::None;)*
        for (key, json) in #krate::__private::list(storage, #krate::__private::FIELD_PREFIX).await? {
            match key.as_str() {
                #(#keys => this.#plain = #krate::__private::load_field(&mut saved, #idx, #keys, json)?,)*
                #(#olds => #old_vars = ::core::option::Option::Some(json),)*
                _ => {}
            }
        }
        #(if let ::core::option::Option::Some(json) = #old_vars {
            #krate::__private::load_renamed(&mut saved, #renamed_idx, #renamed_keys, #olds, json, &mut this.#renamed_fields)?;
        })*
        #(#krate::__private::record_absent(&mut saved, #idx2, &this.#plain)?;)*
    }
}

/// In `load`: the entries fields, each from its prefix (or its old prefix, when renamed).
fn load_entries(krate: &syn::Path, stored: &Stored<'_>) -> TokenStream {
    let load_one = if stored.has_renamed_entries() {
        quote! {
            match old {
                ::core::option::Option::Some(old) => {
                    #krate::__private::load_renamed_entries(storage, &mut saved, prefix, old, field).await?;
                }
                ::core::option::Option::None => {
                    #krate::__private::load_entries(storage, prefix, field).await?;
                }
            }
        }
    } else {
        quote!(let _ = old; #krate::__private::load_entries(storage, prefix, field).await?;)
    };
    quote! {
        for (prefix, old, field) in __duract_entries(&mut this) {
            #load_one
        }
    }
}

/// `Actor::save`: the changed plain fields and entries into the turn's batch.
fn save_fn(model: &ActorModel, stored: &Stored<'_>) -> TokenStream {
    let krate = &model.krate;
    let (plain, keys, idx) = (&stored.plain, &stored.keys, 0..stored.plain.len());
    let save_entries = (!stored.entries.is_empty()).then(|| {
        quote! {
            for (prefix, _, field) in __duract_entries(self) {
                batch.entries(prefix, field)?;
            }
        }
    });
    quote! {
        fn save(
            &mut self,
            saved: &#krate::__private::Saved,
            batch: &mut #krate::__private::SaveBatch,
        ) -> #krate::__private::SaveResult {
            let _ = (saved, &batch); // an actor without stored fields uses neither
            #(batch.field(saved, #idx, #keys, &self.#plain)?;)*
            #save_entries
            ::core::result::Result::Ok(())
        }
    }
}

/// On wasm32 the Durable Object class (`runtime/src/durable`'s `__durable_object!`).
fn durable_object_glue(model: &ActorModel) -> TokenStream {
    let krate = &model.krate;
    let ident = &model.ident;
    let Ok(class) = syn::parse_str::<syn::Ident>(&model.class.value()) else {
        return TokenStream::new();
    };
    let class = format_ident!("{}", class, span = model.class.span());
    quote! {
        #[cfg(target_arch = "wasm32")]
        #krate::__durable_object!(#class, #ident);
    }
}
