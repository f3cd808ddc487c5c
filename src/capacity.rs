//! Capacities of the core, fixed at build time.
//!
//! Each constant sizes a fixed array inside [`Engine`](crate::Engine), so it costs RAM whether
//! or not a policy uses it; the README lists the cost of one unit of each. The policy compiler
//! refuses a policy over any of them, and [`Engine::load`](crate::Engine::load) refuses a
//! compiled policy over them with [`LoadError::CapacityExceeded`](crate::LoadError).
//!
//! To change one without editing the source, set the matching `WARDEN_MAX_*` environment
//! variable when building (for firmware, in `.cargo/config.toml` under `[env]`).

use crate::error::{Capacity, LoadError};

include!(concat!(env!("OUT_DIR"), "/capacity.rs"));

/// One capacity a build chooses with a `WARDEN_MAX_*` environment variable (see [`SETTINGS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The environment variable (`WARDEN_MAX_RULES`).
    pub variable: &'static str,
    /// The constant of this module it sets (`MAX_RULES`).
    pub constant: &'static str,
    /// Its value in this build.
    pub value: usize,
    /// Its value when the variable is not set.
    pub default: usize,
    /// Smallest value a build accepts.
    pub min: usize,
    /// Largest value a build accepts.
    pub max: usize,
}

impl Setting {
    /// The setting of `variable` (`WARDEN_MAX_RULES`), if there is one.
    #[must_use]
    pub fn by_variable(variable: &str) -> Option<&'static Self> {
        SETTINGS.iter().find(|s| s.variable == variable)
    }
}

/// The table capacities of one build of the core: this one ([`Capacities::THIS_BUILD`]), or
/// another build's, e.g. a firmware's read from its `.cargo/config.toml` (`warden compile
/// --capacities`). A compiled policy loads in a build only if every table fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacities {
    /// [`MAX_METHODS`].
    pub methods: usize,
    /// [`MAX_ROLES`].
    pub roles: usize,
    /// [`MAX_KEYS`].
    pub keys: usize,
    /// [`MAX_CREDENTIALS`].
    pub credentials: usize,
    /// [`MAX_RANGES`].
    pub ranges: usize,
    /// [`MAX_ORIGINS`].
    pub origins: usize,
    /// [`MAX_RULES`].
    pub rules: usize,
}

impl Capacity {
    /// The build's setting for it (variable, value, default, range). (Here rather than beside
    /// the type in `error.rs`, so that `error` does not import this module, which imports it.)
    #[must_use]
    pub fn setting(self) -> Option<&'static Setting> {
        SETTINGS.iter().find(|s| s.constant == self.constant())
    }
}

impl Capacities {
    /// The capacities this build of the core was compiled with.
    pub const THIS_BUILD: Self = Self {
        methods: MAX_METHODS,
        roles: MAX_ROLES,
        keys: MAX_KEYS,
        credentials: MAX_CREDENTIALS,
        ranges: MAX_RANGES,
        origins: MAX_ORIGINS,
        rules: MAX_RULES,
    };

    /// The capacities of a build that sets no `WARDEN_MAX_*` variable.
    #[must_use]
    pub fn defaults() -> Self {
        let mut c = Self::THIS_BUILD;
        for what in Capacity::ALL {
            if let Some(s) = what.setting() {
                c.set(what, s.default);
            }
        }
        c
    }

    /// The limit for one table.
    #[must_use]
    pub const fn get(&self, what: Capacity) -> usize {
        match what {
            Capacity::Methods => self.methods,
            Capacity::Roles => self.roles,
            Capacity::Keys => self.keys,
            Capacity::Credentials => self.credentials,
            Capacity::Ranges => self.ranges,
            Capacity::Origins => self.origins,
            Capacity::Rules => self.rules,
        }
    }

    /// Sets the limit for one table.
    pub const fn set(&mut self, what: Capacity, limit: usize) {
        match what {
            Capacity::Methods => self.methods = limit,
            Capacity::Roles => self.roles = limit,
            Capacity::Keys => self.keys = limit,
            Capacity::Credentials => self.credentials = limit,
            Capacity::Ranges => self.ranges = limit,
            Capacity::Origins => self.origins = limit,
            Capacity::Rules => self.rules = limit,
        }
    }

    /// Checks table sizes (`count(what)` entries each) against these capacities.
    ///
    /// # Errors
    /// [`LoadError::CapacityExceeded`] for the first table (in [`Capacity::ALL`] order) over
    /// its limit, with what the policy needs and the limit.
    pub fn check(&self, count: impl Fn(Capacity) -> usize) -> Result<(), LoadError> {
        for what in Capacity::ALL {
            let (count, limit) = (count(what), self.get(what));
            if count > limit {
                return Err(LoadError::CapacityExceeded { what, count, limit });
            }
        }
        Ok(())
    }
}

/// Longest request path, in bytes, before the query; longer paths are `malformed_path`.
pub const MAX_PATH: usize = 2048;

/// Longest header value, in bytes, the engine reads; a longer credential header is
/// `credentials_malformed`, a longer `origin` is never allowed.
pub const MAX_HEADER_VALUE: usize = 8192;

/// Most segments a path pattern may have (`/a/b/**` has two plus the tail).
pub const MAX_PATTERN_SEGMENTS: usize = 16;

/// Longest subject (credential id, Basic user, or token `sub` after JSON unescaping), in bytes.
pub const MAX_SUBJECT: usize = 255;

/// Longest decoded JWT header (the JOSE header JSON), in bytes.
pub const MAX_TOKEN_HEADER: usize = 512;

/// Most string elements read from one JWT claim array (`roles`, `aud`, `amr`).
pub const MAX_CLAIM_ELEMENTS: usize = 64;

/// Deepest JSON nesting accepted inside a token.
pub const MAX_JSON_DEPTH: usize = 16;

/// Longest policy string (names, ids, hosts, realm, path patterns), in bytes.
pub const MAX_NAME: usize = 255;
