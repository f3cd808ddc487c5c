//! JWT parsing and verification: any bytes as a bearer token on the example policy; the
//! engine must agree with the reference model (malformed, algorithm, key, MAC, claims), on a
//! plain bearer rule, a rule of a key without audience, the step-up rule (`amr`, `auth_time`)
//! and through HEAD.
#![no_main]

use libfuzzer_sys::fuzz_target;

use warden_fuzz_common as common;

fuzz_target!(|data: &[u8]| {
    let mut value = b"Bearer ".to_vec();
    value.extend_from_slice(data);
    for (method, path) in [
        ("GET", "/api/v1/orders/42"),
        ("GET", "/ops/restart"),
        ("DELETE", "/admin/users"),
        ("HEAD", "/api/v1/orders/42"),
    ] {
        common::compare_example(&common::request(method, path, vec![("authorization", value.clone())]));
    }
});
