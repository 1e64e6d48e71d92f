//! `polc serve` driven over loopback: the real binary, real sockets, every endpoint and
//! every error status, answers checked against the server's own OpenAPI description,
//! concurrent clients against the command line, and reload on SIGHUP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

const CHENGDU: &str = "policies/chengdu-ai-2024.pol";
const P09: &str = "policies/shapes/P09-exact-fraction.pol";
const CASES: &str = "tests/data/diff/cases.jsonl";

fn manifest(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// A running server, stopped when dropped.
struct Server {
    child: Child,
    address: String,
    stderr: std::sync::Mutex<Receiver<String>>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_polc"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("POLC_LANG", "en")
            .env_remove("POLC_ERROR_FORMAT")
            .arg("serve")
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let (sender, stderr) = std::sync::mpsc::channel();
        let lines = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in lines.lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server { child, address: String::new(), stderr: std::sync::Mutex::new(stderr) };
        let listening = server.wait_for("listening on http://");
        server.address = listening.rsplit("http://").next().unwrap().split(' ').next().unwrap().to_string();
        server
    }

    /// Waits for a line on the server's standard error containing `text`.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.stderr.lock().unwrap().recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => panic!("the server never said `{text}`"),
                Err(RecvTimeoutError::Disconnected) => panic!("the server stopped before saying `{text}`"),
            }
        }
    }

    fn request(&self, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Reply {
        request(&self.address, method, path, content_type, body)
    }

    fn get(&self, path: &str) -> Reply {
        self.request("GET", path, None, b"")
    }

    fn post(&self, path: &str, content_type: &str, body: &[u8]) -> Reply {
        self.request("POST", path, Some(content_type), body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(field, _)| field.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }
}

/// One HTTP/1.1 exchange on a connection of its own, closed after the answer.
fn request(address: &str, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Reply {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    if let Some(content_type) = content_type {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    exchange(address, &[head.as_bytes(), body].concat())
}

fn exchange(address: &str, bytes: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    // The server may answer (413) before it reads the whole body, and close.
    let _ = stream.write_all(bytes);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let split = answer.windows(4).position(|window| window == b"\r\n\r\n").expect("an HTTP answer");
    let head = String::from_utf8(answer[..split].to_vec()).unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    Reply { status, headers, body: answer[split + 4..].to_vec() }
}

/// Checks `reply` against what the server's OpenAPI description says `method` on
/// `template` answers with its status: the status is listed, and the body is valid
/// against the listed schema (its references resolved within the description).
fn conforms(openapi: &serde_json::Value, template: &str, method: &str, reply: &Reply) {
    let operation = &openapi["paths"][template][method.to_ascii_lowercase()];
    assert!(operation.is_object(), "{method} {template} is not described");
    let described = &operation["responses"][reply.status.to_string()];
    assert!(described.is_object(), "{method} {template} does not list status {}", reply.status);
    let schema = &described["content"]["application/json"]["schema"];
    let mut root = serde_json::json!({ "components": openapi["components"].clone() });
    for (key, value) in schema.as_object().unwrap() {
        root[key] = value.clone();
    }
    let validator = jsonschema::validator_for(&root).unwrap();
    let body = reply.json();
    let errors: Vec<String> =
        validator.iter_errors(&body).map(|error| format!("{error} at {}", error.instance_path())).collect();
    assert!(errors.is_empty(), "{method} {template} {}: {errors:#?}", reply.status);
    assert_eq!(reply.header("Content-Type"), Some("application/json; charset=utf-8"));
}

/// What `polc run --format json` prints for `cases` under `policy`.
fn cli_run(policy: &str, cases: &str) -> Vec<u8> {
    let output = Command::new(env!("CARGO_BIN_EXE_polc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("POLC_LANG", "en")
        .args(["run", policy, cases, "--format", "json"])
        .output()
        .unwrap();
    output.stdout
}

fn cases() -> Vec<u8> {
    std::fs::read(manifest(CASES)).unwrap()
}

#[test]
fn every_endpoint_answers_as_its_description_says() {
    let server = Server::start(&[CHENGDU, P09]);
    let openapi = server.get("/openapi.json").json();
    assert_eq!(openapi["openapi"], "3.1.0");

    let health = server.get("/health");
    conforms(&openapi, "/health", "GET", &health);
    assert_eq!(health.json()["policies"], 2);

    let list = server.get("/policies");
    conforms(&openapi, "/policies", "GET", &list);
    let names: Vec<_> =
        list.json()["policies"].as_array().unwrap().iter().map(|policy| policy["name"].clone()).collect();
    assert_eq!(names, ["P09-exact-fraction", "chengdu-ai-2024"]);

    let schema = server.get("/policies/chengdu-ai-2024/schema");
    conforms(&openapi, "/policies/{name}/schema", "GET", &schema);
    let cli_schema = Command::new(env!("CARGO_BIN_EXE_polc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["schema", CHENGDU])
        .output()
        .unwrap();
    assert_eq!(schema.json(), serde_json::from_slice::<serde_json::Value>(&cli_schema.stdout).unwrap());

    let broken = std::fs::read(manifest("tests/diagnostics/E0201.pol")).unwrap();
    let check = server.post("/check?name=E0201.pol", "text/plain", &broken);
    conforms(&openapi, "/check", "POST", &check);
    let check = check.json();
    assert_eq!((check["errors"].as_u64(), check["warnings"].as_u64()), (Some(1), Some(1)));
    assert_eq!(check["diagnostics"][1]["code"], "E0201");
    assert_eq!(check["diagnostics"][1]["fixes"][0]["replacement"], "contract_amount");

    let run = server.post("/policies/chengdu-ai-2024/run", "application/x-ndjson", &cases());
    conforms(&openapi, "/policies/{name}/run", "POST", &run);
    assert_eq!(run.body, cli_run(CHENGDU, CASES), "the server's result is the command line's");

    let csv = "id,date,applicant,city_subsidy\nA1,2025-03-01,G1,100.01\nA2,2025-03-01,G2,lots\n";
    let run = server.post("/policies/P09-exact-fraction/run", "text/csv", csv.as_bytes());
    conforms(&openapi, "/policies/{name}/run", "POST", &run);
    assert_eq!(run.json()["cases"][0]["awards"][0]["amount"], "33.34");
    assert_eq!(run.json()["errors"][0]["case"], "A2");

    let array = r#"[{"id": "A1", "date": "2025-03-01", "applicant": "G1", "city_subsidy": "300万"}]"#;
    let run = server.post("/policies/P09-exact-fraction/run", "application/json; charset=utf-8", array.as_bytes());
    assert_eq!(run.json()["cases"][0]["awards"][0]["amount"], "1000000.00");

    let explained = server.post("/policies/chengdu-ai-2024/explain?case=EX-05", "application/x-ndjson", &cases());
    conforms(&openapi, "/policies/{name}/explain", "POST", &explained);
    let cli_explained = Command::new(env!("CARGO_BIN_EXE_polc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("POLC_LANG", "en")
        .args(["run", CHENGDU, CASES, "--explain", "EX-05", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(explained.json(), serde_json::from_slice::<serde_json::Value>(&cli_explained.stdout).unwrap());
}

#[test]
fn every_error_is_json_with_its_status() {
    let server = Server::start(&[CHENGDU, P09, "--max-body", "100000", "--max-cases", "5"]);
    let openapi = server.get("/openapi.json").json();
    let error_of = |reply: &Reply| {
        let error = reply.json();
        assert_eq!(error["error"]["status"], reply.status);
        error["error"]["code"].as_str().unwrap().to_string()
    };

    let reply = server.get("/nowhere");
    assert_eq!((reply.status, error_of(&reply).as_str()), (404, "not_found"));

    let reply = server.get("/policies/nobody/schema");
    conforms(&openapi, "/policies/{name}/schema", "GET", &reply);
    assert_eq!(error_of(&reply), "unknown_policy");

    let reply = server.get("/policies/chengdu-ai-2024/run");
    assert_eq!((reply.status, reply.header("Allow")), (405, Some("POST")));
    assert_eq!(error_of(&reply), "method_not_allowed");

    let reply = server.post("/policies/chengdu-ai-2024/run", "application/xml", b"<cases/>");
    conforms(&openapi, "/policies/{name}/run", "POST", &reply);
    assert_eq!((reply.status, error_of(&reply).as_str()), (415, "unsupported_media_type"));

    let reply = server.post("/check", "application/pdf", b"%PDF");
    conforms(&openapi, "/check", "POST", &reply);
    assert_eq!(reply.status, 415);

    let reply = server.post("/policies/chengdu-ai-2024/run", "application/json", b"[{\"id\": ");
    conforms(&openapi, "/policies/{name}/run", "POST", &reply);
    assert_eq!((reply.status, error_of(&reply).as_str()), (400, "E0905"));

    let big = vec![b' '; 100_001];
    let reply = server.post("/policies/chengdu-ai-2024/run", "application/x-ndjson", &big);
    conforms(&openapi, "/policies/{name}/run", "POST", &reply);
    assert_eq!((reply.status, error_of(&reply).as_str()), (413, "payload_too_large"));

    let reply = server.post("/policies/chengdu-ai-2024/run", "application/x-ndjson", &cases());
    conforms(&openapi, "/policies/{name}/run", "POST", &reply);
    assert_eq!((reply.status, error_of(&reply).as_str()), (413, "too_many_cases"));
    let five: Vec<u8> = cases().split(|&byte| byte == b'\n').take(5).collect::<Vec<_>>().join(&b'\n');
    assert_eq!(server.post("/policies/chengdu-ai-2024/run", "application/x-ndjson", &five).status, 200);

    let reply = server.post("/policies/chengdu-ai-2024/run?commit=true", "application/x-ndjson", &five);
    conforms(&openapi, "/policies/{name}/run", "POST", &reply);
    assert_eq!((reply.status, error_of(&reply).as_str()), (409, "no_ledger"));

    let reply = server.post("/policies/chengdu-ai-2024/explain", "application/x-ndjson", &five);
    conforms(&openapi, "/policies/{name}/explain", "POST", &reply);
    assert_eq!((reply.status, error_of(&reply).as_str()), (400, "E0901"));

    let reply = server.post("/policies/chengdu-ai-2024/explain?case=nobody", "application/x-ndjson", &five);
    conforms(&openapi, "/policies/{name}/explain", "POST", &reply);
    assert_eq!((reply.status, error_of(&reply).as_str()), (404, "E0908"));

    let broken = "{\"id\": \"A2\", \"date\": \"2025-03-01\", \"applicant\": \"G2\", \"city_subsidy\": \"lots\"}\n";
    let reply = server.post("/policies/P09-exact-fraction/explain?case=A2", "application/x-ndjson", broken.as_bytes());
    conforms(&openapi, "/policies/{name}/explain", "POST", &reply);
    assert_eq!(reply.status, 422);
    assert_eq!(reply.json()["error"]["errors"][0]["field"], "city_subsidy");

    // Not HTTP at all: the connection is answered or closed, and the server goes on.
    let mut stream = TcpStream::connect(&server.address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = stream.write_all(b"\x16\x03\x01 not http\r\n\r\n");
    let mut ignored = Vec::new();
    let _ = stream.read_to_end(&mut ignored);
    assert_eq!(server.get("/health").status, 200);
}

#[test]
fn a_request_past_the_time_limit_gets_503_and_the_next_is_answered() {
    let server = Server::start(&[CHENGDU, "--time-limit", "0.000001"]);
    let reply = server.post("/policies/chengdu-ai-2024/run", "application/x-ndjson", &cases());
    assert_eq!(reply.status, 503);
    assert_eq!(reply.json()["error"]["code"], "time_limit");
    assert_eq!(server.get("/health").status, 200);
}

#[test]
fn concurrent_clients_get_the_command_lines_results() {
    let server = Server::start(&[CHENGDU, P09]);
    let expected = cli_run(CHENGDU, CASES);
    let body = cases();
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for _ in 0..5 {
                    let reply = server.post("/policies/chengdu-ai-2024/run", "application/x-ndjson", &body);
                    assert_eq!(reply.status, 200);
                    assert_eq!(reply.body, expected);
                    let bad = server.post("/policies/chengdu-ai-2024/run", "application/json", b"[");
                    assert_eq!(bad.status, 400);
                }
            });
        }
    });
}

#[test]
fn a_ledger_run_commits_once() {
    let directory = tempfile::tempdir().unwrap();
    let ledger = directory.path().join("ledger.db");
    let server = Server::start(&[CHENGDU, "--ledger", ledger.to_str().unwrap()]);
    let dry = server.post("/policies/chengdu-ai-2024/run", "application/x-ndjson", &cases());
    assert_eq!((dry.status, dry.header("Polc-Committed-Run")), (200, None));
    let committed = server.post("/policies/chengdu-ai-2024/run?commit=true", "application/x-ndjson", &cases());
    assert_eq!((committed.status, committed.header("Polc-Committed-Run")), (200, Some("1")));
    assert_eq!(committed.body, cli_run(CHENGDU, CASES));
    let again = server.post("/policies/chengdu-ai-2024/run?commit=true", "application/x-ndjson", &cases());
    assert_eq!((again.status, again.header("Polc-Committed-Run")), (200, None));
    let cases_committed: usize = again.header("Polc-History-Cases").unwrap().parse().unwrap();
    let lines = cases().split(|&byte| byte == b'\n').filter(|line| !line.is_empty()).count();
    assert!(cases_committed > 0 && cases_committed <= lines);
    let shown = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["ledger", "show", ledger.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let awards: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert!(awards.as_array().is_some_and(|awards| !awards.is_empty()));
}

#[test]
fn a_broken_policy_stops_the_server_with_its_diagnostics() {
    let output = Command::new(env!("CARGO_BIN_EXE_polc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("POLC_LANG", "en")
        .args(["serve", "--addr", "127.0.0.1:0", CHENGDU, "tests/diagnostics/E0201.pol", "--error-format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let records: Vec<serde_json::Value> =
        String::from_utf8(output.stderr).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let codes: Vec<_> = records.iter().map(|record| record["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["E0201", "E0904"]);
}

#[test]
fn loopback_unless_told_otherwise() {
    let help = Command::new(env!("CARGO_BIN_EXE_polc")).args(["serve", "--help"]).output().unwrap();
    assert!(String::from_utf8(help.stdout).unwrap().contains("[default: 127.0.0.1:8080]"));
}

/// Sends the server SIGHUP, with the shell's `kill` (a builtin wherever there is a shell).
fn hang_up(server: &Server) -> std::process::ExitStatus {
    Command::new("sh").args(["-c", &format!("kill -HUP {}", server.child.id())]).status().unwrap()
}

#[test]
fn sighup_reloads_without_dropping_requests_and_refuses_a_broken_policy() {
    let directory = tempfile::tempdir().unwrap();
    let policy = directory.path().join("p09.pol");
    let original = std::fs::read_to_string(manifest(P09)).unwrap();
    std::fs::write(&policy, &original).unwrap();
    let server = Server::start(&[policy.to_str().unwrap()]);
    let case = br#"{"id": "A1", "date": "2025-03-01", "applicant": "G1", "city_subsidy": "300"}"#;
    let amount = |server: &Server| {
        let reply = server.post("/policies/p09/run", "application/x-ndjson", case);
        assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
        reply.json()["cases"][0]["awards"][0]["amount"].as_str().unwrap().to_string()
    };
    assert_eq!(amount(&server), "100.00");

    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        // Requests keep coming while the policy is reloaded: every one is answered.
        let load = scope.spawn(|| {
            let mut answered = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let amount = amount(&server);
                assert!(amount == "100.00" || amount == "150.00", "{amount}");
                answered += 1;
            }
            answered
        });
        std::fs::write(&policy, original.replace("award 三分之一 of city_subsidy", "award 二分之一 of city_subsidy"))
            .unwrap();
        assert!(hang_up(&server).success());
        server.wait_for("reloaded 1 policy");
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(load.join().unwrap() > 0);
    });
    assert_eq!(amount(&server), "150.00");

    std::fs::write(&policy, "policy \"broken\"\n").unwrap();
    assert!(hang_up(&server).success());
    server.wait_for("reload refused");
    assert_eq!(amount(&server), "150.00", "the policies served are unchanged");
}

#[test]
fn a_chunked_body_is_bounded_too() {
    let server = Server::start(&[P09, "--max-body", "1000"]);
    let chunk = format!("{:x}\r\n{}\r\n", 600, " ".repeat(600));
    let head = format!(
        "POST /policies/P09-exact-fraction/run HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
         Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.address
    );
    let reply = exchange(&server.address, format!("{head}{chunk}{chunk}0\r\n\r\n").as_bytes());
    assert_eq!(reply.status, 413);
    assert_eq!(reply.json()["error"]["code"], "payload_too_large");
    let small = format!("{head}2\r\n[]\r\n0\r\n\r\n");
    let reply = exchange(&server.address, small.replace("x-ndjson", "json").as_bytes());
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
}

#[test]
fn a_ledger_that_breaks_while_serving_is_a_503_and_not_a_crash() {
    let directory = tempfile::tempdir().unwrap();
    let ledger = directory.path().join("ledger.db");
    let server = Server::start(&[CHENGDU, "--ledger", ledger.to_str().unwrap()]);
    let openapi = server.get("/openapi.json").json();
    std::fs::write(&ledger, "no longer a database, and long enough to look like a header").unwrap();
    let reply = server.post("/policies/chengdu-ai-2024/run", "application/x-ndjson", &cases());
    conforms(&openapi, "/policies/{name}/run", "POST", &reply);
    assert_eq!((reply.status, reply.json()["error"]["code"].as_str()), (503, Some("E0906")));
    assert_eq!(server.get("/health").status, 200);
}

#[test]
fn each_request_chooses_its_language() {
    let server = Server::start(&[CHENGDU]);
    let ask = |path: &str, accept_language: &str, content_type: &str, body: &[u8]| {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAccept-Language: {accept_language}\r\n\
             Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            server.address,
            body.len()
        );
        exchange(&server.address, &[head.as_bytes(), body].concat())
    };
    let reasons = |reply: &Reply| reply.json()["cases"][0]["awards"][0]["reasons"][0].as_str().unwrap().to_string();
    let chinese = ask("/policies/chengdu-ai-2024/run", "zh-CN,zh;q=0.9,en;q=0.8", "application/x-ndjson", &cases());
    assert_eq!(reasons(&chinese), "销售合同执行金额（860万元）的10% = 86万元");
    let english = ask("/policies/chengdu-ai-2024/run", "fr-FR, en;q=0.5", "application/x-ndjson", &cases());
    assert_eq!(reasons(&english), "10% of contract_amount (8,600,000.00) = 860,000.00");
    assert_eq!(english.body, cli_run(CHENGDU, CASES));
    // The query wins over the header, and errors are worded in the language asked for.
    let query = ask("/policies/chengdu-ai-2024/run?lang=en", "zh-CN", "application/x-ndjson", &cases());
    assert_eq!(reasons(&query), reasons(&english));
    let refused = ask("/policies/chengdu-ai-2024/run", "zh", "application/xml", b"<cases/>");
    assert_eq!(
        refused.json()["error"]["message"],
        "无法读取类型为 application/xml 的请求体；请发送 application/json（案例数组）、application/x-ndjson 或 text/csv"
    );
}

mod any_request {
    //! Whatever a client sends, the API answers with a status and a JSON body, never a
    //! panic: random methods, paths, queries, media types and bodies, the bodies often
    //! near-valid cases (a valid batch with bytes cut, repeated or replaced).

    use polc::serve::{answer, load, Config, Limits, Request, State};
    use proptest::prelude::*;
    use std::sync::OnceLock;

    const CASES: &str = include_str!("data/diff/cases.jsonl");

    fn state() -> &'static State {
        static STATE: OnceLock<State> = OnceLock::new();
        STATE.get_or_init(|| {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
            let policies = vec![root.join(super::CHENGDU), root.join(super::P09)];
            let loaded = load(&policies, polc::Lang::En).ok().expect("the shipped policies load");
            let limits = Limits { max_cases: 50, ..Limits::default() };
            State::new(Config { policies, ledger: None, limits, lang: polc::Lang::En }, loaded)
        })
    }

    fn body() -> impl Strategy<Value = Vec<u8>> {
        let valid = CASES.as_bytes().to_vec();
        let length = valid.len();
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..200),
            (0..length, 0..length).prop_map(move |(from, to)| {
                let mut cut = CASES.as_bytes().to_vec();
                cut.drain(from.min(to)..from.max(to));
                cut
            }),
            (0..length, any::<u8>()).prop_map(move |(at, byte)| {
                let mut replaced = CASES.as_bytes().to_vec();
                replaced[at] = byte;
                replaced
            }),
            Just(format!("[{}]", CASES.lines().collect::<Vec<_>>().join(",")).into_bytes()),
            Just(b"id,date\n\"unclosed".to_vec()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn every_request_gets_a_json_answer(
            (method, path) in prop_oneof![
                4 => prop::sample::select(vec![
                    ("POST", "/policies/chengdu-ai-2024/run"),
                    ("POST", "/policies/chengdu-ai-2024/explain"),
                    ("POST", "/policies/P09-exact-fraction/run"),
                    ("POST", "/check"),
                ]),
                1 => (
                    prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "get", ""]),
                    prop::sample::select(vec![
                        "/", "/health", "/check", "/policies", "/openapi.json",
                        "/policies/chengdu-ai-2024/run", "/policies/P09-exact-fraction/schema", "/policies/../run",
                        "/policies//run", "//", "/policies/chengdu-ai-2024/run/extra",
                    ]),
                ),
            ],
            query in prop::sample::select(vec![
                "", "case=EX-05", "case=%E4%B8%AD", "case=%zz", "commit=true", "lang=zh", "name=%00", "&&==",
            ]),
            content_type in prop_oneof![
                3 => Just(Some("application/x-ndjson")),
                1 => prop::sample::select(vec![
                    None, Some("application/json"), Some("text/csv"), Some("text/plain"), Some(""),
                ]),
            ],
            lang in prop::sample::select(vec![None, Some(polc::Lang::Zh), Some(polc::Lang::En)]),
            body in body(),
        ) {
            let request = Request { method, path, query, content_type, lang, body: &body };
            let reply = answer(state(), &request);
            prop_assert!((200..600).contains(&reply.status));
            let parsed: Result<serde_json::Value, _> = serde_json::from_slice(&reply.body);
            prop_assert!(parsed.is_ok(), "{} {path}?{query}: {}", reply.status, String::from_utf8_lossy(&reply.body));
        }
    }
}

/// Embedded: a server bound and served from a library call answers, and `stop` ends every
/// worker.
#[test]
fn an_embedded_server_answers_and_stops() {
    use polc::serve::{load, Config, Limits, Server as Embedded, State};
    let policies = vec![std::path::PathBuf::from(manifest(P09))];
    let loaded = load(&policies, polc::Lang::En).ok().unwrap();
    let config = Config { policies, ledger: None, limits: Limits::default(), lang: polc::Lang::En };
    let server = Embedded::bind("127.0.0.1:0", State::new(config, loaded)).unwrap();
    let address = server.local_addr().unwrap().to_string();
    std::thread::scope(|scope| {
        let serving = scope.spawn(|| server.serve(4));
        assert_eq!(request(&address, "GET", "/health", None, b"").json()["policies"], 1);
        server.stop();
        assert!(serving.join().unwrap().is_ok());
    });
}
