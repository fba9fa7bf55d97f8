//! The tantivy schema, declared once.

use crate::analyzer::ANALYZER;
use mcdewey_core::{Chunk, ChunkId};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, Value, FAST,
    STORED, STRING,
};
use tantivy::{TantivyDocument, Term};

/// The fields of a chunk document.
#[derive(Debug, Clone)]
pub struct Fields {
    /// The tantivy schema these fields belong to.
    pub schema: Schema,
    /// `product::version::doc-set::file-stem::ordinal`, exact.
    pub chunk_id: Field,
    /// `product::version::doc-set::file-stem`, exact: all chunks of one document.
    pub document: Field,
    /// Library-relative path, exact.
    pub source: Field,
    /// Product folder, exact and fast (filters, facet counts).
    pub product: Field,
    /// Version folder, exact and fast.
    pub version: Field,
    /// Doc-set folder, exact and fast.
    pub doc_set: Field,
    /// Chunk ordinal within its document.
    pub ordinal: Field,
    /// Heading path, analysed for search (boosted).
    pub heading_text: Field,
    /// Chunk text, analysed for search.
    pub body: Field,
    /// The chunk as JSON ([`Chunk`]), stored only.
    pub stored: Field,
}

impl Fields {
    /// Builds the schema.
    pub fn new() -> Fields {
        let mut b = Schema::builder();
        let analysed = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let chunk_id = b.add_text_field("chunk_id", STRING | STORED);
        let document = b.add_text_field("document", STRING | FAST);
        let source = b.add_text_field("source", STRING);
        let product = b.add_text_field("product", STRING | FAST);
        let version = b.add_text_field("version", STRING | FAST);
        let doc_set = b.add_text_field("doc_set", STRING | FAST);
        let ordinal = b.add_u64_field(
            "ordinal",
            NumericOptions::default().set_indexed().set_fast(),
        );
        let heading_text = b.add_text_field("heading_text", analysed.clone());
        let body = b.add_text_field("body", analysed);
        let stored = b.add_text_field("stored", STORED);
        Fields {
            schema: b.build(),
            chunk_id,
            document,
            source,
            product,
            version,
            doc_set,
            ordinal,
            heading_text,
            body,
            stored,
        }
    }

    /// Re-reads the fields of an existing index's schema.
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        let f = |name: &str| schema.get_field(name);
        Ok(Fields {
            schema: schema.clone(),
            chunk_id: f("chunk_id")?,
            document: f("document")?,
            source: f("source")?,
            product: f("product")?,
            version: f("version")?,
            doc_set: f("doc_set")?,
            ordinal: f("ordinal")?,
            heading_text: f("heading_text")?,
            body: f("body")?,
            stored: f("stored")?,
        })
    }

    /// The tantivy document of a chunk.
    pub fn to_document(&self, chunk: &Chunk) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(self.chunk_id, chunk.id.to_string());
        doc.add_text(self.document, &chunk.id.document);
        doc.add_text(self.source, &chunk.source);
        doc.add_text(self.product, &chunk.product);
        doc.add_text(self.version, &chunk.version);
        doc.add_text(self.doc_set, &chunk.doc_set);
        doc.add_u64(self.ordinal, u64::from(chunk.id.ordinal));
        doc.add_text(self.heading_text, chunk.heading.join("\n"));
        doc.add_text(self.body, &chunk.text);
        doc.add_text(
            self.stored,
            serde_json::to_string(chunk).expect("a chunk always serialises"),
        );
        doc
    }

    /// The chunk stored in a tantivy document.
    pub fn to_chunk(&self, doc: &TantivyDocument) -> Option<Chunk> {
        let json = doc.get_first(self.stored)?.as_str()?;
        serde_json::from_str(json).ok()
    }

    /// The term that finds a chunk by id.
    pub fn chunk_term(&self, id: &ChunkId) -> Term {
        Term::from_field_text(self.chunk_id, &id.to_string())
    }

    /// The term that finds every chunk of a source file.
    pub fn source_term(&self, source: &str) -> Term {
        Term::from_field_text(self.source, source)
    }
}

impl Default for Fields {
    fn default() -> Self {
        Fields::new()
    }
}
