//! What more than one test file needs.

// Each test file is a crate of its own that uses a part of this module.
#![allow(dead_code)]

use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The shape policies, `policies/shapes/*.pol`, in name order.
pub fn shape_policies() -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/shapes");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "pol"))
        .collect();
    paths.sort();
    paths
}

/// Every shipped policy: the Chengdu policy, then each shape.
pub fn shipped_policies() -> Vec<PathBuf> {
    let mut paths = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/chengdu-ai-2024.pol")];
    paths.extend(shape_policies());
    paths
}

/// Records as CSV under `columns`: a missing or null field is an empty cell, text is
/// itself, anything else its JSON.
pub fn as_csv<'r>(columns: &[String], records: impl Iterator<Item = &'r Map<String, Value>>) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(columns).unwrap();
    for record in records {
        let row: Vec<String> = columns
            .iter()
            .map(|column| match record.get(column) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(text)) => text.clone(),
                Some(other) => other.to_string(),
            })
            .collect();
        writer.write_record(&row).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}
