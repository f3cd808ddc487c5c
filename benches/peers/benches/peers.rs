//! Warden against what users would otherwise pick, in one process and one run, on the same
//! HS256 token and the same rules (`benches/support`: 32 rules, the request hits the last).
//!
//! `cd benches/peers && cargo bench` prints one table: the median time per decision of each
//! contender, the spread of the batch medians (p10–p90), and the ratio to Warden's JWT
//! decision. Contenders are measured in interleaved rounds (every contender once per round,
//! in rotating order), so a change of machine load during the run hits all of them alike.
//! `PEERS_ROUNDS=N` sets the number of rounds (default 400).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::print_stdout,
    missing_docs,
    reason = "bench harness"
)]

#[path = "../../support/mod.rs"]
mod support;

use std::collections::HashSet;
use std::hint::black_box;
use std::str::FromStr;
use std::time::{Duration, Instant};

use casbin::prelude::*;
use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Entities, Entity, EntityUid, PolicySet, Request as CedarRequest,
    RestrictedExpression,
};
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::Sha256;
use support::RuleSpec;
use warden::policy::Scheme;

const RULES: usize = 32;
const SUBJECT: &str = "alice@example.com";

/// One contender: `run(n)` makes `n` decisions and returns something derived from them.
struct Contender {
    name: &'static str,
    run: Box<dyn FnMut(u64) -> u64>,
}

// ---- jsonwebtoken -------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "deserialized like an application would, read only in part")]
struct Claims {
    iss: String,
    sub: String,
    aud: String,
    iat: u64,
    nbf: u64,
    exp: u64,
    jti: String,
    roles: Vec<String>,
}

fn jwt_validation() -> Validation {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[support::ISSUER]);
    v.set_audience(&[support::AUDIENCE]);
    v.leeway = 60;
    v.validate_nbf = true;
    v
}

// ---- Cedar --------------------------------------------------------------------------------

/// The rules as Cedar policies: methods as actions, roles as parents of the principal, the
/// path as a `like` pattern on `context.path`, IP ranges with the `ipaddr` extension, origins
/// on `context.origin`; the default deny range as a `forbid`.
fn cedar_policies(rules: &[RuleSpec]) -> String {
    let mut text = String::new();
    for r in rules {
        assert!(!r.auth.is_empty(), "generated rules all need authentication");
        let actions: Vec<String> = r.methods.iter().map(|m| format!("Action::\"{m}\"")).collect();
        let roles: Vec<String> = r.roles_any.iter().map(|x| format!("principal in Role::\"{x}\"")).collect();
        let like = match r.path.strip_suffix("/**") {
            Some(prefix) => format!("{prefix}*"),
            None => r.path.clone(),
        };
        let mut conds = vec![format!("context.path like \"{like}\""), format!("({})", roles.join(" || "))];
        if r.ip_allow {
            conds.push(format!("context.ip.isInRange(ip(\"{}/{}\"))", support::ALLOW.0, support::ALLOW.1));
        }
        if r.origins {
            conds.push(
                "(!(context has origin) || context.origin == \"https://console.example.com\" || \
                 context.origin like \"https://*.example.com\")"
                    .into(),
            );
        }
        text.push_str(&format!(
            "@id(\"{}\")\npermit (principal, action in [{}], resource)\nwhen {{ {} }};\n",
            r.name,
            actions.join(", "),
            conds.join(" && ")
        ));
    }
    text.push_str(&format!(
        "@id(\"defaults-deny\")\nforbid (principal, action, resource)\nwhen {{ context.ip.isInRange(ip(\"{}/{}\")) }};\n",
        support::DENY.0,
        support::DENY.1
    ));
    text
}

fn uid(ty: &str, id: &str) -> EntityUid {
    EntityUid::from_str(&format!("{ty}::\"{id}\"")).unwrap()
}

/// Principal, its roles as parents, and the role entities: what an integrator builds from
/// verified claims.
fn cedar_entities(roles: &[String]) -> Entities {
    let parents: HashSet<EntityUid> = roles.iter().map(|r| uid("Role", r)).collect();
    let mut list: Vec<Entity> = parents.iter().map(|p| Entity::new_no_attrs(p.clone(), HashSet::new())).collect();
    list.push(Entity::new_no_attrs(uid("User", SUBJECT), parents));
    Entities::from_entities(list, None).unwrap()
}

fn cedar_request(method: &str, path: &str, ip: &str, origin: &str) -> CedarRequest {
    let context = Context::from_pairs([
        ("path".to_owned(), RestrictedExpression::new_string(path.to_owned())),
        ("ip".to_owned(), RestrictedExpression::new_ip(ip)),
        ("origin".to_owned(), RestrictedExpression::new_string(origin.to_owned())),
    ])
    .unwrap();
    CedarRequest::new(uid("User", SUBJECT), uid("Action", method), uid("Api", "edge-api"), context, None).unwrap()
}

// ---- casbin -------------------------------------------------------------------------------

const CASBIN_MODEL: &str = "\
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && keyMatch(r.obj, p.obj) && r.act == p.act
";

/// RBAC over the same routes: one line per (role, method) of each rule, the path as a
/// `keyMatch` pattern (`*` matches the rest of the path, so it is a prefix test).
fn casbin_enforcer(rules: &[RuleSpec], roles: &[&str]) -> Enforcer {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let model = DefaultModel::from_str(CASBIN_MODEL).await.unwrap();
        let mut e = Enforcer::new(model, MemoryAdapter::default()).await.unwrap();
        let mut lines = Vec::new();
        for r in rules {
            let obj = match r.path.strip_suffix("/**") {
                Some(prefix) => format!("{prefix}/*"),
                None => r.path.clone(),
            };
            for role in &r.roles_any {
                for m in &r.methods {
                    lines.push(vec![role.clone(), obj.clone(), (*m).to_owned()]);
                }
            }
        }
        e.add_policies(lines).await.unwrap();
        let groups = roles.iter().map(|r| vec![SUBJECT.to_owned(), (*r).to_owned()]).collect();
        e.add_grouping_policies(groups).await.unwrap();
        e
    })
}

// ---- measurement --------------------------------------------------------------------------

/// Calls per batch so that one batch takes about `target`.
fn calibrate(c: &mut Contender, target: Duration) -> u64 {
    let mut n = 1u64;
    loop {
        let t = Instant::now();
        black_box((c.run)(n));
        let took = t.elapsed();
        if took >= target / 4 || n >= 1 << 24 {
            let per = took.as_secs_f64() / n as f64;
            return ((target.as_secs_f64() / per) as u64).max(1);
        }
        n *= 4;
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 10_000.0 { format!("{:.1} µs", ns / 1000.0) } else { format!("{ns:.0} ns") }
}

fn main() {
    let rounds: usize = std::env::var("PEERS_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(400);
    let rules = support::rules(RULES);
    let token = support::token();
    let cases = support::cases();
    let case = |name: &str| cases.iter().find(|c| c.name == name).unwrap().clone();
    let (jwt_case, key_case) = (case("jwt_allow"), case("api_key_allow"));
    let (input, tag) = support::signing_input_and_tag(&token);
    let secret = support::HS256_SECRET;
    let path = support::TARGET_PATH;

    // Warden.
    let blob: &'static [u8] = Box::leak(support::blob(RULES).into_boxed_slice());
    let engine: &'static warden::Engine<'static> = Box::leak(Box::new(support::engine(blob)));
    support::assert_expected(engine, &jwt_case);
    support::assert_expected(engine, &key_case);

    // jsonwebtoken.
    let key = DecodingKey::from_secret(secret);
    let validation = jwt_validation();
    let claims = jsonwebtoken::decode::<Claims>(&token, &key, &validation).unwrap().claims;
    assert_eq!(claims.roles, support::TOKEN_ROLES);

    // Cedar.
    let policies = PolicySet::from_str(&cedar_policies(&rules)).unwrap();
    assert_eq!(policies.policies().count(), RULES + 1);
    let authorizer = Authorizer::new();
    let roles: Vec<String> = support::TOKEN_ROLES.iter().map(|r| (*r).to_owned()).collect();
    let entities = cedar_entities(&roles);
    let request = cedar_request("GET", path, support::CLIENT_IP, support::ORIGIN);
    let cedar_allows =
        |r: &CedarRequest, e: &Entities| authorizer.is_authorized(r, &policies, e).decision() == CedarDecision::Allow;
    assert!(cedar_allows(&request, &entities));
    assert!(!cedar_allows(&cedar_request("GET", path, support::BLOCKED_IP, support::ORIGIN), &entities));
    assert!(!cedar_allows(&request, &cedar_entities(&["svc04-reader".to_owned()])));
    assert!(!cedar_allows(&cedar_request("DELETE", path, support::CLIENT_IP, support::ORIGIN), &entities));

    // casbin.
    let enforcer = casbin_enforcer(&rules, support::TOKEN_ROLES);
    assert!(enforcer.enforce((SUBJECT, path, "GET")).unwrap());
    assert!(!enforcer.enforce((SUBJECT, path, "DELETE")).unwrap());
    assert!(!enforcer.enforce(("mallory", path, "GET")).unwrap());
    assert!(!enforcer.enforce((SUBJECT, "/api/v1/svc004/items/1", "GET")).unwrap());

    let pads = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    let warden_jwt = "Warden JWT allow (32 rules)";
    let mut contenders: Vec<Contender> = Vec::new();
    {
        let (input, tag) = (input.clone(), tag.clone());
        contenders.push(Contender {
            name: "HMAC-SHA256 verify, fresh key (floor)",
            run: Box::new(move |n| {
                let mut ok = 0;
                for _ in 0..n {
                    let mut m = Hmac::<Sha256>::new_from_slice(black_box(secret)).unwrap();
                    m.update(black_box(&input));
                    ok += u64::from(m.verify_slice(&tag).is_ok());
                }
                ok
            }),
        });
    }
    {
        let (input, tag) = (input.clone(), tag.clone());
        contenders.push(Contender {
            name: "HMAC-SHA256 verify, precomputed pads",
            run: Box::new(move |n| {
                let mut ok = 0;
                for _ in 0..n {
                    let mut m = black_box(&pads).clone();
                    m.update(black_box(&input));
                    ok += u64::from(m.verify_slice(&tag).is_ok());
                }
                ok
            }),
        });
    }
    {
        let token = token.clone();
        let (key, validation) = (key.clone(), validation.clone());
        contenders.push(Contender {
            name: "jsonwebtoken decode + validate (iss, aud, exp, nbf)",
            run: Box::new(move |n| {
                let mut ok = 0;
                for _ in 0..n {
                    let c = jsonwebtoken::decode::<Claims>(black_box(&token), &key, &validation).unwrap();
                    ok += c.claims.roles.len() as u64;
                }
                ok
            }),
        });
    }
    {
        let (policies, request, entities) = (policies.clone(), request.clone(), entities.clone());
        let authorizer = Authorizer::new();
        contenders.push(Contender {
            name: "Cedar is_authorized (request, entities prebuilt)",
            run: Box::new(move |n| {
                let mut ok = 0;
                for _ in 0..n {
                    let d = authorizer.is_authorized(black_box(&request), &policies, &entities).decision();
                    ok += u64::from(d == CedarDecision::Allow);
                }
                ok
            }),
        });
    }
    {
        let policies = policies.clone();
        let authorizer = Authorizer::new();
        let roles = roles.clone();
        contenders.push(Contender {
            name: "Cedar: build request + entities, is_authorized",
            run: Box::new(move |n| {
                let mut ok = 0;
                for _ in 0..n {
                    let e = cedar_entities(black_box(&roles));
                    let r = cedar_request("GET", black_box(path), support::CLIENT_IP, support::ORIGIN);
                    ok += u64::from(authorizer.is_authorized(&r, &policies, &e).decision() == CedarDecision::Allow);
                }
                ok
            }),
        });
    }
    {
        let policies = policies.clone();
        let authorizer = Authorizer::new();
        let token = token.clone();
        let (key, validation) = (key.clone(), validation.clone());
        contenders.push(Contender {
            name: "jsonwebtoken + Cedar (the whole alternative)",
            run: Box::new(move |n| {
                let mut ok = 0;
                for _ in 0..n {
                    let c = jsonwebtoken::decode::<Claims>(black_box(&token), &key, &validation).unwrap().claims;
                    let e = cedar_entities(&c.roles);
                    let r = cedar_request("GET", black_box(path), support::CLIENT_IP, support::ORIGIN);
                    ok += u64::from(authorizer.is_authorized(&r, &policies, &e).decision() == CedarDecision::Allow);
                }
                ok
            }),
        });
    }
    contenders.push(Contender {
        name: "casbin enforce (RBAC, keyMatch)",
        run: Box::new(move |n| {
            let mut ok = 0;
            for _ in 0..n {
                ok += u64::from(enforcer.enforce((SUBJECT, black_box(path), "GET")).unwrap());
            }
            ok
        }),
    });
    contenders.push(warden_contender(warden_jwt.to_owned(), engine, &jwt_case));
    contenders.push(warden_contender("Warden API-key allow (32 rules)".to_owned(), engine, &key_case));
    let stats = sample(&mut contenders, rounds);
    let reference = contenders.iter().position(|c| c.name == warden_jwt).unwrap();
    let base = stats[reference].0;
    println!(
        "\nSame HS256 token, same {RULES}-rule policy semantics, one process; {rounds} interleaved rounds of ~100 µs batches."
    );
    println!("| contender | median | p10–p90 of batches | × Warden JWT |");
    println!("|---|---:|---:|---:|");
    for (c, (med, p10, p90)) in contenders.iter().zip(&stats) {
        println!("| {} | {} | {}–{} | {:.2} |", c.name, fmt_ns(*med), fmt_ns(*p10), fmt_ns(*p90), med / base);
    }
    let auth_count = rules.iter().filter(|r| r.auth.contains(&Scheme::Bearer)).count();
    println!("\n({auth_count} of {RULES} rules accept bearer tokens; the request matches the last rule.)");

    core_table(rounds);
    public_key_table(rounds);
}

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "deserialized like an application would, read only in part")]
struct IdpClaims {
    iss: String,
    sub: String,
    aud: String,
    iat: u64,
    exp: u64,
    roles: Vec<String>,
}

/// ES256, EdDSA and RS256-2048 tokens of the example's identity provider: Warden's whole
/// decision on the example policy beside jsonwebtoken's decode + validate of the same token with
/// the same public JWK (policies/idp.jwks.json), interleaved in one run.
fn public_key_table(rounds: usize) {
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_str(include_str!("../../../policies/idp.jwks.json")).unwrap();
    let example: &'static warden::Engine<'static> = Box::leak(Box::new(support::example::engine()));
    let cases = support::example::cases();
    let mut contenders = Vec::new();
    for (i, (alg, kid, token)) in support::example::PUBLIC_KEY_TOKENS.iter().enumerate() {
        let jwk = jwks
            .keys
            .iter()
            .find(|k| k.common.key_id.as_deref() == Some(kid) || (*kid == "idp" && k.common.key_id.is_none()))
            .unwrap();
        let key = DecodingKey::from_jwk(jwk).unwrap();
        let algorithm = match *alg {
            "ES256" => Algorithm::ES256,
            "EdDSA" => Algorithm::EdDSA,
            _ => Algorithm::RS256,
        };
        let mut v = Validation::new(algorithm);
        v.set_issuer(&["https://idp.example.com"]);
        v.set_audience(&["edge-api"]);
        v.leeway = 60;
        let token: &'static str = token;
        assert_eq!(jsonwebtoken::decode::<IdpClaims>(token, &key, &v).unwrap().claims.roles, ["orders:read"]);
        let name: &'static str = Box::leak(format!("jsonwebtoken decode + validate, {alg}").into_boxed_str());
        contenders.push(Contender {
            name,
            run: Box::new(move |n| {
                let mut ok = 0;
                for _ in 0..n {
                    ok += jsonwebtoken::decode::<IdpClaims>(black_box(token), &key, &v).unwrap().claims.roles.len() as u64;
                }
                ok
            }),
        });
        let case_name = ["es256_allow", "eddsa_allow", "rs256_allow"][i];
        let case = cases.iter().find(|c| c.name == case_name).unwrap();
        contenders.push(warden_contender(format!("Warden decision, {alg} (example policy)"), example, case));
    }
    let jwt = cases.iter().find(|c| c.name == "jwt_allow").unwrap();
    contenders.push(warden_contender("Warden decision, HS256 (example policy)".to_owned(), example, jwt));
    let stats = sample(&mut contenders, rounds);
    println!("\nPublic-key tokens, same token and key for both, {rounds} interleaved rounds.");
    println!("| contender | median | p10–p90 of batches | jsonwebtoken ÷ Warden |");
    println!("|---|---:|---:|---:|");
    for (i, (c, (med, p10, p90))) in contenders.iter().zip(&stats).enumerate() {
        // Pairs: jsonwebtoken at even indices, Warden right after.
        let ratio = if i % 2 == 1 && i < 6 { format!("{:.2}", stats[i - 1].0 / med) } else { String::new() };
        println!("| {} | {} | {}–{} | {ratio} |", c.name, fmt_ns(*med), fmt_ns(*p10), fmt_ns(*p90));
    }
}

/// A Warden decision on `engine` for `case`, as a contender.
fn warden_contender(name: String, engine: &'static warden::Engine<'static>, case: &support::Case) -> Contender {
    let headers: &'static [(String, String)] = Box::leak(case.headers.clone().into_boxed_slice());
    let hs: &'static [warden::Header<'static>] = Box::leak(
        headers
            .iter()
            .map(|(n, v)| warden::Header::new(n.as_bytes(), v.as_bytes()))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    let method: &'static str = Box::leak(case.method.clone().into_boxed_str());
    let p: &'static str = Box::leak(case.path.clone().into_boxed_str());
    let req = warden::Request {
        method: method.as_bytes(),
        path: p.as_bytes(),
        client_ip: case.ip,
        headers: hs,
        now: support::NOW,
    };
    support::assert_expected(engine, case);
    Contender {
        name: Box::leak(name.into_boxed_str()),
        run: Box::new(move |n| {
            let mut ok = 0;
            for _ in 0..n {
                ok += u64::from(engine.evaluate(black_box(&req)).status());
            }
            ok
        }),
    }
}

/// Every decision kind of the core (32-rule and example policies) and the rule-count
/// scaling, measured the same interleaved way: the criterion benches (`cargo bench --bench
/// core` in the root) time one case at a time, which on a shared machine drifts with load.
fn core_table(rounds: usize) {
    let mut contenders = Vec::new();
    for n in [8usize, 32, 128] {
        let blob: &'static [u8] = Box::leak(support::blob(n).into_boxed_slice());
        let engine: &'static warden::Engine<'static> = Box::leak(Box::new(support::engine(blob)));
        for case in support::cases() {
            if n == 32 || matches!(case.name, "jwt_allow" | "api_key_allow" | "no_match_403") {
                contenders.push(warden_contender(format!("{}_{n}_rules", case.name), engine, &case));
            }
        }
    }
    let example: &'static warden::Engine<'static> = Box::leak(Box::new(support::example::engine()));
    for case in support::example::cases() {
        contenders.push(warden_contender(format!("example/{}", case.name), example, &case));
    }
    let stats = sample(&mut contenders, rounds);
    println!(
        "\nWarden alone, {rounds} interleaved rounds (Basic: PBKDF2 with {} iterations).",
        support::PBKDF2_ITERATIONS
    );
    println!("| case | median | p10–p90 of batches |");
    println!("|---|---:|---:|");
    for (c, (med, p10, p90)) in contenders.iter().zip(&stats) {
        println!("| `{}` | {} | {}–{} |", c.name, fmt_ns(*med), fmt_ns(*p10), fmt_ns(*p90));
    }
}

/// Times every contender in `rounds` interleaved rounds of ~100 µs batches (each contender
/// once per round, rotating order); returns (median, p10, p90) of the per-call batch times.
fn sample(contenders: &mut [Contender], rounds: usize) -> Vec<(f64, f64, f64)> {
    let target = Duration::from_micros(100);
    for c in contenders.iter_mut() {
        // Warm-up: caches, branch predictors, lazily built tables.
        let n = calibrate(c, target).min(1000);
        (c.run)(n);
    }
    let batch: Vec<u64> = contenders.iter_mut().map(|c| calibrate(c, target)).collect();
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); contenders.len()];
    for round in 0..rounds {
        for k in 0..contenders.len() {
            let i = (k + round) % contenders.len();
            let t = Instant::now();
            black_box((contenders[i].run)(batch[i]));
            samples[i].push(t.elapsed().as_nanos() as f64 / batch[i] as f64);
        }
    }
    samples
        .iter_mut()
        .map(|s| {
            s.sort_by(f64::total_cmp);
            (percentile(s, 0.5), percentile(s, 0.1), percentile(s, 0.9))
        })
        .collect()
}
