//! The language server through the protocol itself: `polc lsp` is started, JSON-RPC
//! messages are written to its standard input and its answers read from its standard
//! output, as an editor does.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

const CHENGDU: &str = include_str!("../policies/chengdu-ai-2024.pol");
const URI: &str = "file:///work/chengdu.pol";

/// An editor's end of the connection.
struct Client {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    next_id: i64,
    /// Notifications that arrived while waiting for a response.
    notifications: Vec<Value>,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_polc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        Client { child, input, output, next_id: 1, notifications: Vec::new() }
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.input, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.input.flush().unwrap();
    }

    fn receive(&mut self) -> Value {
        let mut length = 0;
        loop {
            let mut header = String::new();
            assert!(self.output.read_line(&mut header).unwrap() > 0, "the server closed its output");
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some(value) = header.strip_prefix("Content-Length: ") {
                length = value.parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.output.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// Sends a request and returns its result, keeping the notifications met on the way.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.receive();
            if message.get("id") == Some(&json!(id)) {
                assert!(message.get("error").is_none(), "{method}: {message}");
                return message["result"].clone();
            }
            self.notifications.push(message);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next diagnostics the server publishes.
    fn diagnostics(&mut self) -> Vec<Value> {
        let message = match self.notifications.is_empty() {
            true => self.receive(),
            false => self.notifications.remove(0),
        };
        assert_eq!(message["method"], "textDocument/publishDiagnostics", "{message}");
        message["params"]["diagnostics"].as_array().unwrap().clone()
    }

    fn open(&mut self, uri: &str, text: &str) -> Vec<Value> {
        let document = json!({"uri": uri, "languageId": "polc", "version": 1, "text": text});
        self.notify("textDocument/didOpen", json!({"textDocument": document}));
        self.diagnostics()
    }

    fn change(&mut self, uri: &str, version: i64, text: &str) -> Vec<Value> {
        let params = json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]});
        self.notify("textDocument/didChange", params);
        self.diagnostics()
    }

    fn at(&mut self, method: &str, uri: &str, position: Value) -> Value {
        self.request(method, json!({"textDocument": {"uri": uri}, "position": position}))
    }
}

/// The protocol position (line, UTF-16 column) of the `nth` occurrence of `needle` in
/// `text`, plus `shift` characters.
fn position(text: &str, needle: &str, nth: usize, shift: usize) -> Value {
    let at = text.match_indices(needle).nth(nth).unwrap().0;
    let line = text[..at].matches('\n').count();
    let line_start = text[..at].rfind('\n').map_or(0, |index| index + 1);
    let column = text[line_start..at].encode_utf16().count() + shift;
    json!({"line": line, "character": column})
}

fn labels(items: &Value) -> Vec<String> {
    items.as_array().unwrap().iter().map(|item| item["label"].as_str().unwrap().to_string()).collect()
}

#[test]
fn an_editor_session_over_the_protocol() {
    let mut client = Client::start();
    let initialized = client.request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}}));
    assert_eq!(initialized["serverInfo"]["name"], "polc");
    let capabilities = &initialized["capabilities"];
    for capability in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "documentSymbolProvider",
        "documentFormattingProvider",
        "codeActionProvider",
    ] {
        assert_eq!(capabilities[capability], true, "{capability}");
    }
    client.notify("initialized", json!({}));

    // A broken policy: a misspelt input. Its diagnostic is polc check's, with its fix.
    let broken = CHENGDU.replacen("award 10% of contract_amount max 250万", "award 10% of contract_amout max 250万", 1);
    let diagnostics = client.open(URI, &broken);
    let errors: Vec<&Value> = diagnostics.iter().filter(|diagnostic| diagnostic["severity"] == 1).collect();
    assert_eq!(errors.len(), 1, "{diagnostics:?}");
    let error = errors[0];
    assert_eq!(error["code"], "E0201");
    assert_eq!(error["source"], "polc");
    assert_eq!(error["message"], "no input is called `contract_amout`\nhelp: did you mean `contract_amount`?");
    let start = position(&broken, "contract_amout", 0, 0);
    assert_eq!(error["range"]["start"], start);
    assert_eq!(error["range"]["end"]["character"], start["character"].as_u64().unwrap() + 14);
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI}, "range": error["range"], "context": {"diagnostics": [error]}}),
    );
    assert_eq!(actions[0]["title"], "replace with `contract_amount`");
    assert_eq!(actions[0]["kind"], "quickfix");
    let edit = &actions[0]["edit"]["changes"][URI][0];
    assert_eq!(edit["range"], error["range"]);
    assert_eq!(edit["newText"], "contract_amount");

    // Fixed: the error is gone; the warning `polc check` gives the shipped policy stays.
    let codes: Vec<Value> =
        client.change(URI, 2, CHENGDU).iter().map(|diagnostic| diagnostic["code"].clone()).collect();
    assert_eq!(codes, [json!("W0002")]);

    // Hover: an input's type and description, an enum value's label, a clause's article,
    // a money literal in yuan.
    let hover = client.at("textDocument/hover", URI, position(CHENGDU, "contract_amount max", 0, 3));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("input contract_amount: money") && text.contains("销售合同执行金额"), "{text}");
    let hover = client.at("textDocument/hover", URI, position(CHENGDU, "provincial =>", 0, 1));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("省级") && text.contains("a value of enum `park_level` (示范园区级别)"), "{text}");
    let hover = client.at("textDocument/hover", URI, position(CHENGDU, "over 4.2", 0, 6));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("clause 4.2 公共算法服务平台") && text.contains("Article 4 支持建设创新应用平台"), "{text}");
    assert!(text.contains("> 鼓励企业、科研机构创建人工智能领域国家级科技创新平台"), "{text}");
    let hover = client.at("textDocument/hover", URI, position(CHENGDU, "max 250万", 0, 5));
    assert_eq!(hover["contents"]["value"], "`250万` = 2,500,000.00 元");

    // Definition and references.
    let definition = client.at("textDocument/definition", URI, position(CHENGDU, "contract_amount max", 0, 2));
    assert_eq!(definition["uri"], URI);
    assert_eq!(definition["range"]["start"], position(CHENGDU, "input contract_amount", 0, 6));
    let definition = client.at("textDocument/definition", URI, position(CHENGDU, "of 1.2, 2.1", 0, 8));
    assert_eq!(definition["range"]["start"], position(CHENGDU, "clause 2.1", 0, 7));
    let references = client.request(
        "textDocument/references",
        json!({"textDocument": {"uri": URI}, "position": position(CHENGDU, "enum park_level", 0, 6), "context": {"includeDeclaration": true}}),
    );
    let lines: Vec<u64> = references
        .as_array()
        .unwrap()
        .iter()
        .map(|location| location["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            position(CHENGDU, "enum park_level", 0, 0)["line"].as_u64().unwrap(),
            position(CHENGDU, ": park_level", 0, 0)["line"].as_u64().unwrap()
        ]
    );

    // Completion: enum values after `is`, clause ids in a cap, inputs in an expression,
    // keywords at the start of a clause's line.
    let editing = CHENGDU.replacen("when new_demo_park_level is present", "when new_demo_park_level is ", 1);
    client.change(URI, 3, &editing);
    let items = client.at("textDocument/completion", URI, position(&editing, "new_demo_park_level is ", 0, 23));
    assert_eq!(labels(&items), ["national", "provincial", "municipal"]);
    let editing = CHENGDU.replacen("cap 100万 per recipient, year over 4.2", "cap 100万 per recipient, year over ", 1);
    client.change(URI, 4, &editing);
    let items = client.at("textDocument/completion", URI, position(&editing, "year over ", 0, 10));
    let clauses = labels(&items);
    assert!(
        clauses.contains(&"4.2".to_string()) && clauses.contains(&"10.1".to_string()) && clauses.len() == 19,
        "{clauses:?}"
    );
    let items = client.at("textDocument/completion", URI, position(CHENGDU, "when first_version_certified", 0, 5));
    let names = labels(&items);
    assert!(names.contains(&"contract_amount".to_string()) && names.contains(&"min".to_string()), "{names:?}");
    let editing = CHENGDU.replacen("    once per recipient, project\n", "    once per recipient, project\n    \n", 1);
    client.change(URI, 5, &editing);
    let at_blank_line =
        json!({"line": position(&editing, "project\n    \n", 0, 0)["line"].as_u64().unwrap() + 1, "character": 4});
    let keywords = labels(&client.at("textDocument/completion", URI, at_blank_line));
    assert!(
        keywords.contains(&"when".to_string()) && keywords.contains(&"subject to review".to_string()),
        "{keywords:?}"
    );
    client.change(URI, 6, CHENGDU);

    // The outline: chapters, their articles, their clauses.
    let symbols = client.request("textDocument/documentSymbol", json!({"textDocument": {"uri": URI}}));
    let chapter = &symbols[0];
    assert_eq!(chapter["name"], "第一章 促进人工智能算法发展政策");
    assert_eq!(chapter["children"][0]["name"], "Article 1 支持算法工具源头创新");
    let clauses: Vec<&str> = chapter["children"][0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|clause| clause["name"].as_str().unwrap())
        .collect();
    assert_eq!(clauses, ["1.1 首版次软件", "1.2 国产框架软硬件研发"]);

    // Formatting: one edit to the canonical layout; none for a formatted file.
    assert_eq!(
        client.request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}})
        ),
        json!([])
    );
    let messy =
        CHENGDU.replacen("  clause 1.1 \"首版次软件\"\n    when", "  clause 1.1   \"首版次软件\"\n        when", 1);
    client.change(URI, 7, &messy);
    let edits = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(edits.as_array().unwrap().len(), 1);
    assert_eq!(edits[0]["newText"], CHENGDU);
    assert_eq!(edits[0]["range"]["start"], json!({"line": 0, "character": 0}));

    // Shut down and exit: the server stops with status 0.
    assert_eq!(client.request("shutdown", Value::Null), Value::Null);
    client.notify("exit", Value::Null);
    assert_eq!(client.child.wait().unwrap().code(), Some(0));
}

#[test]
fn a_request_about_a_document_never_opened_has_no_answer_and_unknown_methods_are_refused() {
    let mut client = Client::start();
    client.request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}}));
    client.notify("initialized", json!({}));
    let hover = client.at("textDocument/hover", "file:///nowhere.pol", json!({"line": 0, "character": 0}));
    assert_eq!(hover, Value::Null);
    client.send(&json!({"jsonrpc": "2.0", "id": 99, "method": "workspace/executeCommand", "params": {"command": "x"}}));
    let answer = client.receive();
    assert_eq!(answer["id"], 99);
    assert_eq!(answer["error"]["code"], -32601);
    // A syntax error is reported as `polc check` reports it.
    let diagnostics =
        client.open("file:///broken.pol", "policy \"p\"\n  cases identified by id, dated by date\nclause\n");
    assert!(
        diagnostics.iter().any(|diagnostic| diagnostic["code"].as_str().is_some_and(|code| code.starts_with("E01"))),
        "{diagnostics:?}"
    );
    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    assert_eq!(client.child.wait().unwrap().code(), Some(0));
}

#[test]
fn an_editor_in_chinese_gets_chinese_diagnostics() {
    let mut client = Client::start();
    client.request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}, "locale": "zh-cn"}));
    client.notify("initialized", json!({}));
    let broken = CHENGDU.replacen("award 10% of contract_amount max 250万", "award 10% of contract_amout max 250万", 1);
    let diagnostics = client.open(URI, &broken);
    let error = diagnostics.iter().find(|diagnostic| diagnostic["code"] == "E0201").unwrap();
    assert_eq!(error["message"], "没有名为 `contract_amout` 的申报数据\n提示：是不是想写 `contract_amount`？");
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI}, "range": error["range"], "context": {"diagnostics": [error]}}),
    );
    assert_eq!(actions[0]["title"], "替换为 `contract_amount`");
    // Hovers and the outline word what surrounds the policy's own names in Chinese too.
    client.change(URI, 2, CHENGDU);
    let hover = client.at("textDocument/hover", URI, position(CHENGDU, "provincial =>", 0, 1));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("枚举 `park_level` (示范园区级别) 的取值"), "{text}");
    let hover = client.at("textDocument/hover", URI, position(CHENGDU, "over 4.2", 0, 6));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("条款 4.2 公共算法服务平台") && text.contains("第四条 支持建设创新应用平台"), "{text}");
    let symbols = client.request("textDocument/documentSymbol", json!({"textDocument": {"uri": URI}}));
    assert_eq!(symbols[0]["children"][0]["name"], "第一条 支持算法工具源头创新");
    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    assert_eq!(client.child.wait().unwrap().code(), Some(0));
}
