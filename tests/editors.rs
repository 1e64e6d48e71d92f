//! The VS Code extension in `editors/vscode` stays in step with the language: its files
//! are valid, name each other, start `polc lsp`, and its grammar highlights every keyword
//! the pest grammar has.

use serde_json::Value;
use std::path::Path;

fn editor_file(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/vscode").join(path)).unwrap()
}

fn json(path: &str) -> Value {
    serde_json::from_str(&editor_file(path)).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// Every word a `kw_` rule of the pest grammar matches.
fn keywords() -> Vec<String> {
    let grammar = include_str!("../grammar/polc.pest");
    let mut words = Vec::new();
    for line in grammar.lines().filter(|line| line.starts_with("kw_")) {
        for (index, piece) in line.split('"').enumerate() {
            if index % 2 == 1 && !words.contains(&piece.to_string()) {
                words.push(piece.to_string());
            }
        }
    }
    words
}

#[test]
fn the_extension_files_name_each_other_and_start_the_language_server() {
    let package = json("package.json");
    let language = &package["contributes"]["languages"][0];
    assert_eq!(language["id"], "polc");
    assert_eq!(language["extensions"], serde_json::json!([".pol"]));
    let configuration = language["configuration"].as_str().unwrap();
    let comments = json(configuration)["comments"]["lineComment"].clone();
    assert_eq!(comments, "#", "the pest grammar's comments start with #");
    let grammar = &package["contributes"]["grammars"][0];
    assert_eq!(grammar["language"], "polc");
    let highlighting = json(grammar["path"].as_str().unwrap());
    assert_eq!(highlighting["scopeName"], grammar["scopeName"]);
    let main = editor_file(package["main"].as_str().unwrap());
    assert!(main.contains("args: [\"lsp\"]"), "the extension starts `polc lsp`");
    assert!(package["dependencies"]["vscode-languageclient"].is_string());
}

#[test]
fn the_highlighting_grammar_knows_every_keyword() {
    let highlighting = editor_file("syntaxes/polc.tmLanguage.json");
    let grammar: Value = serde_json::from_str(&highlighting).unwrap();
    let patterns = grammar["repository"]["keyword"]["patterns"].as_array().unwrap();
    let alternatives: Vec<&str> = patterns
        .iter()
        .flat_map(|pattern| {
            let regex = pattern["match"].as_str().unwrap();
            let inner = regex.split_once(")(").map_or(regex, |(_, rest)| rest);
            let inner = inner.split(")(?!").next().unwrap();
            inner.split('|')
        })
        .collect();
    let words = keywords();
    assert!(words.len() > 70, "found only {} keywords in the pest grammar", words.len());
    let missing: Vec<&String> = words.iter().filter(|word| !alternatives.contains(&word.as_str())).collect();
    assert!(missing.is_empty(), "the highlighting grammar lacks {missing:?}");
}
