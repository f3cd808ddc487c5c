//! The differential test of SPEC §2: Warden's reading of a request path against the servers it
//! stands in front of, target by target.
//!
//! It starts Debian's `nginx` (one foreground process, everything under a temporary directory,
//! 127.0.0.1 only) answering every request with `$uri`, and gunicorn (a WSGI server, from a venv)
//! answering with `PATH_INFO` as bytes (`app.py`), then sends each raw request target of
//! [`targets`] to both over a plain socket. For every target, either Warden finds the path
//! malformed (403 `malformed_path`), or every server that routes it routes exactly the bytes
//! of [`RequestPath`], the path Warden matches its rules on. A server's own refusal (a 4xx from
//! its parser) is "no route" and is recorded. Any disagreement is printed and fails the test.
//!
//! The test needs the servers, so it is `#[ignore]`d in plain `cargo test`; the `servers` stage
//! of `.ci/run` installs them and runs it:
//!
//! ```text
//! WARDEN_GUNICORN=target/servers/venv/bin/gunicorn \
//!     cargo test --release --test servers -- --ignored --nocapture
//! ```
//! `WARDEN_NGINX` names another nginx binary (default: `nginx` on `PATH`, then
//! `/usr/sbin/nginx`). Each target's answers are written to `target/tmp/servers/results.tsv`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::std_instead_of_core,
    reason = "test code: a failed expectation is a failed test"
)]

#[path = "../common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use warden::path::RequestPath;
use warden::policy::PolicyBody;
use warden::{Engine, Request};

// ---------------------------------------------------------------------------------------------
// The targets

/// One raw request target and the class of input it stands for.
struct Target {
    class: &'static str,
    raw: Vec<u8>,
}

/// The classes, in the order the summary prints them.
const CLASSES: &[&str] = &[
    "escape %XX (every byte)",
    "escape %xx (lowercase hex)",
    "raw byte (every byte)",
    "dot segments",
    "fragment #",
    "semicolon ;",
    "%25 and double encoding",
    "invalid UTF-8 (overlong, surrogate, cut)",
    "valid UTF-8 escapes",
    "raw non-ASCII",
    "case",
    "trailing slash",
    "long paths",
    "? in odd places",
    "absolute form, odd targets",
    "other punctuation",
];

/// Every target the test sends: each byte escaped and raw, and the spellings attackers use.
fn targets() -> Vec<Target> {
    let mut v = Vec::new();
    let mut add = |class: &'static str, raw: &[u8]| {
        assert!(CLASSES.contains(&class), "{class}");
        v.push(Target { class, raw: raw.to_vec() });
    };
    for b in 0..=255u8 {
        let upper = format!("/t/a%{b:02X}b");
        let lower = format!("/t/a%{b:02x}b");
        add(CLASSES[0], upper.as_bytes());
        if lower != upper {
            add(CLASSES[1], lower.as_bytes());
        }
        add(CLASSES[2], &[&b"/t/a"[..], &[b], b"b"].concat());
    }
    let dots = [
        ".",
        "..",
        "...",
        "%2e",
        "%2E",
        "%2e%2e",
        "%2E%2E",
        ".%2e",
        "%2e.",
        ".%2E",
        "%2E.",
        "%2e%2e%2e",
        ".;",
        "..;",
        "%2e%2e;",
        ";..",
        ".a",
        "..a",
        "a..",
        "%252e",
        "%252e%252e",
        "%c0%ae",
        "%c0%ae%c0%ae",
        ".%00",
        ".%20",
        "%20..",
    ];
    let forms = ["/{}", "/{}/", "/a/{}", "/a/{}/", "/a/{}/b", "/{}/a", "/a/b/{}/{}/c", "/a/{}?x", "/a/{}#x"];
    for d in dots {
        for f in forms {
            add(CLASSES[3], f.replace("{}", d).as_bytes());
        }
    }
    for t in [
        "/a#b",
        "/a#",
        "#",
        "#/a",
        "/#/../x",
        "/a/b#/../../c",
        "/a?b#c",
        "/a?#",
        "/a%23b",
        "/a%23/../b",
        "/a#?b",
        "/docs/..#",
        "/api/v1/orders/42#/x",
        "/a%2523",
    ] {
        add(CLASSES[4], t.as_bytes());
    }
    for t in [
        "/a;b",
        "/a;",
        "/;",
        "/a;/b",
        "/..;/a",
        "/a/..;/b",
        "/a/.;/b",
        "/a;%2e%2e/b",
        "/a;jsessionid=1",
        "/a;jsessionid=1/b",
        "/a/%2e;/b",
        "/a/;/b",
        "/a%3Bb",
        "/a%3b/..",
        "/a;/%2e%2e/b",
        "/a/..%3B/b",
    ] {
        add(CLASSES[5], t.as_bytes());
    }
    for t in [
        "/a%25",
        "/a%2541",
        "/a%25%34%31",
        "/a%252e%252e/b",
        "/a/%252e%252e/b",
        "/a%252F",
        "/a%252f..",
        "/%25",
        "/%2525",
        "/%25zz",
        "/%%",
        "/%%41",
        "/a%2%41",
        "/%u002e",
        "/a/%u002e%u002e/b",
        "/%25%32%46",
        "/%2",
        "/%",
        "/a%4",
        "/a%4g",
        "/a%g4",
    ] {
        add(CLASSES[6], t.as_bytes());
    }
    for e in [
        "%C0%AE",
        "%C0%AF",
        "%C0%80",
        "%C1%9C",
        "%C1%BF",
        "%E0%80%AE",
        "%E0%80%AF",
        "%E0%9F%BF",
        "%F0%80%80%AE",
        "%F0%8F%BF%BF",
        "%ED%A0%80",
        "%ED%BF%BF",
        "%ED%B0%80",
        "%F4%90%80%80",
        "%F5%80%80%80",
        "%F8%88%80%80%80",
        "%FE",
        "%FF",
        "%80",
        "%BF",
        "%C3",
        "%E2%82",
        "%F0%9F%A6",
        "%C3%28",
        "%E2%28%A1",
        "%C3%A9%A9",
    ] {
        add(CLASSES[7], format!("/t/{e}").as_bytes());
        add(CLASSES[7], format!("/t/{e}/x").as_bytes());
    }
    for e in [
        "%C3%A9",
        "%c3%a9",
        "%E2%82%AC",
        "%F0%9F%A6%80",
        "%EF%BF%BD",
        "%F4%8F%BF%BF",
        "%ED%9F%BF",
        "%EE%80%80",
        "%C2%80",
        "%DF%BF",
        "%E0%A0%80",
        "%F0%90%80%80",
        "%EF%BB%BF",
    ] {
        add(CLASSES[8], format!("/t/caf{e}").as_bytes());
    }
    for t in [
        "/café".as_bytes(),
        "/€".as_bytes(),
        "/🦀/x".as_bytes(),
        b"/t/\xc3\xa9/x",
        b"/\xff",
        b"/\xc0\xae",
        b"/\xc0\xae\xc0\xae/x",
        b"/\xed\xa0\x80",
        b"/caf\xc3%A9",
        b"/caf%C3\xa9",
        b"/\xef\xbb\xbf",
        "/\u{202e}x".as_bytes(),
        "/\u{a0}".as_bytes(),
        "/\u{3002}".as_bytes(),
        "/\u{ff0e}\u{ff0e}/x".as_bytes(),
        "/\u{2024}\u{2024}/x".as_bytes(),
        "/a\u{ff0f}b".as_bytes(),
        "/a\u{2215}b".as_bytes(),
    ] {
        add(CLASSES[9], t);
    }
    for t in ["/A", "/ADMIN", "/%41DMIN", "/%61dmin", "/Admin/%2E%2E/x", "/a%2FB", "/a%2fB", "/a%5Cb", "/a%5cb"] {
        add(CLASSES[10], t.as_bytes());
    }
    for t in [
        "/",
        "/a/",
        "/a//",
        "/a/b/",
        "/a/?x",
        "/a/#",
        "/a/%2F",
        "/a%2F",
        "/a/.",
        "/a/./",
        "/a/%20",
        "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/",
    ] {
        add(CLASSES[11], t.as_bytes());
    }
    let max = warden::capacity::MAX_PATH;
    let a = |n: usize| "a".repeat(n);
    for t in [
        format!("/{}", a(max - 2)),
        format!("/{}", a(max - 1)),
        format!("/{}", a(max)),
        format!("/{}?{}", a(max - 1), a(600)),
        format!("/{}?{}", a(max), a(600)),
        format!("/{}%41", a(max - 4)),
        format!("/{}%41", a(max - 3)),
        format!("/{}", "%41".repeat((max - 1) / 3)),
        format!("/{}", "%41".repeat((max - 1) / 3 + 1)),
        format!("/{}", "%C3%A9".repeat(300)),
        "/a".repeat(max / 2),
        format!("/{}/..", a(max - 4)),
        format!("/{}/..", a(max - 3)),
        format!("/{}", a(3000)),
        format!("/{}#", a(max - 2)),
    ] {
        add(CLASSES[12], t.as_bytes());
    }
    for t in [
        "/?",
        "/a?",
        "/a??b",
        "/a?/../b",
        "/a?%zz",
        "/a?#",
        "/a%3Fb",
        "/a%3fb?c",
        "?a",
        "/a/%3F/..",
        "/a?b?c",
        "/a?b/../../c",
        "/%3F",
        "/a%3F%2e%2e",
        "/a/..?x",
        "/a/%2e%2e?x",
        "/a?x=%00",
    ] {
        add(CLASSES[13], t.as_bytes());
    }
    for t in [
        "http://h/a",
        "http://h/a/../b",
        "http://h/a%2Fb",
        "http://h/a%3Arun",
        "https://h/a",
        "http://h",
        "HTTP://h/a",
        "//h/a",
        "http:/a",
        "*",
        "h/a",
        "a",
        "",
        "/a b",
        "/a\tb",
        " /a",
    ] {
        add(CLASSES[14], t.as_bytes());
    }
    for t in [
        "/a+b",
        "/a%2Bb",
        "/a%20b",
        "/a\\b",
        "/a\\..\\b",
        "/a%5C..%5Cb",
        "/a/%2e%2e%5cb",
        "/~user",
        "/%7euser",
        "/a%2Db",
        "/a'b",
        "/a\"b",
        "/a<b>",
        "/a{b}",
        "/a|b",
        "/a^b",
        "/a`b",
        "/a[b]",
        "/a@b",
        "/a!$&'()*+,;=:b",
        "/%2A",
        "/*",
        "/a/*",
        "/api/v1/jobs%3Arun",
        "/caf%C3%A9/admin/x",
    ] {
        add(CLASSES[15], t.as_bytes());
    }
    v
}

// ---------------------------------------------------------------------------------------------
// The servers

/// A server process of the test, stopped when dropped.
struct Server {
    name: &'static str,
    port: u16,
    child: Child,
    /// Stop with SIGTERM first (gunicorn's master stops its workers on it).
    term: bool,
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.term {
            let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
            let until = Instant::now() + Duration::from_secs(5);
            while Instant::now() < until {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on right now (the server binds it a moment later; a lost race is
/// retried by [`start`]).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/servers")
}

fn work_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("servers");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn nginx_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("WARDEN_NGINX") {
        return p.into();
    }
    let on_path = Command::new("nginx").arg("-v").stderr(Stdio::null()).status().is_ok();
    if on_path { "nginx".into() } else { "/usr/sbin/nginx".into() }
}

fn gunicorn_binary() -> PathBuf {
    std::env::var_os("WARDEN_GUNICORN")
        .map_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("../servers/venv/bin/gunicorn"), PathBuf::from)
}

fn spawn_nginx(port: u16) -> Server {
    let dir = work_dir().join(format!("nginx-{port}"));
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    let conf = std::fs::read_to_string(here().join("nginx.conf"))
        .unwrap()
        .replace("@DIR@", dir.to_str().unwrap())
        .replace("@PORT@", &port.to_string());
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let bin = nginx_binary();
    let child = Command::new(&bin)
        .arg("-p")
        .arg(&dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {} ({e}): install nginx or set WARDEN_NGINX", bin.display()));
    Server { name: "nginx", port, child, term: false }
}

fn spawn_gunicorn(port: u16) -> Server {
    let bin = gunicorn_binary();
    let child = Command::new(&bin)
        .args(["--bind", &format!("127.0.0.1:{port}"), "--workers", "1", "--log-level", "error"])
        .arg("--chdir")
        .arg(here())
        .arg("app:app")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {} ({e}): pip install -r tests/servers/requirements.txt, or set WARDEN_GUNICORN",
                bin.display()
            )
        });
    Server { name: "gunicorn", port, child, term: true }
}

/// Starts a server on a free port and waits until it answers a probe with the probe's path.
fn start(spawn: fn(u16) -> Server) -> Server {
    for _ in 0..3 {
        let mut s = spawn(free_port());
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if let Ok(Some(status)) = s.child.try_wait() {
                eprintln!("{} exited with {status} (port taken?); retrying", s.name);
                break;
            }
            if let Answer::Routed(p) = ask(s.port, b"/warden-probe") {
                assert_eq!(p, b"/warden-probe", "port {} answers, but not as {}", s.port, s.name);
                return s;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    panic!("the server did not come up");
}

fn version(bin: &Path, arg: &str) -> String {
    let out = Command::new(bin).arg(arg).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.trim().to_string()
}

// ---------------------------------------------------------------------------------------------
// Asking

/// What a server made of a target.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    /// 200 with the path the server routes to.
    Routed(Vec<u8>),
    /// The server's own refusal (its status code).
    Refused(u16),
    /// No HTTP/1.x answer (an HTTP/0.9 reply, a closed socket, a timeout).
    Unreadable(String),
}

impl Answer {
    fn show(&self) -> String {
        match self {
            Self::Routed(p) => format!("routes {}", escaped(p)),
            Self::Refused(code) => format!("refuses ({code})"),
            Self::Unreadable(why) => format!("no answer ({why})"),
        }
    }
}

/// Sends `GET <target> HTTP/1.1` on a fresh connection, bytes exactly as given.
fn ask(port: u16, target: &[u8]) -> Answer {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return Answer::Unreadable("connect".into());
    };
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut req = b"GET ".to_vec();
    req.extend_from_slice(target);
    req.extend_from_slice(b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    if s.write_all(&req).is_err() {
        return Answer::Unreadable("write".into());
    }
    let _ = s.shutdown(Shutdown::Write);
    let mut data = Vec::new();
    if let Err(e) = s.read_to_end(&mut data)
        && data.is_empty()
    {
        return Answer::Unreadable(e.kind().to_string());
    }
    let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Answer::Unreadable(format!("{} bytes without a header", data.len()));
    };
    let head = String::from_utf8_lossy(&data[..end]).into_owned();
    let status = head.strip_prefix("HTTP/1.").and_then(|r| r.get(2..5)).and_then(|c| c.parse::<u16>().ok());
    let Some(status) = status else {
        return Answer::Unreadable(format!("status line {:?}", head.lines().next().unwrap_or("")));
    };
    if status != 200 {
        return Answer::Refused(status);
    }
    let mut body = data[end + 4..].to_vec();
    let length = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok()).flatten()
    });
    if let Some(n) = length {
        body.truncate(n);
    }
    Answer::Routed(body)
}

/// Bytes as text with everything but printable ASCII escaped.
fn escaped(b: &[u8]) -> String {
    let s: String = b.escape_ascii().to_string();
    if s.len() > 90 { format!("{}…({} bytes)", &s[..80], b.len()) } else { s }
}

// ---------------------------------------------------------------------------------------------
// Warden's side

/// A one-rule engine (`/**`, public) to check that `RequestPath` is what `evaluate` decides on.
fn catch_all() -> Vec<u8> {
    let body = PolicyBody { rules: [common::rule("all", &[0], "/**", &[])].into_iter().collect(), ..common::body() };
    common::blob_of(&body, None)
}

// ---------------------------------------------------------------------------------------------
// The tests

#[test]
fn the_targets_cover_every_class_and_every_byte() {
    let t = targets();
    assert!(t.len() >= 150, "{}", t.len());
    for class in CLASSES {
        assert!(t.iter().any(|x| x.class == *class), "{class}");
    }
    let escapes = t.iter().filter(|x| x.class == CLASSES[0]).count();
    let raw = t.iter().filter(|x| x.class == CLASSES[2]).count();
    assert_eq!((escapes, raw), (256, 256));
}

#[derive(Default)]
struct Stats {
    targets: usize,
    malformed: usize,
    /// Accepted by Warden and routed by both servers to Warden's path.
    agreed: usize,
    /// Accepted by Warden and routed to its path by one server; the other refused.
    agreed_one_refused: usize,
    /// Accepted by Warden, refused by both servers.
    accepted_both_refused: usize,
    refused_by: BTreeMap<String, usize>,
    /// Malformed for Warden, yet both servers routed it, to one path or to two.
    malformed_both_same: usize,
    malformed_servers_differ: usize,
}

#[test]
#[ignore = "starts nginx and gunicorn: run by the `servers` stage of .ci/run (see the module docs)"]
fn every_path_warden_accepts_is_the_path_both_servers_route() {
    let started = Instant::now();
    let nginx_bin = nginx_binary();
    let gunicorn_bin = gunicorn_binary();
    let servers = [start(spawn_nginx), start(spawn_gunicorn)];
    println!("servers: {} / gunicorn {}", version(&nginx_bin, "-v"), version(&gunicorn_bin, "--version"));

    let blob = catch_all();
    let engine = Engine::load(&blob, &common::keyring()).unwrap();
    let targets = targets();
    let mut stats: BTreeMap<&str, Stats> = CLASSES.iter().map(|c| (*c, Stats::default())).collect();
    let mut disagreements = Vec::new();
    let mut tsv = String::from("class\ttarget\twarden\tnginx\tgunicorn\n");
    for t in &targets {
        let warden = RequestPath::new(&t.raw);
        let request = Request { method: b"GET", path: &t.raw, client_ip: None, headers: &[], now: 0 };
        let decided = engine.evaluate(&request);
        assert_eq!(
            decided.reason().as_str() == "malformed_path",
            warden.is_malformed(),
            "RequestPath and evaluate disagree on {}",
            escaped(&t.raw)
        );
        let answers: Vec<Answer> = servers.iter().map(|s| ask(s.port, &t.raw)).collect();
        let st = stats.get_mut(t.class).unwrap();
        st.targets += 1;
        for (s, a) in servers.iter().zip(&answers) {
            if !matches!(a, Answer::Routed(_)) {
                *st.refused_by.entry(format!("{} {}", s.name, a.show())).or_default() += 1;
            }
        }
        let routed: Vec<&[u8]> =
            answers.iter().filter_map(|a| if let Answer::Routed(p) = a { Some(&p[..]) } else { None }).collect();
        match warden.as_str() {
            None => {
                st.malformed += 1;
                if routed.len() == servers.len() {
                    if routed.windows(2).all(|w| w[0] == w[1]) {
                        st.malformed_both_same += 1;
                    } else {
                        st.malformed_servers_differ += 1;
                    }
                }
            }
            Some(path) => {
                let mut ok = true;
                for (s, a) in servers.iter().zip(&answers) {
                    match a {
                        Answer::Routed(p) if p == path.as_bytes() => {}
                        Answer::Refused(_) => {}
                        other => {
                            ok = false;
                            disagreements.push(format!(
                                "DISAGREEMENT [{}] target {}: Warden matches rules on {}, {} {}",
                                t.class,
                                escaped(&t.raw),
                                escaped(path.as_bytes()),
                                s.name,
                                other.show()
                            ));
                        }
                    }
                }
                if ok {
                    match routed.len() {
                        0 => st.accepted_both_refused += 1,
                        n if n == servers.len() => st.agreed += 1,
                        _ => st.agreed_one_refused += 1,
                    }
                }
            }
        }
        let _ = writeln!(
            tsv,
            "{}\t{}\t{}\t{}\t{}",
            t.class,
            escaped(&t.raw),
            warden.as_str().map_or_else(|| "malformed_path".to_string(), |p| escaped(p.as_bytes())),
            answers[0].show(),
            answers[1].show()
        );
    }
    let report = work_dir().join("results.tsv");
    std::fs::write(&report, tsv).unwrap();

    let row = |name: &str, s: &Stats| {
        println!(
            "{name:<42} {:>7} {:>9} {:>6} {:>9} {:>9} {:>10} {:>10}",
            s.targets,
            s.malformed,
            s.agreed,
            s.agreed_one_refused,
            s.accepted_both_refused,
            s.malformed_both_same,
            s.malformed_servers_differ
        );
    };
    println!(
        "\n{:<42} {:>7} {:>9} {:>6} {:>9} {:>9} {:>10} {:>10}",
        "", "", "", "agreed", "agreed,", "accepted,", "malformed,", "malformed,"
    );
    println!(
        "{:<42} {:>7} {:>9} {:>6} {:>9} {:>9} {:>10} {:>10}",
        "class", "targets", "malformed", "(both)", "1 refused", "2 refused", "same path", "paths differ"
    );
    let mut total = Stats::default();
    for class in CLASSES {
        let s = &stats[class];
        row(class, s);
        total.targets += s.targets;
        total.malformed += s.malformed;
        total.agreed += s.agreed;
        total.agreed_one_refused += s.agreed_one_refused;
        total.accepted_both_refused += s.accepted_both_refused;
        total.malformed_both_same += s.malformed_both_same;
        total.malformed_servers_differ += s.malformed_servers_differ;
        for (k, n) in &s.refused_by {
            *total.refused_by.entry(k.clone()).or_default() += n;
        }
    }
    row("total", &total);
    println!(
        "(malformed, same path / paths differ: Warden refuses, and both servers route the target to one \
         path / to two different paths)"
    );
    println!("\nrefusals by the servers themselves (no route):");
    for (k, n) in &total.refused_by {
        println!("  {k}: {n}");
    }
    for class in CLASSES {
        let refusals: Vec<String> = stats[class].refused_by.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        if !refusals.is_empty() {
            println!("  [{class}] {}", refusals.join(", "));
        }
    }
    println!("\nevery answer: {}; {:.1} s", report.display(), started.elapsed().as_secs_f64());
    for d in &disagreements {
        println!("{d}");
    }
    assert!(disagreements.is_empty(), "{} disagreement(s), listed above", disagreements.len());
    // Warden must not refuse everything: most well-formed targets are routed and agree.
    assert!(total.agreed >= 150, "only {} targets agreed", total.agreed);
}
