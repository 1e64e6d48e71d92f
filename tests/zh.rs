//! polc in Chinese: the language is chosen by `--lang`, `POLC_LANG` or the locale, and
//! the table, the reasons, the explanations (text and JSON) and the workbook speak it.

mod common;

use std::process::Command;

fn polc(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_polc"));
    command.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for name in ["POLC_LANG", "LC_ALL", "LC_MESSAGES", "LANG"] {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    (output.status.code(), String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap())
}

const TABLE: &[&str] = &["run", "policies/chengdu-ai-2024.pol", "examples/cases.jsonl", "--format", "table"];

#[test]
fn the_table_in_chinese() {
    let (status, table, _) = polc(&[TABLE, &["--lang", "zh"]].concat(), &[]);
    assert_eq!(status, Some(0));
    insta::assert_snapshot!("table_zh", table);
}

#[test]
fn the_language_comes_from_the_flag_then_polc_lang_then_the_locale() {
    let chinese_header = "案例   条款";
    let english_header = "case   clause";
    let starts = |env: &[(&str, &str)], extra: &[&str]| polc(&[TABLE, extra].concat(), env).1;
    assert!(starts(&[], &[]).starts_with(english_header));
    assert!(starts(&[("LANG", "zh_CN.UTF-8")], &[]).starts_with(chinese_header));
    assert!(starts(&[("LANG", "zh_CN.UTF-8"), ("LC_ALL", "en_US.UTF-8")], &[]).starts_with(english_header));
    assert!(starts(&[("LANG", "en_US.UTF-8"), ("POLC_LANG", "zh")], &[]).starts_with(chinese_header));
    assert!(starts(&[("POLC_LANG", "zh")], &["--lang", "en"]).starts_with(english_header));
}

#[test]
fn an_explanation_speaks_the_analysts_language() {
    let (status, text, _) = polc(
        &["run", "policies/chengdu-ai-2024.pol", "examples/cases.jsonl", "--explain", "EX-07", "--lang", "zh"],
        &[],
    );
    assert_eq!(status, Some(0));
    // Facts by their labels, amounts in 万元, the clause cited as 第四条 › 4.2, and the
    // cut naming the case that used the room.
    for line in [
        "案例 EX-07（2025-11-20，第7行）",
        "  平台年度服务性收入 = 900万元",
        "  4.2 公共算法服务平台：适用",
        "    依据 第四条 支持建设创新应用平台 › 4.2",
        "       平台年度服务性收入（900万元）的10% = 90万元",
        "       上限：90万元 → 65万元：第四条 支持建设创新应用平台：第4.2条奖励同一主体、同一年度合计上限100万元：已计入35万元，余65万元（最近计入的是案例 EX-06（2025-03-01））",
    ] {
        assert!(text.lines().any(|candidate| candidate == line), "the explanation lacks the line {line}\n{text}");
    }
    insta::assert_snapshot!(
        "explain_zh_EX-10",
        polc(
            &["run", "policies/chengdu-ai-2024.pol", "examples/cases.jsonl", "--explain", "EX-10", "--lang", "zh"],
            &[]
        )
        .1
    );
}

#[test]
fn an_explanation_as_json_is_the_same_explanation_as_data() {
    let args =
        ["run", "policies/chengdu-ai-2024.pol", "examples/cases.jsonl", "--explain", "EX-07", "--format", "json"];
    let (status, json, _) = polc(&args, &[]);
    assert_eq!(status, Some(0));
    let explanation: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(explanation["case"], "EX-07");
    assert_eq!(explanation["location"], "line 7");
    let clause = explanation["clauses"].as_array().unwrap().iter().find(|clause| clause["clause"] == "4.2").unwrap();
    assert_eq!(clause["status"], "applies");
    assert_eq!(clause["citation"], "Article 4 支持建设创新应用平台 › clause 4.2");
    let award = &clause["awards"][0];
    assert_eq!(award["amount"], "650000.00");
    assert_eq!(award["adjustments"][0]["rule"], "cap");
    assert_eq!(award["adjustments"][0]["from"], "900000.00");
    assert_eq!(award["adjustments"][0]["to"], "650000.00");
    // Every line of the text explanation's award is in the data.
    let (_, text, _) = polc(&args[..5], &[]);
    for reason in award["reasons"].as_array().unwrap() {
        assert!(text.contains(reason.as_str().unwrap()), "{reason}");
    }
    let missing = explanation["clauses"].as_array().unwrap().iter().find(|clause| clause["clause"] == "1.1").unwrap();
    assert_eq!(missing["status"], "missing");
    assert_eq!(missing["why"], "`first_version_certified` is missing");
    // In Chinese, the same data in Chinese words.
    let (_, json, _) = polc(&[&args[..], &["--lang", "zh"]].concat(), &[]);
    let explanation: serde_json::Value = serde_json::from_str(&json).unwrap();
    let missing = explanation["clauses"].as_array().unwrap().iter().find(|clause| clause["clause"] == "1.1").unwrap();
    assert_eq!(missing["why"], "未填报经认定的首版次软件产品");
}

#[test]
fn a_gate_that_stops_a_case_says_why_in_chinese() {
    let (_, table, _) = polc(&[TABLE, &["--lang", "zh"]].concat(), &[]);
    let ex17 = table.lines().find(|line| line.starts_with("EX-17")).unwrap();
    assert!(ex17.ends_with("第十四条 有效期限：不满足：申报事项日期（2027-03-01）在政策有效期内"), "{ex17}");
}

#[test]
fn a_chinese_workbook_has_chinese_sheets_and_headers() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("awards.xlsx");
    let output_arg = output.to_str().unwrap();
    let args = ["run", "policies/chengdu-ai-2024.pol", "examples/cases.jsonl", "--format", "xlsx", "-o", output_arg];
    let (status, _, _) = polc(&[&args[..], &["--lang", "zh"]].concat(), &[]);
    assert_eq!(status, Some(0));
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(std::fs::read(&output).unwrap())).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "奖励",
            "错误",
            "按主体汇总",
            "按条款汇总",
            "限享受一次",
            "同类只取最高（研发经费支持）",
            "上限1（4.2）",
            "上限2（10.1）"
        ]
    );
    let awards = book.worksheet_range("奖励").unwrap();
    let header: Vec<String> = awards.rows().next().unwrap().iter().map(|cell| cell.to_string()).collect();
    assert_eq!(header, ["案例", "条款", "受益主体", "角色", "类型", "金额", "需评审", "说明"]);
}

#[test]
fn data_errors_name_the_case_field_and_place_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases.csv");
    std::fs::write(
        &cases,
        "id,date,applicant,contract_amount,ai_revenue_share\nA,2024-05-01,E1,三百万,\nA,2024-05-02,E2,,60\nB,2024-13-01,E3,,\n",
    )
    .unwrap();
    let (status, table, _) = polc(
        &["run", "policies/chengdu-ai-2024.pol", cases.to_str().unwrap(), "--format", "table", "--lang", "zh"],
        &[],
    );
    assert_eq!(status, Some(1));
    let errors: Vec<&str> = table.lines().skip_while(|line| !line.contains("条记录无法计算")).collect();
    assert_eq!(
        errors,
        [
            "3 条记录无法计算：",
            "  A 第2行第4列，字段 contract_amount：不是有效的金额：三百万（请写 300万 或 3000000）",
            "  A 第3行第5列，字段 ai_revenue_share：比例须在 0 与 1（0% 与 100%）之间：60",
            // A record that failed and repeats an id is placed where its first error is.
            "  A 第3行第5列，字段 id：案例编号 `A` 重复：前面已有记录使用了它",
            "  B 第4行第2列，字段 date：不是有效的日期：2024-13-01（请写 YYYY-MM-DD）",
        ]
    );
    let (status, _, stderr) = polc(
        &["run", "policies/chengdu-ai-2024.pol", "examples/cases.jsonl", "--input-format", "csv", "--lang", "zh"],
        &[],
    );
    assert_eq!(status, Some(2));
    assert_eq!(stderr, "错误：`examples/cases.jsonl` 无法使用：CSV 第1列 `{\"id\": \"EX-01\"`不是政策声明的申报数据\n");
}

#[test]
fn diagnostics_in_chinese() {
    let (status, _, human) = polc(&["check", "tests/data/zh-broken.pol", "--lang", "zh"], &[]);
    assert_eq!(status, Some(1));
    insta::assert_snapshot!("check_zh", human);
    let (_, json, _) = polc(&["check", "tests/data/zh-broken.pol", "--format", "json", "--lang", "zh"], &[]);
    let unknown: serde_json::Value = json
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|d| d["code"] == "E0203")
        .unwrap();
    assert_eq!(unknown["message"], "没有名为 `k` 的类型");
    assert_eq!(unknown["label"], "未知的类型");
    // Every code has its Chinese summary, so no diagnostic is shown in English alone.
    for code in polc::diag::Code::ALL {
        assert!(code.summary_zh().chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)), "{}", code.id());
    }
}

/// English words that reasons use; none may be left in a Chinese reason.
const ENGLISH_WORDS: &[&str] = &[
    "clause",
    "paid",
    "cap",
    "case",
    "already",
    "left",
    "within",
    "capped",
    "rounded",
    "amount",
    "award",
    "per",
    "year",
    "years",
    "of",
    "by",
    "is",
    "after",
    "unless",
    "instalments",
    "imported",
    "the",
    "up",
    "to",
];

#[test]
fn every_shape_reasons_in_chinese() {
    for path in common::shape_policies() {
        let mut policy = polc::check_source(&std::fs::read_to_string(&path).unwrap()).policy.unwrap();
        policy.lang = polc::lang::Lang::Zh;
        let examples: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path.with_extension("examples.json")).unwrap()).unwrap();
        for example in examples["examples"].as_array().unwrap() {
            let batch = serde_json::to_vec(&example["cases"]).unwrap();
            let result = polc::eval::run(&policy, batch.as_slice(), polc::data::InputFormat::Json, None).unwrap();
            let mut json = Vec::new();
            polc::render::json(&policy, &result, &mut json).unwrap();
            let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
            for case in json["cases"].as_array().unwrap() {
                for award in case["awards"].as_array().unwrap() {
                    let texts = award["reasons"].as_array().unwrap().iter().chain(
                        award["adjustments"].as_array().into_iter().flatten().map(|adjustment| &adjustment["reason"]),
                    );
                    for text in texts {
                        let text = text.as_str().unwrap();
                        let english = text
                            .split(|ch: char| !ch.is_ascii_alphabetic())
                            .find(|word| ENGLISH_WORDS.contains(&word.to_ascii_lowercase().as_str()));
                        assert!(english.is_none(), "{}: `{text}` has English ({english:?})", path.display());
                    }
                }
            }
        }
    }
}

/// Every diagnostic has its own Chinese words, not the code's summary before English:
/// each code's example, and the type and literal mistakes an analyst makes most.
#[test]
fn every_diagnostic_has_chinese_words() {
    const HEADER: &str = "policy \"示例\"\n  valid from 2024-01-01 for 3 years\n  cases identified by id, dated by date\n\
                          input id: text required\ninput date: date required\ninput applicant: entity required\n\
                          input amount: money\ninput share: ratio\ninput level: level\nenum level \"级别\": a \"甲\", b \"乙\"\n";
    let mistakes = [
        "input when_set: date default 5万\narticle 1 \"a\"\n  clause 1.1\n    award 5万\n    to applicant\n",
        "article 1 \"a\"\n  clause 1.1\n    award 10% of (amount + share)\n    to applicant\n",
        "article 1 \"a\"\n  clause 1.1\n    award 10% of (if amount > 0元 then amount else share)\n    to applicant\n",
        "article 1 \"a\"\n  clause 1.1\n    award min(amount, share)\n    to applicant\n",
        "article 1 \"a\"\n  clause 1.1\n    when level > level\n    award 5万\n    to applicant\n",
        "article 1 \"a\"\n  clause 1.1\n    when date > 2024-02-30\n    award 5万\n    to applicant\n",
        "article 1 \"a\"\n  clause 1.1\n    award 99999999999999999999999元\n    to applicant\n",
        "article 1 \"a\"\n  clause 1.1\n    award 0.00000000000000000000000000001元\n    to applicant\n",
        "article 1 \"a\"\n  clause 1.1\n    award tiers of level { a => 5万 }\n    to applicant\n",
        "article 1 \"a\"\n  clause 1.1\n    award 10％ of amount\n    to applicant\n",
        "article 1 \"a\"\n  clause 1.1\n    award average(amount, 5万)\n    to applicant\n",
    ];
    let mut texts: Vec<(String, Vec<u8>)> = mistakes
        .iter()
        .enumerate()
        .map(|(index, body)| (format!("mistake {index}"), format!("{HEADER}{body}").into_bytes()))
        .collect();
    for code in polc::diag::Code::ALL {
        let path = format!("{}/tests/diagnostics/{}.pol", env!("CARGO_MANIFEST_DIR"), code.id());
        texts.push((path.clone(), std::fs::read(&path).unwrap()));
    }
    let mut seen = 0;
    for (name, bytes) in &texts {
        let (_, report) = polc::check_bytes(bytes);
        assert!(!report.diagnostics.is_empty(), "{name} finds nothing");
        for diagnostic in &report.diagnostics {
            seen += 1;
            let chinese = diagnostic.zh.as_deref().and_then(|zh| zh.message.as_deref());
            assert!(
                chinese.is_some(),
                "{name}: {} `{}` has no Chinese words",
                diagnostic.code.id(),
                diagnostic.message
            );
        }
    }
    assert!(seen > texts.len());
}
