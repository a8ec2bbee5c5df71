//! Durations as Hydra writes them (Go's format: `90s`, `1h30m`, `720h0m0s`).

use super::*;

/// A lifespan setting: the text as written (Hydra's format, echoed back as written) and the
/// [`Duration`] it means, parsed once, when the configuration is read; a value that does not
/// parse fails the load with the key named.
#[derive(Clone, PartialEq, Eq)]
pub struct Lifespan {
    text: String,
    value: Duration,
}

impl Lifespan {
    /// A built-in default (checked by a unit test to parse to what it says).
    pub(super) fn default_of(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            value: parse_duration(text).unwrap_or_default(),
        }
    }

    pub fn get(&self) -> Duration {
        self.value
    }

    /// In milliseconds, for adding to a timestamp.
    pub fn millis(&self) -> i64 {
        i64::try_from(self.value.as_millis()).unwrap_or(i64::MAX)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::str::FromStr for Lifespan {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Ok(Self {
            value: parse_duration(text)?,
            text: text.to_owned(),
        })
    }
}

impl fmt::Debug for Lifespan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Display for Lifespan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq<&str> for Lifespan {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl Serialize for Lifespan {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Lifespan {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let value = parse_duration(&text).map_err(serde::de::Error::custom)?;
        Ok(Self { text, value })
    }
}

/// A duration as Go prints it (Hydra's wire format for lifespans): `0s`, `500ms`, `1m30s`,
/// `720h0m0s`, `1.5s`.
pub fn format_duration(d: Duration) -> String {
    fn trim(mut s: String) -> String {
        if s.contains('.') {
            while s.ends_with('0') {
                s.pop();
            }
            if s.ends_with('.') {
                s.pop();
            }
        }
        s
    }
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".into();
    }
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return format!("{}µs", trim(format!("{:.3}", nanos as f64 / 1e3)));
    }
    if nanos < 1_000_000_000 {
        return format!("{}ms", trim(format!("{:.6}", nanos as f64 / 1e6)));
    }
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let frac = d.subsec_nanos();
    let seconds = if frac == 0 {
        s.to_string()
    } else {
        trim(format!("{s}.{frac:09}"))
    };
    match (h, m) {
        (0, 0) => format!("{seconds}s"),
        (0, m) => format!("{m}m{seconds}s"),
        (h, m) => format!("{h}h{m}m{seconds}s"),
    }
}

/// Parses a Go-style duration as Hydra writes them: `500ms`, `90s`, `10m`, `1h30m`, `720h`, and
/// with decimal fractions as Go's `time.ParseDuration` reads them and [`format_duration`] writes
/// them (`1.5h`, `1h0m27.444022061s`), so that a lifespan read back from the API can be sent again.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration (use e.g. 30s, 10m, 1h)".into());
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let not_a_duration = || format!("{s:?} is not a duration (use e.g. 30s, 10m, 1h)");
    let mut total: u128 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let (whole, fraction) = match rest[..number_len].split_once('.') {
            Some((w, f)) => (w, f),
            None => (&rest[..number_len], ""),
        };
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return Err(not_a_duration());
        }
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let nanos_per: u128 = match unit {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "{s:?} has an unknown unit {unit:?} (use ms, s, m or h)"
                ));
            }
        };
        let out_of_range = || format!("{s:?} is out of range");
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| out_of_range())?
        };
        // The fraction, to the nanosecond (Go keeps no more either).
        let mut part = whole.checked_mul(nanos_per).ok_or_else(out_of_range)?;
        let mut scale = nanos_per;
        for d in fraction.bytes().take(30) {
            scale /= 10;
            part += u128::from(d - b'0') * scale;
        }
        total = total.checked_add(part).ok_or_else(out_of_range)?;
    }
    let secs =
        u64::try_from(total / 1_000_000_000).map_err(|_| format!("{s:?} is out of range"))?;
    Ok(Duration::new(secs, (total % 1_000_000_000) as u32))
}
