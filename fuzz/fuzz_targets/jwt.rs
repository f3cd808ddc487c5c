//! JWT parsing and verification: any bytes as a bearer token on the example policy; the
//! engine must agree with the reference model (malformed, algorithm, key, MAC, claims).
#![no_main]

use libfuzzer_sys::fuzz_target;

use warden_fuzz_common as common;

fuzz_target!(|data: &[u8]| {
    let mut value = b"Bearer ".to_vec();
    value.extend_from_slice(data);
    for path in ["/api/v1/orders/42", "/ops/restart"] {
        common::compare_example(&common::request("GET", path, vec![("authorization", value.clone())]));
    }
});
