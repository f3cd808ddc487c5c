//! One test per row of the decision table (SPEC §4), on a policy built in code.

#![allow(clippy::unwrap_used, clippy::std_instead_of_core, reason = "test code")]

mod common;

use common::*;

#[test]
fn row_01_malformed_path_is_403_before_anything_else() {
    let blob = blob();
    let e = engine(&blob);
    let o = req("GET", "/admin/../health").bearer("garbage").ip("203.0.113.5").eval(&e);
    assert_eq!((o.status, o.reason, o.rule), (403, "malformed_path", None));
    assert!(o.challenges.is_empty());
}

#[test]
fn row_02_preflight_is_allowed_without_credentials_and_carries_cors_headers() {
    let blob = blob();
    let e = engine(&blob);
    let o = req("OPTIONS", "/admin/users")
        .header("Origin", "https://console.example.com")
        .header("Access-Control-Request-Method", "POST")
        .eval(&e);
    assert_eq!((o.status, o.reason), (200, "preflight"));
    assert_eq!(o.rule.as_deref(), Some("admin-console"));
    assert_eq!(o.cors_origin.as_deref(), Some("https://console.example.com"));
    assert_eq!(o.allow_methods.as_deref(), Some("GET, POST"));
    assert_eq!(o.subject, None);
}

#[test]
fn row_02_preflight_for_a_rule_without_origins_is_origin_not_allowed_never_401() {
    let blob = blob();
    let e = engine(&blob);
    let o = req("OPTIONS", "/deploy/x")
        .header("origin", "https://console.example.com")
        .header("access-control-request-method", "POST")
        .eval(&e);
    assert_eq!((o.status, o.reason), (403, "origin_not_allowed"));
    let o = req("OPTIONS", "/nowhere")
        .header("origin", "https://console.example.com")
        .header("access-control-request-method", "GET")
        .eval(&e);
    assert_eq!((o.status, o.reason), (403, "no_matching_rule"));
    // A preflight for a method the path has no rule for is no_matching_rule, not method_not_allowed.
    let o = req("OPTIONS", "/health")
        .header("origin", "https://console.example.com")
        .header("access-control-request-method", "DELETE")
        .eval(&e);
    assert_eq!((o.status, o.reason), (403, "no_matching_rule"));
}

#[test]
fn row_02_preflight_on_any_method_rule_echoes_the_requested_method() {
    let blob = blob();
    let e = engine(&blob);
    let o =
        req("OPTIONS", "/echo/a").header("origin", "null").header("access-control-request-method", "PATCH").eval(&e);
    assert_eq!((o.status, o.reason), (200, "preflight"));
    assert_eq!(o.allow_methods.as_deref(), Some("PATCH"));
    assert_eq!(o.cors_origin.as_deref(), Some("null"));
}

#[test]
fn row_03_method_not_allowed_versus_no_matching_rule() {
    let blob = blob();
    let e = engine(&blob);
    let o = req("POST", "/health").eval(&e);
    assert_eq!((o.status, o.reason, o.rule), (403, "method_not_allowed", None));
    let o = req("GET", "/unknown").eval(&e);
    assert_eq!((o.status, o.reason), (403, "no_matching_rule"));
    // Methods are case-sensitive.
    let o = req("get", "/health").eval(&e);
    assert_eq!(o.reason, "method_not_allowed");
}

#[test]
fn row_04_deny_list_wins_and_defaults_are_merged() {
    let blob = blob();
    let e = engine(&blob);
    let o = req("GET", "/health").ip("203.0.113.77").eval(&e);
    assert_eq!((o.status, o.reason, o.rule.as_deref()), (403, "ip_blocked", Some("health")));
    let o = req("POST", "/deploy/app").ip("198.51.100.7").header("x-api-key", API_KEY_CI).eval(&e);
    assert_eq!(o.reason, "ip_blocked");
    // Mapped IPv6 is the IPv4 address.
    let o = req("GET", "/health").ip("::ffff:203.0.113.77").eval(&e);
    assert_eq!(o.reason, "ip_blocked");
}

#[test]
fn row_05_allow_list_requires_an_address_inside_it() {
    let blob = blob();
    let e = engine(&blob);
    let t = token(r#","roles":["admin"],"amr":["pwd","mfa"]"#);
    let o = req("GET", "/admin/x").bearer(&t).ip("192.0.2.1").eval(&e);
    assert_eq!((o.status, o.reason), (403, "ip_not_allowed"));
    let o = req("GET", "/admin/x").bearer(&t).no_ip().eval(&e);
    assert_eq!(o.reason, "ip_not_allowed");
    let o = req("GET", "/admin/x").bearer(&t).ip("2001:db8::5").eval(&e);
    assert_eq!((o.status, o.reason), (200, "allowed"));
}

#[test]
fn row_06_origin_not_allowed_only_when_the_rule_lists_origins_and_one_is_sent() {
    let blob = blob();
    let e = engine(&blob);
    let o = req("GET", "/open/a").header("origin", "https://evil-example.com").eval(&e);
    assert_eq!((o.status, o.reason), (403, "origin_not_allowed"));
    let o = req("GET", "/open/a").eval(&e);
    assert_eq!((o.status, o.reason, o.cors_origin), (200, "public", None));
    let o = req("GET", "/open/a").header("origin", "https://app.example.com").eval(&e);
    assert_eq!((o.status, o.cors_origin.as_deref()), (200, Some("https://app.example.com")));
    // A rule without origins ignores the header and gives no CORS answer.
    let o = req("GET", "/health").header("origin", "https://evil.test").eval(&e);
    assert_eq!((o.status, o.reason, o.cors_origin), (200, "public", None));
}

#[test]
fn row_07_credentials_missing_challenges_every_accepted_scheme_without_error() {
    let blob = blob();
    let e = engine(&blob);
    let o = req("GET", "/items/1").eval(&e);
    assert_eq!((o.status, o.reason), (401, "credentials_missing"));
    assert_eq!(
        o.challenges,
        ["Bearer realm=\"edge-api\"", "ApiKey realm=\"edge-api\"", "Basic realm=\"edge-api\", charset=\"UTF-8\""]
    );
}

#[test]
fn row_08_two_schemes_or_a_header_twice_is_ambiguous() {
    let blob = blob();
    let e = engine(&blob);
    let o = req("GET", "/items/1").bearer(&token("")).header("x-api-key", API_KEY_READER).eval(&e);
    assert_eq!((o.status, o.reason), (401, "credentials_ambiguous"));
    let o = req("GET", "/items/1").header("x-api-key", API_KEY_READER).header("X-API-KEY", API_KEY_READER).eval(&e);
    assert_eq!(o.reason, "credentials_ambiguous");
}

#[test]
fn row_09_scheme_not_accepted() {
    let blob = blob();
    let e = engine(&blob);
    let o = req("POST", "/deploy/app").header("authorization", basic(BASIC_USER, BASIC_PASSWORD)).eval(&e);
    assert_eq!((o.status, o.reason), (401, "scheme_not_accepted"));
    assert_eq!(o.challenges, ["ApiKey realm=\"edge-api\"", "Bearer realm=\"edge-api\""]);
    let o = req("GET", "/items/1").header("authorization", "Digest username=x").eval(&e);
    assert_eq!(o.reason, "scheme_not_accepted");
}

#[test]
fn row_10_unparseable_credentials_are_malformed() {
    let blob = blob();
    let e = engine(&blob);
    for (name, value) in [
        ("authorization", "Bearer"),
        ("authorization", "Bearer not.a"),
        ("authorization", "Bearer a.b.c.d.e"),
        ("authorization", "Basic !!!"),
        ("authorization", "Basic bm9jb2xvbg=="),
        ("authorization", ""),
        ("x-api-key", ""),
    ] {
        let o = req("GET", "/items/1").header(name, value).eval(&e);
        assert_eq!((o.status, o.reason), (401, "credentials_malformed"), "{name}: {value}");
    }
    let o = req("GET", "/items/1").bearer("x.y.z").eval(&e);
    assert!(o.challenges[0].starts_with("Bearer realm=\"edge-api\", error=\"invalid_token\", error_description=\""));
    assert_eq!(o.challenges[1], "ApiKey realm=\"edge-api\"");
}

#[test]
fn row_11_unknown_api_key_unknown_user_wrong_password_are_invalid() {
    let blob = blob();
    let e = engine(&blob);
    let o = req("GET", "/items/1").header("x-api-key", "wk_dev_nobody").eval(&e);
    assert_eq!((o.status, o.reason), (401, "credentials_invalid"));
    let o = req("GET", "/items/1").header("authorization", basic("mallory", BASIC_PASSWORD)).eval(&e);
    assert_eq!(o.reason, "credentials_invalid");
    let o = req("GET", "/items/1").header("authorization", basic(BASIC_USER, "wrong")).eval(&e);
    assert_eq!(o.reason, "credentials_invalid");
    assert!(o.challenges.iter().all(|c| !c.contains("error=")));
}

#[test]
fn row_12_algorithm_and_key_id() {
    let blob = blob();
    let e = engine(&blob);
    let claims = format!(r#"{{"sub":"a","exp":{}}}"#, NOW + 60);
    let none = common::jws(warden::policy::Alg::Hs256, r#"{"alg":"none","kid":"k256"}"#, &claims, b"x");
    let none = format!("{}.", none.rsplit_once('.').unwrap().0);
    assert_eq!(req("GET", "/items/1").bearer(&none).eval(&e).reason, "token_algorithm_rejected");
    let switched = common::jws(warden::policy::Alg::Hs384, r#"{"alg":"HS384","kid":"k256"}"#, &claims, SECRET_256);
    assert_eq!(req("GET", "/items/1").bearer(&switched).eval(&e).reason, "token_algorithm_rejected");
    let unknown = common::jws(warden::policy::Alg::Hs256, r#"{"alg":"HS256","kid":"nope"}"#, &claims, SECRET_256);
    let o = req("GET", "/items/1").bearer(&unknown).eval(&e);
    assert_eq!((o.status, o.reason), (401, "token_unknown_key"));
    assert!(!o.challenges[0].contains("nope"), "no key id in the description");
}

#[test]
fn row_13_bad_signature_comes_before_expiry() {
    let blob = blob();
    let e = engine(&blob);
    let claims = format!(r#"{{"sub":"a","iss":"{ISSUER}","aud":"edge-api","exp":{}}}"#, NOW - 10_000);
    let forged = common::jws(
        warden::policy::Alg::Hs256,
        r#"{"alg":"HS256","kid":"k256"}"#,
        &claims,
        b"another-secret-of-32-bytes-length!!",
    );
    let o = req("GET", "/items/1").bearer(&forged).eval(&e);
    assert_eq!((o.status, o.reason), (401, "token_bad_signature"));
}

#[test]
fn row_14_expired_and_not_yet_valid_with_leeway() {
    let blob = blob();
    let e = engine(&blob);
    let t = |exp: u64, nbf: &str| {
        let c = format!(r#"{{"sub":"a","iss":"{ISSUER}","aud":"edge-api","roles":["reader"],"exp":{exp}{nbf}}}"#);
        common::jws(warden::policy::Alg::Hs256, r#"{"alg":"HS256","kid":"k256"}"#, &c, SECRET_256)
    };
    // exp == now - leeway is expired; one second later is not.
    assert_eq!(req("GET", "/items/1").bearer(&t(NOW - 60, "")).eval(&e).reason, "token_expired");
    assert_eq!(req("GET", "/items/1").bearer(&t(NOW - 59, "")).eval(&e).reason, "allowed");
    let nbf = format!(r#","nbf":{}"#, NOW + 61);
    assert_eq!(req("GET", "/items/1").bearer(&t(NOW + 600, &nbf)).eval(&e).reason, "token_not_yet_valid");
    let nbf = format!(r#","nbf":{}"#, NOW + 60);
    assert_eq!(req("GET", "/items/1").bearer(&t(NOW + 600, &nbf)).eval(&e).reason, "allowed");
}

#[test]
fn row_15_issuer_and_audience() {
    let blob = blob();
    let e = engine(&blob);
    let mk = |iss: &str, aud: &str| {
        let c = format!(r#"{{"sub":"a","iss":{iss},"aud":{aud},"roles":["reader"],"exp":{}}}"#, NOW + 600);
        common::jws(warden::policy::Alg::Hs256, r#"{"alg":"HS256","kid":"k256"}"#, &c, SECRET_256)
    };
    let iss = format!("\"{ISSUER}\"");
    assert_eq!(
        req("GET", "/items/1").bearer(&mk("\"https://evil\"", "\"edge-api\"")).eval(&e).reason,
        "token_issuer_mismatch"
    );
    assert_eq!(req("GET", "/items/1").bearer(&mk(&iss, "\"other\"")).eval(&e).reason, "token_audience_mismatch");
    assert_eq!(req("GET", "/items/1").bearer(&mk(&iss, r#"["other","edge-api"]"#)).eval(&e).reason, "allowed");
    // An escaped slash is the same issuer.
    let escaped = "\"https:\\/\\/auth.example.com\"";
    assert_eq!(req("GET", "/items/1").bearer(&mk(escaped, "\"edge-api\"")).eval(&e).reason, "allowed");
}

#[test]
fn row_16_step_up_challenges_follow_rfc_9470() {
    let blob = blob();
    let e = engine(&blob);
    let o = req("DELETE", "/admin/x").bearer(&token(r#","roles":["admin"],"amr":["pwd"]"#)).eval(&e);
    assert_eq!((o.status, o.reason), (401, "mfa_required"));
    assert_eq!(
        o.challenges,
        [
            "Bearer realm=\"edge-api\", error=\"insufficient_user_authentication\", error_description=\"multi-factor authentication is required\", acr_values=\"mfa\""
        ]
    );
    let old = format!(
        r#"{{"sub":"a","iss":"{ISSUER}","aud":"edge-api","roles":["admin"],"amr":["mfa"],"iat":{},"exp":{}}}"#,
        NOW - 3601,
        NOW + 60
    );
    let old = common::jws(warden::policy::Alg::Hs256, r#"{"alg":"HS256","kid":"k256"}"#, &old, SECRET_256);
    let o = req("DELETE", "/admin/x").bearer(&old).eval(&e);
    assert_eq!(o.reason, "auth_too_old");
    assert!(o.challenges[0].ends_with("error=\"insufficient_user_authentication\", error_description=\"a more recent authentication is required\", max_age=3600"));
}

#[test]
fn row_17_insufficient_role_carries_scope_for_bearer_requests() {
    let blob = blob();
    let e = engine(&blob);
    let o = req("GET", "/items/1").bearer(&token(r#","roles":["deployer"]"#)).eval(&e);
    assert_eq!((o.status, o.reason), (403, "insufficient_role"));
    assert_eq!(o.challenges, ["Bearer realm=\"edge-api\", error=\"insufficient_scope\", scope=\"admin reader\""]);
    assert_eq!(o.subject.as_deref(), Some("alice"));
    assert_eq!(o.roles, ["deployer"]);
    let o = req("POST", "/deploy/x").header("x-api-key", API_KEY_READER).eval(&e);
    assert_eq!((o.status, o.reason, o.challenges.len()), (403, "insufficient_role", 0));
    assert_eq!(o.subject.as_deref(), Some("reader-bot"));
}

#[test]
fn row_18_allow_with_subject_roles_cors_and_refresh_advice() {
    let blob = blob();
    let e = engine(&blob);
    let o = req("GET", "/items/1")
        .bearer(&token(r#","roles":["reader","ghost"]"#))
        .header("origin", "https://console.example.com")
        .eval(&e);
    assert_eq!((o.status, o.reason, o.rule.as_deref()), (200, "allowed", Some("items")));
    assert_eq!(o.subject.as_deref(), Some("alice"));
    assert_eq!(o.roles, ["reader"]);
    assert_eq!(o.cors_origin.as_deref(), Some("https://console.example.com"));
    assert!(!o.refresh_advised);
    let o = req("GET", "/items/1").bearer(&token(r#","roles":["reader"]"#)).now(NOW + 3600 - 299).eval(&e);
    assert!(o.refresh_advised);
    let o = req("POST", "/deploy/app").header("x-api-key", API_KEY_CI).eval(&e);
    assert_eq!((o.status, o.reason, o.subject.as_deref()), (200, "allowed", Some("ci-bot")));
    let o = req("GET", "/items/1").header("authorization", basic(BASIC_USER, BASIC_PASSWORD)).eval(&e);
    assert_eq!((o.status, o.reason, o.subject.as_deref()), (200, "allowed", Some("admin")));
    assert_eq!(o.roles, ["admin"]);
    let o = req("GET", "/health").header("x-api-key", "whatever").eval(&e);
    assert_eq!((o.status, o.reason, o.subject), (200, "public", None));
}

#[test]
fn denials_after_row_6_carry_the_cors_answer_of_an_allowed_origin() {
    let blob = blob();
    let e = engine(&blob);
    let origin = "https://app.example.com";
    let cors = |o: &Outcome| o.cors_origin.clone();
    // Every 401 (rows 7–16) to an allowed origin: the page can read the status and challenges.
    let o = req("GET", "/items/1").header("origin", origin).eval(&e);
    assert_eq!((o.status, o.reason, cors(&o).as_deref()), (401, "credentials_missing", Some(origin)));
    let o = req("GET", "/items/1").header("origin", origin).bearer("a.b.c").eval(&e);
    assert_eq!((o.status, cors(&o).as_deref()), (401, Some(origin)));
    let mut forged = token(r#","roles":["reader"]"#);
    forged.push('x');
    let o = req("GET", "/items/1").header("origin", origin).bearer(&forged).eval(&e);
    assert_eq!((o.reason, cors(&o).as_deref()), ("token_bad_signature", Some(origin)));
    let o = req("DELETE", "/echo/x").header("origin", "null").eval(&e);
    assert_eq!((o.status, cors(&o).as_deref()), (401, Some("null")));
    // Row 17, by token and by API key; the answer echoes the origin as sent.
    let o = req("GET", "/items/1")
        .header("origin", "HTTPS://App.Example.COM:443")
        .bearer(&token(r#","roles":["deployer"]"#))
        .eval(&e);
    assert_eq!((o.status, o.reason), (403, "insufficient_role"));
    assert_eq!(cors(&o).as_deref(), Some("HTTPS://App.Example.COM:443"));
    let o = req("GET", "/items/1").header("origin", origin).header("x-api-key", API_KEY_CI).eval(&e);
    assert_eq!((o.reason, cors(&o).as_deref()), ("insufficient_role", Some(origin)));
    // The accessors: on the decision and on the 401's own details.
    let headers = [warden::Header::new(b"origin", origin.as_bytes())];
    let r = warden::Request::new(b"GET", b"/items/1", NOW)
        .with_headers(&headers)
        .with_client_ip("10.1.2.3".parse().unwrap());
    let d = e.evaluate(&r);
    let answer = d.cors().map(|c| (c.allow_origin(), c.allow_credentials(), c.preflight().is_none()));
    assert_eq!(answer, Some((origin, true, true)), "allow-credentials from [cors], no preflight headers");
    match &d {
        warden::Decision::Unauthorized(u) => assert_eq!(u.cors().map(|c| c.allow_origin()), Some(origin)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn denials_up_to_row_6_and_rules_without_origins_carry_no_cors_answer() {
    let blob = blob();
    let e = engine(&blob);
    let origin = "https://console.example.com";
    // Rows 1, 3, 4, 5 and 6 come before (or are) the origin check.
    for (o, reason) in [
        (req("GET", "/items/../x").header("origin", origin).eval(&e), "malformed_path"),
        (req("PUT", "/items/1").header("origin", origin).eval(&e), "method_not_allowed"),
        (req("GET", "/items/1").header("origin", origin).ip("203.0.113.9").eval(&e), "ip_blocked"),
        (req("GET", "/admin/x").header("origin", origin).ip("192.0.2.1").eval(&e), "ip_not_allowed"),
        (req("GET", "/items/1").header("origin", "https://evil-example.com").eval(&e), "origin_not_allowed"),
    ] {
        assert_eq!((o.status, o.reason, o.cors_origin), (403, reason, None));
    }
    // A rule without origins never answers CORS, whatever the denial.
    let o = req("POST", "/deploy/x").header("origin", origin).eval(&e);
    assert_eq!((o.status, o.reason, o.cors_origin), (401, "credentials_missing", None));
    let o = req("POST", "/deploy/x").header("origin", origin).header("x-api-key", API_KEY_READER).eval(&e);
    assert_eq!((o.status, o.reason, o.cors_origin), (403, "insufficient_role", None));
    // No origin sent, no answer.
    let o = req("GET", "/items/1").eval(&e);
    assert_eq!((o.status, o.cors_origin), (401, None));
    // A denied preflight carries none either.
    let o = req("OPTIONS", "/items/1")
        .header("origin", "https://evil-example.com")
        .header("access-control-request-method", "GET")
        .eval(&e);
    assert_eq!((o.status, o.reason, o.cors_origin), (403, "origin_not_allowed", None));
}

#[test]
fn tokens_without_kid_are_tried_against_every_key_of_their_alg() {
    let blob = blob();
    let e = engine(&blob);
    let c = format!(r#"{{"sub":"bob","groups":["ops"],"scope":"reader","exp":{}}}"#, NOW + 600);
    let t = common::jws(warden::policy::Alg::Hs384, r#"{"alg":"HS384"}"#, &c, SECRET_384);
    let o = req("GET", "/items/1").bearer(&t).eval(&e);
    assert_eq!((o.status, o.reason, o.subject.as_deref()), (200, "allowed", Some("bob")));
    assert_eq!(o.roles, ["reader", "ops"]);
    let t = common::jws(warden::policy::Alg::Hs512, r#"{"alg":"HS512"}"#, &c.replace("groups", "roles"), SECRET_512);
    assert_eq!(req("GET", "/items/1").bearer(&t).eval(&e).reason, "allowed");
}

#[test]
fn explain_reports_the_deciding_row() {
    let blob = blob();
    let e = engine(&blob);
    let headers = [warden::Header::new(b"x-api-key", b"wk_dev_nobody")];
    let r = warden::Request::new(b"GET", b"/items/1", NOW)
        .with_headers(&headers)
        .with_client_ip("10.0.0.1".parse().unwrap());
    let x = e.explain(&r);
    assert_eq!(x.decision.reason().as_str(), "credentials_invalid");
    let first = x.checks.iter().find(|c| c.outcome == warden::CheckOutcome::Holds).unwrap();
    assert_eq!(first.row, 11);
    assert_eq!(x.checks[11].outcome, warden::CheckOutcome::NotApplicable, "token rows do not apply to API keys");
}
