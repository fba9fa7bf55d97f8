-- McDewey's PostgreSQL store, version 1. Applied by `mcdewey` itself (refinery) the
-- first time it connects; the history is in refinery_schema_history.
CREATE EXTENSION IF NOT EXISTS vector;

-- The library-wide part of the manifest, one row. `generation` grows by one with every
-- committed update: servers poll it to refresh what they cache (library tree, counts).
CREATE TABLE library_state (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    generation bigint NOT NULL DEFAULT 0,
    settings text NOT NULL DEFAULT '',
    library text,
    updated_at bigint NOT NULL DEFAULT 0,
    -- Id and dimension of the embedding model of the vectors in chunks.embedding.
    model text,
    dim integer,
    skipped jsonb NOT NULL DEFAULT '[]'
);
INSERT INTO library_state DEFAULT VALUES;

-- One row per indexed file: the key of incremental updates.
CREATE TABLE documents (
    source text PRIMARY KEY,
    document text NOT NULL,
    hash text NOT NULL,
    chunks integer NOT NULL,
    bytes bigint NOT NULL,
    indexed_at bigint NOT NULL,
    warnings jsonb NOT NULL DEFAULT '[]',
    stale text
);

CREATE TABLE chunks (
    id text PRIMARY KEY,
    document text NOT NULL,
    ordinal integer NOT NULL,
    source text NOT NULL,
    product text NOT NULL,
    version text NOT NULL,
    doc_set text NOT NULL,
    heading text[] NOT NULL,
    page text,
    page_end text,
    pdf_page integer,
    pdf_page_end integer,
    body text NOT NULL,
    raw text NOT NULL,
    line_start integer NOT NULL,
    line_end integer NOT NULL,
    -- Unit-length chunk vector; its HNSW index is made per dimension by the indexer
    -- (chunks_embedding_<dim>), as the model decides the dimension.
    embedding vector
);
CREATE UNIQUE INDEX chunks_document_ordinal ON chunks (document, ordinal);
CREATE INDEX chunks_source ON chunks (source);
CREATE INDEX chunks_filter ON chunks (product, version, doc_set);
CREATE INDEX chunks_doc_set ON chunks (doc_set);

-- Keyword retrieval: heading path at weight A, text at weight D. A narrow table of its
-- own, because ranking reads the tsvector of every matching row and rows of `chunks`
-- (text, raw text, vector) are three times slower to scan.
CREATE TABLE chunk_search (
    id text PRIMARY KEY REFERENCES chunks (id) ON DELETE CASCADE,
    product text NOT NULL,
    version text NOT NULL,
    doc_set text NOT NULL,
    search tsvector NOT NULL
);
CREATE INDEX chunk_search_search ON chunk_search USING gin (search);
CREATE INDEX chunk_search_filter ON chunk_search (product, version, doc_set);

-- In how many chunks each lexeme occurs (BM25's document frequency), kept up to date
-- by every update from the chunks it removes and adds.
CREATE TABLE term_stats (
    term text PRIMARY KEY,
    df integer NOT NULL
);
