//! The policy handbook (`polc doc`): one self-contained HTML page a reviewer reads instead
//! of the `.pol` source. Its header and validity; every chapter and article, its original
//! text beside the rules read from it, each rule in plain Chinese ([`super::zh`]) with the
//! polc text it was generated from; the gates, classes, caps and pools; the applicant data
//! table; the worked examples with their awards; and what the examples cover.
//!
//! The page needs nothing but itself: the styles are inline, there is no script, no font
//! or image to fetch, and it is the same bytes for the same policy and examples.

use super::why::{AwardText, Wording};
use super::zh::{chinese_number, Chinese};
use super::{clause_facts, no_award_reason, one_line_why};
use crate::check::checked::{ArticleIndex, Policy, Type};
use crate::eval::BatchResult;
use crate::examples::CoverageRow;
use std::fmt::Write;

/// The worked examples a handbook shows: each example's name and result, and the
/// coverage of them all.
pub struct WorkedExamples {
    pub results: Vec<(String, BatchResult)>,
    pub coverage: Vec<CoverageRow>,
}

/// The handbook of `policy`, whose text is `source`.
pub fn handbook(policy: &Policy, source: &str, examples: Option<&WorkedExamples>) -> String {
    let zh = Chinese::new(policy, source);
    let mut page = String::with_capacity(64 * 1024);
    let title = escape(&policy.title);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"polc {}\">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION")
    );
    header(&mut page, policy);
    contents(&mut page, policy, examples.is_some());
    page.push_str("<main>\n");
    articles(&mut page, policy, source, &zh);
    cross_case(&mut page, policy, &zh);
    inputs(&mut page, policy);
    if let Some(examples) = examples {
        worked_examples(&mut page, policy, examples);
        coverage(&mut page, &examples.coverage);
    }
    page.push_str("</main>\n<footer>由 polc 根据政策文件生成；规则说明由条款自动生成，以政策原文为准。</footer>\n</body>\n</html>\n");
    page
}

const STYLE: &str = "
body{font-family:'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif;margin:0 auto;max-width:72rem;padding:0 1.5rem 3rem;color:#1d2430;line-height:1.65}
header{border-bottom:3px solid #b3261e;padding:1.5rem 0 1rem}
h1{font-size:1.7rem;margin:0 0 .5rem}
h2{border-bottom:1px solid #d0d4dc;margin-top:2.5rem;padding-bottom:.3rem}
h3{margin:1.8rem 0 .6rem}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}
dl.meta dt{color:#5a6272}
dl.meta dd{margin:0}
nav ol{columns:2;padding-left:1.2rem}
.article{display:grid;grid-template-columns:1fr 1fr;gap:1.5rem;align-items:start}
.original{background:#faf7f0;border-left:4px solid #c9a227;margin:0;padding:.2rem 1rem}
.rule{border:1px solid #d0d4dc;border-radius:6px;margin:0 0 .8rem;padding:.6rem .9rem}
.rule h4{font-size:1rem;margin:0 0 .3rem}
.rule p{margin:.2rem 0}
pre{background:#f3f4f7;overflow-x:auto;padding:.5rem .7rem;font-size:.85rem}
details summary{cursor:pointer;color:#5a6272;font-size:.85rem}
table{border-collapse:collapse;margin:.6rem 0 1.2rem;width:100%;font-size:.92rem}
th,td{border:1px solid #d0d4dc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eef0f4}
td.amount{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.missed{color:#b3261e}
footer{border-top:1px solid #d0d4dc;color:#5a6272;font-size:.85rem;margin-top:3rem;padding-top:.8rem}
@media print{nav{display:none}.article{grid-template-columns:1fr 1fr}}
@media (max-width:50rem){.article{grid-template-columns:1fr}}
";

fn header(page: &mut String, policy: &Policy) {
    let _ = write!(page, "<header>\n<h1>{}</h1>\n<dl class=\"meta\">\n", escape(&policy.title));
    let mut row = |term: &str, value: &str| {
        let _ = writeln!(page, "<dt>{term}</dt><dd>{}</dd>", escape(value));
    };
    if let Some(issuer) = &policy.issued_by {
        row("发布机关", issuer);
    }
    if let Some(interpreter) = &policy.interpreted_by {
        row("解释机关", interpreter);
    }
    if let Some(validity) = &policy.validity {
        row("有效期", &format!("{} 至 {}", validity.from, validity.until));
    }
    row(
        "条款",
        &format!("{} 章，{} 条，{} 项规则", policy.chapters.len(), policy.articles.len(), policy.clauses.len()),
    );
    page.push_str("</dl>\n</header>\n");
}

fn contents(page: &mut String, policy: &Policy, with_examples: bool) {
    page.push_str("<nav>\n<h2>目录</h2>\n<ol>\n");
    for (index, article) in policy.articles.iter().enumerate() {
        let _ = writeln!(
            page,
            "<li><a href=\"#article-{index}\">第{}条 {}</a></li>",
            chinese_number(article.number),
            escape(&article.title)
        );
    }
    page.push_str("<li><a href=\"#rules\">门槛、类别与上限</a></li>\n<li><a href=\"#inputs\">申报数据</a></li>\n");
    if with_examples {
        page.push_str("<li><a href=\"#examples\">示例</a></li>\n<li><a href=\"#coverage\">示例覆盖情况</a></li>\n");
    }
    page.push_str("</ol>\n</nav>\n");
}

fn articles(page: &mut String, policy: &Policy, source: &str, zh: &Chinese<'_>) {
    let mut chapter = None;
    for (index, article) in policy.articles.iter().enumerate() {
        if article.chapter != chapter {
            chapter = article.chapter;
            if let Some(number) = chapter {
                let title = policy
                    .chapters
                    .iter()
                    .find(|candidate| candidate.number == number)
                    .map_or("", |c| c.title.as_str());
                let _ = writeln!(page, "<h2>第{}章 {}</h2>", chinese_number(number), escape(title));
            }
        }
        let _ = writeln!(
            page,
            "<section id=\"article-{index}\">\n<h3>第{}条 {}</h3>",
            chinese_number(article.number),
            escape(&article.title)
        );
        if !article.responsible.is_empty() {
            let _ = writeln!(page, "<p>责任单位：{}</p>", escape(&article.responsible.join("、")));
        }
        page.push_str("<div class=\"article\">\n");
        match &article.text {
            Some(text) => {
                page.push_str("<blockquote class=\"original\">");
                for paragraph in paragraphs(text) {
                    let _ = write!(page, "<p>{}</p>", escape(&paragraph));
                }
                page.push_str("</blockquote>\n");
            }
            None => page.push_str("<p class=\"original\">（本条无原文）</p>\n"),
        }
        page.push_str("<div class=\"rules\">\n");
        article_rules(page, policy, source, zh, index);
        page.push_str("</div>\n</div>\n</section>\n");
    }
}

/// The rules an article states: its gates, clauses, classes and caps.
fn article_rules(page: &mut String, policy: &Policy, source: &str, zh: &Chinese<'_>, article: ArticleIndex) {
    let code = |span: crate::span::Span| source.get(span.start..span.end).unwrap_or_default().trim().to_string();
    let mut any = false;
    for gate in policy.gates.iter().filter(|gate| gate.article == article) {
        rule(page, "申报条件", &zh.gate(&gate.condition), &format!("require {}", code(gate.condition.span)), None);
        any = true;
    }
    for (index, clause) in policy.clauses.iter().enumerate().filter(|(_, clause)| clause.article == article) {
        let heading = format!("{} {}", clause.id, clause.title.as_deref().unwrap_or(""));
        let id = format!("clause-{}", clause.id);
        rule(page, heading.trim(), &zh.clause(index), &code(clause.span), Some(&id));
        any = true;
    }
    for class in policy.classes.iter().filter(|class| class.article == article) {
        rule(page, &format!("类别 {}", class.name), &zh.class(class), "", None);
        any = true;
    }
    for cap in policy.caps.iter().filter(|cap| cap.article == article) {
        rule(page, if cap.per.is_empty() { "资金池" } else { "上限" }, &zh.cap(cap), "", None);
        any = true;
    }
    if !any {
        page.push_str("<p>本条不设可计算的规则。</p>\n");
    }
}

fn rule(page: &mut String, heading: &str, sentence: &str, code: &str, id: Option<&str>) {
    match id {
        Some(id) => {
            let _ = write!(page, "<div class=\"rule\" id=\"{}\">", escape(id));
        }
        None => page.push_str("<div class=\"rule\">"),
    }
    let _ = write!(page, "<h4>{}</h4><p>{}</p>", escape(heading), escape(sentence));
    if !code.is_empty() {
        let _ = write!(page, "<details><summary>polc 规则</summary><pre>{}</pre></details>", escape(code));
    }
    page.push_str("</div>\n");
}

fn cross_case(page: &mut String, policy: &Policy, zh: &Chinese<'_>) {
    page.push_str("<section id=\"rules\">\n<h2>门槛、类别与上限</h2>\n");
    let mut list = |title: &str, items: Vec<String>| {
        let _ = writeln!(page, "<h3>{title}</h3>");
        if items.is_empty() {
            page.push_str("<p>无。</p>\n");
            return;
        }
        page.push_str("<ul>\n");
        for item in items {
            let _ = writeln!(page, "<li>{}</li>", escape(&item));
        }
        page.push_str("</ul>\n");
    };
    list("申报门槛（适用于所有条款）", policy.gates.iter().map(|gate| zh.gate(&gate.condition)).collect());
    list("类别（同类奖励只取最高）", policy.classes.iter().map(|class| zh.class(class)).collect());
    list("上限", policy.caps.iter().filter(|cap| !cap.per.is_empty()).map(|cap| zh.cap(cap)).collect());
    list("资金池", policy.caps.iter().filter(|cap| cap.per.is_empty()).map(|cap| zh.cap(cap)).collect());
    page.push_str("</section>\n");
}

fn inputs(page: &mut String, policy: &Policy) {
    page.push_str(
        "<section id=\"inputs\">\n<h2>申报数据</h2>\n<p>每个申报事项一条记录（JSON、JSON Lines、CSV 或 Excel），字段如下。</p>\n\
         <table>\n<thead><tr><th>字段</th><th>说明</th><th>类型</th><th>必填</th></tr></thead>\n<tbody>\n",
    );
    for (id, input) in policy.inputs.iter().enumerate() {
        let required = input.required || id == policy.case_id || id == policy.case_date;
        let _ = writeln!(
            page,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&input.name),
            escape(input.description.as_deref().unwrap_or("")),
            escape(&type_name(policy, input.ty)),
            if required { "是" } else { "否" }
        );
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

/// A type as the data table names it; an enum with its values and their labels.
fn type_name(policy: &Policy, ty: Type) -> String {
    match ty {
        Type::Money => "金额（元；可写 250万、1.5亿）".into(),
        Type::Ratio => "比例（0.6 或 60%）".into(),
        Type::Integer => "整数".into(),
        Type::Quantity => "数量".into(),
        Type::PerUnit => "单价（元/单位）".into(),
        Type::Bool => "是/否（true、false、是、否）".into(),
        Type::Date => "日期（YYYY-MM-DD）".into(),
        Type::Text => "文本".into(),
        Type::Entity => "主体编号".into(),
        Type::Enum(id) => match policy.enums.get(id) {
            Some(def) => {
                let values: Vec<String> = def
                    .values
                    .iter()
                    .map(|value| match &value.label {
                        Some(label) => format!("{}（{label}）", value.name),
                        None => value.name.clone(),
                    })
                    .collect();
                format!("{}：{}", def.label.as_deref().unwrap_or(&def.name), values.join("、"))
            }
            None => "枚举".into(),
        },
    }
}

fn worked_examples(page: &mut String, policy: &Policy, examples: &WorkedExamples) {
    page.push_str("<section id=\"examples\">\n<h2>示例</h2>\n");
    let wording = Wording::new(policy);
    let mut why = AwardText::default();
    for (name, result) in &examples.results {
        let _ = writeln!(
            page,
            "<h3>{}</h3>\n<table>\n<thead><tr><th>案例</th><th>条款</th><th>受益主体</th><th>类型</th><th>金额（元）</th><th>计算与说明</th></tr></thead>\n<tbody>",
            escape(name)
        );
        for case in &result.cases {
            let id = result.cases.id(case);
            let awards = result.case_awards(case);
            if awards.is_empty() {
                let _ = writeln!(
                    page,
                    "<tr><td>{}</td><td></td><td></td><td>{}</td><td class=\"amount\"></td><td>{}</td></tr>",
                    escape(id),
                    super::table::kind_words(policy.lang, "none"),
                    escape(no_award_reason(policy.lang, case))
                );
            }
            for award in awards {
                let (clause, _, kind, _) = clause_facts(policy, award);
                let amount = award.amount().map(crate::render::show::money_text).unwrap_or_default();
                let reasons = one_line_why(&wording, result, award, &mut why);
                let _ = writeln!(
                    page,
                    "<tr><td>{}</td><td><a href=\"#clause-{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"amount\">{}</td><td>{}</td></tr>",
                    escape(id),
                    escape(clause),
                    escape(clause),
                    escape(&award.recipient),
                    escape(super::table::kind_words(policy.lang, kind)),
                    escape(&amount),
                    escape(&reasons)
                );
            }
        }
        for error in &result.errors {
            let _ = writeln!(
                page,
                "<tr><td>{}</td><td></td><td></td><td>错误</td><td class=\"amount\"></td><td>{}：{}</td></tr>",
                escape(error.case.as_deref().unwrap_or("")),
                escape(error.field.as_deref().unwrap_or("")),
                escape(&error.message)
            );
        }
        page.push_str("</tbody>\n</table>\n");
    }
    page.push_str("</section>\n");
}

fn coverage(page: &mut String, rows: &[CoverageRow]) {
    let covered: usize = rows.iter().map(|row| row.covered).sum();
    let total: usize = rows.iter().map(|row| row.total).sum();
    let _ = writeln!(
        page,
        "<section id=\"coverage\">\n<h2>示例覆盖情况</h2>\n<p>示例覆盖了 {covered}/{total} 个条件、档次、分支和规则。</p>\n\
         <table>\n<thead><tr><th>规则</th><th>覆盖</th><th>未覆盖</th></tr></thead>\n<tbody>"
    );
    for row in rows {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}/{}</td><td class=\"missed\">{}</td></tr>",
            escape(&row.group),
            row.covered,
            row.total,
            escape(&row.missed.join("；"))
        );
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

/// An article's original text as its paragraphs. The policy file wraps the text to its
/// width; a paragraph is the lines between blank lines joined again, with no space
/// between two lines of Chinese and one between two words of Latin script.
fn paragraphs(text: &str) -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut current = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
            continue;
        }
        let latin = |ch: Option<char>| ch.is_some_and(|ch| ch.is_ascii_alphanumeric() || ch.is_ascii_punctuation());
        if latin(current.chars().last()) && latin(line.chars().next()) {
            current.push(' ');
        }
        current.push_str(line);
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs
}

/// Text for HTML: the five characters that could end an element or attribute, escaped.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(ch),
        }
    }
    escaped
}
