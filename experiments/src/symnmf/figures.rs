//! The figures of the SymNMF-Net reproduction (Figs. 4.1–4.5), drawn from the histories of the
//! finished seed-0 cells.

use super::cells::{done, Cell, Side};
use super::paper;
use crate::plot::{line_plot, Series};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Draws the figures for which cells exist; returns (file stem, caption).
pub fn figures(all: &[Cell], out: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut figs = Figures {
        all,
        out,
        drawn: Vec::new(),
    };
    figs.relative_error()?;
    figs.fixed_lambda()?;
    figs.sparse_factor()?;
    figs.clustering_quality()?;
    Ok(figs.drawn)
}

/// The figures as they are drawn: the cells they read and what has been drawn so far.
struct Figures<'a> {
    all: &'a [Cell],
    out: &'a Path,
    /// (file stem, caption) of every figure drawn.
    drawn: Vec<(String, String)>,
}

impl Figures<'_> {
    /// The folder of the finished fair-protocol cell of `d`, `m` and `tag` from seed 0.
    fn find(&self, d: &str, m: &str, tag: &str) -> Option<PathBuf> {
        self.all
            .iter()
            .find(|c| {
                c.side == Side::Fair
                    && c.dataset == d
                    && c.method.name() == m
                    && c.tag == tag
                    && c.seed == 0
            })
            .filter(|c| done(c, self.out))
            .map(|c| c.dir(self.out))
    }

    /// Draws the series that have points as `stem` and lists it; nothing when none has.
    fn plot(
        &mut self,
        stem: &str,
        caption: &str,
        ylabel: &str,
        series: Vec<Series>,
    ) -> anyhow::Result<()> {
        let series: Vec<Series> = series
            .into_iter()
            .filter(|s| !s.points.is_empty())
            .collect();
        if series.is_empty() {
            return Ok(());
        }
        line_plot(
            &self.out.join(stem),
            caption,
            "iteration / epoch",
            ylabel,
            &series,
        )?;
        self.drawn.push((stem.to_string(), caption.to_string()));
        Ok(())
    }

    /// `key` of the paper's three methods on `d`, one series each that has a cell.
    fn trio(&self, d: &str, key: &str) -> Vec<Series> {
        paper::TRIO
            .iter()
            .filter_map(|m| {
                self.find(d, m, "").map(|dir| Series {
                    label: m.to_string(),
                    points: history_points(&dir, key),
                })
            })
            .collect()
    }

    /// Fig. 4.1: relative error against iteration on ORL and COIL-20.
    fn relative_error(&mut self) -> anyhow::Result<()> {
        for (d, label) in [("orl", "ORL"), ("coil20", "COIL-20")] {
            let series = self.trio(d, "rel_error");
            self.plot(
                &format!("fig4_1_{d}"),
                &format!("Fig. 4.1 — relative error vs iteration, {label}, seed group 0"),
                "relative error",
                series,
            )?;
        }
        Ok(())
    }

    /// Fig. 4.2: SymNMF-Net with fixed λ against the learnable one on COIL-20.
    fn fixed_lambda(&mut self) -> anyhow::Result<()> {
        let mut lam = Vec::new();
        for l in ["0.01", "0.1", "1", "10"] {
            if let Some(dir) = self.find("coil20", "symnmf-net", &format!("lambda{l}")) {
                // A small fixed λ diverges (rel. error up to 1e12 here): clip at 2 so the others
                // show.
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
        if let Some(dir) = self.find("coil20", "symnmf-net", "") {
            lam.push(Series {
                label: "learnable λ".into(),
                points: history_points(&dir, "rel_error"),
            });
        }
        self.plot(
            "fig4_2_coil20_lambda",
            "Fig. 4.2 — SymNMF-Net with fixed λ, COIL-20, seed group 0",
            "relative error (clipped at 2)",
            lam,
        )
    }

    /// Fig. 4.3: the sparse factor of U_K with the ℓ1 term on ORL.
    fn sparse_factor(&mut self) -> anyhow::Result<()> {
        let mut sf = Vec::new();
        for (tag, label) in [
            ("", "γ = 0"),
            ("gamma0.001", "γ = 0.001"),
            ("gamma0.01", "γ = 0.01"),
        ] {
            if let Some(dir) = self.find("orl", "symnmf-net", tag) {
                sf.push(Series {
                    label: label.into(),
                    points: history_points(&dir, "sparse_factor"),
                });
            }
        }
        self.plot(
            "fig4_3_orl_sparse_factor",
            "Fig. 4.3 — sparse factor of U_K with the ℓ1 term, ORL, seed group 0",
            "sparse factor",
            sf,
        )
    }

    /// Figs. 4.4 and 4.5: purity and NMI against iteration on MNIST₁ and MNIST₂.
    fn clustering_quality(&mut self) -> anyhow::Result<()> {
        for (d, n, label) in [("mnist1", "4_4", "MNIST₁"), ("mnist2", "4_5", "MNIST₂")] {
            for key in ["purity", "nmi"] {
                let series = self.trio(d, key);
                self.plot(
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
        Ok(())
    }
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
