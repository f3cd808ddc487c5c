//! Policy compilation from TOML text (the warden-cli library): never a panic, and whatever
//! the compiler accepts, the core loads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden::{Engine, KeyMaterial};

const SECRET: [u8; 64] = [7; 64];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let out = warden_cli::compile::compile(text);
    let Some(compiled) = out.compiled else { return };
    assert!(!out.diagnostics.iter().any(|d| d.is_error()), "compiled despite errors");
    let blob = compiled.encode(None).expect("a compiled policy encodes");
    let ids = compiled.key_ids();
    let keyring: Vec<KeyMaterial<'_>> = ids.iter().map(|id| KeyMaterial { id, secret: &SECRET }).collect();
    if let Err(e) = Engine::load(&blob, &keyring) {
        panic!("the core refuses what the compiler accepted: {e:?}\n{text}");
    }
});
