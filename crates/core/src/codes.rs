//! The one table of error codes: every code the engine, the JSON API, MCP and the CLI
//! report, with the HTTP status the API answers it with and what it means.
//! docs/web-and-api.md's table is checked against it (`crates/server/tests/router.rs`).

/// One error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    /// The stable, machine-readable code clients match on.
    pub code: &'static str,
    /// The HTTP status the API answers it with.
    pub status: u16,
    /// When it is given.
    pub meaning: &'static str,
}

/// Every error code, client errors first.
pub const ERROR_CODES: &[ErrorCode] = &[
    ErrorCode { code: "empty_query", status: 400, meaning: "the query is empty or has no word to search for" },
    ErrorCode { code: "invalid_argument", status: 400, meaning: "a field is malformed or out of range (the message names it): limit, mode, a chunk id, context counts, compare releases" },
    ErrorCode { code: "unknown_filter", status: 400, meaning: "a product, version or doc set the library does not have (the message lists the known ones)" },
    ErrorCode { code: "unauthorized", status: 401, meaning: "a token is required and the request has neither `Authorization: Bearer …` (scheme in any case) nor a signed-in session; pages redirect to `/login` instead" },
    ErrorCode { code: "forbidden", status: 403, meaning: "the token's role may not do this (a `read` token on an admin route), or a form's CSRF token is wrong" },
    ErrorCode { code: "writes_disabled", status: 403, meaning: "adding, refreshing or removing documents on a server started without `--allow-write`" },
    ErrorCode { code: "forbidden_origin", status: 403, meaning: "called from a foreign browser origin (any route)" },
    ErrorCode { code: "chunk_not_found", status: 404, meaning: "no chunk has this id" },
    ErrorCode { code: "document_not_found", status: 404, meaning: "no indexed document has this source path" },
    ErrorCode { code: "job_not_found", status: 404, meaning: "no job has this number (jobs are kept until the server restarts)" },
    ErrorCode { code: "too_large", status: 413, meaning: "an uploaded file or upload is over the size limit (`serve --max-file-size`, `--max-upload-size`)" },
    ErrorCode { code: "not_found", status: 404, meaning: "no such API route" },
    ErrorCode { code: "forbidden_host", status: 421, meaning: "the `Host` header names a host the server was not told about (DNS rebinding); allow it with `--allow-host`" },
    ErrorCode { code: "busy", status: 503, meaning: "too many admin jobs are waiting; try again when some have finished" },
    ErrorCode { code: "semantic_unavailable", status: 503, meaning: "`mode=vector` or `hybrid` asked of a server without the embedding model or an index without vectors" },
    ErrorCode { code: "timeout", status: 503, meaning: "the request ran past the server's time limit" },
    ErrorCode { code: "model_failed", status: 500, meaning: "the embedding model failed on the query (logged)" },
    ErrorCode { code: "index_error", status: 500, meaning: "the index or database failed (logged)" },
    ErrorCode { code: "internal", status: 500, meaning: "anything else that went wrong on the server (logged)" },
];

/// The HTTP status of a code; 500 for a code not in the table.
pub fn error_status(code: &str) -> u16 {
    ERROR_CODES
        .iter()
        .find(|c| c.code == code)
        .map_or(500, |c| c.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_statuses_are_errors() {
        let mut seen = std::collections::HashSet::new();
        for c in ERROR_CODES {
            assert!(seen.insert(c.code), "{} twice", c.code);
            assert!((400..600).contains(&c.status), "{}", c.code);
        }
        assert_eq!(error_status("forbidden_host"), 421);
        assert_eq!(error_status("no_such_code"), 500);
    }
}
