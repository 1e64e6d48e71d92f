//! The shipped Chengdu policy checks clean: no errors, and only the warnings its reading
//! expects (the open amount of 6.1).

use polc::check::checked::Award;
use polc::diag::Code;

fn shipped() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/policies/chengdu-ai-2024.pol"))
        .expect("the policy ships")
}

#[test]
fn chengdu_policy_checks_with_only_the_expected_warning() {
    let report = polc::check_source(&shipped());
    let codes: Vec<(&str, String)> =
        report.diagnostics.iter().map(|diagnostic| (diagnostic.code.id(), diagnostic.message.clone())).collect();
    assert_eq!(codes, vec![(Code::OpenAmount.id(), "clause `6.1` leaves its amount open: \"一定比例\"".to_string())]);
    assert!(report.policy.is_some());
}

#[test]
fn chengdu_policy_has_every_clause_gate_class_and_cap_of_the_spec() {
    let policy = polc::check_source(&shipped()).policy.expect("checks");
    let ids: Vec<&str> = policy.clauses.iter().map(|clause| clause.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "4.1", "4.2", "5.1", "5.2", "6.1", "6.2", "7.1", "8.1", "8.2",
            "8.3", "8.4", "9.1", "10.1"
        ]
    );
    let kinds: Vec<&str> = policy.clauses.iter().map(|clause| clause.award.kind_name()).collect();
    assert_eq!(
        kinds,
        [
            "grant",
            "up_to",
            "up_to",
            "grant",
            "up_to",
            "grant",
            "up_to",
            "grant",
            "grant",
            "grant",
            "undetermined",
            "grant",
            "grant",
            "benefit",
            "benefit",
            "benefit",
            "grant",
            "grant",
            "grant"
        ]
    );
    let reviewed: Vec<&str> =
        policy.clauses.iter().filter(|clause| clause.subject_to_review).map(|clause| clause.id.as_str()).collect();
    assert_eq!(reviewed, ["1.2", "2.1", "3.1", "4.2", "8.2"]);
    assert_eq!(policy.gates.len(), 2);
    let gate_articles: Vec<u32> = policy
        .gates
        .iter()
        .filter_map(|gate| policy.articles.get(gate.article))
        .map(|article| article.number)
        .collect();
    assert_eq!(gate_articles, [11, 14]);
    let classes: Vec<(&str, Vec<&str>)> = policy
        .classes
        .iter()
        .map(|class| {
            let members = class
                .clauses
                .iter()
                .filter_map(|&index| policy.clauses.get(index))
                .map(|clause| clause.id.as_str())
                .collect();
            (class.name.as_str(), members)
        })
        .collect();
    assert_eq!(classes, [("rd_funding", vec!["1.2", "2.1"]), ("procurement", vec!["1.1", "3.2"])]);
    let caps: Vec<(String, Vec<&str>)> = policy
        .caps
        .iter()
        .map(|cap| {
            let members = cap
                .clauses
                .iter()
                .filter_map(|&index| policy.clauses.get(index))
                .map(|clause| clause.id.as_str())
                .collect();
            (cap.amount.to_string(), members)
        })
        .collect();
    assert_eq!(caps, [("1000000".to_string(), vec!["4.2"]), ("1000000".to_string(), vec!["10.1"])]);
    let validity = policy.validity.expect("declared");
    assert_eq!((validity.from.to_string(), validity.until.to_string()), ("2024-02-17".into(), "2027-02-16".into()));
    assert!(matches!(policy.clauses.get(10).map(|clause| &clause.award), Some(Award::Open { .. })));
    let articles_with_text = policy.articles.iter().filter(|article| article.text.is_some()).count();
    assert_eq!(articles_with_text, 14);
}
