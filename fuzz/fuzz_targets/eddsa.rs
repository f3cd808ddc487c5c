//! Ed25519 (EdDSA) verification: any signature over any message with the fixed test key, engine
//! against the reference model (the `rsa` crate for RSA); any bytes as a key never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_fuzz_common as common;

fuzz_target!(|data: &[u8]| {
    common::compare_signature(common::model::generate::TestSigner::Ed25519, data);
});
