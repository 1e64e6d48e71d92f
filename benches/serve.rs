//! A bounded load test of `polc serve` on this machine: requests per second and p50/p99
//! latency for single-case runs and for 1,000-case batches of the Chengdu policy, each
//! request on a connection of its own (as a portal's form would make them).
//!
//!     cargo bench --bench serve                # 4 clients, 2,000 single cases, 100 batches
//!     cargo bench --bench serve -- 8 4000 200  # clients, single-case requests, batches
//!
//! The server is the release binary, started on a free loopback port and stopped after.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CASES: &str = include_str!("../tests/data/diff/cases.jsonl");

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|arg| arg.parse().ok()).collect();
    let clients = args.first().copied().unwrap_or(4);
    let singles = args.get(1).copied().unwrap_or(2_000);
    let batches = args.get(2).copied().unwrap_or(100);

    let mut server = Command::new(env!("CARGO_BIN_EXE_polc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["serve", "policies/chengdu-ai-2024.pol", "--addr", "127.0.0.1:0", "--lang", "en"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("polc serve starts");
    let mut first = String::new();
    BufReader::new(server.stderr.take().expect("its stderr")).read_line(&mut first).expect("it says where it listens");
    let address =
        first.rsplit("http://").next().and_then(|rest| rest.split(' ').next()).expect("an address").to_string();

    let records: Vec<serde_json::Value> = CASES
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("a case"))
        .collect();
    let batch = |size: usize, salt: usize| -> Vec<u8> {
        let mut body = Vec::new();
        for index in 0..size {
            let mut record = records[index % records.len()].clone();
            record["id"] = format!("B{salt}-{index}").into();
            serde_json::to_writer(&mut body, &record).expect("writes");
            body.push(b'\n');
        }
        body
    };

    println!(
        "polc serve, Chengdu policy, {clients} clients, {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let single: Vec<Vec<u8>> = (0..singles).map(|salt| batch(1, salt)).collect();
    measure("single-case runs", &address, clients, &single);
    let thousands: Vec<Vec<u8>> = (0..batches).map(|salt| batch(1_000, salt)).collect();
    measure("1,000-case batches", &address, clients, &thousands);
    let _ = server.kill();
    let _ = server.wait();
}

/// Sends every body once, spread over `clients` threads; prints the throughput and the
/// latency percentiles.
fn measure(name: &str, address: &str, clients: usize, bodies: &[Vec<u8>]) {
    let started = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut latencies: Vec<Duration> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..clients)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(body) = bodies.get(index) else { break };
                        let sent = Instant::now();
                        let status = post(address, "/policies/chengdu-ai-2024/run", body);
                        assert_eq!(status, 200, "every request is answered");
                        mine.push(sent.elapsed());
                    }
                    mine
                })
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().expect("a client")).collect()
    });
    let elapsed = started.elapsed();
    latencies.sort();
    let percentile = |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1];
    println!(
        "{name:>20}: {} requests in {:.2} s = {:.0} requests/s; p50 {:.2} ms, p99 {:.2} ms",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(0.50).as_secs_f64() * 1e3,
        percentile(0.99).as_secs_f64() * 1e3,
    );
}

/// One POST of JSON Lines on a connection of its own; the answer's status.
fn post(address: &str, path: &str, body: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(address).expect("connects");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body)).expect("sends");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("reads");
    let status = answer.split(|&byte| byte == b' ').nth(1).expect("a status");
    std::str::from_utf8(status).ok().and_then(|status| status.parse().ok()).expect("a number")
}
