//! The committed header is exactly what the pinned cbindgen generates from this crate.
//!
//! Regenerate it with `WARDEN_BLESS=1 cargo test -p warden-ffi --test header`.

use core::error::Error;
use std::path::Path;

fn generate() -> Result<String, Box<dyn Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config = cbindgen::Config::from_file(dir.join("cbindgen.toml"))?;
    // The version macro comes from Cargo.toml, so a version bump shows up as a header diff.
    config.after_includes = config.after_includes.map(|s| s.replace("@VERSION@", env!("CARGO_PKG_VERSION")));
    let mut out = Vec::new();
    cbindgen::Builder::new().with_config(config).with_src(dir.join("src/lib.rs")).generate()?.write(&mut out);
    Ok(String::from_utf8(out)?)
}

#[test]
#[cfg_attr(miri, ignore = "cbindgen parses the sources: slow under miri, and not FFI code")]
fn committed_header_matches_the_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/warden.h");
    let generated = generate().expect("cbindgen generates the header");
    if std::env::var_os("WARDEN_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/warden.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "ffi/include/warden.h differs from the code; regenerate it with\n  \
         WARDEN_BLESS=1 cargo test -p warden-ffi --test header\nand commit the result"
    );
}
