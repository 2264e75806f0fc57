//! Generates `openai_rest_raw::operations`: every operation of both specs as
//! data (method, path, bodies and their schemas, the raw methods that call
//! it). The fixture checks, the mock's routes and the contract suite's
//! coverage gate read it instead of keeping their own lists. Also generates
//! the contract suite's decoder of a body by schema name (`decoders`).

use anyhow::{Result, anyhow};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::names::{pascal_case, schema_name, snake_case};
use crate::spec;

/// One spec, as the table sees it.
pub struct Api<'a> {
    /// The `Api` enum variant.
    pub variant: &'static str,
    pub spec: &'a Value,
    /// Where the spec's own types are generated, inside openai-rest-raw
    /// (`types`, `azure::types`).
    pub types_module: TokenStream,
    /// (operationId, raw method name), for every method of the spec's client.
    pub methods: &'a [(String, String)],
    /// The schemas the spec's own `types` module defines.
    pub schemas: &'a [String],
}

pub fn generate(apis: &[Api]) -> Result<TokenStream> {
    let mut rows = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    for api in apis {
        let variant = format_ident!("{}", api.variant);
        for op in spec::operations(api.spec)? {
            let id = op.id;
            ids.insert(id.to_owned());
            let id_variant = format_ident!("{}", pascal_case(&snake_case(id)));
            let method = op.method.to_uppercase();
            let path = op.path;
            let request = match op.request_media_type(api.spec)? {
                Some(media) => {
                    let schema =
                        optional(op.request_schema(api.spec, &media).and_then(schema_name));
                    quote!(Some(Body { media_type: #media, schema: #schema }))
                }
                None => quote!(None),
            };
            let success = spec::success(api.spec, &op)?;
            let status = success.status;
            let responses = success.content.iter().map(|(media, schema)| {
                let schema = optional(schema.and_then(schema_name));
                quote!(Body { media_type: #media, schema: #schema })
            });
            let raw_methods: Vec<&str> = api
                .methods
                .iter()
                .filter(|(op_id, _)| op_id == id)
                .map(|(_, name)| name.as_str())
                .collect();
            if raw_methods.is_empty() {
                return Err(anyhow!("{id}: no raw method was generated"));
            }
            let deprecated = op.operation.get("deprecated").and_then(Value::as_bool) == Some(true);
            let summary = op
                .operation
                .get("summary")
                .and_then(Value::as_str)
                .unwrap_or_default();
            rows.push(quote! {
                Operation {
                    api: Api::#variant,
                    id: OperationId::#id_variant,
                    summary: #summary,
                    method: #method,
                    path: #path,
                    request: #request,
                    success: #status,
                    responses: &[#(#responses),*],
                    raw_methods: &[#(#raw_methods),*],
                    deprecated: #deprecated,
                }
            });
        }
    }

    let (id_variants, id_strings): (Vec<_>, Vec<_>) = ids
        .iter()
        .map(|id| {
            let variant = format_ident!("{}", pascal_case(&snake_case(id)));
            (variant, id.as_str())
        })
        .unzip();
    let id_docs = id_strings.iter().map(|id| format!("`{id}`"));

    Ok(quote! {
        //! Every operation of the specs in openapi/, as data: what it sends and
        //! answers, and the raw methods that call it (a multipart operation or
        //! a non-JSON answer has its own method, e.g. `create_completion_stream`).

        /// The spec an operation belongs to.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Api {
            /// openapi/openai.yaml, served under `https://api.openai.com/v1`.
            OpenAi,
            /// openapi/azure.yaml, served under `https://{resource}.openai.azure.com/openai`.
            Azure,
        }

        /// A request or response body: its media type and, when it is a
        /// component, the name of its schema.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct Body {
            pub media_type: &'static str,
            pub schema: Option<&'static str>,
        }

        /// The operationIds of both specs. Operations of the two specs that
        /// share an operationId are the same operation under another base URL
        /// and share their fixtures.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum OperationId {
            #(#[doc = #id_docs] #id_variants,)*
        }

        impl OperationId {
            /// Every operationId, in alphabetical order.
            pub const ALL: &[OperationId] = &[#(OperationId::#id_variants),*];

            /// The operationId as the spec writes it, e.g. `createCompletion`.
            pub fn as_str(self) -> &'static str {
                match self {
                    #(OperationId::#id_variants => #id_strings,)*
                }
            }
        }

        impl ::std::fmt::Display for OperationId {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for OperationId {
            type Err = String;

            fn from_str(id: &str) -> Result<Self, String> {
                match id {
                    #(#id_strings => Ok(OperationId::#id_variants),)*
                    _ => Err(format!("no operation has the operationId `{id}`")),
                }
            }
        }

        /// One operation of a spec.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct Operation {
            pub api: Api,
            /// The operationId.
            pub id: OperationId,
            pub summary: &'static str,
            /// The HTTP method, upper case.
            pub method: &'static str,
            /// The path under the API's base URL, with `{parameters}`.
            pub path: &'static str,
            pub request: Option<Body>,
            /// The status of the success response.
            pub success: u16,
            /// The media types the success response can have.
            pub responses: &'static [Body],
            /// The methods of the raw client (`Client` or `azure::Client`)
            /// that call it.
            pub raw_methods: &'static [&'static str],
            pub deprecated: bool,
        }

        /// Every operation of both specs, in the order of their paths.
        pub const OPERATIONS: &[Operation] = &[#(#rows),*];

    })
}

fn optional(name: Option<&str>) -> TokenStream {
    match name {
        Some(name) => quote!(Some(#name)),
        None => quote!(None),
    }
}

/// The contract-test package's `decode::roundtrip`: decodes JSON into the
/// generated type of a schema named at run time and encodes it back. Test
/// support, so it lives outside the published crates.
pub fn decoders(apis: &[Api]) -> TokenStream {
    let mut arms = Vec::new();
    for api in apis {
        let module = &api.types_module;
        let module = quote!(::openai_rest_raw::#module);
        for schema in api.schemas {
            let ty = format_ident!("{}", schema);
            arms.push(quote!(#schema => via::<#module::#ty>(json)));
        }
    }
    quote! {
        //! Decoding a body into the generated type of a schema named at run
        //! time, for the fixture checks and the round-trip properties.

        /// Decodes `json` into the generated type of the schema `schema` and
        /// encodes that back to JSON; `None` for an unknown schema.
        pub fn roundtrip(
            schema: &str,
            json: &[u8],
        ) -> Option<Result<::serde_json::Value, ::serde_json::Error>> {
            fn via<T: ::serde::de::DeserializeOwned + ::serde::Serialize>(
                json: &[u8],
            ) -> Result<::serde_json::Value, ::serde_json::Error> {
                ::serde_json::to_value(::serde_json::from_slice::<T>(json)?)
            }
            Some(match schema {
                #(#arms,)*
                _ => return None,
            })
        }
    }
}
