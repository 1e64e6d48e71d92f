//! The command line when its surroundings fail or surprise it: closed pipes, full disks,
//! unreadable files, standard input for every file argument, atomic rewrites, encodings.

use std::io::Write;
use std::process::{Command, Stdio};

const POLICY: &str = "policies/chengdu-ai-2024.pol";

fn polc() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_polc"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// Runs polc with `input` on standard input: (status, stdout, stderr).
fn polc_with_input(args: &[&str], input: &[u8]) -> (i32, String, String) {
    let mut child =
        polc().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // A run that stops before reading its input (a usage error) may close the pipe while
    // the input is still being written: what it says is in its status and stderr.
    if let Err(error) = child.stdin.take().unwrap().write_all(input) {
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("polc-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every command that prints, with output that is larger than a pipe's buffer where it
/// can be, so a closed pipe is met mid-write.
fn printing_commands() -> Vec<Vec<&'static str>> {
    vec![
        vec!["check", "--format", "json", "tests/diagnostics/E0201.pol"],
        vec!["check", "--format", "github", "tests/diagnostics/E0201.pol"],
        vec!["schema", POLICY],
        vec!["test", "--coverage", "policies"],
        vec!["test", "--format", "json", "policies"],
        vec!["run", POLICY, "examples/cases.jsonl", "--format", "json"],
        vec!["run", POLICY, "examples/cases.jsonl", "--format", "csv"],
        vec!["run", POLICY, "examples/cases.jsonl", "--format", "table"],
        vec!["run", POLICY, "examples/cases.jsonl", "--explain", "EX-07"],
    ]
}

#[test]
fn a_full_disk_is_an_error_not_a_panic() {
    for args in printing_commands() {
        let output = polc().args(&args).stdout(std::fs::File::create("/dev/full").unwrap()).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("error: cannot write the output: No space left on device"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    let output = polc()
        .args(["fmt", "-"])
        .stdin(std::fs::File::open(POLICY).unwrap())
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    for args in printing_commands() {
        let mut child = polc().args(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        // Read nothing: close the pipe at once, as `| head -c 0` would.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("cannot write"), "{args:?}: {stderr}");
        // Either everything fit in the pipe before it closed, or polc stopped with 141.
        assert!(matches!(output.status.code(), Some(0 | 1 | 141)), "{args:?}: {:?}", output.status);
    }
    // Through a real shell pipe: the schema is larger than what `head` reads.
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("'{}' schema {POLICY} | head -c 10", env!("CARGO_BIN_EXE_polc")))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "{\n  \"$sche");
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn check_does_not_count_a_file_it_could_not_read() {
    let output = polc().args(["check", "no-such.pol"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("error: cannot read `no-such.pol`"), "{stderr}");
    assert!(stderr.contains("checked 0 files: 0 errors, 0 warnings; 1 file could not be read"), "{stderr}");
    let output = polc().args(["check", POLICY, "no-such.pol"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("checked 1 file: 0 errors, 1 warning; 1 file could not be read"), "{stderr}");
}

#[test]
fn standard_input_works_for_every_file_argument() {
    let policy = std::fs::read(POLICY).unwrap();
    let (status, _, stderr) = polc_with_input(&["check", "-"], &policy);
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains("checked 1 file: 0 errors"), "{stderr}");
    let (status, stdout, _) = polc_with_input(
        &["check", "-", "--format", "json"],
        "policy \"p\"\narticle 1 \"a\" clause 1.1 award 1万 to nobody\n".as_bytes(),
    );
    assert_eq!(status, 1);
    assert!(stdout.contains("\"file\":\"<stdin>\""), "{stdout}");
    let (status, stdout, _) = polc_with_input(&["schema", "-"], &policy);
    assert_eq!(status, 0);
    assert!(stdout.contains("\"contract_amount\""));
    let (status, stdout, stderr) = polc_with_input(&["run", "-", "examples/cases.jsonl", "--format", "csv"], &policy);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("EX-05,3.2,E106,applicant,grant,188888.89,false,"), "{stdout}");
    let (status, _, stderr) = polc_with_input(&["run", "-", "-", "--input-format", "jsonl"], &policy);
    assert_eq!(status, 2);
    assert!(stderr.contains("standard input (`-`) can be read only once"), "{stderr}");
}

#[test]
fn fmt_check_reads_standard_input_and_prints_nothing() {
    let formatted = std::fs::read(POLICY).unwrap();
    let (status, stdout, _) = polc_with_input(&["fmt", "--check", "-"], &formatted);
    assert_eq!((status, stdout.as_str()), (0, ""));
    let messy = std::fs::read("tests/fmt/messy.pol").unwrap();
    let (status, stdout, _) = polc_with_input(&["fmt", "--check", "-"], &messy);
    assert_eq!((status, stdout.as_str()), (1, ""));
}

#[test]
fn fmt_leaves_the_old_file_whole_when_writing_fails() {
    let dir = temp_dir("atomic");
    let path = dir.join("policy.pol");
    // Unformatted (a blank line too many) and larger than the 1 KiB the writer may write.
    let original = std::fs::read_to_string(POLICY).unwrap().replacen("\n\n", "\n\n\n", 1);
    std::fs::write(&path, &original).unwrap();
    // The file-size limit makes every write past 1 KiB fail (EFBIG, the signal ignored),
    // as a full disk would, in the middle of the new text.
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f 1; exec '{}' fmt '{}'", env!("CARGO_BIN_EXE_polc"), path.display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("the file is unchanged"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|entry| entry.unwrap().file_name()).collect();
    assert_eq!(left, [std::ffi::OsString::from("policy.pol")], "no temporary file is left behind");
    // Without the limit the same command rewrites it.
    let output = polc().args(["fmt", path.to_str().unwrap()]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(POLICY).unwrap());
}

#[test]
fn a_byte_order_mark_is_accepted_and_other_encodings_are_named() {
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend(std::fs::read(POLICY).unwrap());
    let (status, _, stderr) = polc_with_input(&["check", "-"], &with_bom);
    assert_eq!(status, 0, "{stderr}");
    let (status, stdout, _) = polc_with_input(&["run", "-", "examples/cases.jsonl", "--format", "csv"], &with_bom);
    assert_eq!(status, 0);
    assert!(stdout.contains("EX-01,1.1,E101"));
    // fmt drops the mark: the canonical file is plain UTF-8.
    let (status, stdout, _) = polc_with_input(&["fmt", "-"], &with_bom);
    assert_eq!(status, 0);
    assert_eq!(stdout.as_bytes(), std::fs::read(POLICY).unwrap());

    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(std::fs::read_to_string(POLICY).unwrap().encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let (status, _, stderr) = polc_with_input(&["check", "-"], &utf16);
    assert_eq!(status, 1);
    assert!(stderr.contains("error[E0105]: the file is UTF-16, not UTF-8"), "{stderr}");
    assert!(stderr.contains("help: save the file as UTF-8"), "{stderr}");
    let (status, _, stderr) = polc_with_input(&["run", "-", "examples/cases.jsonl"], &utf16);
    assert_eq!(status, 2);
    assert!(stderr.contains("E0105"), "{stderr}");
}

#[test]
fn record_counts_are_records_not_errors() {
    let dir = temp_dir("counts");
    let path = dir.join("bad.jsonl");
    // Four bad records; the third has two bad fields.
    std::fs::write(&path, "{}\n{\"id\": \"A\"}\n{\"id\": \"B\", \"date\": \"x\", \"applicant\": \"\"}\nnot json\n")
        .unwrap();
    let output = polc().args(["run", POLICY, path.to_str().unwrap(), "--format", "table"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("4 records had errors and did not run"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("\n4 records could not run:\n"), "{stdout}");
}

#[test]
fn fmt_through_a_symbolic_link_rewrites_the_file_and_keeps_the_link() {
    let dir = temp_dir("symlink");
    let target = dir.join("real.pol");
    let link = dir.join("link.pol");
    std::fs::copy("tests/fmt/messy.pol", &target).unwrap();
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let output = polc().args(["fmt", link.to_str().unwrap()]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    let output = polc().args(["fmt", "--check", target.to_str().unwrap()]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
}
