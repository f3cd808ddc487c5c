//! JWK Set reading in the compiler: any text is a list of keys or a list of refusals, never a
//! panic; every key it accepts, the core accepts for the key's algorithm.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden::policy::Alg;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(keys) = warden_cli::jwks::parse(text) else { return };
    for k in keys {
        let fits: Vec<Alg> = Alg::ALL.into_iter().filter(|a| !a.is_hmac() && k.key.fits(*a)).collect();
        assert!(!fits.is_empty(), "an accepted key fits no algorithm");
        for alg in fits {
            assert_eq!(warden::internal::public_key_usable(alg, &k.key.as_core()), Some(true), "{alg:?} {k:?}");
        }
        let _ = k.key.thumbprint();
    }
});
