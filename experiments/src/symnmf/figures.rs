//! The figures of the SymNMF-Net reproduction (Figs. 4.1–4.5), drawn from the histories of the
//! finished seed-0 cells.

use super::cells::{done, Cell, Side};
use super::paper;
use crate::plot::{line_plot, Series};
use serde_json::Value;
use std::path::Path;

/// Draws the figures for which cells exist; returns (file stem, caption).
pub fn figures(all: &[Cell], out: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let find = |d: &str, m: &str, tag: &str| {
        all.iter()
            .find(|c| {
                c.side == Side::Fair
                    && c.dataset == d
                    && c.method.name() == m
                    && c.tag == tag
                    && c.seed == 0
            })
            .filter(|c| done(c, out))
            .map(|c| c.dir(out))
    };
    let mut figs = Vec::new();
    let mut plot =
        |stem: &str, caption: &str, ylabel: &str, series: Vec<Series>| -> anyhow::Result<()> {
            let series: Vec<Series> = series
                .into_iter()
                .filter(|s| !s.points.is_empty())
                .collect();
            if series.is_empty() {
                return Ok(());
            }
            line_plot(
                &out.join(stem),
                caption,
                "iteration / epoch",
                ylabel,
                &series,
            )?;
            figs.push((stem.to_string(), caption.to_string()));
            Ok(())
        };
    for (d, label) in [("orl", "ORL"), ("coil20", "COIL-20")] {
        let series = paper::TRIO
            .iter()
            .filter_map(|m| {
                find(d, m, "").map(|dir| Series {
                    label: m.to_string(),
                    points: history_points(&dir, "rel_error"),
                })
            })
            .collect();
        plot(
            &format!("fig4_1_{d}"),
            &format!("Fig. 4.1 — relative error vs iteration, {label}, seed group 0"),
            "relative error",
            series,
        )?;
    }
    let mut lam = Vec::new();
    for l in ["0.01", "0.1", "1", "10"] {
        if let Some(dir) = find("coil20", "symnmf-net", &format!("lambda{l}")) {
            // A small fixed λ diverges (rel. error up to 1e12 here): clip at 2 so the others show.
            let points = history_points(&dir, "rel_error")
                .into_iter()
                .map(|(x, y)| (x, if y.is_finite() { y.min(2.0) } else { 2.0 }))
                .collect();
            lam.push(Series {
                label: format!("fixed λ = {l}"),
                points,
            });
        }
    }
    if let Some(dir) = find("coil20", "symnmf-net", "") {
        lam.push(Series {
            label: "learnable λ".into(),
            points: history_points(&dir, "rel_error"),
        });
    }
    plot(
        "fig4_2_coil20_lambda",
        "Fig. 4.2 — SymNMF-Net with fixed λ, COIL-20, seed group 0",
        "relative error (clipped at 2)",
        lam,
    )?;
    let mut sf = Vec::new();
    for (tag, label) in [
        ("", "γ = 0"),
        ("gamma0.001", "γ = 0.001"),
        ("gamma0.01", "γ = 0.01"),
    ] {
        if let Some(dir) = find("orl", "symnmf-net", tag) {
            sf.push(Series {
                label: label.into(),
                points: history_points(&dir, "sparse_factor"),
            });
        }
    }
    plot(
        "fig4_3_orl_sparse_factor",
        "Fig. 4.3 — sparse factor of U_K with the ℓ1 term, ORL, seed group 0",
        "sparse factor",
        sf,
    )?;
    for (d, n, label) in [("mnist1", "4_4", "MNIST₁"), ("mnist2", "4_5", "MNIST₂")] {
        for key in ["purity", "nmi"] {
            let series = paper::TRIO
                .iter()
                .filter_map(|m| {
                    find(d, m, "").map(|dir| Series {
                        label: m.to_string(),
                        points: history_points(&dir, key),
                    })
                })
                .collect();
            plot(
                &format!("fig{n}_{d}_{key}"),
                &format!(
                    "Fig. {} — {key} vs iteration, {label}, seed group 0",
                    n.replace('_', ".")
                ),
                key,
                series,
            )?;
        }
    }
    Ok(figs)
}

/// (iteration or epoch, `key`) of every line of a cell's solver history or metric log (of the
/// kept start, in `restarts/seed-S/` when SymNMF-Net made several).
fn history_points(dir: &Path, key: &str) -> Vec<(f64, f64)> {
    let kept = crate::files::read_json(&dir.join("summary.json"))
        .and_then(|s| s["seed"].as_u64())
        .map(|s| {
            dir.join("restarts")
                .join(format!("seed-{s}"))
                .join("metrics.jsonl")
        });
    let files = [
        (dir.join("history.jsonl"), "iter"),
        (dir.join("metrics.jsonl"), "step"),
    ];
    for (path, x) in files.into_iter().chain(kept.map(|p| (p, "step"))) {
        if let Ok(text) = std::fs::read_to_string(&path) {
            return text
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .filter_map(|v| Some((v[x].as_f64()?, v[key].as_f64()?)))
                .collect();
        }
    }
    Vec::new()
}
