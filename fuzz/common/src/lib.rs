//! Shared by the fuzz targets (a library, so the model is compiled once, not once per target): the example policy (policies/edge-api) loaded once, and the
//! engine-versus-model comparison.

use std::sync::OnceLock;

use warden::policy::PolicyBody;
use warden::{Engine, Header, KeyMaterial, Request};

#[path = "../../../tests/model/mod.rs"]
pub mod model;

pub use model::{ModelRequest, Outcome};

/// The example policy, compiled and loaded, with its body and dev keyring.
pub struct Example {
    pub engine: Engine<'static>,
    pub body: PolicyBody<'static>,
    pub keyring: Vec<(String, Vec<u8>)>,
}

pub fn example() -> &'static Example {
    static EXAMPLE: OnceLock<Example> = OnceLock::new();
    EXAMPLE.get_or_init(|| {
        let blob: &'static [u8] = include_bytes!("../../../policies/edge-api.wdn");
        let keys =
            warden_cli::keys::parse(include_str!("../../../policies/edge-api.keys.toml")).expect("dev keys parse");
        let keyring: Vec<(String, Vec<u8>)> =
            keys.material().iter().map(|m| (m.id.to_string(), m.secret.to_vec())).collect();
        let material: Vec<KeyMaterial<'_>> = keyring.iter().map(|(id, s)| KeyMaterial { id, secret: s }).collect();
        let engine = Engine::load(blob, &material).expect("the example policy loads");
        let (_, body) = warden::blob::decode_body(blob).expect("the example policy decodes");
        Example { engine, body, keyring }
    })
}

/// Time of the example cases (policies/edge-api.cases.toml).
pub const NOW: u64 = 1_767_225_600;

/// Evaluates `req` with the engine and the model and panics if they disagree.
pub fn compare(engine: &Engine<'_>, body: &PolicyBody<'_>, keyring: &[(String, Vec<u8>)], req: &ModelRequest) {
    let headers: Vec<Header<'_>> = req.headers.iter().map(|(n, v)| Header::new(n, v)).collect();
    let request = Request { method: &req.method, path: &req.path, client_ip: req.ip, headers: &headers, now: req.now };
    let got = Outcome::of(&engine.evaluate(&request));
    let want = model::evaluate(body, keyring, req);
    assert_eq!(got, want, "engine (left) and model (right) disagree on\n{req:?}");
}

/// [`compare`] on the example policy.
pub fn compare_example(req: &ModelRequest) {
    let e = example();
    compare(&e.engine, &e.body, &e.keyring, req);
}

/// A request on the example policy at [`NOW`] from 10.1.2.3.
pub fn request(method: &str, path: &str, headers: Vec<(&str, Vec<u8>)>) -> ModelRequest {
    ModelRequest {
        method: method.as_bytes().to_vec(),
        path: path.as_bytes().to_vec(),
        ip: Some("10.1.2.3".parse().expect("address")),
        headers: headers.into_iter().map(|(n, v)| (n.as_bytes().to_vec(), v)).collect(),
        now: NOW,
    }
}

/// Engine against model for one public-key verification: the fixed test key of the family
/// (`tests/model/generate.rs`), any message and signature; and any key bytes must not panic.
pub fn compare_signature(signer: model::generate::TestSigner, data: &[u8]) {
    use warden::policy::PublicKey;
    let algs = signer.algs();
    let Some((&pick, rest)) = data.split_first() else { return };
    let alg = algs[usize::from(pick) % algs.len()];
    let (msg, sig) = rest.split_at(rest.len() / 2);
    let key = signer.public();
    let engine = warden::internal::verify_signature_vartime(alg, &key, msg, sig);
    assert_eq!(engine, Some(model::verify_public(alg, &key, msg, sig)), "{alg:?}");
    // A valid signature of the fuzzed message verifies, and one flipped bit does not.
    let good = signer.sign(alg, msg, 7);
    assert_eq!(warden::internal::verify_signature_vartime(alg, &key, msg, &good), Some(true), "{alg:?}");
    // The fuzzed bytes as a key of the family: a refusal or an answer, never a panic.
    let as_key = match key {
        PublicKey::Rsa { .. } => PublicKey::Rsa { n: rest, e: 65537 },
        PublicKey::Ec { .. } => PublicKey::Ec { sec1: rest },
        PublicKey::Ed25519 { .. } => match <[u8; 32]>::try_from(rest.get(..32).unwrap_or(&[])) {
            Ok(a) => PublicKey::Ed25519 { a },
            Err(_) => return,
        },
        PublicKey::Secret => return,
    };
    let _ = warden::internal::verify_signature_vartime(alg, &as_key, msg, sig);
}
