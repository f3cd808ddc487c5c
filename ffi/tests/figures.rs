//! The figures `ffi/README.md` gives, against the library (see `src/figures.rs` of the core for
//! the `<!-- figure NAME -->` convention; `.ci/figures.sh` checks the firmware's).
#![allow(clippy::panic, reason = "a missing figure is a failed test")]

use warden::capacity::Capacities;
use warden_ffi::warden_engine_size;

const README: &str = include_str!("../README.md");
const SOURCES: [&str; 8] = [
    include_str!("../src/boundary.rs"),
    include_str!("../src/codes.rs"),
    include_str!("../src/decision.rs"),
    include_str!("../src/engine.rs"),
    include_str!("../src/lib.rs"),
    include_str!("../src/names.rs"),
    include_str!("../src/request.rs"),
    include_str!("../src/text.rs"),
];

/// The number written just before `<!-- figure NAME -->`.
fn figure(name: &str) -> usize {
    let marker = format!("<!-- figure {name} -->");
    let at = README.find(&marker).unwrap_or_else(|| panic!("no figure {name}"));
    let before = README[..at].trim_end();
    let start = before.rfind(|c: char| !(c.is_ascii_digit() || c == ' ')).map_or(0, |i| i + 1);
    let digits: String = before[start..].chars().filter(char::is_ascii_digit).collect();
    digits.parse().unwrap_or_else(|_| panic!("figure {name} is not a number"))
}

#[test]
#[cfg_attr(not(target_arch = "x86_64"), ignore = "the figure is for x86-64")]
fn engine_size_in_the_readme_is_warden_engine_size_on_x86_64() {
    if Capacities::THIS_BUILD != Capacities::defaults() {
        return; // a WARDEN_MAX_* build is not the one the figure is for
    }
    assert_eq!(figure("ffi-engine-x86_64"), warden_engine_size());
}

#[test]
fn export_count_in_the_readme_is_the_number_of_exports() {
    let exports: usize = SOURCES.iter().map(|s| s.matches("#[unsafe(no_mangle)]").count()).sum();
    assert_eq!(figure("exports"), exports);
}
