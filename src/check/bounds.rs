//! `min`/`max` of `graphite` and `prometheus`: the keys, the bounds they make, and numbers
//! shown as far as it takes to tell a value from its bound.

use crate::keys::{Key, KeyError, Keys, Number};

pub const MIN: Key<Number> = Key::new("min");
pub const MAX: Key<Number> = Key::new("max");

/// Reads `min` and `max`, which must not cross.
pub fn read(keys: &mut Keys) -> Result<Bounds, KeyError> {
    let min = keys.take(&MIN)?.map(|n| n.0);
    let max = keys.take(&MAX)?.map(|n| n.0);
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        return Err(keys.error(
            MIN.name,
            format!(
                "`min` ({min}) is above `max` ({max}) in `{}`: no value could pass",
                keys.table
            ),
        ));
    }
    Ok(Bounds { min, max })
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Bounds {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Bounds {
    /// Why `value` is outside the bounds ("= 0 < min 1"), or `None` when it is inside.
    /// Both numbers are shown with as many digits as it takes to tell them apart, so that
    /// the words never contradict the verdict (`0.99994 < min 0.99995`, not `0.9999 < min 1`).
    pub fn violation(&self, value: f64) -> Option<String> {
        if value.is_nan() && (self.min.is_some() || self.max.is_some()) {
            return Some("= NaN, not a number".to_owned());
        }
        if let Some(min) = self.min
            && value < min
        {
            let shown = format_beside(value, |shown| shown < min);
            return Some(format!("= {shown} < min {}", format_exact(min)));
        }
        if let Some(max) = self.max
            && value > max
        {
            let shown = format_beside(value, |shown| shown > max);
            return Some(format!("= {shown} > max {}", format_exact(max)));
        }
        None
    }
}

impl Bounds {
    /// The first of `values` outside the bounds, in words ("db2 = 0 < min 1 (and 2 more
    /// samples)"), or `None` when all are inside. `nouns` names one value and several.
    pub fn first_outside<N: AsRef<str>>(
        &self,
        values: &[(N, f64)],
        nouns: (&str, &str),
    ) -> Option<String> {
        let mut outside = values.iter().filter_map(|(name, value)| {
            let why = self.violation(*value)?;
            Some(format!("{} {why}", crate::text::sanitize(name.as_ref())))
        });
        let first = outside.next()?;
        match outside.count() {
            0 => Some(first),
            1 => Some(format!("{first} (and 1 more {})", nouns.0)),
            more => Some(format!("{first} (and {more} more {})", nouns.1)),
        }
    }
}

/// A number as a person writes it: `0`, `12.5`, `0.0012`, `1e300`.
pub fn format_value(value: f64) -> String {
    format_digits(value, 4)
}

/// `value` with the fewest digits, from 4 on, whose written number still `holds` what the
/// comparison found (still below the min it is below), so the text never contradicts it.
fn format_beside(value: f64, holds: impl Fn(f64) -> bool) -> String {
    (4..=17)
        .map(|digits| format_digits(value, digits))
        .find(|text| text.parse().is_ok_and(&holds))
        .unwrap_or_else(|| format_exact(value))
}

/// A configured bound as written: every digit it has, in exponent form when huge or tiny.
fn format_exact(value: f64) -> String {
    if value.is_finite() && value != 0.0 && (value.abs() >= 1e15 || value.abs() < 1e-3) {
        format!("{value:e}")
    } else {
        value.to_string()
    }
}

/// `value` with `digits` decimals, less trailing zeros; in exponent form (`1.5e300`,
/// `2e-7`) when it is huge or tiny, so that no number runs to hundreds of digits.
fn format_digits(value: f64, digits: usize) -> String {
    let trim = |text: String| {
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            text
        }
    };
    if !value.is_finite() || value == 0.0 {
        return value.to_string();
    }
    if value.abs() >= 1e15 || value.abs() < 1e-3 {
        let text = format!("{value:.digits$e}");
        return match text.split_once('e') {
            Some((mantissa, exponent)) => format!("{}e{exponent}", trim(mantissa.to_owned())),
            None => text,
        };
    }
    trim(format!("{value:.digits$}"))
}

#[cfg(test)]
mod bounds_tests {
    use super::{Bounds, format_value};

    #[test]
    fn bounds_name_the_first_value_outside_and_count_the_rest() {
        let bounds = Bounds {
            min: Some(1.0),
            max: Some(10.0),
        };
        let values = [("a", 5.0), ("b", 0.0), ("c", 12.5), ("d", f64::NAN)];
        assert_eq!(
            bounds.first_outside(&values, SAMPLES).as_deref(),
            Some("b = 0 < min 1 (and 2 more samples)")
        );
        assert_eq!(bounds.first_outside(&values[..1], SAMPLES), None);
        assert_eq!(
            bounds.first_outside(&values[2..3], SAMPLES).as_deref(),
            Some("c = 12.5 > max 10")
        );
        assert_eq!(Bounds::default().first_outside(&values, SAMPLES), None);
        assert_eq!(format_value(0.000_25), "2.5e-4");
        assert_eq!(format_value(1.0 / 3.0), "0.3333");
        assert_eq!(
            bounds.first_outside(&values[1..3], SAMPLES).as_deref(),
            Some("b = 0 < min 1 (and 1 more sample)")
        );
    }

    const SAMPLES: (&str, &str) = ("sample", "samples");

    // SPEC §9: numbers never contradict the verdict; huge ones in exponent form.
    #[test]
    fn numbers_are_shown_as_far_as_it_takes_to_tell_them_apart() {
        let min = Bounds {
            min: Some(0.99995),
            max: None,
        };
        assert_eq!(
            min.violation(0.99994).as_deref(),
            Some("= 0.9999 < min 0.99995")
        );
        let max = |max| Bounds {
            min: None,
            max: Some(max),
        };
        assert_eq!(
            max(90.0).violation(90.000_001).as_deref(),
            Some("= 90.000001 > max 90")
        );
        assert_eq!(
            max(0.3).violation(0.1 + 0.2).as_deref(),
            Some("= 0.30000000000000004 > max 0.3")
        );
        assert_eq!(
            max(1e299).violation(1e300).as_deref(),
            Some("= 1e300 > max 1e299")
        );
        assert_eq!(format_value(1e300), "1e300");
        assert_eq!(format_value(-2.5e16), "-2.5e16");
    }
}
