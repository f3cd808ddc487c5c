//! A small, strict JSON reader for JOSE headers and JWT claims: no allocation, bounded depth.
//!
//! It walks the members of one top-level object and hands each value to the caller as a raw
//! slice with its type; strings are validated (escapes, surrogate pairs, no raw control
//! characters) but unescaped only on demand ([`JStr::eq`], [`JStr::unescape_into`]). The input
//! must already be valid UTF-8 (the token reader checks that once for the whole payload).
//! Anything outside RFC 8259's grammar is an error; so is nesting deeper than
//! [`MAX_JSON_DEPTH`](crate::capacity::MAX_JSON_DEPTH).
//!
//! All of this runs on public data (the token as sent), so it may branch freely.

use crate::capacity::MAX_JSON_DEPTH;

/// Malformed JSON (or deeper than allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JsonError;

type Result<T> = core::result::Result<T, JsonError>;

/// A JSON value, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    Str(JStr<'a>),
    /// The number's text, valid per the JSON grammar.
    Num(&'a [u8]),
    Bool(bool),
    Null,
    /// The whole array, brackets included.
    Array(&'a [u8]),
    /// The whole object, braces included.
    Object(&'a [u8]),
}

/// A validated JSON string body (between the quotes, escapes not yet decoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JStr<'a> {
    raw: &'a [u8],
    /// Whether `raw` contains an escape (otherwise it is the string itself).
    escaped: bool,
}

/// The length of the run of bytes at the start of `s` that need no attention inside a string
/// (not `"`, `\\` or a control byte), or `None` when the run reaches the end. Eight bytes at a
/// time: the lowest flagged byte of a word is exact (flags above a flagged byte may be false).
fn plain_prefix(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES << 7;
    let zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    let mut chunks = s.chunks_exact(8);
    let mut base = 0usize;
    for c in &mut chunks {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(c).unwrap_or([0; 8]));
        // `"`, `\\`, and the bytes below 0x20 (those that are zero once masked with 0xe0).
        let special =
            zero(w ^ ONES.wrapping_mul(0x22)) | zero(w ^ ONES.wrapping_mul(0x5c)) | zero(w & ONES.wrapping_mul(0xe0));
        if special != 0 {
            return Some(base.wrapping_add(usize::try_from(special.trailing_zeros() / 8).unwrap_or(0)));
        }
        base = base.wrapping_add(8);
    }
    chunks.remainder().iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).map(|i| base.wrapping_add(i))
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i = self.i.saturating_add(1);
        Some(c)
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i = self.i.saturating_add(1);
        }
    }
    fn expect(&mut self, c: u8) -> Result<()> {
        if self.bump() == Some(c) { Ok(()) } else { Err(JsonError) }
    }
    fn slice(&self, from: usize) -> &'a [u8] {
        self.s.get(from..self.i).unwrap_or(&[])
    }

    fn hex4(&mut self) -> Result<u16> {
        let mut v: u16 = 0;
        for _ in 0..4 {
            let c = self.bump().ok_or(JsonError)?;
            let d = char::from(c).to_digit(16).ok_or(JsonError)?;
            v = (v << 4) | u16::try_from(d).map_err(|_| JsonError)?;
        }
        Ok(v)
    }

    /// After the opening quote; leaves the cursor after the closing quote.
    fn string(&mut self) -> Result<JStr<'a>> {
        let start = self.i;
        let mut escaped = false;
        loop {
            // Skip plain bytes, eight at a time.
            let rest = self.s.get(self.i..).unwrap_or(&[]);
            let plain = plain_prefix(rest).ok_or(JsonError)?;
            self.i = self.i.saturating_add(plain);
            match self.bump().ok_or(JsonError)? {
                b'"' => {
                    let raw = self.s.get(start..self.i.saturating_sub(1)).ok_or(JsonError)?;
                    return Ok(JStr { raw, escaped });
                }
                b'\\' => {
                    escaped = true;
                    match self.bump().ok_or(JsonError)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            let u = self.hex4()?;
                            if (0xD800..0xDC00).contains(&u) {
                                self.expect(b'\\')?;
                                self.expect(b'u')?;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return Err(JsonError);
                                }
                            } else if (0xDC00..0xE000).contains(&u) {
                                return Err(JsonError);
                            }
                        }
                        _ => return Err(JsonError),
                    }
                }
                _ => return Err(JsonError),
            }
        }
    }

    fn digits(&mut self) -> Result<()> {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i = self.i.saturating_add(1);
        }
        if self.i == start { Err(JsonError) } else { Ok(()) }
    }

    fn number(&mut self) -> Result<&'a [u8]> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i = self.i.saturating_add(1);
        }
        if self.peek() == Some(b'0') {
            self.i = self.i.saturating_add(1);
        } else {
            self.digits()?;
        }
        if self.peek() == Some(b'.') {
            self.i = self.i.saturating_add(1);
            self.digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i = self.i.saturating_add(1);
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i = self.i.saturating_add(1);
            }
            self.digits()?;
        }
        Ok(self.slice(start))
    }

    fn literal(&mut self, word: &[u8]) -> Result<()> {
        let end = self.i.checked_add(word.len()).ok_or(JsonError)?;
        if self.s.get(self.i..end) == Some(word) {
            self.i = end;
            Ok(())
        } else {
            Err(JsonError)
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>> {
        self.ws();
        let start = self.i;
        match self.peek().ok_or(JsonError)? {
            b'"' => {
                self.i = self.i.saturating_add(1);
                Ok(Value::Str(self.string()?))
            }
            b'{' => {
                self.object(depth.checked_add(1).ok_or(JsonError)?, |_, _| Ok(()))?;
                Ok(Value::Object(self.slice(start)))
            }
            b'[' => {
                self.array(depth.checked_add(1).ok_or(JsonError)?, |_| Ok(()))?;
                Ok(Value::Array(self.slice(start)))
            }
            b't' => self.literal(b"true").map(|()| Value::Bool(true)),
            b'f' => self.literal(b"false").map(|()| Value::Bool(false)),
            b'n' => self.literal(b"null").map(|()| Value::Null),
            b'-' | b'0'..=b'9' => self.number().map(Value::Num),
            _ => Err(JsonError),
        }
    }

    fn object(&mut self, depth: usize, mut f: impl FnMut(JStr<'a>, Value<'a>) -> Result<()>) -> Result<()> {
        if depth > MAX_JSON_DEPTH {
            return Err(JsonError);
        }
        self.ws();
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i = self.i.saturating_add(1);
            return Ok(());
        }
        loop {
            self.ws();
            self.expect(b'"')?;
            let key = self.string()?;
            self.ws();
            self.expect(b':')?;
            let v = self.value(depth)?;
            f(key, v)?;
            self.ws();
            match self.bump() {
                Some(b',') => {}
                Some(b'}') => return Ok(()),
                _ => return Err(JsonError),
            }
        }
    }

    fn array(&mut self, depth: usize, mut f: impl FnMut(Value<'a>) -> Result<()>) -> Result<()> {
        if depth > MAX_JSON_DEPTH {
            return Err(JsonError);
        }
        self.ws();
        self.expect(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            self.i = self.i.saturating_add(1);
            return Ok(());
        }
        loop {
            let v = self.value(depth)?;
            f(v)?;
            self.ws();
            match self.bump() {
                Some(b',') => {}
                Some(b']') => return Ok(()),
                _ => return Err(JsonError),
            }
        }
    }
}

/// Calls `f` for each member of the top-level object `input`; the whole input must be one
/// object (surrounding whitespace allowed).
pub(crate) fn for_each_member<'a>(input: &'a [u8], f: impl FnMut(JStr<'a>, Value<'a>) -> Result<()>) -> Result<()> {
    let mut c = Cursor { s: input, i: 0 };
    c.object(1, f)?;
    c.ws();
    if c.i == input.len() { Ok(()) } else { Err(JsonError) }
}

/// Calls `f` for each element of `array` (as returned in [`Value::Array`]).
pub(crate) fn for_each_element<'a>(array: &'a [u8], f: impl FnMut(Value<'a>) -> Result<()>) -> Result<()> {
    let mut c = Cursor { s: array, i: 0 };
    // The array was already depth-checked when it was parsed as a value.
    c.array(1, f)
}

/// The largest NumericDate accepted (SPEC §6: a date above 2^53 is malformed).
pub(crate) const MAX_NUMERIC_DATE: u64 = 1 << 53;

/// Exponents beyond this magnitude decide the same as this one: a number text is at most a
/// token payload long, so its digits can never make up for a larger power of ten.
const EXPONENT_CAP: i32 = 1 << 20;

/// A NumericDate (RFC 7519 §2) from the text of a JSON number (valid per the JSON grammar, as
/// [`Value::Num`] holds it), floored to whole seconds: fractions and exponents are accepted
/// (`1767225600.5`, `1.7672256e9`, `1E+3`), zero in any spelling (`-0`, `0.0`, `0e400`) is 0,
/// and `None` means negative or above [`MAX_NUMERIC_DATE`] (which includes every value a
/// double cannot hold).
///
/// Exact integer arithmetic on the digits, no floating point (which would cost flash on a
/// microcontroller, and round): the exponent moves the decimal point through the digit string,
/// the digits before it are the integer part, and whether a non-zero digit follows it decides
/// the comparison with the limit. Arithmetic saturates: a saturated value is above the limit.
pub(crate) fn numeric_date(num: &[u8]) -> Option<u64> {
    // What tokens carry: a plain integer. Up to 16 digits cannot overflow a u64.
    if (1..=16).contains(&num.len()) && num.iter().all(u8::is_ascii_digit) {
        let value = num.iter().fold(0u64, |v, &d| v.wrapping_mul(10).wrapping_add(u64::from(d.wrapping_sub(b'0'))));
        return (value <= MAX_NUMERIC_DATE).then_some(value);
    }
    let (negative, unsigned) = match num.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, num),
    };
    let e_at = unsigned.iter().position(|&c| c | 0x20 == b'e').unwrap_or(unsigned.len());
    let (mantissa, exponent) = unsigned.split_at(e_at);
    let mut exp: i32 = 0;
    let mut exp_negative = false;
    for &c in exponent.get(1..).unwrap_or(&[]) {
        match c {
            b'-' => exp_negative = true,
            b'0'..=b'9' => {
                exp = exp.saturating_mul(10).saturating_add(i32::from(c.wrapping_sub(b'0'))).min(EXPONENT_CAP)
            }
            _ => {}
        }
    }
    let int_len = mantissa.iter().position(|&c| c == b'.').unwrap_or(mantissa.len());
    // Digits of the integer part: those before the decimal point once the exponent moved it.
    let point = i32::try_from(int_len).unwrap_or(i32::MAX).saturating_add(if exp_negative {
        exp.saturating_neg()
    } else {
        exp
    });
    let mut value: u64 = 0;
    let mut fraction = false;
    let mut digits: i32 = 0;
    for &c in mantissa {
        if c == b'.' {
            continue;
        }
        let d = u64::from(c.wrapping_sub(b'0'));
        if digits < point {
            value = value.saturating_mul(10).saturating_add(d);
        } else {
            fraction |= d != 0;
        }
        digits = digits.saturating_add(1);
    }
    // Zeros the exponent adds after the digits; a non-zero value passes the limit within 17.
    while digits < point && value != 0 && value <= MAX_NUMERIC_DATE {
        value = value.saturating_mul(10);
        digits = digits.saturating_add(1);
    }
    if negative {
        return (value == 0 && !fraction).then_some(0);
    }
    let above = value > MAX_NUMERIC_DATE || (value == MAX_NUMERIC_DATE && fraction);
    (!above).then_some(value)
}

impl<'a> JStr<'a> {
    /// The unescaped UTF-8 bytes.
    pub(crate) fn bytes(&self) -> Unescaped<'a> {
        Unescaped { raw: self.raw, i: 0, pending: [0; 4], pending_len: 0, pending_at: 0 }
    }

    /// Calls `f` with the unescaped bytes: the raw slice when there are no escapes, else a copy
    /// in a buffer of `N` bytes (longer strings give `f` an empty slice plus `false`).
    pub(crate) fn with_plain<const N: usize, R>(&self, f: impl FnOnce(&[u8], bool) -> R) -> R {
        if !self.escaped {
            return f(self.raw, true);
        }
        let mut buf = [0u8; N];
        match self.unescape_into(&mut buf) {
            Some(n) => f(buf.get(..n).unwrap_or(&[]), true),
            None => f(&[], false),
        }
    }

    /// Length of the unescaped string.
    pub(crate) fn unescaped_len(&self) -> usize {
        if self.escaped { self.bytes().count() } else { self.raw.len() }
    }

    /// Whether the unescaped string holds a control byte (0x00–0x1F, 0x7F), raw or escaped.
    pub(crate) fn has_control(&self) -> bool {
        let control = |b: u8| b < 0x20 || b == 0x7f;
        if self.escaped { self.bytes().any(control) } else { self.raw.iter().any(|&b| control(b)) }
    }

    /// Whether the unescaped string equals `s`.
    pub(crate) fn eq(&self, s: &[u8]) -> bool {
        if !self.escaped {
            return self.raw == s;
        }
        let mut it = self.bytes();
        for &b in s {
            if it.next() != Some(b) {
                return false;
            }
        }
        it.next().is_none()
    }

    /// Unescapes into `out`; `None` if it does not fit.
    pub(crate) fn unescape_into(&self, out: &mut [u8]) -> Option<usize> {
        if !self.escaped {
            out.get_mut(..self.raw.len())?.copy_from_slice(self.raw);
            return Some(self.raw.len());
        }
        let mut n = 0usize;
        for b in self.bytes() {
            *out.get_mut(n)? = b;
            n = n.checked_add(1)?;
        }
        Some(n)
    }
}

/// Iterator over the unescaped bytes of a validated [`JStr`].
pub(crate) struct Unescaped<'a> {
    raw: &'a [u8],
    i: usize,
    pending: [u8; 4],
    pending_len: usize,
    pending_at: usize,
}

impl Unescaped<'_> {
    fn at(&self, k: usize) -> u8 {
        self.raw.get(k).copied().unwrap_or(0)
    }
    fn hex4_at(&self, k: usize) -> u32 {
        (0..4).fold(0u32, |v, j| {
            let d = char::from(self.at(k.saturating_add(j))).to_digit(16).unwrap_or(0);
            (v << 4) | d
        })
    }
    fn push_char(&mut self, cp: u32) {
        let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
        let len = ch.encode_utf8(&mut self.pending).len();
        self.pending_len = len;
        self.pending_at = 0;
    }
}

impl Iterator for Unescaped<'_> {
    type Item = u8;
    fn next(&mut self) -> Option<u8> {
        if self.pending_at < self.pending_len {
            let b = self.pending.get(self.pending_at).copied();
            self.pending_at = self.pending_at.saturating_add(1);
            return b;
        }
        let c = *self.raw.get(self.i)?;
        if c != b'\\' {
            self.i = self.i.saturating_add(1);
            return Some(c);
        }
        let e = self.at(self.i.saturating_add(1));
        self.i = self.i.saturating_add(2);
        let simple = match e {
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'u' => None,
            other => Some(other),
        };
        if let Some(b) = simple {
            return Some(b);
        }
        let hi = self.hex4_at(self.i);
        self.i = self.i.saturating_add(4);
        let cp = if (0xD800..0xDC00).contains(&hi) {
            // Validated: a `\uDC00`–`\uDFFF` escape follows.
            let lo = self.hex4_at(self.i.saturating_add(2));
            self.i = self.i.saturating_add(6);
            0x10000u32.saturating_add((hi.saturating_sub(0xD800) << 10) | lo.saturating_sub(0xDC00))
        } else {
            hi
        };
        self.push_char(cp);
        self.next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    fn members(s: &str) -> Result<Vec<(Vec<u8>, Value<'_>)>> {
        let mut v = Vec::new();
        for_each_member(s.as_bytes(), |k, val| {
            v.push((k.bytes().collect(), val));
            Ok(())
        })?;
        Ok(v)
    }

    #[test]
    fn reads_members_of_every_type() {
        let m = members(r#" {"a":"x","b":12,"c":[1,{"d":null}],"e":{"f":true},"g":false,"h":-1.5e3} "#).unwrap();
        assert_eq!(m.len(), 6);
        assert_eq!(m[1].1, Value::Num(b"12"));
        assert!(matches!(m[2].1, Value::Array(b"[1,{\"d\":null}]")));
        assert_eq!(m[5].1, Value::Num(b"-1.5e3"));
    }

    #[test]
    fn rejects_what_rfc_8259_rejects() {
        for bad in [
            "",
            "[]",
            "{",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":.5}",
            "{\"a\":tru}",
            "{\"a\":\"\x01\"}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":\"\\udc00\"}",
            "{\"a\":1} x",
            "{'a':1}",
            "{\"a\":[1,]}",
            "{\"a\":+1}",
        ] {
            assert!(members(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn depth_is_bounded() {
        let ok = std::format!("{{\"a\":{}1{}}}", "[".repeat(MAX_JSON_DEPTH - 1), "]".repeat(MAX_JSON_DEPTH - 1));
        assert!(members(&ok).is_ok());
        let deep = std::format!("{{\"a\":{}1{}}}", "[".repeat(MAX_JSON_DEPTH), "]".repeat(MAX_JSON_DEPTH));
        assert!(members(&deep).is_err());
        let huge = std::format!("{{\"a\":{}}}", "[".repeat(100_000));
        assert!(members(&huge).is_err());
    }

    #[test]
    fn unescapes_strings() {
        let m = members(r#"{"k":"a\/b\u00e9\ud83d\ude00\n"}"#).unwrap();
        let Value::Str(s) = m[0].1 else { panic!() };
        assert!(s.eq("a/bé😀\n".as_bytes()));
        assert!(!s.eq(b"a/b"));
        let mut out = [0u8; 16];
        let n = s.unescape_into(&mut out).unwrap();
        assert_eq!(&out[..n], "a/bé😀\n".as_bytes());
        assert_eq!(s.unescape_into(&mut [0u8; 3]), None);
    }

    #[test]
    fn numeric_dates_are_floored_exactly() {
        let cases: &[(&str, Option<u64>)] = &[
            ("0", Some(0)),
            ("-0", Some(0)),
            ("0.0", Some(0)),
            ("-0.0e7", Some(0)),
            ("0e400", Some(0)),
            ("1e-5", Some(0)),
            ("0.999999", Some(0)),
            ("1767225600", Some(1_767_225_600)),
            ("1767225600.123456", Some(1_767_225_600)),
            ("1767225600.999999999999999999999", Some(1_767_225_600)),
            ("1.7672256e9", Some(1_767_225_600)),
            ("1.76722560012e9", Some(1_767_225_600)),
            ("17672256E+2", Some(1_767_225_600)),
            ("176722560000e-2", Some(1_767_225_600)),
            ("0.0000000017672256e18", Some(1_767_225_600)),
            ("1E+3", Some(1000)),
            ("1e0", Some(1)),
            ("1e15", Some(1_000_000_000_000_000)),
            ("9007199254740991", Some((1 << 53) - 1)),
            ("9007199254740991.9", Some((1 << 53) - 1)),
            ("9007199254740992", Some(1 << 53)),
            ("9007199254740992.0", Some(1 << 53)),
            ("9.007199254740992e15", Some(1 << 53)),
            ("1e-99999999999999999999", Some(0)),
            ("9007199254740992.000001", None),
            ("9007199254740993", None),
            ("9.1e15", None),
            ("1e16", None),
            ("1e308", None),
            ("1e309", None),
            ("1e99999999999999999999", None),
            ("18446744073709551616", None),
            ("-1", None),
            ("-0.5", None),
            ("-1e-400", None),
            ("-1767225600", None),
        ];
        for &(text, want) in cases {
            assert_eq!(numeric_date(text.as_bytes()), want, "{text}");
        }
    }

    #[test]
    fn numeric_dates_agree_with_exact_decimal_arithmetic() {
        // `value.frac × 10^shift` in every spelling, against u128 arithmetic.
        for value in [0u64, 1, 59, 1_767_225_600, (1 << 53) - 1, 1 << 53] {
            for shift in 0..6u32 {
                for frac in ["", "0", "5", "999", "000001"] {
                    let text = if frac.is_empty() {
                        std::format!("{value}e{shift}")
                    } else {
                        std::format!("{value}.{frac}e{shift}")
                    };
                    let p = 10u128.pow(shift);
                    let q = 10u128.pow(u32::try_from(frac.len()).unwrap());
                    let f = u128::from(frac.parse::<u64>().unwrap_or(0)) * p;
                    let int = u128::from(value) * p + f / q;
                    let fraction = f % q != 0;
                    let above = int > 1 << 53 || (int == 1 << 53 && fraction);
                    let want = if above { None } else { Some(u64::try_from(int).unwrap()) };
                    assert_eq!(numeric_date(text.as_bytes()), want, "{text}");
                }
            }
        }
    }
}
