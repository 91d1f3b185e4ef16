//! Writes the serde derives (through the runtime's re-export), `impl Payload` and
//! `impl Message`.

use super::model::MessageModel;
use super::parse::attr_has_key;
use super::Which;
use crate::args::path_text;
use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

/// The item with its serde glue, and its `Message` impl for `#[message]`.
pub fn expand(model: &MessageModel, item: &DeriveInput) -> TokenStream {
    let krate = &model.krate;
    let serde_crate = format!("{}::__private::serde", path_text(krate));
    let rename_all = model
        .rename_all
        .then(|| quote!(#[serde(rename_all = "camelCase")]));
    let rename_all_fields = model
        .rename_all_fields
        .then(|| quote!(#[serde(rename_all_fields = "camelCase")]));
    let (derive, unit_de) = if let Some(value) = &model.fieldless {
        // A struct without fields ignores its payload (absent, `null`, `{}` or anything else).
        (
            quote!(#krate::__private::serde::Serialize),
            ignoring_deserialize(model, item, value),
        )
    } else {
        (
            quote!(#krate::__private::serde::Serialize, #krate::__private::serde::Deserialize),
            TokenStream::new(),
        )
    };
    let (derive, schema_attrs) = schema_derive(model, item, derive);
    let message_impl = match model.which {
        Which::Message => message_impl(model, item),
        Which::Payload => TokenStream::new(),
    };
    let payload_impl = payload_impl(model, item);
    quote! {
        #[derive(#derive)]
        #[serde(crate = #serde_crate)]
        #schema_attrs
        #rename_all
        #rename_all_fields
        #item
        #unit_de
        #payload_impl
        #message_impl
    }
}

/// With the feature `schema` (the runtime's `duract/schema`): `JsonSchema` joins the derives,
/// through the runtime's re-export. schemars reads the serde attributes; `from`/`try_from`
/// are unset for it (the type's own shape is its schema), so a conversion's source type need
/// not implement `JsonSchema`. Without the feature, nothing changes.
fn schema_derive(
    model: &MessageModel,
    item: &DeriveInput,
    derive: TokenStream,
) -> (TokenStream, TokenStream) {
    if !cfg!(feature = "schema") {
        return (derive, TokenStream::new());
    }
    let krate = &model.krate;
    let schemars_crate = format!("{}::__private::schemars", path_text(krate));
    let unset = ["from", "try_from"]
        .into_iter()
        .filter(|key| attr_has_key(item, "serde", key) && !attr_has_key(item, "schemars", key))
        .map(|key| {
            let key = syn::Ident::new(key, proc_macro2::Span::call_site());
            quote!(#[schemars(!#key)])
        });
    (
        quote!(#derive, #krate::__private::schemars::JsonSchema),
        quote!(#[schemars(crate = #schemars_crate)] #(#unset)*),
    )
}

/// `impl Payload`: what may travel as a message or a reply.
fn payload_impl(model: &MessageModel, item: &DeriveInput) -> TokenStream {
    let krate = &model.krate;
    let ident = &item.ident;
    let (impl_generics, ty_generics, where_clause) = item.generics.split_for_impl();
    let bound = quote! {
        #ident #ty_generics: #krate::__private::serde::Serialize
            + #krate::__private::serde::de::DeserializeOwned
            + 'static
    };
    let where_clause = match where_clause {
        Some(w) => quote!(#w, #bound),
        None => quote!(where #bound),
    };
    quote! {
        impl #impl_generics #krate::Payload for #ident #ty_generics #where_clause {}
    }
}

fn message_impl(model: &MessageModel, item: &DeriveInput) -> TokenStream {
    let krate = &model.krate;
    let ident = &item.ident;
    let (impl_generics, ty_generics, where_clause) = item.generics.split_for_impl();
    let wire_type = &model.wire_type;
    let internal = model.internal;
    let any_payload = model.fieldless.is_some();
    quote! {
        impl #impl_generics #krate::Message for #ident #ty_generics #where_clause {
            const TYPE: &'static str = #wire_type;
            const INTERNAL: bool = #internal;
            const ANY_PAYLOAD: bool = #any_payload;
        }
    }
}

fn ignoring_deserialize(
    model: &MessageModel,
    item: &DeriveInput,
    value: &TokenStream,
) -> TokenStream {
    let krate = &model.krate;
    let ident = &item.ident;
    let serde = quote!(#krate::__private::serde);
    quote! {
        impl<'de> #serde::Deserialize<'de> for #ident {
            fn deserialize<__D: #serde::Deserializer<'de>>(
                deserializer: __D,
            ) -> ::core::result::Result<Self, __D::Error> {
                <#serde::de::IgnoredAny as #serde::Deserialize<'de>>::deserialize(deserializer)?;
                ::core::result::Result::Ok(#value)
            }
        }
    }
}
