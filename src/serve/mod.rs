//! `polc serve`: the library over HTTP, for an application portal or a back office.
//!
//! One synchronous server ([`tiny_http`]) with a fixed pool of workers: a request is read,
//! answered from the policies loaded at start, and written back; nothing is shared
//! between requests but the loaded policies (swapped whole on reload, so a request in
//! flight finishes with the policies it started with) and the ledger's lock. Every
//! answer is JSON; every failure is a JSON error with a 4xx or 5xx status, never a
//! dropped connection. [`crate::serve::answer`] is the whole of the API as a function,
//! which the workers call and the tests can too.

use crate::check::checked::Policy;
use crate::data::InputFormat;
use crate::diag::failure::{Failure, FailureKind};
use crate::diag::Diagnostic;
use crate::lang::Lang;
use std::collections::BTreeMap;
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// The OpenAPI description of the API, served at `GET /openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// What one request may ask of the server.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The largest request body, in bytes (413 past it).
    pub max_body: usize,
    /// The most cases one run or explanation may carry (413 past it).
    pub max_cases: usize,
    /// How long one request may compute before it is answered 503 (a run that commits
    /// to the ledger is not cut off: its commit would land after the answer said not).
    pub time_limit: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_body: 16 << 20, max_cases: 10_000, time_limit: Duration::from_secs(30) }
    }
}

/// How the server is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// The policy files, each served under its file name without `.pol`.
    pub policies: Vec<PathBuf>,
    /// The ledger runs are decided against (and may commit to), if any.
    pub ledger: Option<String>,
    pub limits: Limits,
    /// The language of messages and explanations.
    pub lang: Lang,
}

/// A policy the server runs, once in each language a request may ask for (a policy's
/// language words its reasons and explanations).
pub struct Served {
    /// The name in the URL: the file name without `.pol`.
    pub name: String,
    pub path: PathBuf,
    english: Policy,
    chinese: Policy,
}

impl Served {
    fn new(name: String, path: PathBuf, policy: Policy) -> Self {
        let mut english = policy;
        english.lang = Lang::En;
        let mut chinese = english.clone();
        chinese.lang = Lang::Zh;
        Served { name, path, english, chinese }
    }

    /// The policy, worded in `lang`.
    pub fn policy(&self, lang: Lang) -> &Policy {
        match lang {
            Lang::En => &self.english,
            Lang::Zh => &self.chinese,
        }
    }
}

/// The policies loaded at one time, by name.
pub struct Loaded {
    pub policies: BTreeMap<String, Arc<Served>>,
}

/// Why the policies cannot be loaded: nothing is served from a broken set.
pub enum LoadError {
    /// A file cannot be read, or two files give the same name.
    Failure(Failure),
    /// A policy has errors: its file, text and every diagnostic.
    Policy { file: String, text: String, diagnostics: Vec<Diagnostic> },
}

/// Reads and checks every policy; any error stops the load.
pub fn load(paths: &[PathBuf], lang: Lang) -> Result<Loaded, Vec<LoadError>> {
    let mut policies = BTreeMap::new();
    let mut errors = Vec::new();
    for path in paths {
        let file = path.display().to_string();
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                let message =
                    lang.choose(format!("cannot read `{file}`: {error}"), format!("无法读取 `{file}`：{error}"));
                errors.push(LoadError::Failure(Failure::new(FailureKind::Read, message)));
                continue;
            }
        };
        let (text, report) = crate::check_bytes(&bytes);
        let Some(policy) = report.policy else {
            let diagnostics = report.diagnostics.into_iter().filter(Diagnostic::is_error).collect();
            errors.push(LoadError::Policy { file, text: text.into_owned(), diagnostics });
            continue;
        };
        let name = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
        if policies.contains_key(&name) {
            let message = lang.choose(
                format!("two policies would be served as `{name}`; give each file its own name"),
                format!("两个政策都会以 `{name}` 提供服务；请为每个文件取不同的名字"),
            );
            errors.push(LoadError::Failure(Failure::new(FailureKind::Usage, message)));
            continue;
        }
        policies.insert(name.clone(), Arc::new(Served::new(name, path.clone(), policy)));
    }
    if errors.is_empty() {
        Ok(Loaded { policies })
    } else {
        Err(errors)
    }
}

/// The server's state: the loaded policies, swapped whole on reload.
pub struct State {
    config: Config,
    loaded: RwLock<Arc<Loaded>>,
    /// Held while a run reads or writes the ledger: one decision at a time, so that two
    /// commits from two requests do not wait on each other's database lock.
    ledger: Mutex<()>,
}

impl State {
    pub fn new(config: Config, loaded: Loaded) -> Self {
        State { config, loaded: RwLock::new(Arc::new(loaded)), ledger: Mutex::new(()) }
    }

    /// The policies now served.
    pub fn loaded(&self) -> Arc<Loaded> {
        match self.loaded.read() {
            Ok(loaded) => Arc::clone(&loaded),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Loads the policy files again and, when every one checks, serves them from the next
    /// request on; requests already running finish with the policies they started with.
    /// On failure the policies served stay as they were.
    pub fn reload(&self) -> Result<usize, Vec<LoadError>> {
        let loaded = load(&self.config.policies, self.config.lang)?;
        let count = loaded.policies.len();
        match self.loaded.write() {
            Ok(mut current) => *current = Arc::new(loaded),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(loaded),
        }
        Ok(count)
    }
}

/// A request as [`answer`] needs it.
pub struct Request<'a> {
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    pub query: &'a str,
    /// The media type, without parameters, lowercase.
    pub content_type: Option<&'a str>,
    /// The language asked for (`?lang=zh|en`, else `Accept-Language`), if any.
    pub lang: Option<Lang>,
    pub body: &'a [u8],
}

impl Request<'_> {
    /// The language of this request's answer: the one asked for, else the server's.
    fn lang(&self, state: &State) -> Lang {
        self.lang.unwrap_or(state.config.lang)
    }
}

/// The language a request asks for: `?lang=`, else the first of `Accept-Language` polc
/// writes in.
pub fn asked_lang(query: &str, accept_language: Option<&str>) -> Option<Lang> {
    if let Some(lang) = query_value(query, "lang").as_deref().and_then(Lang::parse) {
        return Some(lang);
    }
    accept_language?.split(',').find_map(|range| {
        let tag = range.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match tag.split('-').next() {
            Some("zh") => Some(Lang::Zh),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    })
}

/// An answer: a status and a JSON body, with extra headers.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: u16, value: &serde_json::Value) -> Reply {
        let mut body = serde_json::to_vec_pretty(value).unwrap_or_default();
        body.push(b'\n');
        Reply { status, body, headers: Vec::new() }
    }

    /// A JSON error: `{"error": {"status", "code", "message"}}`.
    pub fn error(status: u16, code: &str, message: impl Into<String>) -> Reply {
        let message = message.into();
        Reply::json(status, &serde_json::json!({ "error": { "status": status, "code": code, "message": message } }))
    }

    fn failure(status: u16, failure: &Failure) -> Reply {
        Reply::error(status, failure.kind.id(), failure.message.clone())
    }
}

/// The whole API: one request in, one reply out.
pub fn answer(state: &State, request: &Request<'_>) -> Reply {
    let lang = request.lang(state);
    let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
    let allow = |methods: &str, reply: &dyn Fn() -> Reply| {
        if methods.split(',').any(|method| method == request.method) {
            reply()
        } else {
            let mut reply = Reply::error(
                405,
                "method_not_allowed",
                lang.choose(
                    format!("{} is not allowed on {}; use {methods}", request.method, request.path),
                    format!("{} 不可用于 {}；请用 {methods}", request.method, request.path),
                ),
            );
            reply.headers.push(("Allow", methods.replace(',', ", ")));
            reply
        }
    };
    match segments.as_slice() {
        ["health"] => allow("GET", &|| health(state)),
        ["openapi.json"] => {
            allow("GET", &|| Reply { status: 200, body: OPENAPI.as_bytes().to_vec(), headers: Vec::new() })
        }
        ["check"] => allow("POST", &|| check(state, request)),
        ["policies"] => allow("GET", &|| policies(state, lang)),
        ["policies", name, "schema"] => allow("GET", &|| with_policy(state, lang, name, &|served| schema(served))),
        ["policies", name, "run"] => {
            allow("POST", &|| with_policy(state, lang, name, &|served| run(state, served, request)))
        }
        ["policies", name, "explain"] => {
            allow("POST", &|| with_policy(state, lang, name, &|served| explain(state, served, request)))
        }
        _ => Reply::error(
            404,
            "not_found",
            lang.choose(
                format!("no such resource: {}; see GET /openapi.json", request.path),
                format!("没有这个资源：{}；见 GET /openapi.json", request.path),
            ),
        ),
    }
}

fn health(state: &State) -> Reply {
    let loaded = state.loaded();
    Reply::json(
        200,
        &serde_json::json!({
            "status": "ok",
            "policies": loaded.policies.len(),
            "ledger": state.config.ledger.is_some(),
        }),
    )
}

fn policies(state: &State, lang: Lang) -> Reply {
    let loaded = state.loaded();
    let list: Vec<_> = loaded
        .policies
        .values()
        .map(|served| {
            let policy = served.policy(lang);
            serde_json::json!({
                "name": served.name,
                "title": policy.title,
                "valid_from": policy.validity.as_ref().map(|validity| validity.from.to_string()),
                "valid_until": policy.validity.as_ref().map(|validity| validity.until.to_string()),
                "clauses": policy.clauses.iter().map(|clause| clause.id.clone()).collect::<Vec<_>>(),
                "inputs": policy.inputs.len(),
            })
        })
        .collect();
    Reply::json(200, &serde_json::json!({ "policies": list }))
}

fn with_policy(state: &State, lang: Lang, name: &str, reply: &dyn Fn(&Arc<Served>) -> Reply) -> Reply {
    let loaded = state.loaded();
    match loaded.policies.get(name) {
        Some(served) => reply(served),
        None => Reply::error(
            404,
            "unknown_policy",
            lang.choose(
                format!("no policy is served as `{name}`; GET /policies lists them"),
                format!("没有以 `{name}` 提供服务的政策；GET /policies 列出全部"),
            ),
        ),
    }
}

fn schema(served: &Served) -> Reply {
    // The schema's words are the policy's declared labels, in no language of polc's.
    Reply::json(200, &crate::schema(&served.english))
}

/// `POST /check`: a policy's text (text/plain) in, its diagnostics out. A policy with
/// errors is a successful check: 200, with the errors counted.
fn check(state: &State, request: &Request<'_>) -> Reply {
    if !matches!(request.content_type, Some("text/plain") | None) {
        return unsupported(state, request, "text/plain");
    }
    let name = query_value(request.query, "name").unwrap_or_else(|| "policy.pol".to_string());
    let (text, report) = crate::check_bytes(request.body);
    let source = crate::diag::render::Source { name: &name, text: &text };
    let diagnostics = crate::diag::render::json_records(&source, &report.diagnostics, request.lang(state));
    Reply::json(
        200,
        &serde_json::json!({
            "errors": report.error_count(),
            "warnings": report.warning_count(),
            "diagnostics": diagnostics,
        }),
    )
}

fn unsupported(state: &State, request: &Request<'_>, wanted: &str) -> Reply {
    let given = request.content_type.unwrap_or("none");
    Reply::error(
        415,
        "unsupported_media_type",
        request.lang(state).choose(
            format!("a body of type {given} cannot be read here; send {wanted}"),
            format!("无法读取类型为 {given} 的请求体；请发送 {wanted}"),
        ),
    )
}

/// The cases' format, from the request's media type.
fn cases_format(request: &Request<'_>) -> Option<InputFormat> {
    match request.content_type? {
        "application/json" => Some(InputFormat::Json),
        "application/x-ndjson" | "application/jsonl" | "application/json-lines" => Some(InputFormat::JsonLines),
        "text/csv" => Some(InputFormat::Csv),
        _ => None,
    }
}

/// The cases' media types, in words.
const CASES_TYPES: [&str; 2] = [
    "application/json (an array of cases), application/x-ndjson or text/csv",
    "application/json（案例数组）、application/x-ndjson 或 text/csv",
];

/// The cases a body holds, counted without typing them; `None` when the body is not
/// readable as the format at all (the run then says why).
fn count_cases(body: &[u8], format: &InputFormat) -> Option<usize> {
    match format {
        InputFormat::Json => {
            struct Count;
            impl<'de> serde::de::Visitor<'de> for Count {
                type Value = usize;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an array of cases")
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
                    let mut count = 0;
                    while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                        count += 1;
                    }
                    Ok(count)
                }
            }
            let mut deserializer = serde_json::Deserializer::from_slice(body);
            serde::Deserializer::deserialize_seq(&mut deserializer, Count).ok()
        }
        InputFormat::JsonLines => Some(
            body.split(|&byte| byte == b'\n')
                .filter(|line| line.iter().any(|byte| !byte.is_ascii_whitespace()))
                .count(),
        ),
        InputFormat::Csv => Some(csv::ReaderBuilder::new().flexible(true).from_reader(body).byte_records().count()),
        InputFormat::Xlsx { .. } => None,
    }
}

/// The checks every run and explanation share: the cases' format and how many there are.
fn cases_of(state: &State, request: &Request<'_>) -> Result<InputFormat, Reply> {
    let Some(format) = cases_format(request) else {
        let [english, chinese] = CASES_TYPES;
        return Err(unsupported(state, request, request.lang(state).pick(english, chinese)));
    };
    let max = state.config.limits.max_cases;
    if let Some(count) = count_cases(request.body, &format) {
        if count > max {
            return Err(Reply::error(
                413,
                "too_many_cases",
                request.lang(state).choose(
                    format!("{count} cases in one request; at most {max} are taken: split the batch"),
                    format!("一次请求含 {count} 个案例；最多接受 {max} 个：请拆分批次"),
                ),
            ));
        }
    }
    Ok(format)
}

/// Computes `work` within the time limit: on a thread of its own, answered 503 if it
/// runs past the limit (the thread then finishes unseen; the case limit bounds it).
fn within_time<T: Send + 'static>(
    state: &State,
    lang: Lang,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Reply> {
    let (sender, receiver) = std::sync::mpsc::channel();
    // A thread the system cannot give is a busy server, not a crash.
    let spawned = std::thread::Builder::new().name("polc-request".into()).spawn(move || {
        let _ = sender.send(work());
    });
    if let Err(error) = spawned {
        return Err(Reply::error(
            503,
            "busy",
            lang.choose(
                format!("the server cannot start this request now ({error}); try again"),
                format!("服务暂时无法处理此请求（{error}）；请稍后重试"),
            ),
        ));
    }
    let limit = state.config.limits.time_limit;
    receiver.recv_timeout(limit).map_err(|error| match error {
        std::sync::mpsc::RecvTimeoutError::Timeout => Reply::error(
            503,
            "time_limit",
            lang.choose(
                format!("the request took longer than {} s; send fewer cases", limit.as_secs_f64()),
                format!("请求计算超过 {} 秒；请减少案例数", limit.as_secs_f64()),
            ),
        ),
        // The computation ended without an answer: it failed, and only this request.
        std::sync::mpsc::RecvTimeoutError::Disconnected => {
            Reply::error(500, "internal", "polc failed on this request; please report it with the request")
        }
    })
}

/// `POST /policies/{name}/run`: the same result as `polc run --format json`.
fn run(state: &State, served: &Arc<Served>, request: &Request<'_>) -> Reply {
    let format = match cases_of(state, request) {
        Ok(format) => format,
        Err(reply) => return reply,
    };
    let commit = query_value(request.query, "commit").is_some_and(|value| value == "true");
    let lang = request.lang(state);
    match &state.config.ledger {
        Some(location) => run_on_ledger(state, served.policy(lang), request.body, format, location, commit),
        None if commit => Reply::error(
            409,
            "no_ledger",
            lang.choose(
                "this server has no ledger to commit to; start it with --ledger".to_string(),
                "此服务没有可记入的台账；请用 --ledger 启动".to_string(),
            ),
        ),
        None => {
            let (served, body) = (Arc::clone(served), request.body.to_vec());
            let outcome = within_time(state, lang, move || {
                let policy = served.policy(lang);
                crate::eval::run(policy, body.as_slice(), format, None).map(|result| {
                    let mut bytes = Vec::new();
                    let _ = crate::render::json(policy, &result, &mut bytes);
                    bytes
                })
            });
            match outcome {
                Ok(Ok(body)) => Reply { status: 200, body, headers: Vec::new() },
                Ok(Err(error)) => Reply::error(400, FailureKind::Batch.id(), error.to_string()),
                Err(reply) => reply,
            }
        }
    }
}

fn run_on_ledger(
    state: &State,
    policy: &Policy,
    body: &[u8],
    format: InputFormat,
    location: &str,
    commit: bool,
) -> Reply {
    let _one_at_a_time = state.ledger.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let decided = crate::Ledger::open(location)
        .and_then(|mut ledger| crate::run_on_ledger(&mut ledger, policy, body, format, commit));
    match decided {
        Err(error) => Reply::failure(503, &Failure::new(FailureKind::Ledger, error.to_string())),
        Ok(Err(error)) => Reply::error(400, FailureKind::Batch.id(), error.to_string()),
        Ok(Ok(decision)) => {
            let mut bytes = Vec::new();
            let _ = crate::render::json(policy, &decision.result, &mut bytes);
            let mut reply = Reply { status: 200, body: bytes, headers: Vec::new() };
            reply.headers.push(("Polc-History-Cases", decision.history_cases.to_string()));
            if let Some(run) = decision.run {
                reply.headers.push(("Polc-Committed-Run", run.to_string()));
            }
            reply
        }
    }
}

/// `POST /policies/{name}/explain?case=ID`: the explanation `polc run --explain ID
/// --format json` gives.
fn explain(state: &State, served: &Arc<Served>, request: &Request<'_>) -> Reply {
    let lang = request.lang(state);
    let Some(case) = query_value(request.query, "case") else {
        return Reply::error(
            400,
            FailureKind::Usage.id(),
            lang.choose("name the case to explain: ?case=ID".to_string(), "请指明要解释的案例：?case=编号".to_string()),
        );
    };
    let format = match cases_of(state, request) {
        Ok(format) => format,
        Err(reply) => return reply,
    };
    let (served, body, asked) = (Arc::clone(served), request.body.to_vec(), case.clone());
    let outcome = within_time(state, lang, move || {
        let policy = served.policy(lang);
        crate::eval::run(policy, body.as_slice(), format, Some(&asked)).map(|result| {
            match crate::render::explanation(policy, &result) {
                Some(explanation) => Ok(serde_json::to_value(explanation).unwrap_or_default()),
                None => Err(result
                    .errors
                    .iter()
                    .filter(|error| error.case.as_deref() == Some(asked.as_str()))
                    .map(|error| {
                        serde_json::json!({
                            "field": error.field,
                            "location": error.location.words(lang),
                            "message": error.message,
                        })
                    })
                    .collect::<Vec<_>>()),
            }
        })
    });
    match outcome {
        Ok(Ok(Ok(explanation))) => Reply::json(200, &explanation),
        Ok(Ok(Err(errors))) if errors.is_empty() => Reply::error(
            404,
            FailureKind::Case.id(),
            lang.choose(format!("no readable case has id `{case}`"), format!("没有编号为 `{case}` 的可读案例")),
        ),
        Ok(Ok(Err(errors))) => Reply::json(
            422,
            &serde_json::json!({ "error": {
                "status": 422,
                "code": FailureKind::Case.id(),
                "message": lang.choose(format!("case `{case}` did not run; its data has errors"), format!("案例 `{case}` 未能计算；其数据有错误")),
                "errors": errors,
            }}),
        ),
        Ok(Err(error)) => Reply::error(400, FailureKind::Batch.id(), error.to_string()),
        Err(reply) => reply,
    }
}

/// A query parameter's value, percent-decoded.
fn query_value(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(name) == key).then(|| percent_decode(value))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let hex = |offset: usize| bytes.get(at + offset).and_then(|&digit| (digit as char).to_digit(16));
        match (byte, hex(1), hex(2)) {
            (b'%', Some(high), Some(low)) => {
                out.push(u8::try_from(high * 16 + low).unwrap_or(b'?'));
                at += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                at += 1;
            }
            _ => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A bound server, ready to answer.
pub struct Server {
    http: Arc<tiny_http::Server>,
    state: Arc<State>,
    /// Set by [`Server::stop`], or when the server can no longer accept connections.
    stopping: std::sync::atomic::AtomicBool,
    /// How many workers [`Server::serve`] runs, each of which stopping must wake.
    workers: std::sync::atomic::AtomicUsize,
}

impl Server {
    /// Binds `address` (for example `127.0.0.1:8080`; port 0 takes a free one).
    pub fn bind(address: &str, state: State) -> Result<Server, Failure> {
        let http = tiny_http::Server::http(address).map_err(|error| {
            let message = state
                .config
                .lang
                .choose(format!("cannot listen on {address}: {error}"), format!("无法在 {address} 上监听：{error}"));
            Failure::new(FailureKind::Server, message)
        })?;
        Ok(Server {
            http: Arc::new(http),
            state: Arc::new(state),
            stopping: std::sync::atomic::AtomicBool::new(false),
            workers: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.http.server_addr().to_ip()
    }

    /// The state, to reload it.
    pub fn state(&self) -> Arc<State> {
        Arc::clone(&self.state)
    }

    /// Answers requests on `workers` threads until [`Server::stop`] is called (`Ok`), or
    /// until connections can no longer be accepted (the failure: the HTTP layer stops
    /// accepting after an error such as running out of file descriptors, and a server
    /// that cannot accept must say so rather than wait for ever).
    pub fn serve(&self, workers: usize) -> Result<(), Failure> {
        use std::sync::atomic::Ordering;
        let workers = workers.max(1);
        self.workers.store(workers, Ordering::SeqCst);
        let failure: Mutex<Option<Failure>> = Mutex::new(None);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    if self.stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    match self.http.recv() {
                        Ok(request) => respond(&self.state, request),
                        Err(_) if self.stopping.load(Ordering::SeqCst) => break,
                        Err(error) => {
                            let message = self.state.config.lang.choose(
                                format!("the server stopped accepting connections: {error}"),
                                format!("服务已无法接受连接：{error}"),
                            );
                            if let Ok(mut failure) = failure.lock() {
                                failure.get_or_insert(Failure::new(FailureKind::Server, message));
                            }
                            self.stop();
                            break;
                        }
                    }
                });
            }
        });
        match failure.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }

    /// Stops [`Server::serve`]: each worker returns once its request is answered.
    pub fn stop(&self) {
        use std::sync::atomic::Ordering;
        self.stopping.store(true, Ordering::SeqCst);
        // The HTTP layer wakes one waiting worker per call.
        for _ in 0..self.workers.load(Ordering::SeqCst).max(1) {
            self.http.unblock();
        }
    }
}

/// Reads one request within the body limit, answers it and writes the reply. A reply
/// that cannot be written (the client went away) is dropped: there is no one to tell.
fn respond(state: &State, mut request: tiny_http::Request) {
    let limits = &state.config.limits;
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let content_type = request
        .headers()
        .iter()
        .find(|header| header.field.equiv("Content-Type"))
        .map(|header| header.value.as_str().split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    let method = request.method().as_str().to_ascii_uppercase();
    let accept_language = request
        .headers()
        .iter()
        .find(|header| header.field.equiv("Accept-Language"))
        .map(|header| header.value.as_str().to_string());
    let asked = asked_lang(query, accept_language.as_deref());
    let lang = asked.unwrap_or(state.config.lang);
    let too_large = || {
        Reply::error(
            413,
            "payload_too_large",
            lang.choose(
                format!("the body is larger than {} bytes", limits.max_body),
                format!("请求体超过 {} 字节", limits.max_body),
            ),
        )
    };
    let reply = if request.body_length().is_some_and(|length| length > limits.max_body) {
        too_large()
    } else {
        let mut body = Vec::new();
        let limit = u64::try_from(limits.max_body).unwrap_or(u64::MAX).saturating_add(1);
        match request.as_reader().take(limit).read_to_end(&mut body) {
            Err(error) => Reply::error(400, "bad_request", format!("the body cannot be read: {error}")),
            Ok(_) if body.len() > limits.max_body => too_large(),
            Ok(_) => {
                let request = Request {
                    method: &method,
                    path,
                    query,
                    content_type: content_type.as_deref(),
                    lang: asked,
                    body: &body,
                };
                // The library does not panic on any input; if it ever did, this request
                // gets a 500 and the others go on.
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| answer(state, &request))).unwrap_or_else(
                    |_| Reply::error(500, "internal", "polc failed on this request; please report it with the request"),
                )
            }
        }
    };
    let mut response = tiny_http::Response::from_data(reply.body).with_status_code(reply.status);
    let headers = std::iter::once(("Content-Type", "application/json; charset=utf-8".to_string())).chain(reply.headers);
    for (name, value) in headers {
        if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(header);
        }
    }
    let _ = request.respond(response);
}
