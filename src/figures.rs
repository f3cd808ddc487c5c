//! The sizes the documentation gives, checked against the code on the target they are for.
//!
//! A figure in `README.md`, `docs/embedded.md` or `ffi/README.md` is written as the number
//! followed by an HTML comment naming it, `27 432 <!-- figure engine-x86_64 -->`, invisible in
//! the rendered page. The tests below compare those a host test can measure; `.ci/figures.sh`
//! compares the firmware's (measured under QEMU and by `arm-none-eabi-size`).

use std::string::String;
use std::vec::Vec;

use crate::capacity::Capacities;
use crate::engine::Engine;
use crate::mac::MacKey;
use crate::path::Shape;
use crate::policy::{Credential, IpRange, KeySpec, OriginPattern, Rule};

const README: &str = include_str!("../README.md");
const EMBEDDED: &str = include_str!("../docs/embedded.md");
const CASES: &str = include_str!("../policies/edge-api.cases.toml");

/// The number written just before `<!-- figure NAME -->` in `doc` (spaces between digit groups
/// allowed), or a panic naming the figure.
fn figure(doc: &str, name: &str) -> usize {
    let marker = std::format!("<!-- figure {name} -->");
    let at = doc.find(&marker).unwrap_or_else(|| panic!("no figure {name}"));
    let before = doc[..at].trim_end();
    let start = before.rfind(|c: char| !(c.is_ascii_digit() || c == ' ')).map_or(0, |i| i + 1);
    let digits: String = before[start..].chars().filter(char::is_ascii_digit).collect();
    digits.parse().unwrap_or_else(|_| panic!("figure {name} is not a number: {:?}", &before[start..]))
}

/// RAM one unit of each capacity costs inside `Engine`: (figure name suffix, bytes).
fn per_unit() -> Vec<(&'static str, usize)> {
    std::vec![
        ("rules", size_of::<Rule<'_>>() + size_of::<Shape>()),
        ("credentials", size_of::<Credential<'_>>()),
        ("keys", size_of::<KeySpec<'_>>() + size_of::<MacKey>()),
        ("ranges", size_of::<IpRange>()),
        ("origins", size_of::<OriginPattern<'_>>()),
        ("roles", size_of::<&str>()),
        ("methods", size_of::<&str>()),
    ]
}

#[test]
fn the_case_count_in_the_docs_is_the_case_files() {
    let cases = CASES.lines().filter(|l| l.trim() == "[[case]]").count();
    assert_eq!(figure(README, "cases"), cases, "README.md");
    for name in ["cases-stack", "cases-firmware-c"] {
        assert_eq!(figure(EMBEDDED, name), cases, "docs/embedded.md, {name}");
    }
    // Inside console blocks, where a comment would show: the commands' own output.
    for line in [std::format!("# {cases} cases, then"), std::format!("cases: {cases}, failed: 0")] {
        assert!(EMBEDDED.contains(&line), "docs/embedded.md lacks {line:?}");
    }
}

#[test]
#[cfg_attr(not(target_arch = "x86_64"), ignore = "the figures are for x86-64")]
fn engine_sizes_in_the_readme_are_the_engines_on_x86_64() {
    if Capacities::THIS_BUILD != Capacities::defaults() {
        // A build with WARDEN_MAX_* set is not the build the figure is for.
        return;
    }
    assert_eq!(figure(README, "engine-x86_64"), size_of::<Engine<'_>>(), "README.md: size_of::<Engine>()");
    for (what, bytes) in per_unit() {
        assert_eq!(figure(README, &std::format!("unit-{what}-x86_64")), bytes, "README.md: RAM per unit of {what}");
    }
}

#[test]
fn figures_are_found_and_read_with_digit_groups() {
    let doc = "is 27 432 <!-- figure a --> bytes, | 3 512 <!-- figure b --> |, x7 <!-- figure c -->";
    assert_eq!((figure(doc, "a"), figure(doc, "b"), figure(doc, "c")), (27_432, 3_512, 7));
}
