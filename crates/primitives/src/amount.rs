//! Amounts as people write them ("1.5 ETH", "250 DAI", "0.01") and back.

use alloy_primitives::U256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("'{0}' is not a number")]
    NotANumber(String),
    #[error("'{input}' has more than {decimals} decimal places")]
    TooPrecise { input: String, decimals: u8 },
    #[error("'{0}' is too large")]
    TooLarge(String),
}

/// Splits "1.5 ETH" into ("1.5", Some("ETH")).
pub fn split_unit(input: &str) -> (&str, Option<&str>) {
    let input = input.trim();
    match input.split_once(char::is_whitespace) {
        Some((number, unit)) => (number.trim(), Some(unit.trim())),
        None => (input, None),
    }
}

/// Parses a decimal number into base units with `decimals` places, exactly (no floats).
pub fn parse_units(number: &str, decimals: u8) -> Result<U256, AmountError> {
    let number = number.trim().replace('_', "");
    let (whole, fraction) = number.split_once('.').unwrap_or((&number, ""));
    let digits_ok = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits_ok(whole) || !digits_ok(fraction) {
        return Err(AmountError::NotANumber(number.to_string()));
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > decimals as usize {
        return Err(AmountError::TooPrecise {
            input: number.to_string(),
            decimals,
        });
    }
    let padded = format!("{whole}{fraction:0<width$}", width = decimals as usize);
    let padded = padded.trim_start_matches('0');
    if padded.is_empty() {
        return Ok(U256::ZERO);
    }
    U256::from_str_radix(padded, 10).map_err(|_| AmountError::TooLarge(number.to_string()))
}

/// Formats base units as a decimal with trailing zeros removed ("1.5", "250", "0.000001").
pub fn format_units(value: U256, decimals: u8) -> String {
    let digits = value.to_string();
    let decimals = decimals as usize;
    if decimals == 0 {
        return digits;
    }
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_human_amounts() {
        assert_eq!(
            parse_units("1.5", 18),
            Ok(U256::from(1_500_000_000_000_000_000u128))
        );
        assert_eq!(parse_units("250", 6), Ok(U256::from(250_000_000u64)));
        assert_eq!(parse_units(".5", 1), Ok(U256::from(5)));
        assert_eq!(parse_units("0", 18), Ok(U256::ZERO));
        assert!(matches!(
            parse_units("1.23", 1),
            Err(AmountError::TooPrecise { .. })
        ));
        assert!(matches!(
            parse_units("abc", 18),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            parse_units("-1", 18),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            parse_units(".", 18),
            Err(AmountError::NotANumber(_))
        ));
        assert_eq!(split_unit(" 1.5  ETH "), ("1.5", Some("ETH")));
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(v in any::<u128>(), decimals in 0u8..30) {
            let v = U256::from(v);
            prop_assert_eq!(parse_units(&format_units(v, decimals), decimals), Ok(v));
        }
    }
}
