//! The OpenAPI 3.1 document of the JSON API, generated from the response types' JSON
//! Schemas (the same derives the MCP tools use), served at `/api/openapi.json`.

use crate::api::{ChunkView, ContextView, DocumentView};
use axum::Json;
use mcdewey_search::{LibraryTree, SearchResponse};
use schemars::generate::SchemaSettings;
use serde_json::{json, Value};

fn query_param(name: &str, description: &str, schema: Value, required: bool) -> Value {
    json!({"name": name, "in": "query", "required": required, "description": description, "schema": schema})
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": {"type": "string"}})
}

fn ok(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn error_ref() -> Value {
    json!({"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

/// Builds the document.
pub fn build() -> Value {
    let mut gen = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .into_generator();
    let search = gen.subschema_for::<SearchResponse>().to_value();
    let chunk = gen.subschema_for::<ChunkView>().to_value();
    let context = gen.subschema_for::<ContextView>().to_value();
    let document = gen.subschema_for::<DocumentView>().to_value();
    let library = gen.subschema_for::<LibraryTree>().to_value();
    let comparison = gen.subschema_for::<mcdewey_search::Comparison>().to_value();
    let mut schemas = gen.take_definitions(true);
    schemas.insert(
        "Error".into(),
        json!({
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string", "description": "Stable machine-readable code, e.g. unknown_filter, chunk_not_found, invalid_argument"},
                "message": {"type": "string", "description": "What went wrong, naming the field or value at fault"}}}}
        }),
    );
    let errors = |v: &mut Value, codes: &[&str]| {
        for c in codes {
            v["responses"][*c] = error_ref();
        }
    };
    let mut search_op = json!({
        "summary": "Hybrid search over the library",
        "description": "BM25 keywords and sentence embeddings fused by reciprocal rank. Each result cites source, version, page and heading path.",
        "operationId": "search",
        "parameters": [
            query_param("q", "What to look for: words, a question, a CLI command, an error message.", json!({"type": "string", "maxLength": mcdewey_search::MAX_QUERY_CHARS}), true),
            query_param("product", "Only this product (folder name, e.g. cucm).", json!({"type": "string"}), false),
            query_param("version", "Only this version: folder name (v12.5.1su1), as written (12.5(1)SU1), or latest.", json!({"type": "string"}), false),
            query_param("doc_set", "Only this doc set (folder name).", json!({"type": "string"}), false),
            query_param("limit", "Number of results.", json!({"type": "integer", "minimum": 1, "maximum": mcdewey_search::MAX_LIMIT, "default": 10}), false),
            query_param("mode", "Retrieval mode.", json!({"type": "string", "enum": ["bm25", "vector", "hybrid"], "default": "hybrid"}), false),
            query_param("understand", "false: take the query as written, without steering to a release or product named in it.", json!({"type": "boolean", "default": true}), false),
        ],
        "responses": {"200": ok("Ranked results", search)}
    });
    errors(&mut search_op, &["400", "401", "503"]);
    let mut chunk_op = json!({
        "summary": "One chunk with its citation", "operationId": "getChunk",
        "parameters": [path_param("id", "Chunk id product::version::doc-set::file-stem::ordinal")],
        "responses": {"200": ok("The chunk", chunk)}
    });
    errors(&mut chunk_op, &["400", "401", "404"]);
    let mut context_op = json!({
        "summary": "A chunk with its neighbours in document order", "operationId": "getContext",
        "parameters": [
            path_param("id", "Chunk id"),
            query_param("before", "Chunks before (0-20).", json!({"type": "integer", "minimum": 0, "maximum": crate::api::MAX_CONTEXT, "default": 2}), false),
            query_param("after", "Chunks after (0-20).", json!({"type": "integer", "minimum": 0, "maximum": crate::api::MAX_CONTEXT, "default": 2}), false),
        ],
        "responses": {"200": ok("The chunks", context)}
    });
    errors(&mut context_op, &["400", "401", "404"]);
    let mut library_op = json!({
        "summary": "Products, versions, doc sets and documents with counts", "operationId": "getLibrary",
        "responses": {"200": ok("The library tree", library)}
    });
    errors(&mut library_op, &["401"]);
    let mut document_op = json!({
        "summary": "A whole document, chunk by chunk", "operationId": "getDocument",
        "parameters": [path_param("source", "Library-relative path, e.g. cucm/v15/security-guide/security-guide.md")],
        "responses": {"200": ok("The document", document)}
    });
    errors(&mut document_op, &["401", "404"]);
    let mut compare_op = json!({
        "summary": "What changed between two releases of a product, cited on both sides",
        "description": "Sections of the two releases aligned across documents (renamed files, renumbered chapters, reworded headings): each unchanged, changed, moved, added or removed. With q, only the passages the query finds in either release, each with its counterpart and a word-level diff; with section, one section (a chunk id of either release or words of its heading) with its diff.",
        "operationId": "compareReleases",
        "parameters": [
            query_param("product", "Product folder, e.g. cucm.", json!({"type": "string"}), true),
            query_param("from", "The older release: folder name (v12.5.1) or as written (12.5(1)).", json!({"type": "string"}), true),
            query_param("to", "The newer release.", json!({"type": "string"}), true),
            query_param("doc_set", "Only this doc set.", json!({"type": "string"}), false),
            query_param("q", "What changed about this: searched in both releases.", json!({"type": "string", "maxLength": mcdewey_search::MAX_QUERY_CHARS}), false),
            query_param("section", "One section: a chunk id of either release, or words of its heading.", json!({"type": "string"}), false),
            query_param("all", "List unchanged sections too.", json!({"type": "boolean", "default": false}), false),
            query_param("limit", "Passages per release a query looks at.", json!({"type": "integer", "minimum": 1, "maximum": 20, "default": 5}), false),
        ],
        "responses": {"200": ok("The comparison", comparison)}
    });
    errors(&mut compare_op, &["400", "401"]);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "McDewey API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Search a multi-vendor documentation library with exact citations (source, page, heading path, chunk id). Errors are {\"error\": {\"code\", \"message\"}}."
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "Required when the server runs with --token"}}
        },
        "security": [{}, {"bearer": []}],
        "paths": {
            "/api/search": {"get": search_op},
            "/api/chunks/{id}": {"get": chunk_op},
            "/api/chunks/{id}/context": {"get": context_op},
            "/api/library": {"get": library_op},
            "/api/documents/{source}": {"get": document_op},
            "/api/compare": {"get": compare_op},
        }
    })
}

pub(crate) async fn document() -> Json<Value> {
    Json(build())
}
