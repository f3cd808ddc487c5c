//! The differential target: a random policy (within capacities) and random requests, both
//! drawn from the input by the property test's generator, engine against reference model.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden::{Engine, KeyMaterial};

use warden_fuzz_common as common;

use common::model::generate::{Source, gen_policy, gen_request};

fuzz_target!(|data: &[u8]| {
    let mut src = Source::new(data);
    let spec = gen_policy(&mut src);
    let body = spec.body();
    let mut blob = vec![0u8; 1 << 17];
    let Ok(n) = warden::blob::encode(&body, None, &mut blob) else { panic!("generated policy does not encode") };
    blob.truncate(n);
    let keyring = spec.keyring();
    let material: Vec<KeyMaterial<'_>> = keyring.iter().map(|(id, s)| KeyMaterial { id, secret: s }).collect();
    let engine = match Engine::load(&blob, &material) {
        Ok(e) => e,
        Err(e) => panic!("generated policy does not load: {e:?}"),
    };
    for _ in 0..8 {
        let req = gen_request(&mut src, &spec);
        common::compare(&engine, &body, &keyring, &req);
    }
});
