//! The raw methods the xtask generates itself, in progenitor's builder style,
//! because progenitor 0.15 cannot:
//!
//! - operations with a `multipart/form-data` body (progenitor rejects the
//!   whole spec): the builder takes one `reqwest::multipart::Part` per file
//!   property and the text properties as the body struct typify generated
//!   from the same schema (its file properties dropped, see `view.rs`);
//! - the other media types of an operation that also answers JSON
//!   (progenitor always picks JSON): one more method per media type, named
//!   after it (`create_completion_stream` for `text/event-stream`,
//!   `create_transcription_text` for `text/plain`), answering the bytes;
//! - operations with a JSON body, whose builders here also take the body
//!   already encoded (`body_json`), so that a caller that has checked and
//!   encoded a request sends those bytes on every attempt instead of a copy
//!   of the request, converted and encoded again each time; a JSON merge
//!   patch (`application/merge-patch+json`, Azure's deployment update) is
//!   one of them, sent with its own content type.

use std::collections::BTreeSet;

use anyhow::{Result, anyhow, bail};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::names::{pascal_case, schema_name, snake_case};
use crate::spec::{self, MULTIPART, Operation, is_file, success};

/// The method-name suffix of a non-JSON media type.
fn media_suffix(media: &str) -> Option<&'static str> {
    match media {
        "text/event-stream" => Some("stream"),
        "text/plain" => Some("text"),
        _ => None,
    }
}

const JSON: &str = "application/json";

/// The JSON bodies a method sends: plain JSON, and a JSON merge patch
/// (RFC 7396).
fn is_json_body(media: &str) -> bool {
    media == JSON || media == spec::MERGE_PATCH
}

/// How a spec's types are named from the generated code of its module.
pub struct TypePaths<'a> {
    /// Schemas generated in another module and reused here.
    pub shared: &'a BTreeSet<String>,
}

impl TypePaths<'_> {
    fn path(&self, schema: &str) -> TokenStream {
        let ident = format_ident!("{}", schema);
        if self.shared.contains(schema) {
            quote!(crate::types::#ident)
        } else {
            quote!(super::types::#ident)
        }
    }

    /// Types reused from another module have no `types::builder` here.
    fn has_builder(&self, schema: &str) -> bool {
        !self.shared.contains(schema)
    }
}

/// The methods of `spec` the xtask generates, and the operations progenitor
/// must not see.
pub struct Generated<'a> {
    pub client_methods: TokenStream,
    pub builders: TokenStream,
    pub excluded: Vec<&'a Operation<'a>>,
    /// (operationId, Rust method name) of every method generated here.
    pub names: Vec<(String, String)>,
}

pub fn generate<'a>(
    spec: &'a Value,
    operations: &'a [Operation<'a>],
    types: &TypePaths,
) -> Result<Generated<'a>> {
    let mut out = Generated {
        client_methods: TokenStream::new(),
        builders: TokenStream::new(),
        excluded: Vec::new(),
        names: Vec::new(),
    };
    for op in operations {
        let multipart = op.is_multipart(spec)?;
        let success = success(spec, op)?;
        let has_json = success.content.iter().any(|(media, _)| *media == JSON);
        let json_body = op
            .request_media_type(spec)?
            .is_some_and(|m| is_json_body(&m));
        if multipart || json_body {
            out.excluded.push(op);
        }
        for (media, schema) in &success.content {
            let suffix = if *media == JSON || success.content.len() == 1 {
                None
            } else {
                Some(media_suffix(media).ok_or_else(|| {
                    anyhow!(
                        "{}: no method name for its `{media}` answer beside JSON; add one to \
                         `media_suffix` in xtask/src/methods.rs",
                        op.id
                    )
                })?)
            };
            // Progenitor generates the JSON (or only) answer of an operation
            // without a body.
            if !multipart && !json_body && suffix.is_none() {
                continue;
            }
            if !multipart && !has_json {
                bail!("{}: several media types and none of them JSON", op.id);
            }
            let answer = if *media == JSON {
                let name = schema.and_then(schema_name).ok_or_else(|| {
                    anyhow!("{}: its JSON answer must be a `$ref` to a schema", op.id)
                })?;
                Answer::Json(types.path(name))
            } else {
                Answer::Bytes(media)
            };
            let method = method(spec, op, suffix, success.status, answer, types)?;
            out.names.push((op.id.to_owned(), method.name.to_string()));
            out.client_methods.extend(method.client_method);
            out.builders.extend(method.builder);
        }
        if success.content.is_empty() && (multipart || json_body) {
            bail!(
                "{}: an operation with a body but without a response body is not supported",
                op.id
            );
        }
    }
    Ok(out)
}

enum Answer<'a> {
    Json(TokenStream),
    Bytes(&'a str),
}

struct Method {
    name: syn::Ident,
    client_method: TokenStream,
    builder: TokenStream,
}

struct Param {
    wire: String,
    ident: syn::Ident,
    ty: TokenStream,
    required: bool,
    location: Location,
}

#[derive(PartialEq)]
enum Location {
    Path,
    Query,
}

fn params(spec: &Value, op: &Operation) -> Result<Vec<Param>> {
    let mut out = Vec::new();
    for parameter in &op.parameters {
        let parameter = spec::resolve(spec, parameter)?;
        let wire = parameter
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("{}: a parameter without a name", op.id))?;
        let location = match parameter.get("in").and_then(Value::as_str) {
            Some("path") => Location::Path,
            Some("query") => Location::Query,
            other => bail!(
                "{}: parameter `{wire}` is in {other:?}; only path and query parameters are \
                 generated for multipart operations",
                op.id
            ),
        };
        let schema = spec::resolve(spec, parameter.get("schema").unwrap_or(&Value::Null))?;
        let ty = match schema.get("type").and_then(Value::as_str) {
            Some("string") => quote!(::std::string::String),
            Some("boolean") => quote!(bool),
            Some("integer") => quote!(i64),
            other => bail!("{}: parameter `{wire}` has type {other:?}", op.id),
        };
        out.push(Param {
            wire: wire.to_owned(),
            ident: format_ident!("{}", snake_case(wire)),
            ty,
            required: parameter.get("required").and_then(Value::as_bool) == Some(true),
            location,
        });
    }
    Ok(out)
}

enum Body {
    None,
    Json {
        ty: TokenStream,
        builder: bool,
        /// Its content type.
        media: String,
    },
    Multipart {
        ty: TokenStream,
        builder: bool,
        files: Vec<(String, bool, String)>,
    },
}

fn body(spec: &Value, op: &Operation, types: &TypePaths) -> Result<Body> {
    let Some(media) = op.request_media_type(spec)? else {
        return Ok(Body::None);
    };
    let schema = op
        .request_schema(spec, &media)
        .expect("media type has content");
    let name = schema_name(schema)
        .ok_or_else(|| anyhow!("{}: request body must be a `$ref` to a schema", op.id))?;
    let (ty, builder) = (types.path(name), types.has_builder(name));
    if media != MULTIPART {
        return Ok(Body::Json { ty, builder, media });
    }
    let resolved = spec::resolve(spec, schema)?;
    let required: Vec<&str> = resolved
        .get("required")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let files = resolved
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, property)| is_file(property))
        .map(|(name, property)| {
            let doc = property
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            (name.clone(), required.contains(&name.as_str()), doc)
        })
        .collect();
    Ok(Body::Multipart { ty, builder, files })
}

/// What one method is generated from, read from the spec before any code is
/// written.
struct Parts<'a> {
    op: &'a Operation<'a>,
    /// The operation's own method name (`create_transcription`).
    base: String,
    /// This method's name: `base`, with the suffix of a non-JSON answer
    /// beside JSON (`create_transcription_text`).
    name: String,
    params: Vec<Param>,
    body: Body,
    url: Url,
    status: u16,
    answer: Answer<'a>,
    error_ty: TokenStream,
}

/// One method and its builder, for the answer `answer` of `op`.
fn method<'a>(
    spec: &Value,
    op: &'a Operation<'a>,
    suffix: Option<&str>,
    status: u16,
    answer: Answer<'a>,
    types: &TypePaths,
) -> Result<Method> {
    let base = snake_case(op.id);
    let name = match suffix {
        Some(suffix) => format!("{base}_{suffix}"),
        None => base.clone(),
    };
    let params = params(spec, op)?;
    let body = body(spec, op, types)?;
    let error_ty = error_type(spec, op, types)?;
    let url = url(op, &params)?;
    let parts = Parts {
        op,
        base,
        name,
        params,
        body,
        url,
        status,
        answer,
        error_ty,
    };
    Ok(Method {
        name: format_ident!("{}", parts.name),
        client_method: client_method(&parts),
        builder: builder(&parts),
    })
}

/// The `Client` method that makes the builder, documented as progenitor
/// documents its own.
fn client_method(parts: &Parts) -> TokenStream {
    let (op, base, name) = (parts.op, &parts.base, &parts.name);
    let summary = op
        .operation
        .get("summary")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let description = op
        .operation
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let http = op.method.to_uppercase();
    let mut doc = format!(
        "{summary}\n\n{description}\n\nSends a `{http}` request to `{}`",
        op.path
    );
    if let Answer::Bytes(media) = parts.answer {
        doc.push_str(&format!(
            " and answers the `{media}` body as bytes (the JSON answer is [`Client::{base}`])."
        ));
    }
    let deprecated = (op.operation.get("deprecated").and_then(Value::as_bool) == Some(true))
        .then(|| quote!(#[deprecated(note = "deprecated by the API: see its documentation")]));
    let fn_name = format_ident!("{}", name);
    let builder_name = format_ident!("{}", pascal_case(name));
    quote! {
        #[doc = #doc]
        #deprecated
        pub fn #fn_name(&self) -> builder::#builder_name<'_> {
            builder::#builder_name::new(self)
        }
    }
}

/// The builder's members (its parameters, its body, and the encoded JSON or
/// the file parts): their fields, initial values and setters, their names in
/// `send`'s destructuring of `self`, and how `send` takes their values out.
#[derive(Default)]
struct Members {
    fields: Vec<TokenStream>,
    inits: Vec<TokenStream>,
    setters: Vec<TokenStream>,
    names: Vec<TokenStream>,
    takes: Vec<TokenStream>,
}

/// What `send` does with the body: the statements that prepare it, and the
/// calls that put it on the request.
struct BodyUse {
    setup: TokenStream,
    call: TokenStream,
}

/// The builder struct, its constructor, its setters and its `send`.
fn builder(parts: &Parts) -> TokenStream {
    let name = &parts.name;
    let builder_name = format_ident!("{}", pascal_case(name));
    let builder_doc =
        format!("Builder for [`Client::{name}`]\n\n[`Client::{name}`]: super::Client::{name}");
    let mut members = param_members(&parts.params);
    let body_use = add_body(&parts.body, &mut members);
    // A multipart part cannot be cloned, so neither can its builder.
    let clone = match parts.body {
        Body::Multipart { .. } => quote!(),
        Body::None | Body::Json { .. } => quote!(, Clone),
    };
    let send = send(parts, &members, &body_use);
    let Members {
        fields,
        inits,
        setters,
        ..
    } = &members;
    quote! {
        #[doc = #builder_doc]
        #[derive(Debug #clone)]
        pub struct #builder_name<'a> {
            client: &'a super::Client,
            #(#fields,)*
        }

        impl<'a> #builder_name<'a> {
            pub fn new(client: &'a super::Client) -> Self {
                Self {
                    client,
                    #(#inits,)*
                }
            }

            #(#setters)*

            #send
        }
    }
}

/// The members of the path and query parameters, as progenitor writes them.
fn param_members(params: &[Param]) -> Members {
    let mut members = Members::default();
    for param in params {
        let (ident, ty, wire) = (&param.ident, &param.ty, &param.wire);
        let failed = format!("conversion to `{ty}` for {ident} failed");
        members.names.push(quote!(#ident));
        members
            .takes
            .push(quote!(let #ident = #ident.map_err(Error::InvalidRequest)?;));
        if param.required {
            let missing = format!("{ident} was not initialized");
            members.fields.push(quote!(#ident: Result<#ty, String>));
            members
                .inits
                .push(quote!(#ident: Err(#missing.to_string())));
            members.setters.push(quote! {
                #[doc = concat!("Sets `", #wire, "`.")]
                pub fn #ident<V>(mut self, value: V) -> Self
                where
                    V: std::convert::TryInto<#ty>,
                {
                    self.#ident = value.try_into().map_err(|_| #failed.to_string());
                    self
                }
            });
        } else {
            members
                .fields
                .push(quote!(#ident: Result<Option<#ty>, String>));
            members.inits.push(quote!(#ident: Ok(None)));
            members.setters.push(quote! {
                #[doc = concat!("Sets `", #wire, "`.")]
                pub fn #ident<V>(mut self, value: V) -> Self
                where
                    V: std::convert::TryInto<#ty>,
                {
                    self.#ident = value.try_into().map(Some).map_err(|_| #failed.to_string());
                    self
                }
            });
        }
    }
    members
}

/// Adds the body's members to `members` and says how `send` sends it.
fn add_body(body: &Body, members: &mut Members) -> BodyUse {
    let (Body::Json { ty, builder, .. } | Body::Multipart { ty, builder, .. }) = body else {
        return BodyUse {
            setup: quote!(),
            call: quote!(),
        };
    };
    let (field, init, setter, take) = body_members(ty, *builder);
    members.fields.push(field);
    members.inits.push(init);
    members.setters.push(setter);
    members.names.push(quote!(body));
    match body {
        Body::Json { media, .. } => add_json_body(media, take, members),
        Body::Multipart { files, .. } => add_multipart_body(files, take, members),
        Body::None => unreachable!(),
    }
}

/// A JSON body: also settable already encoded (`body_json`), sent as bytes
/// with its content type.
fn add_json_body(media: &str, take: TokenStream, members: &mut Members) -> BodyUse {
    members.fields.push(quote!(json: Option<::bytes::Bytes>));
    members.inits.push(quote!(json: None));
    members.setters.push(quote! {
        /// The body already encoded as JSON, sent as it is in
        /// place of [`body`](Self::body): nothing checks or
        /// converts it again.
        pub fn body_json(mut self, json: ::bytes::Bytes) -> Self {
            self.json = Some(json);
            self
        }
    });
    members.names.push(quote!(json));
    members.takes.push(quote! {
        let body: ::bytes::Bytes = match json {
            Some(json) => json,
            None => {
                #take
                ::serde_json::to_vec(&body)
                    .map_err(|e| Error::InvalidRequest(e.to_string()))?
                    .into()
            }
        };
    });
    BodyUse {
        setup: quote!(),
        call: quote! {
            .header(
                ::reqwest::header::CONTENT_TYPE,
                ::reqwest::header::HeaderValue::from_static(#media),
            )
            .body(body)
        },
    }
}

/// A multipart body: its text parts from the body struct, and one member per
/// file part, required or not.
fn add_multipart_body(
    files: &[(String, bool, String)],
    take: TokenStream,
    members: &mut Members,
) -> BodyUse {
    members.takes.push(take);
    let mut setup = quote! {
        let mut form = crate::multipart_form(&body).map_err(Error::InvalidRequest)?;
    };
    for (file, required, doc) in files {
        let ident = format_ident!("{}", snake_case(file));
        let doc = format!("The `{file}` file part. {doc}");
        members.names.push(quote!(#ident));
        if *required {
            let missing = format!("{ident} was not initialized");
            members
                .fields
                .push(quote!(#ident: Result<::reqwest::multipart::Part, String>));
            members
                .inits
                .push(quote!(#ident: Err(#missing.to_string())));
            members.setters.push(quote! {
                #[doc = #doc]
                pub fn #ident(mut self, part: ::reqwest::multipart::Part) -> Self {
                    self.#ident = Ok(part);
                    self
                }
            });
            members
                .takes
                .push(quote!(let #ident = #ident.map_err(Error::InvalidRequest)?;));
            setup.extend(quote!(form = form.part(#file, #ident);));
        } else {
            members
                .fields
                .push(quote!(#ident: Option<::reqwest::multipart::Part>));
            members.inits.push(quote!(#ident: None));
            members.setters.push(quote! {
                #[doc = #doc]
                pub fn #ident(mut self, part: ::reqwest::multipart::Part) -> Self {
                    self.#ident = Some(part);
                    self
                }
            });
            setup.extend(quote! {
                if let Some(part) = #ident {
                    form = form.part(#file, part);
                }
            });
        }
    }
    BodyUse {
        setup,
        call: quote!(.multipart(form)),
    }
}

/// The URL of an operation as a `format!` template after the base URL, and
/// its path parameters as arguments, filled in as progenitor does.
struct Url {
    template: String,
    path_args: Vec<TokenStream>,
}

/// The URL of `op`, each of its path parameters checked to be declared.
fn url(op: &Operation, params: &[Param]) -> Result<Url> {
    let mut template = String::from("{}");
    let mut path_args = Vec::new();
    for segment in op.path.split('{') {
        match segment.split_once('}') {
            Some((name, rest)) => {
                let ident = format_ident!("{}", snake_case(name));
                if !params
                    .iter()
                    .any(|p| p.ident == ident && p.location == Location::Path)
                {
                    bail!("{}: path parameter `{name}` is not declared", op.id);
                }
                template.push_str("{}");
                template.push_str(rest);
                path_args.push(quote!(::progenitor_client::encode_path(&#ident.to_string())));
            }
            None => template.push_str(segment),
        }
    }
    Ok(Url {
        template,
        path_args,
    })
}

/// The builder's `send`: takes the members, builds the request, runs the
/// hooks, sends it and decodes the answer.
fn send(parts: &Parts, members: &Members, body: &BodyUse) -> TokenStream {
    let op = parts.op;
    let send_doc = format!(
        "Sends a `{}` request to `{}`",
        op.method.to_uppercase(),
        op.path
    );
    let (names, takes) = (&members.names, &members.takes);
    let (body_setup, body_call) = (&body.setup, &body.call);
    let (template, path_args) = (&parts.url.template, &parts.url.path_args);
    let queries = parts
        .params
        .iter()
        .filter(|p| p.location == Location::Query)
        .map(|p| {
            let (wire, ident) = (&p.wire, &p.ident);
            quote!(.query(&::progenitor_client::QueryParam::new(#wire, &#ident)))
        });
    let (answer_ty, accept, decode) = match &parts.answer {
        Answer::Json(ty) => (
            ty.clone(),
            JSON.to_owned(),
            quote!(ResponseValue::from_response(response).await),
        ),
        Answer::Bytes(media) => (
            quote!(::progenitor_client::ByteStream),
            (*media).to_owned(),
            quote!(Ok(ResponseValue::stream(response))),
        ),
    };
    let error_ty = &parts.error_ty;
    let http_fn = format_ident!("{}", op.method);
    let operation_id = &parts.name;
    let status = parts.status;
    quote! {
        #[doc = #send_doc]
        pub async fn send(self) -> Result<ResponseValue<#answer_ty>, Error<#error_ty>> {
            use ::progenitor_client::{ClientHooks as _, ClientInfo as _};
            let Self { client, #(#names,)* } = self;
            #(#takes)*
            #body_setup
            let url = format!(#template, client.baseurl, #(#path_args,)*);
            let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
            header_map.append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(super::Client::api_version()),
            );
            #[allow(unused_mut)]
            let mut request = client
                .client
                .#http_fn(url)
                .header(
                    ::reqwest::header::ACCEPT,
                    ::reqwest::header::HeaderValue::from_static(#accept),
                )
                #(#queries)*
                #body_call
                .headers(header_map)
                .build()?;
            let info = ::progenitor_client::OperationInfo {
                operation_id: #operation_id,
            };
            crate::Hooks::before_send(&client.inner, &mut request);
            client.pre(&mut request, &info).await?;
            let result = client.exec(request, &info).await;
            client.post(&result, &info).await?;
            crate::Hooks::after_send(&client.inner, &result);
            let response = result?;
            match response.status().as_u16() {
                #status => #decode,
                400u16..=499u16 => Err(Error::ErrorResponse(
                    ResponseValue::from_response(response).await?,
                )),
                500u16..=599u16 => Err(Error::ErrorResponse(
                    ResponseValue::from_response(response).await?,
                )),
                _ => Err(Error::UnexpectedResponse(response)),
            }
        }
    }
}

/// The body field, its initial value, its setters, and how `send` takes it,
/// as progenitor writes them.
fn body_members(
    ty: &TokenStream,
    builder: bool,
) -> (TokenStream, TokenStream, TokenStream, TokenStream) {
    let last = ty
        .clone()
        .into_iter()
        .last()
        .map(|t| t.to_string())
        .unwrap_or_default();
    let failed = format!("conversion to `{last}` for body failed: {{}}");
    if builder {
        let builder_ty = builder_path(ty);
        (
            quote!(body: Result<#builder_ty, String>),
            quote!(body: Ok(::std::default::Default::default())),
            quote! {
                pub fn body<V>(mut self, value: V) -> Self
                where
                    V: std::convert::TryInto<#ty>,
                    <V as std::convert::TryInto<#ty>>::Error: std::fmt::Display,
                {
                    self.body = value.try_into().map(From::from).map_err(|s| format!(#failed, s));
                    self
                }

                pub fn body_map<F>(mut self, f: F) -> Self
                where
                    F: std::ops::FnOnce(#builder_ty) -> #builder_ty,
                {
                    self.body = self.body.map(f);
                    self
                }
            },
            quote! {
                let body = body
                    .and_then(|v| #ty::try_from(v).map_err(|e| e.to_string()))
                    .map_err(Error::InvalidRequest)?;
            },
        )
    } else {
        (
            quote!(body: Result<#ty, String>),
            quote!(body: Err("body was not initialized".to_string())),
            quote! {
                pub fn body<V>(mut self, value: V) -> Self
                where
                    V: std::convert::TryInto<#ty>,
                    <V as std::convert::TryInto<#ty>>::Error: std::fmt::Display,
                {
                    self.body = value.try_into().map_err(|s| format!(#failed, s));
                    self
                }
            },
            quote!(let body = body.map_err(Error::InvalidRequest)?;),
        )
    }
}

/// `super::types::X` to `super::types::builder::X`.
fn builder_path(ty: &TokenStream) -> TokenStream {
    let text = ty.to_string().replace(' ', "");
    let (module, name) = text.rsplit_once("::").expect("a type path");
    let tokens: TokenStream = format!("{module}::builder::{name}")
        .parse()
        .expect("a path");
    tokens
}

fn error_type(spec: &Value, op: &Operation, types: &TypePaths) -> Result<TokenStream> {
    let response = op
        .operation
        .pointer("/responses/4XX")
        .ok_or_else(|| anyhow!("{}: no 4XX response", op.id))?;
    let response = spec::resolve(spec, response)?;
    let name = response
        .pointer("/content/application~1json/schema")
        .and_then(schema_name)
        .ok_or_else(|| anyhow!("{}: the 4XX response must be a JSON `$ref` schema", op.id))?;
    Ok(types.path(name))
}
