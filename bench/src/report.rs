//! The table the benchmark prints: one row per figure, with its target and whether it met it.
//!
//! It must not measure anything: it formats what the parts measured.

use std::time::Duration;

/// One measured figure.
#[derive(Debug)]
pub struct Row {
    /// What was measured.
    pub figure: String,
    /// How, in a few words.
    pub how: String,
    /// The result, formatted.
    pub result: String,
    /// The target, formatted; empty for reference figures.
    pub target: String,
    /// Whether the target was met; `None` for reference figures.
    pub met: Option<bool>,
}

impl Row {
    /// A reference figure (no target).
    pub fn reference(figure: &str, how: &str, result: String) -> Self {
        Self {
            figure: figure.into(),
            how: how.into(),
            result,
            target: String::new(),
            met: None,
        }
    }

    /// A figure with a target.
    pub fn target(figure: &str, how: &str, result: String, target: &str, met: bool) -> Self {
        Self {
            figure: figure.into(),
            how: how.into(),
            result,
            target: target.into(),
            met: Some(met),
        }
    }

    /// The row in Markdown.
    pub fn markdown(&self) -> String {
        let verdict = match self.met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "",
        };
        format!(
            "| {} | {} | {} | {} | {} |",
            self.figure, self.how, self.result, self.target, verdict
        )
    }
}

/// The table's header.
pub const HEADER: &str = "| figure | how | result | target | |\n|---|---|---|---|---|";

/// The `p`-th percentile (0–100) of `samples`, which it sorts.
pub fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort_unstable();
    let rank = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[rank.min(samples.len() - 1)]
}

/// Milliseconds with two decimals.
pub fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

/// A rate with thousands separators: `12,345/s`.
pub fn rate(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// `12,345`.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let mut samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&mut samples, 50.0), Duration::from_millis(51));
        assert_eq!(percentile(&mut samples, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&mut [], 99.0), Duration::ZERO);
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1000.0), "1,000");
    }
}
