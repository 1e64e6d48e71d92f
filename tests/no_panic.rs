//! Mutated policies (tokens deleted, duplicated and swapped; random bytes) never make the
//! parser or checker panic or hang.

use proptest::prelude::*;

const SHIPPED: &str = include_str!("../policies/chengdu-ai-2024.pol");

fn tokens() -> Vec<&'static str> {
    SHIPPED.split_inclusive(|ch: char| ch.is_whitespace() || "(){},:\"".contains(ch)).collect()
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    Insert(usize, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let count = tokens().len();
    prop_oneof![
        (0..count).prop_map(Mutation::Delete),
        (0..count).prop_map(Mutation::Duplicate),
        (0..count, 0..count).prop_map(|(left, right)| Mutation::Swap(left, right)),
        (0..count, any::<String>()).prop_map(|(at, text)| Mutation::Insert(at, text)),
        (
            0..count,
            prop::sample::select(vec![
                "(",
                ")",
                "{",
                "}",
                "\"",
                "\"\"\"",
                "#",
                "万",
                "%",
                "not ",
                "and ",
                "article 1 \"x\"\n",
                "1.1",
                "9999999999999999999999999999999亿",
                "\n"
            ])
        )
            .prop_map(|(at, text)| Mutation::Insert(at, text.to_string())),
    ]
}

fn apply(mutations: &[Mutation]) -> String {
    let mut pieces: Vec<String> = tokens().into_iter().map(str::to_string).collect();
    for mutation in mutations {
        let len = pieces.len();
        if len == 0 {
            break;
        }
        match mutation {
            Mutation::Delete(at) => {
                pieces.remove(at % len);
            }
            Mutation::Duplicate(at) => {
                let piece = pieces[at % len].clone();
                pieces.insert(at % len, piece);
            }
            Mutation::Swap(left, right) => pieces.swap(left % len, right % len),
            Mutation::Insert(at, text) => pieces.insert(at % len, text.clone()),
        }
    }
    pieces.concat()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn mutated_policies_never_panic(mutations in prop::collection::vec(mutation(), 1..6)) {
        let text = apply(&mutations);
        let report = polc::check_source(&text);
        // Every diagnostic's span lies inside the file, so it can be rendered.
        for diagnostic in &report.diagnostics {
            prop_assert!(diagnostic.primary.span.end <= text.len());
        }
        for lang in [polc::lang::Lang::En, polc::lang::Lang::Zh] {
            let source = polc::diag::render::Source { name: "m.pol", text: &text };
            let _ = polc::diag::render::human(&source, &report.diagnostics, false, lang);
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = polc::check_source(&text);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for depth in [40, 1_000, 100_000] {
        let text = format!(
            "policy \"p\"\n  cases identified by id, dated by date\ninput id: text\ninput date: date\ninput a: entity\ninput m: money\narticle 1 \"x\"\n  clause 1.1 award 10% of {}m{} to a\n",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        let report = polc::check_source(&text);
        assert!(report.diagnostics.iter().any(|diagnostic| diagnostic.code.id() == "E0102"));
    }
}

#[test]
fn long_flat_chains_do_not_recurse() {
    let chain = vec!["flag"; 50_000].join(" and ");
    let negations = "not ".repeat(50_000);
    let sum = vec!["m"; 50_000].join(" + ");
    let text = format!(
        "policy \"p\"\n  cases identified by id, dated by date\ninput id: text\ninput date: date\ninput a: entity\ninput m: money\ninput flag: bool\narticle 1 \"x\"\n  clause 1.1 when {chain} and {negations} flag award 10% of ({sum}) to a\n"
    );
    let report = polc::check_source(&text);
    assert_eq!(report.error_count(), 0, "{:?}", report.diagnostics);
}

/// Named values may chain as long as the file: 20,000 values each reading the one before,
/// and 200 each reading the one before twice (2^200 paths if followed naively). Checking,
/// `polc bounds` and `polc diff` finish, without a stack overflow.
#[test]
fn long_chains_of_named_values_neither_overflow_nor_explode() {
    for (count, twice) in [(20_000, false), (200, true)] {
        let mut text = String::from(
            "policy \"p\"\n  valid from 2024-01-01 for 2 years\n  cases identified by id, dated by date\n\
             input id: text required\ninput date: date required\ninput a: entity required\ninput m: money\n\
             value v0 = m\n",
        );
        for index in 1..count {
            let previous = index - 1;
            let step = if twice { format!("v{previous} + v{previous}") } else { format!("v{previous} + 1元") };
            text.push_str(&format!("value v{index} = {step}\n"));
        }
        let last = count - 1;
        text.push_str(&format!(
            "article 1 \"x\"\n  clause 1.1\n    when v{last} > 5万 and not (v{last} > 5万)\n    award 10% of v{last}\n    to a\n"
        ));
        let report = polc::check_source(&text);
        assert_eq!(report.error_count(), 0, "{:?}", report.diagnostics.first());
        let policy = report.policy.expect("the policy checks");
        let bounds = polc::analyze::bounds::bounds(&policy);
        assert_eq!(bounds.clauses.len(), 1);
        assert!(polc::analyze::diff::diff(&policy, &policy).changes.is_empty());
    }
}
