//! ECDSA verification (ES256 and ES384): any signature over any message with the fixed test
//! keys, engine against the reference model; any bytes as a key never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_fuzz_common as common;

fuzz_target!(|data: &[u8]| {
    use common::model::generate::TestSigner;
    let signer = if data.first().is_some_and(|b| b & 0x80 != 0) { TestSigner::P384 } else { TestSigner::P256 };
    common::compare_signature(signer, data);
});
