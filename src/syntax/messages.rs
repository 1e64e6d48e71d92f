//! Syntax errors in words: what the grammar expected (never a rule name), what it found,
//! and a hint for the mistakes analysts make most.

use super::lower::Rule;
use crate::diag::{Code, Diagnostic};
use crate::span::Span;

/// The byte offset of a pest error within the item.
pub(super) fn error_offset(error: &pest::error::Error<Rule>) -> usize {
    match error.location {
        pest::error::InputLocation::Pos(at) => at,
        pest::error::InputLocation::Span((start, _)) => start,
    }
}

/// Puts a pest error in words. `in_article_part` when `text` is one part of an article,
/// parsed alone (see `recover`), so it is worded as in the whole article.
pub(super) fn syntax_error(
    text: &str,
    offset: usize,
    error: &pest::error::Error<Rule>,
    in_article_part: bool,
) -> Diagnostic {
    let at = error_offset(error);
    let found = describe_found(text.get(at..).unwrap_or_default());
    let span = Span::new(at, at + found.1).shifted(offset);
    let mut positives: Vec<Rule> = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        pest::error::ErrorVariant::CustomError { .. } => {
            return Diagnostic::new(Code::SyntaxError, "this item is too complex to parse", span, "gave up here")
                .with_help("split the item into smaller clauses")
                .in_chinese("这个条目太复杂，无法解析", "在此放弃")
                .help_in_chinese("请把条目拆成更小的条款");
        }
    };
    // An article part parsed on its own may end where the article goes on with the next.
    if in_article_part && positives.contains(&Rule::EOI) {
        positives.extend(ARTICLE_PART_RULES);
    }
    let positives = positives.as_slice();
    let expected = expected_words(positives);
    let message = match expected.as_slice() {
        [] => format!("unexpected {}", found.0),
        [only] => format!("expected {only}, found {}", found.0),
        [init @ .., last] => format!("expected {} or {last}, found {}", init.join(", "), found.0),
    };
    // In Chinese, the frame is Chinese; the tokens (keywords in backticks) are as written.
    let found_zh = match found.0.as_str() {
        "the end of the item" => "条目结尾".to_string(),
        "the end of the line" => "行尾".to_string(),
        other => other.to_string(),
    };
    let expected: Vec<String> = expected.iter().map(|words| words_zh(words)).collect();
    let message_zh = match expected.as_slice() {
        [] => format!("不应出现 {found_zh}"),
        [only] => format!("此处应为 {only}，实际是 {found_zh}"),
        [init @ .., last] => format!("此处应为 {} 或 {last}，实际是 {found_zh}", init.join("、")),
    };
    let mut diagnostic = Diagnostic::new(Code::SyntaxError, message, span, "here").in_chinese(message_zh, "此处");
    let before = text.get(..at).unwrap_or_default();
    let rest = text.get(at..).unwrap_or_default().trim_start_matches([' ', '\t']);
    if let Some((help, help_zh)) = hint(before, rest, positives) {
        diagnostic = diagnostic.with_help(help).help_in_chinese(help_zh);
    }
    diagnostic
}

/// The words of [`rule_words`] and the token groups in Chinese: a token in backticks is
/// as written; a phrase naming a kind of thing is translated, its example kept.
fn words_zh(english: &'static str) -> String {
    let translated = match english {
        "the end of the item" => "条目结尾",
        "a space" => "空格",
        "an article part (`clause`, `require`, `cap`, ...)" => "条的组成部分（`clause`、`require`、`cap` 等）",
        "a clause part (`when`, `award`, `to`, `once`, ...)" => "条款的组成部分（`when`、`award`、`to`、`once` 等）",
        "an operator such as `of`, `*`, `+`, `and` or `>=`" => "运算符（如 `of`、`*`、`+`、`and` 或 `>=`）",
        "a section number (`一`, `（一）`)" => "节的编号（`一`、`（一）`）",
        "an enum value" => "枚举取值",
        "a warning code (`W0002`)" => "警告代码（`W0002`）",
        "a clause id" => "条款编号",
        "a clause id (`1.1`)" => "条款编号（`1.1`）",
        "a clause id or `imported \"LABEL\"`" => "条款编号或 `imported \"LABEL\"`",
        "an amount" => "金额",
        "a recipient" => "受益方",
        "an expression" => "表达式",
        "a comparison" => "比较",
        "a comparison (`<`, `<=`, `>`, `>=`, `=`, `!=`)" => "比较（`<`、`<=`、`>`、`>=`、`=`、`!=`）",
        "a value" => "值",
        "an enum value or `else`" => "枚举取值或 `else`",
        "a range (`[1..5]`, `(5..10]`, `> 10`)" => "区间（`[1..5]`、`(5..10]`、`> 10`）",
        "a range (`[1..5]`)" => "区间（`[1..5]`）",
        "a bound (`> 10`, `<= 5`)" => "界限（`> 10`、`<= 5`）",
        "a tier threshold" => "档次门槛",
        "a literal" => "字面值",
        "a date (`2024-02-17`)" => "日期（`2024-02-17`）",
        "a length of time (`12 months`)" => "时长（`12 months`）",
        "an amount of money (`250万`)" => "金额（`250万`）",
        "a unit (`元`, `万`, `亿`)" => "单位（`元`、`万`、`亿`）",
        "a percentage (`10%`)" => "百分数（`10%`）",
        "a fraction (`万分之一`)" => "分数（`万分之一`）",
        "a Chinese numeral" => "中文数字",
        "a number" => "数字",
        "a whole number" => "整数",
        "a number (`500.5`)" => "数字（`500.5`）",
        "a string in double quotes" => "双引号括起的字符串",
        "a text block in `\"\"\"`" => "用 `\"\"\"` 括起的文本块",
        "a name" => "名称",
        "a keyword" => "关键字",
        // Tokens as written, joined by English words: `a`, `b` or `c`.
        tokens => return join_zh(tokens),
    };
    translated.to_string()
}

/// Tokens joined in English (`` `a`, `b` or `c` ``) joined in Chinese (`` `a`、`b` 或 `c` ``):
/// the connectors outside backticks change, the tokens do not.
fn join_zh(tokens: &str) -> String {
    let mut out = String::with_capacity(tokens.len());
    for (index, piece) in tokens.split('`').enumerate() {
        if index % 2 == 1 {
            out.push('`');
            out.push_str(piece);
            out.push('`');
        } else {
            out.push_str(
                &piece.replace(", or ", " 或 ").replace(", ", "、").replace(" or ", " 或 ").replace(" and ", " 和 "),
            );
        }
    }
    out
}

const ARTICLE_PART_RULES: [Rule; 6] =
    [Rule::kw_clause, Rule::kw_require, Rule::kw_class, Rule::kw_cap, Rule::kw_text, Rule::kw_responsible];

/// Groups of tokens named together when three or more of them are expected, so that a
/// message lists a handful of things, not twenty keywords.
const TOKEN_GROUPS: &[(&str, &[Rule])] = &[
    (
        "an operator such as `of`, `*`, `+`, `and` or `>=`",
        &[
            Rule::add_op,
            Rule::product_op,
            Rule::kw_of,
            Rule::kw_and,
            Rule::kw_or,
            Rule::kw_not,
            Rule::kw_is,
            Rule::kw_in,
            Rule::kw_between,
            Rule::kw_within,
            Rule::cmp_op,
            Rule::compare,
        ],
    ),
    (
        "a clause part (`when`, `award`, `to`, `once`, ...)",
        &[
            Rule::kw_when,
            Rule::kw_award,
            Rule::kw_to,
            Rule::kw_once,
            Rule::kw_for,
            Rule::history_after,
            Rule::kw_in,
            Rule::kw_subject,
        ],
    ),
    ("an article part (`clause`, `require`, `cap`, ...)", &ARTICLE_PART_RULES),
];

fn expected_words(positives: &[Rule]) -> Vec<&'static str> {
    let mut words: Vec<&'static str> = Vec::new();
    let mut grouped: Vec<Rule> = Vec::new();
    for (phrase, members) in TOKEN_GROUPS {
        let present: Vec<Rule> = positives.iter().copied().filter(|rule| members.contains(rule)).collect();
        if present.len() >= 3 {
            words.push(phrase);
            grouped.extend(present);
        }
    }
    let mut rest: Vec<&'static str> =
        positives.iter().filter(|rule| !grouped.contains(rule)).map(|rule| rule_words(*rule)).collect();
    rest.sort_unstable();
    words.extend(rest);
    words.dedup();
    words
}

/// Full-width punctuation an IME types in place of the ASCII character polc needs.
const FULL_WIDTH: &[(char, &str, &str, char)] = &[
    ('：', "colon", "冒号", ':'),
    ('，', "comma", "逗号", ','),
    ('（', "opening bracket", "左括号", '('),
    ('）', "closing bracket", "右括号", ')'),
    ('；', "semicolon", "分号", ';'),
    ('“', "opening quotation mark", "左引号", '"'),
    ('”', "closing quotation mark", "右引号", '"'),
    ('＝', "equals sign", "等号", '='),
    ('＞', "greater-than sign", "大于号", '>'),
    ('＜', "less-than sign", "小于号", '<'),
    ('％', "percent sign", "百分号", '%'),
    ('｛', "opening brace", "左花括号", '{'),
    ('｝', "closing brace", "右花括号", '}'),
];

/// The words the grammar reserves: none of them can name an input or an enum value.
/// (`tests/diagnostics.rs` checks each against the grammar.)
pub const RESERVED_WORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "is",
    "in",
    "of",
    "max",
    "to",
    "as",
    "once",
    "per",
    "by",
    "between",
    "present",
    "when",
    "award",
    "clause",
    "else",
    "subject",
    "review",
    "up",
    "over",
    "keep",
    "highest",
    "require",
    "class",
    "cap",
    "open",
    "benefit",
    "tiers",
    "crossed",
    "since",
    "true",
    "false",
    "within",
    "validity",
    "article",
    "policy",
    "enum",
    "input",
    "chapter",
    "responsible",
    "if",
    "then",
];

const TOP_LEVEL_WORDS: &[&str] = &["policy", "chapter", "section", "enum", "input", "value", "article"];

/// A fix for the mistakes analysts make most, judged from the text before the error and
/// the text at it.
fn hint(before: &str, rest: &str, positives: &[Rule]) -> Option<(String, String)> {
    let word: String = rest.chars().take_while(|ch| ch.is_alphanumeric() || *ch == '_').collect();
    let first = rest.chars().next();
    let line_before = before.rsplit('\n').next().unwrap_or_default();
    if let Some((ch, name, name_zh, ascii)) =
        first.and_then(|first| FULL_WIDTH.iter().find(|(ch, _, _, _)| *ch == first))
    {
        return Some((
            format!("`{ch}` is a full-width {name}; write the ASCII `{ascii}` instead"),
            format!("`{ch}` 是全角{name_zh}；请改用半角的 `{ascii}`"),
        ));
    }
    if rest.starts_with('%') {
        return both("write a percentage without a space before `%`: `10%`", "百分号 `%` 前不要空格：`10%`");
    }
    if rest.starts_with(['万', '亿', '元']) && line_before.ends_with([' ', '\t']) {
        return both("write an amount without a space before its unit: `250万`", "金额与单位之间不要空格：`250万`");
    }
    if !word.is_empty()
        && !line_before.ends_with([' ', '\t'])
        && line_before.ends_with(|ch: char| ch.is_ascii_digit() || "万亿元".contains(ch))
    {
        return Some((
            format!(
                "`{word}` is not a unit polc knows; amounts are in yuan, written with `元`, `万`, `亿`, `万元` or `亿元` (`250万`)"
            ),
            format!("`{word}` 不是 polc 认识的单位；金额以元计，用 `元`、`万`、`亿`、`万元` 或 `亿元` 书写（`250万`）"),
        ));
    }
    if rest.starts_with("==") {
        return both("equality is a single `=`", "相等用一个 `=` 表示");
    }
    if let Some(help) = missing_form(line_before, rest, &word) {
        return Some(help);
    }
    if TOP_LEVEL_WORDS.contains(&word.as_str()) && !line_before.is_empty() && line_before.trim().is_empty() {
        return Some((
            format!("a top-level `{word}` starts in column 0: remove the spaces before it"),
            format!("顶层的 `{word}` 应从第 1 列开始：请删去它前面的空格"),
        ));
    }
    if positives.contains(&Rule::name) && RESERVED_WORDS.contains(&word.as_str()) {
        return Some((
            format!("`{word}` is a reserved word and cannot be a name; choose another, such as `{word}_value`"),
            format!("`{word}` 是保留字，不能用作名称；请换一个，如 `{word}_value`"),
        ));
    }
    if positives.contains(&Rule::kw_as) && rest.starts_with(|ch: char| ch.is_alphabetic() || ch == '_') {
        return both(
            "separate recipients with commas: `to developer, user`",
            "多个受益方用逗号分隔：`to developer, user`",
        );
    }
    if !word.is_empty() && !RESERVED_WORDS.contains(&word.as_str()) {
        let keywords = expected_keywords(positives);
        if let Some(keyword) = crate::diag::did_you_mean(&word, keywords.iter().copied()) {
            return Some((format!("did you mean `{keyword}`?"), format!("是不是想写 `{keyword}`？")));
        }
    }
    None
}

/// Forms polc does not have, written as analysts first try them: the help names the form
/// that says the same thing.
fn missing_form(line_before: &str, rest: &str, word: &str) -> Option<(String, String)> {
    let in_amount = line_before.trim_start().starts_with("award") || line_before.trim_start().starts_with("clause");
    let multiply = ("multiply with `*`: `100元 * planting_area`", "乘法用 `*`：`100元 * planting_area`");
    let help = match word {
        "per" if in_amount => (
            "polc has no `award … per year for N years`: a yearly award is `once per recipient, year`, and a \
             schedule is a table by the year of the schedule, `by (year(date) - start_year + 1) { 1 => 5万 … }` \
             (docs/language.md, \"Yearly instalments\")",
            "polc 没有 `award … per year for N years` 的写法：每年一次的奖励写 `once per recipient, year`，\
             分年安排写成按年份分档的表 `by (year(date) - start_year + 1) { 1 => 5万 … }`\
             （docs/language.md，“Yearly instalments”）",
        ),
        "up" if in_amount => (
            "`up to` starts an award of its own: write `award up to min(30% of x, 200万)`, or `award 10% of x max 5万` for a cap",
            "`up to` 是一种独立的奖励：写 `award up to min(30% of x, 200万)`；要给上限则写 `award 10% of x max 5万`",
        ),
        "capped" | "cap" | "maximum" | "limit" if in_amount => (
            "the award's own ceiling is `max`: `award 10% of x max 5万`",
            "奖励自身的上限用 `max`：`award 10% of x max 5万`",
        ),
        "if" if in_amount => (
            "write the condition in `when`, or choose a value with `if C then A else B`",
            "条件请写在 `when` 里，或用 `if C then A else B` 选择取值",
        ),
        "times" | "multiplied" => multiply,
        "divided" => (
            "divide with `/`: `fixed_asset_investment / land_area`",
            "除法用 `/`：`fixed_asset_investment / land_area`",
        ),
        _ => ("", ""),
    };
    if !help.0.is_empty() {
        return both(help.0, help.1);
    }
    if rest.starts_with('×') {
        return both(multiply.0, multiply.1);
    }
    if rest.starts_with('÷') {
        return both(
            "divide with `/`: `1/3 of city_subsidy` or `investment / land_area`",
            "除法用 `/`：`1/3 of city_subsidy` 或 `investment / land_area`",
        );
    }
    if rest.starts_with("**") || (rest.starts_with('*') && line_before.ends_with('*')) || rest.starts_with('^') {
        return both("polc has no powers: multiply with `*`", "polc 没有乘方：请用 `*` 相乘");
    }
    if rest.starts_with(',') && rest.trim_start_matches(',').trim_start().starts_with("max") {
        return both("no comma before `max`: `award 10% of x max 5万`", "`max` 前不要逗号：`award 10% of x max 5万`");
    }
    // `average(x, y)`: a call of a function polc does not have.
    let called: String = line_before
        .chars()
        .rev()
        .take_while(|ch| ch.is_alphanumeric() || *ch == '_')
        .collect::<Vec<char>>()
        .into_iter()
        .rev()
        .collect();
    if rest.starts_with('(') && !called.is_empty() && !called.chars().all(|ch| ch.is_ascii_digit()) {
        return Some((
            format!(
                "polc has no function `{called}`: its functions are `min(a, b, …)`, `max(a, b, …)` and `year(date)`; \
                 add with `+`, subtract with `-` or `excess of a over b`, multiply with `*`, divide with `/`"
            ),
            format!(
                "polc 没有函数 `{called}`：可用的函数是 `min(a, b, …)`、`max(a, b, …)` 和 `year(date)`；\
                 加用 `+`，减用 `-` 或 `excess of a over b`，乘用 `*`，除用 `/`"
            ),
        ));
    }
    None
}

/// A hint in English and in Chinese.
fn both(english: &str, chinese: &str) -> Option<(String, String)> {
    Some((english.to_string(), chinese.to_string()))
}

/// The keywords an error position would have accepted, as written in a policy.
fn expected_keywords(positives: &[Rule]) -> Vec<&'static str> {
    let mut keywords: Vec<&'static str> = positives
        .iter()
        .filter(|rule| format!("{rule:?}").starts_with("kw_"))
        .filter_map(|rule| rule_words(*rule).trim_matches('`').split([' ', '`']).next())
        .collect();
    // Where a clause or article part may start, every part keyword may.
    for (_, members) in TOKEN_GROUPS {
        if members.iter().any(|member| positives.contains(member)) {
            keywords
                .extend(members.iter().filter_map(|rule| rule_words(*rule).trim_matches('`').split([' ', '`']).next()));
        }
    }
    keywords.sort_unstable();
    keywords.dedup();
    keywords
}

/// Describes the text at an error position in words, and how many bytes to underline.
fn describe_found(rest: &str) -> (String, usize) {
    let rest_trimmed = rest.trim_start_matches([' ', '\t']);
    let skipped = rest.len() - rest_trimmed.len();
    match rest_trimmed.chars().next() {
        None => ("the end of the item".to_string(), 0),
        Some('\n' | '\r') => ("the end of the line".to_string(), 1 + skipped),
        Some(first) if first.is_alphanumeric() || first == '_' => {
            let word: String =
                rest_trimmed.chars().take_while(|ch| ch.is_alphanumeric() || *ch == '_' || *ch == '.').collect();
            (format!("`{word}`"), skipped + word.len())
        }
        Some(first) => (format!("`{first}`"), skipped + first.len_utf8()),
    }
}

/// Every grammar rule in words. No catch-all: a new rule does not compile until it has a
/// human name, so no message ever shows a rule name.
fn rule_words(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "the end of the item",
        Rule::WHITESPACE | Rule::COMMENT => "a space",
        Rule::item => "`policy`, `chapter`, `section`, `enum`, `input`, `value` or `article`",
        Rule::part_item => "an article part (`clause`, `require`, `cap`, ...)",
        Rule::policy => "`policy`",
        Rule::policy_attr => "`issued by`, `valid from`, `interpreted by`, `cases identified by` or `allow`",
        Rule::issued_by => "`issued by`",
        Rule::interpreted_by => "`interpreted by`",
        Rule::validity => "`valid from`",
        Rule::period_unit => "`years`, `months` or `days`",
        Rule::cases_decl => "`cases identified by`",
        Rule::chapter => "`chapter`",
        Rule::section | Rule::kw_section => "`section`",
        Rule::section_number => "a section number (`一`, `（一）`)",
        Rule::enum_decl => "`enum`",
        Rule::enum_value => "an enum value",
        Rule::input_decl => "`input`",
        Rule::required => "`required`",
        Rule::article => "`article`",
        Rule::article_part => "`text`, `responsible`, `clause`, `require`, `class` or `cap`",
        Rule::responsible => "`responsible`",
        Rule::original => "`text`",
        Rule::gate => "`require`",
        Rule::class_decl => "`class`",
        Rule::cap_decl => "`cap`",
        Rule::cap_relaxed | Rule::kw_relaxed => "`relaxed to`",
        Rule::pro_rata | Rule::kw_pro => "`pro rata`",
        Rule::kw_rata => "`rata`",
        Rule::kw_granted => "`granted as`",
        Rule::excess | Rule::kw_excess => "`excess of ... over ...`",
        Rule::allows | Rule::kw_allow => "`allow`",
        Rule::warning_code => "a warning code (`W0002`)",
        Rule::clause_ref_list => "a clause id",
        Rule::per_keys => "`per`",
        Rule::clause => "`clause`",
        Rule::clause_part => "`when`, `award`, `to`, `once` or `subject to review`",
        Rule::when_part => "`when`",
        Rule::award_part => "`award`",
        Rule::up_to => "`up to`",
        Rule::open_amount => "`open` or `negotiated`",
        Rule::benefit => "`benefit`",
        Rule::grant => "an amount",
        Rule::range_award => "`between ... and ...`",
        Rule::to_part => "`to`",
        Rule::recipient => "a recipient",
        Rule::once_part => "`once`",
        Rule::years_part => "`for at most N years`",
        Rule::consecutive | Rule::kw_consecutive => "`consecutive`",
        Rule::kw_at => "`at`",
        Rule::imported_labels => "`and imported \"LABEL\"`",
        Rule::kw_imported => "`imported`",
        Rule::history_part => "`after CLAUSE` or `unless CLAUSE`",
        Rule::history_after => "`after` or `unless`",
        Rule::history_subject => "a clause id or `imported \"LABEL\"`",
        Rule::imported_label => "`imported \"LABEL\"`",
        Rule::complete | Rule::kw_complete => "`complete`",
        Rule::kw_after => "`after`",
        Rule::instalments_part => "`in instalments`",
        Rule::all_at_once => "`all at once when`",
        Rule::kw_instalments => "`instalments`",
        Rule::kw_all => "`all`",
        Rule::kw_unless => "`unless`",
        Rule::kw_most => "`most`",
        Rule::review_part => "`subject to review`",
        Rule::expr | Rule::or_expr | Rule::and_expr | Rule::not_expr | Rule::test => "an expression",
        Rule::negation => "`not`",
        Rule::test_tail => "a comparison",
        Rule::compare | Rule::cmp_op => "a comparison (`<`, `<=`, `>`, `>=`, `=`, `!=`)",
        Rule::between => "`between`",
        Rule::is_present => "`is present`",
        Rule::is_value | Rule::is_not_value => "`is`",
        Rule::in_set | Rule::not_in_set => "`in {...}`",
        Rule::within_validity => "`within validity`",
        Rule::sum | Rule::product | Rule::atom => "a value",
        Rule::add_op => "`+` or `-`",
        Rule::product_op => "`of`, `*` or `/`",
        Rule::group => "`(`",
        Rule::call => "`min(...)`, `max(...)` or `year(...)`",
        Rule::call_name => "`min`, `max` or `year`",
        Rule::conditional => "`if ... then ... else ...`",
        Rule::kw_if => "`if`",
        Rule::kw_negotiated => "`negotiated`",
        Rule::kw_default => "`default`",
        Rule::kw_value => "`value`",
        Rule::default_value => "`default`",
        Rule::value_decl => "`value`",
        Rule::kw_then => "`then`",
        Rule::table => "`by`",
        Rule::arm | Rule::arm_values => "an enum value",
        Rule::else_arm => "`else`",
        Rule::interval => "a range (`[1..5]`, `(5..10]`, `> 10`)",
        Rule::range => "a range (`[1..5]`)",
        Rule::range_open => "`[` or `(`",
        Rule::range_close => "`]` or `)`",
        Rule::bound => "a bound (`> 10`, `<= 5`)",
        Rule::point => "a value",
        Rule::tiers => "`tiers`",
        Rule::tier_row => "a tier threshold",
        Rule::literal => "a literal",
        Rule::date => "a date (`2024-02-17`)",
        Rule::duration => "a length of time (`12 months`)",
        Rule::money => "an amount of money (`250万`)",
        Rule::money_unit => "a unit (`元`, `万`, `亿`)",
        Rule::percent => "a percentage (`10%`)",
        Rule::fraction => "a fraction (`万分之一`)",
        Rule::cn_numeral => "a Chinese numeral",
        Rule::decimal => "a number",
        Rule::integer => "a whole number",
        Rule::number => "a number (`500.5`)",
        Rule::boolean => "`true` or `false`",
        Rule::clause_id => "a clause id (`1.1`)",
        Rule::string | Rule::string_inner => "a string in double quotes",
        Rule::text_block | Rule::text_inner => "a text block in `\"\"\"`",
        Rule::name => "a name",
        Rule::keyword => "a keyword",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_not => "`not`",
        Rule::kw_is => "`is`",
        Rule::kw_in => "`in`",
        Rule::kw_of => "`of`",
        Rule::kw_max => "`max`",
        Rule::kw_to => "`to`",
        Rule::kw_as => "`as`",
        Rule::kw_once => "`once`",
        Rule::kw_per => "`per`",
        Rule::kw_by => "`by`",
        Rule::kw_between => "`between`",
        Rule::kw_present => "`present`",
        Rule::kw_when => "`when`",
        Rule::kw_award => "`award`",
        Rule::kw_clause => "`clause`",
        Rule::kw_else => "`else`",
        Rule::kw_subject => "`subject to review`",
        Rule::kw_review => "`review`",
        Rule::kw_up => "`up to`",
        Rule::kw_over => "`over`",
        Rule::kw_keep => "`keep highest`",
        Rule::kw_highest => "`highest`",
        Rule::kw_require => "`require`",
        Rule::kw_class => "`class`",
        Rule::kw_cap => "`cap`",
        Rule::kw_open => "`open`",
        Rule::kw_benefit => "`benefit`",
        Rule::kw_tiers => "`tiers`",
        Rule::kw_crossed => "`crossed since`",
        Rule::kw_since => "`since`",
        Rule::kw_true => "`true`",
        Rule::kw_false => "`false`",
        Rule::kw_within => "`within`",
        Rule::kw_validity => "`validity`",
        Rule::kw_article => "`article`",
        Rule::kw_policy => "`policy`",
        Rule::kw_enum => "`enum`",
        Rule::kw_input => "`input`",
        Rule::kw_chapter => "`chapter`",
        Rule::kw_responsible => "`responsible`",
        Rule::kw_issued => "`issued by`",
        Rule::kw_interpreted => "`interpreted by`",
        Rule::kw_valid => "`valid from`",
        Rule::kw_from => "`from`",
        Rule::kw_for => "`for`",
        Rule::kw_until => "`until`",
        Rule::kw_years => "`years`",
        Rule::kw_months => "`months`",
        Rule::kw_days => "`days`",
        Rule::kw_cases => "`cases`",
        Rule::kw_identified => "`identified by`",
        Rule::kw_dated => "`dated by`",
        Rule::kw_required => "`required`",
        Rule::kw_text => "`text`",
    }
}
