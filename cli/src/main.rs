//! The `warden` tool.
fn main() {}
