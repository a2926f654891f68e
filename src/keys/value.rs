//! Key values that are checked while they are read, so that an error points at the value:
//! durations, regexes, URLs, addresses, HTTP methods, `expect_status` ranges, numbers, and the
//! "one string or a list" and "true, false or a string" shapes (SPEC §5).

use std::fmt;
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

/// A humantime duration string (`"800ms"`, `"14d"`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HumanDuration(pub Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<HumanDuration, D::Error> {
        let text = String::deserialize(deserializer).map_err(|_| {
            de::Error::custom("expected a duration string like \"800ms\", \"10s\" or \"14d\"")
        })?;
        humantime::parse_duration(&text)
            .map(HumanDuration)
            .map_err(|error| de::Error::custom(format!("`{text}` is not a duration ({error}); write it like \"800ms\", \"10s\" or \"14d\"")))
    }
}

/// A regular expression, compiled when the config is read.
#[derive(Clone, Debug)]
pub struct Pattern(pub Regex);

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Pattern, D::Error> {
        let text = String::deserialize(deserializer)?;
        regex::RegexBuilder::new(&text)
            .size_limit(1 << 20)
            .build()
            .map(Pattern)
            .map_err(|error| {
                let first = error
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                de::Error::custom(format!("invalid regex `{text}`: {first}"))
            })
    }
}

/// An http or https URL with a host.
#[derive(Clone, Debug, PartialEq)]
pub struct WebUrl(pub String);

impl WebUrl {
    pub fn parse(text: &str) -> Result<WebUrl, String> {
        let uri: ureq::http::Uri = text
            .parse()
            .map_err(|error| format!("`{text}` is not a valid URL: {error}"))?;
        match uri.scheme_str() {
            Some("http" | "https") => {}
            _ => return Err(format!("`{text}` is not an http:// or https:// URL")),
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(format!("`{text}` has no host"));
        }
        Ok(WebUrl(text.to_owned()))
    }
}

impl<'de> Deserialize<'de> for WebUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<WebUrl, D::Error> {
        let text = String::deserialize(deserializer)?;
        WebUrl::parse(&text).map_err(de::Error::custom)
    }
}

/// `host:port`; an IPv6 address in brackets (`[::1]:443`).
#[derive(Clone, Debug, PartialEq)]
pub struct Address(pub String);

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Address, D::Error> {
        let text = String::deserialize(deserializer)?;
        let bad = |why: &str| de::Error::custom(format!("`{text}` is not `host:port`: {why}"));
        let (host, port) = text.rsplit_once(':').ok_or_else(|| bad("no port"))?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if host.contains(':') && !(host.starts_with('[') && host.ends_with(']')) {
            return Err(bad("write an IPv6 address in brackets, like `[::1]:443`"));
        }
        match port.parse::<u16>() {
            Ok(port) if port > 0 => Ok(Address(text)),
            _ => Err(bad("the port must be a number from 1 to 65535")),
        }
    }
}

/// An HTTP method, upper-cased; one of HTTP's own needs no allocation.
#[derive(Clone, Debug, PartialEq)]
pub struct Method(pub ureq::http::Method);

impl<'de> Deserialize<'de> for Method {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Method, D::Error> {
        let text = String::deserialize(deserializer)?;
        let method = text.to_ascii_uppercase();
        let not_one = || de::Error::custom(format!("`{text}` is not an HTTP method like \"GET\""));
        if method.is_empty() || !method.bytes().all(|byte| byte.is_ascii_alphabetic()) {
            return Err(not_one());
        }
        ureq::http::Method::from_bytes(method.as_bytes())
            .map(Method)
            .map_err(|_| not_one())
    }
}

/// `expect_status`: codes and `"a-b"` ranges.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusRanges(pub Vec<(u16, u16)>);

impl StatusRanges {
    pub fn success() -> StatusRanges {
        StatusRanges(vec![(200, 299)])
    }

    pub fn contains(&self, code: u16) -> bool {
        self.0
            .iter()
            .any(|(low, high)| (*low..=*high).contains(&code))
    }

    fn parse_one(text: &str) -> Result<(u16, u16), String> {
        let code = |part: &str| match part.trim().parse::<u16>() {
            Ok(code) if (100..=599).contains(&code) => Ok(code),
            _ => Err(format!(
                "`{text}` is not an HTTP status code (100-599) or a range like \"200-299\""
            )),
        };
        match text.split_once('-') {
            Some((low, high)) => {
                let (low, high) = (code(low)?, code(high)?);
                if low > high {
                    return Err(format!(
                        "the range `{text}` is empty: write the lower code first"
                    ));
                }
                Ok((low, high))
            }
            None => code(text).map(|code| (code, code)),
        }
    }
}

impl fmt::Display for StatusRanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, (low, high)) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            if low == high {
                write!(f, "{low}")?;
            } else {
                write!(f, "{low}-{high}")?;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for StatusRanges {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<StatusRanges, D::Error> {
        struct RangesVisitor;

        impl<'de> Visitor<'de> for RangesVisitor {
            type Value = StatusRanges;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of status codes and ranges, like [\"200-299\", 304]")
            }

            fn visit_i64<E: de::Error>(self, code: i64) -> Result<StatusRanges, E> {
                self.visit_str(&code.to_string())
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<StatusRanges, E> {
                StatusRanges::parse_one(text)
                    .map(|range| StatusRanges(vec![range]))
                    .map_err(E::custom)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusRanges, A::Error> {
                let mut ranges = Vec::new();
                while let Some(item) = seq.next_element::<StatusRanges>()? {
                    ranges.extend(item.0);
                }
                if ranges.is_empty() {
                    return Err(de::Error::custom(
                        "`expect_status` is empty: list at least one code",
                    ));
                }
                Ok(StatusRanges(ranges))
            }
        }

        deserializer.deserialize_any(RangesVisitor)
    }
}

/// A number (`min`, `max`): an integer or a float in TOML.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Number(pub f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Number, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Number;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a number, like 10 or 0.5")
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Number, E> {
                Ok(Number(value))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Number, E> {
                Ok(Number(value as f64))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Number, E> {
                Ok(Number(value as f64))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// `true`/`false`, or a string.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum BoolOrText {
    Bool(bool),
    Text(String),
}

/// One string or a list of strings.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StatusRanges;

    fn ranges(toml: &str) -> Result<StatusRanges, String> {
        #[derive(serde::Deserialize)]
        struct Holder {
            expect: StatusRanges,
        }
        toml::from_str::<Holder>(toml)
            .map(|holder| holder.expect)
            .map_err(|error| error.message().to_owned())
    }

    #[test]
    fn status_ranges_accept_codes_and_ranges() {
        let parsed = ranges(r#"expect = ["200-299", 304, "418"]"#).unwrap();
        assert!(parsed.contains(200) && parsed.contains(299) && parsed.contains(304));
        assert!(parsed.contains(418) && !parsed.contains(300) && !parsed.contains(503));
        assert_eq!(parsed.to_string(), "200-299,304,418");
        assert_eq!(ranges("expect = 503").unwrap().to_string(), "503");
    }

    #[test]
    fn status_ranges_reject_nonsense() {
        assert!(
            ranges(r#"expect = ["299-200"]"#)
                .unwrap_err()
                .contains("empty")
        );
        assert!(
            ranges(r#"expect = ["20x"]"#)
                .unwrap_err()
                .contains("not an HTTP status")
        );
        assert!(ranges("expect = [700]").unwrap_err().contains("100-599"));
        assert!(ranges("expect = []").unwrap_err().contains("at least one"));
    }
}
