//! The CLI's output layer: the only place that writes to stdout.

#![allow(clippy::print_stdout, reason = "the CLI's output layer")]

use serde::Serialize;

/// Prints a line of the command's result.
pub(super) fn line(text: impl std::fmt::Display) {
    println!("{text}");
}

/// Prints a value as pretty JSON.
pub(super) fn json(value: &impl Serialize) -> eyre::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Renders rows as an aligned text table.
pub(super) fn table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let render = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    line(render(headers.iter().map(|h| (*h).to_owned()).collect()));
    line(render(widths.iter().map(|w| "-".repeat(*w)).collect()));
    for row in rows {
        line(render(row.clone()));
    }
}

/// Formats wei as ETH with up to 6 decimals (display only; the stored figures are exact).
pub(super) fn eth(wei: &str) -> String {
    let Ok(v) = wei.parse::<alloy::primitives::I256>() else { return wei.to_owned() };
    alloy::primitives::utils::format_units(v, 18)
        .map(|s| {
            let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
            let frac: String = frac.chars().take(6).collect();
            format!("{int}.{frac:0<6}")
        })
        .unwrap_or_else(|_| wei.to_owned())
}
