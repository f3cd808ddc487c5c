//! `[settings]` and `[cors]`.

use super::*;

impl Compiler {
    pub(super) fn settings(&mut self, src: &PolicySource) -> (u32, u32, String) {
        let default = Settings::DEFAULT;
        let Some(s) = src.settings.as_ref().map(Spanned::get_ref) else {
            return (default.leeway_s, default.refresh_window_s, default.api_key_header.into());
        };
        let leeway = s.leeway_s.as_ref().map_or(default.leeway_s, |v| *v.get_ref());
        let refresh = s.refresh_window_s.as_ref().map_or(default.refresh_window_s, |v| *v.get_ref());
        let header = match &s.api_key_header {
            Some(h) => {
                let lower = h.get_ref().to_ascii_lowercase();
                if !is_token(&lower) {
                    self.error(
                        h.span(),
                        "`api_key_header` is not a valid HTTP header name",
                        "use letters, digits and `-`, e.g. \"x-api-key\"",
                    );
                } else if RESERVED_HEADERS.contains(&lower.as_str()) {
                    self.error(
                        h.span(),
                        format!(
                            "`api_key_header` may not be `{lower}`: the engine reads that header for something else"
                        ),
                        "use a header of its own, e.g. \"x-api-key\"",
                    );
                }
                lower
            }
            None => default.api_key_header.into(),
        };
        if let Some(m) = &s.on_no_match
            && m.get_ref() != "forbid"
        {
            self.error(
                m.span(),
                format!("`on_no_match = \"{}\"` is not supported", m.get_ref()),
                "write `on_no_match = \"forbid\"` (unmatched requests get 403), or leave it out",
            );
        }
        (leeway, refresh, header)
    }

    pub(super) fn cors(&mut self, src: &PolicySource) -> (String, u32, bool) {
        let cors = src.cors.as_ref().map(Spanned::get_ref);
        let default = CorsSettings::DEFAULT;
        let max_age = cors.and_then(|c| c.max_age_s.as_ref()).map_or(default.max_age_s, |v| *v.get_ref());
        let credentials =
            cors.and_then(|c| c.allow_credentials.as_ref()).map_or(default.allow_credentials, |v| *v.get_ref());
        let headers = match cors.and_then(|c| c.allow_headers.as_ref()) {
            None => default.allow_headers.into(),
            Some(list) => {
                let mut seen: Vec<String> = Vec::new();
                for h in list.get_ref() {
                    let lower = h.get_ref().to_ascii_lowercase();
                    if !is_token(&lower) {
                        self.error(
                            h.span(),
                            "not a valid HTTP header name",
                            "use letters, digits and `-`, e.g. \"content-type\"",
                        );
                    } else if seen.contains(&lower) {
                        self.error(h.span(), format!("header `{lower}` is listed twice"), "remove the second one");
                    } else {
                        seen.push(lower);
                    }
                }
                seen.join(", ")
            }
        };
        (headers, max_age, credentials)
    }
}
