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
    let job = gen.subschema_for::<crate::jobs::Job>().to_value();
    let jobs = json!({"type": "object", "required": ["jobs"], "properties": {"jobs": {"type": "array", "items": job.clone(), "description": "Newest first"}}});
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
    let admin = admin_ops(&job, &jobs, &errors);
    let mut doc = json!({
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
    });
    for (path, op) in admin {
        doc["paths"][path] = op;
    }
    doc
}

/// A JSON request body.
fn json_body(schema: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema}}})
}

/// The admin operations (`--allow-write`, admin tokens): each change answers 202 with
/// the job it queued.
fn admin_ops(
    job: &Value,
    jobs: &Value,
    errors: &dyn Fn(&mut Value, &[&str]),
) -> Vec<(&'static str, Value)> {
    let csrf = json!({"type": "string", "description": "With a session cookie instead of a bearer token: the session's CSRF token (or send X-CSRF-Token)"});
    let folder = |what: &str| json!({"type": "string", "description": format!("{what} folder")});
    let accepted = |summary: &str, id: &str, body: Option<Value>| {
        let mut op = json!({
            "summary": summary, "operationId": id,
            "description": "Admin tokens on a server started with --allow-write. Answers at once with the job it queued (Location: /api/admin/jobs/{id}); the job changes the library, then updates and serves the index.",
            "responses": {"202": ok("The job, queued", job.clone())}
        });
        if let Some(b) = body {
            op["requestBody"] = b;
        }
        errors(&mut op, &["400", "401", "403", "503"]);
        op
    };
    let add = accepted(
        "Add a manual from a URL, or crawl a documentation site",
        "addSource",
        Some(json_body(json!({
            "type": "object", "required": ["url", "product", "version", "doc_set"],
            "properties": {
                "url": {"type": "string", "format": "uri", "description": "http(s) URL of a PDF, HTML, Markdown or text document; private addresses are refused unless the server allows them"},
                "product": folder("Product"), "version": folder("Version"), "doc_set": folder("Doc-set"),
                "name": {"type": "string", "description": "File name in the doc set (default: the URL's last path segment)"},
                "crawl": {"type": "boolean", "default": false, "description": "Crawl the site below the URL (robots.txt honoured)"},
                "max_pages": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 500},
                "max_depth": {"type": "integer", "minimum": 0, "maximum": 100, "default": 10},
                "csrf": csrf.clone()
            }
        }))),
    );
    let mut upload = accepted(
        "Upload documents into a doc set",
        "uploadDocuments",
        Some(
            json!({"required": true, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["product", "version", "doc_set", "file"],
                "properties": {
                    "product": folder("Product"), "version": folder("Version"), "doc_set": folder("Doc-set"),
                    "file": {"type": "array", "items": {"type": "string", "contentMediaType": "application/octet-stream"}, "description": "One or more PDF, HTML, Markdown or text files; content must match the name"},
                    "csrf": csrf.clone()
                }
            }}}}),
        ),
    );
    upload["responses"]["413"] = error_ref();
    let refresh = accepted(
        "Fetch documents added from a URL again and re-index what changed",
        "refreshSources",
        Some(
            json!({"required": false, "content": {"application/json": {"schema": {
                "type": "object",
                "properties": {
                    "scope": {"type": "string", "description": "Only the documents of this URL, or below this library path (cucm/v15); default all"},
                    "csrf": csrf.clone()
                }
            }}}}),
        ),
    );
    let remove = accepted(
        "Remove a document from the library and the index",
        "removeDocument",
        Some(json_body(json!({
            "type": "object", "required": ["source"],
            "properties": {
                "source": {"type": "string", "description": "Library path product/version/doc-set/file"},
                "csrf": csrf
            }
        }))),
    );
    let mut list = json!({
        "summary": "Jobs since the server started, newest first", "operationId": "listJobs",
        "responses": {"200": ok("The jobs", jobs.clone())}
    });
    errors(&mut list, &["401", "403"]);
    let mut one = json!({
        "summary": "One job: its progress, documents, index report and error", "operationId": "getJob",
        "parameters": [path_param("id", "Job number")],
        "responses": {"200": ok("The job", job.clone())}
    });
    errors(&mut one, &["400", "401", "403", "404"]);
    vec![
        ("/api/admin/add", json!({"post": add})),
        ("/api/admin/upload", json!({"post": upload})),
        ("/api/admin/refresh", json!({"post": refresh})),
        ("/api/admin/remove", json!({"post": remove})),
        ("/api/admin/jobs", json!({"get": list})),
        ("/api/admin/jobs/{id}", json!({"get": one})),
    ]
}

pub(crate) async fn document() -> Json<Value> {
    Json(build())
}
