//! The README's example is what polc prints: its command is run and its output compared.

use std::process::Command;

#[test]
fn the_readme_example_is_what_the_command_prints() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let example = readme.split("\n$ polc ").nth(1).expect("the README shows a `$ polc` command");
    let (command, rest) = example.split_once('\n').unwrap();
    let expected = rest.split("```").next().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(command.split_whitespace())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stdout), expected);
}
