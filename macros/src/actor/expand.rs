//! The `Actor` impl: `INFO`, `load`, `save`, `dispatch`, and the Durable Object glue.

use super::gateway;
use super::model::{ActorModel, FieldModel, Persist};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

/// Everything `#[actor]` adds beside the struct.
pub fn expand(model: &ActorModel) -> TokenStream {
    let krate = &model.krate;
    let ident = &model.ident;
    let kind = &model.kind;
    let info = info(model);
    let body = match &model.gateway {
        Some(_) => gateway_methods(model),
        None => state_methods(model),
    };
    let glue = durable_object_glue(model);
    quote! {
        const _: () = {
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
    let ident = &model.ident;
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
        None => {
            // Spanned at the struct's name: "`X` has no `#[route]` impl block" points there.
            let routes = quote_spanned!(ident.span()=> <#ident as #krate::__private::Routes>);
            (
                quote!(#routes::ROUTES),
                quote!(#routes::BRANCHES),
                quote!(::core::option::Option::None),
            )
        }
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

fn stored(model: &ActorModel, persist: Persist) -> impl Iterator<Item = &FieldModel> {
    model.fields.iter().filter(move |f| f.persist == persist)
}

/// `load`, `save` and `dispatch` of an actor with state and routes.
fn state_methods(model: &ActorModel) -> TokenStream {
    let krate = &model.krate;
    let ident = &model.ident;
    let plain: Vec<&FieldModel> = stored(model, Persist::Plain).collect();
    let entries: Vec<&FieldModel> = stored(model, Persist::Entries).collect();
    let n = plain.len();
    let keys: Vec<String> = plain.iter().map(|f| format!("f/{}", f.ident)).collect();
    let idx: Vec<usize> = (0..n).collect();
    let plain_idents: Vec<_> = plain.iter().map(|f| &f.ident).collect();
    let entry_idents: Vec<_> = entries.iter().map(|f| &f.ident).collect();
    let prefixes: Vec<String> = entries.iter().map(|f| format!("e/{}/", f.ident)).collect();
    // Spanned at each entries field's type: "`T` cannot be persisted per entry" points there.
    let entry_types: Vec<TokenStream> = entries
        .iter()
        .map(|f| {
            let ty = &f.ty;
            quote_spanned!(ty.span()=> #ty)
        })
        .collect();
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
        }
    });
    let default = quote_spanned!(ident.span()=> <#ident as ::core::default::Default>::default());
    quote! {
        async fn load(
            _id: &str,
            storage: &dyn #krate::Storage,
        ) -> #krate::__private::LoadResult<Self> {
            let #this_mut this: Self = #default;
            let #saved_mut saved = #krate::persist::Saved::new(#n);
            #load_plain
            #(#krate::__private::load_entries::<#entry_types>(storage, #prefixes, &mut this.#entry_idents).await?;)*
            ::core::result::Result::Ok((this, saved))
        }

        async fn save(
            &mut self,
            storage: &dyn #krate::Storage,
            saved: &mut #krate::persist::Saved,
        ) -> #krate::__private::SaveResult {
            let mut batch = #krate::__private::SaveBatch::new();
            #(batch.field(saved, #idx, #keys, &self.#plain_idents)?;)*
            #(batch.entries::<#entry_types>(#prefixes, &mut self.#entry_idents)?;)*
            batch.commit(storage, saved).await
        }

        async fn dispatch(
            &mut self,
            ctx: &mut #krate::Ctx,
            envelope: &#krate::Envelope,
        ) -> #krate::__private::DispatchResult {
            <Self as #krate::__private::Routes>::dispatch(self, ctx, envelope).await
        }
    }
}

/// A gateway has no state and no routes of its own: frames go through `gateway::handle_frame`.
fn gateway_methods(model: &ActorModel) -> TokenStream {
    let krate = &model.krate;
    let ident = &model.ident;
    let value = if model.braced {
        quote!(#ident {})
    } else {
        quote!(#ident)
    };
    quote! {
        async fn load(
            _id: &str,
            _storage: &dyn #krate::Storage,
        ) -> #krate::__private::LoadResult<Self> {
            ::core::result::Result::Ok((#value, #krate::persist::Saved::new(0)))
        }

        async fn save(
            &mut self,
            _storage: &dyn #krate::Storage,
            _saved: &mut #krate::persist::Saved,
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
