//! `--capacities FILE`: another build's table capacities, read from the `[env]` table of a
//! `.cargo/config.toml` (the form firmware uses to set `WARDEN_MAX_*`, see
//! `examples/cortex-m/.cargo/config.toml`), so that `compile` and `check` refuse a policy the
//! firmware would refuse at load, before it is flashed.
//!
//! ```toml
//! [env]
//! WARDEN_MAX_RULES = "16"                              # a string, as cargo wants
//! WARDEN_MAX_ROLES = { value = "16", force = true }    # or cargo's table form
//! ```
//!
//! A variable that is not set has its default (the core's build script's). Every value must be
//! one the build would accept (a number in the variable's range); an unknown `WARDEN_MAX_*`
//! name is an error, since the build would silently ignore it.

use std::path::Path;

use warden::Capacity;
use warden::capacity::{Capacities, SETTINGS, Setting};

/// Another build's capacities and the file they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetCapacities {
    /// The file, as given on the command line.
    pub file: String,
    /// The capacities of that build.
    pub limits: Capacities,
}

/// Reads a capacities file.
///
/// # Errors
/// An unreadable file, or a message naming what is wrong in it.
pub fn read(path: &Path) -> Result<TargetCapacities, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let file = path.display().to_string();
    let limits = parse(&text).map_err(|e| format!("{file}: {e}"))?;
    Ok(TargetCapacities { file, limits })
}

/// Parses the text of a capacities file.
///
/// # Errors
/// A message: not TOML, no `[env]` table, an unknown `WARDEN_MAX_*` variable, a value that is
/// not a number in the variable's range.
pub fn parse(text: &str) -> Result<Capacities, String> {
    let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| format!("not TOML: {}", e.message()))?;
    let env = match doc.get("env") {
        Some(toml::Value::Table(t)) => t,
        Some(_) => return Err("`env` is not a table".into()),
        None => {
            return Err("no [env] table: a build's capacities are set there as WARDEN_MAX_* variables (as in \
                        examples/cortex-m/.cargo/config.toml); without any, a build has the defaults"
                .into());
        }
    };
    let mut limits = Capacities::defaults();
    for (name, value) in env {
        if !name.starts_with("WARDEN_MAX_") {
            continue;
        }
        let setting = Setting::by_variable(name).ok_or_else(|| {
            let known: Vec<&str> = SETTINGS.iter().map(|s| s.variable).collect();
            format!("unknown capacity variable {name} (the core reads {})", known.join(", "))
        })?;
        let text = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Table(t) => match t.get("value") {
                Some(toml::Value::String(s)) => s.clone(),
                _ => return Err(format!("{name}: the table form needs `value = \"…\"`")),
            },
            _ => return Err(format!("{name}: expected a string such as \"16\"")),
        };
        // The same rule as the core's build script, which would stop such a build.
        let value = text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|v| (setting.min..=setting.max).contains(v))
            .ok_or_else(|| format!("{name} = {text:?} is not a number in {}..={}", setting.min, setting.max))?;
        if let Some(what) = Capacity::ALL.into_iter().find(|c| c.variable() == setting.variable) {
            limits.set(what, value);
        }
    }
    Ok(limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_firmware_config_form_is_read_with_defaults_for_the_rest() {
        let c = parse(
            "[build]\ntarget = \"thumbv7em-none-eabihf\"\n[env]\nWARDEN_MAX_RULES = \"16\"\n\
             WARDEN_MAX_ROLES = { value = \" 12 \", force = true }\nWARDEN_MAX_TOKEN_PAYLOAD = \"1024\"\nOTHER = \"x\"\n",
        )
        .unwrap();
        assert_eq!((c.rules, c.roles), (16, 12));
        assert_eq!(c.keys, Capacities::defaults().keys);
    }

    #[test]
    fn what_the_build_would_refuse_is_refused() {
        let e = parse("[env]\nWARDEN_MAX_RULES = \"0\"\n").unwrap_err();
        assert!(e.contains("WARDEN_MAX_RULES = \"0\" is not a number in 1..=1024"), "{e}");
        let e = parse("[env]\nWARDEN_MAX_RULE = \"16\"\n").unwrap_err();
        assert!(e.contains("unknown capacity variable WARDEN_MAX_RULE"), "{e}");
        let e = parse("[build]\ntarget = \"x\"\n").unwrap_err();
        assert!(e.contains("no [env] table"), "{e}");
        assert!(parse("[env]\nWARDEN_MAX_ROLES = \"65\"\n").is_err(), "a role set is 64 bits");
    }
}
