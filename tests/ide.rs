//! What an editor asks of every shipped policy: every name an expression, a key, a
//! recipient, a cap or a class uses resolves to its declaration, hover says what it is,
//! and the outline holds every clause. The protocol itself is tested in tests/lsp.rs.

mod common;

use polc::ide::{Analysis, OutlineItem, OutlineKind, SymbolKind};

fn clauses(items: &[OutlineItem]) -> Vec<String> {
    items
        .iter()
        .flat_map(|item| {
            let mine = (item.kind == OutlineKind::Clause).then(|| item.name.clone());
            mine.into_iter().chain(clauses(&item.children))
        })
        .collect()
}

#[test]
fn every_shipped_policy_resolves_its_names() {
    for path in common::shipped_policies() {
        let text = std::fs::read_to_string(&path).unwrap();
        let analysis = Analysis::new(&text);
        let shown = path.display();
        assert!(analysis.diagnostics.iter().all(|diagnostic| !diagnostic.is_error()), "{shown}");
        let policy = polc::check_source(&text).policy.unwrap();
        // Every input is declared once, and its every use in the text leads back to it.
        for input in &policy.inputs {
            let symbol = analysis
                .symbols()
                .iter()
                .find(|symbol| symbol.kind == SymbolKind::Input && symbol.name == input.name)
                .unwrap_or_else(|| panic!("{shown}: no symbol for input {}", input.name));
            let declaration = symbol.span;
            let uses = analysis.references(declaration.start, true);
            assert_eq!(uses.first().map(|span| span.start), Some(declaration.start), "{shown}: {}", input.name);
            for span in &uses {
                assert_eq!(&text[span.start..span.end], input.name, "{shown}");
                assert_eq!(analysis.definition(span.start).map(|span| span.start), Some(declaration.start), "{shown}");
            }
            let (_, hover) = analysis.hover(declaration.start).unwrap();
            assert!(hover.contains(&format!("input {}", input.name)), "{shown}: {hover}");
        }
        // Every clause is in the outline, under its article.
        let outlined = clauses(analysis.outline());
        assert_eq!(outlined.len(), policy.clauses.len(), "{shown}");
        for (name, clause) in outlined.iter().zip(&policy.clauses) {
            assert!(name.starts_with(&clause.id), "{shown}: {name} for {}", clause.id);
        }
        // A clause named in a cap or class leads to its declaration.
        for cap in &policy.caps {
            for clause in &cap.clauses {
                let id = &policy.clauses[*clause].id;
                let declared = analysis
                    .symbols()
                    .iter()
                    .find(|symbol| symbol.kind == SymbolKind::Clause && symbol.name == *id)
                    .unwrap();
                assert!(!analysis.references(declared.span.start, false).is_empty(), "{shown}: cap over {id}");
            }
        }
    }
}
