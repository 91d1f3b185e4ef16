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
    let (helpers, body) = match &model.gateway {
        Some(_) => (TokenStream::new(), gateway_methods(model)),
        None => state_methods(model),
    };
    let glue = durable_object_glue(model);
    quote! {
        const _: () = {
            #helpers
            impl #krate::__private::ActorKind for #ident {
                const KIND: &'static str = #kind;
            }
            impl #krate::Actor for #ident {
                const INFO: &'static #krate::ActorInfo = &#info;
                #body
            }
        };
        #glue
    }
}

/// The `ActorInfo` value.
fn info(model: &ActorModel) -> TokenStream {
    let krate = &model.krate;
    let (kind, class, binding) = (&model.kind, &model.class, &model.binding);
    let (routes, branches, gateway) = match &model.gateway {
        Some(g) => {
            let branches = gateway::branches(model, g);
            (
                quote!(&[]),
                quote!(&[#(#branches),*]),
                gateway::info(model, g),
            )
        }
        None => (
            routes_item(model, "ROUTES"),
            routes_item(model, "BRANCHES"),
            quote!(::core::option::Option::None),
        ),
    };
    quote! {
        #krate::ActorInfo {
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
    let items = entries.iter().map(|f| {
        let prefix = format!("e/{}/", f.ident);
        let span = f.ty.span();
        let field = respan(&f.ident, span);
        let dyn_entries = respan(&quote!(#krate::__private::DynEntries), span);
        quote_spanned!(span=> (#prefix, { let field: &mut dyn #dyn_entries = &mut this.#field; field }))
    });
    quote! {
        fn __duract_entries(this: &mut #ident) -> [(&'static str, &mut dyn #krate::__private::DynEntries); #n] {
            [#(#items),*]
        }
    }
}

/// `load`, `save` and `dispatch` of an actor with state and routes, and the entries accessor.
fn state_methods(model: &ActorModel) -> (TokenStream, TokenStream) {
    let krate = &model.krate;
    let ident = &model.ident;
    let plain: Vec<&FieldModel> = stored(model, Persist::Plain).collect();
    let entries: Vec<&FieldModel> = stored(model, Persist::Entries).collect();
    let n = plain.len();
    let keys: Vec<String> = plain.iter().map(|f| format!("f/{}", f.ident)).collect();
    let idx: Vec<usize> = (0..n).collect();
    let plain_idents: Vec<_> = plain.iter().map(|f| &f.ident).collect();
    let entries_fn = entries_fn(model, &entries);
    // Spanned at the struct's name as a whole (the `.await` too), so a missing `#[route]` is
    // reported there once.
    let dispatch = routes_item(model, "dispatch");
    let dispatch = respan(&quote!(#dispatch(self, ctx, envelope).await), ident.span());
    let this_mut = (!plain.is_empty() || !entries.is_empty()).then(|| quote!(mut));
    let saved_mut = (!plain.is_empty()).then(|| quote!(mut));
    let load_plain = (!plain.is_empty()).then(|| {
        quote! {
            for (key, json) in #krate::__private::list(storage, "f/").await? {
                match key.as_str() {
                    #(#keys => this.#plain_idents = #krate::__private::load_field(&mut saved, #idx, #keys, json)?,)*
                    _ => {}
                }
            }
            #(#krate::__private::record_absent(&mut saved, #idx, &this.#plain_idents)?;)*
        }
    });
    let (load_entries, save_entries) = if entries.is_empty() {
        (TokenStream::new(), TokenStream::new())
    } else {
        (
            quote! {
                for (prefix, field) in __duract_entries(&mut this) {
                    #krate::__private::load_entries(storage, prefix, field).await?;
                }
            },
            quote! {
                for (prefix, field) in __duract_entries(self) {
                    batch.entries(prefix, field)?;
                }
            },
        )
    };
    let default = quote_spanned!(ident.span()=> <#ident as ::core::default::Default>::default());
    (
        entries_fn,
        quote! {
            async fn load(
                _id: &str,
                storage: &dyn #krate::Storage,
            ) -> #krate::__private::LoadResult<Self> {
                let #this_mut this: Self = #default;
                let #saved_mut saved = #krate::persist::Saved::new(#n);
                #load_plain
                #load_entries
                ::core::result::Result::Ok((this, saved))
            }

            fn save(
                &mut self,
                saved: &#krate::persist::Saved,
                batch: &mut #krate::persist::SaveBatch,
            ) -> #krate::__private::SaveResult {
                let _ = (saved, &batch); // an actor without stored fields uses neither
                #(batch.field(saved, #idx, #keys, &self.#plain_idents)?;)*
                #save_entries
                ::core::result::Result::Ok(())
            }

            async fn dispatch(
                &mut self,
                ctx: &mut #krate::Ctx,
                envelope: &#krate::Envelope,
            ) -> #krate::__private::DispatchResult {
                #dispatch
            }
        },
    )
}

/// A gateway has no state and no routes of its own: frames go through `gateway::handle_frame`.
fn gateway_methods(model: &ActorModel) -> TokenStream {
    let krate = &model.krate;
    let ident = &model.ident;
    let value = if model.fields.is_empty() {
        let value = if model.braced {
            quote!(#ident {})
        } else {
            quote!(#ident)
        };
        quote!(::core::result::Result::Ok((#value, #krate::persist::Saved::new(0))))
    } else {
        // Already a compile error (a gateway holds no state): no second one about its fields.
        quote!(#krate::__private::stateful_gateway())
    };
    quote! {
        async fn load(
            _id: &str,
            _storage: &dyn #krate::Storage,
        ) -> #krate::__private::LoadResult<Self> {
            #value
        }

        fn save(
            &mut self,
            _saved: &#krate::persist::Saved,
            _batch: &mut #krate::persist::SaveBatch,
        ) -> #krate::__private::SaveResult {
            ::core::result::Result::Ok(())
        }

        async fn dispatch(
            &mut self,
            _ctx: &mut #krate::Ctx,
            envelope: &#krate::Envelope,
        ) -> #krate::__private::DispatchResult {
            #krate::__private::unknown_type(envelope)
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
