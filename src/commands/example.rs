//! `cachet-check example`: a commented config that `validate` accepts.

pub const EXAMPLE: &str = include_str!("example.toml");

pub fn example() {
    use std::io::Write;
    let _ = std::io::stdout().write_all(EXAMPLE.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::EXAMPLE;

    #[test]
    fn the_example_config_is_valid() {
        let config = crate::config::parse("example.toml", EXAMPLE).unwrap();
        assert!(config.components.len() >= 2);
    }
}
