//! `results.md`, `results.json` and `times.md` of the SymNMF-Net reproduction: the fair and
//! the paper protocol side by side (mean ± sample std over seed groups, beside the paper's
//! values), paired Wilcoxon tests with verdicts, the targets, the figures and every cell's
//! command. Wall-clock times go to `times.md`/`times.json` only, so that `results.md`,
//! `results.json` and the figures are the same bytes on every run from scratch.

use super::cells::{done, Cell, Side, SymnmfOptions, FAIR_RESTARTS, NEWTON_MAX_ITER, PAPER_K};
use super::cells::{FAIR_DATASETS, PAPER_DATASETS};
use super::{figures, paper};
use crate::files::read_json;
use crate::text::fill;
use nmfnet_datasets::eval::stats::{verdict, wilcoxon_signed_rank, Wilcoxon};
use nmfnet_datasets::io::atomic_write;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use symnmf_burn::SymNmfTrainingConfig;

#[derive(Default, Clone, Copy, Serialize)]
struct Stat {
    mean: f64,
    std: f64,
    n: usize,
}

fn stat(v: &[f64]) -> Option<Stat> {
    if v.is_empty() {
        return None;
    }
    let n = v.len();
    let mean = v.iter().sum::<f64>() / n as f64;
    // Sample standard deviation (n − 1); 0 for one value.
    let std = if n > 1 {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    Some(Stat { mean, std, n })
}

/// Finished cells' summaries grouped by (protocol, data set, method), tag "" only.
type Groups = BTreeMap<(Side, String, String), Vec<Value>>;

fn fmt_stat(s: Option<Stat>, scale: f64, digits: usize) -> String {
    match s {
        Some(s) if s.n > 1 => format!("{:.d$} ± {:.d$}", s.mean * scale, s.std * scale, d = digits),
        Some(s) => format!("{:.d$}", s.mean * scale, d = digits),
        None => "—".into(),
    }
}

fn values(groups: &Groups, side: Side, d: &str, m: &str, key: &str) -> Vec<f64> {
    groups
        .get(&(side, d.to_string(), m.to_string()))
        .map(|v| v.iter().filter_map(|s| s[key].as_f64()).collect())
        .unwrap_or_default()
}

fn metric(groups: &Groups, side: Side, d: &str, m: &str, key: &str) -> Option<Stat> {
    stat(&values(groups, side, d, m, key))
}

/// The ACC of every single start of the cells (each cell lists its starts).
fn start_accs(groups: &Groups, side: Side, d: &str, m: &str) -> Vec<f64> {
    groups
        .get(&(side, d.to_string(), m.to_string()))
        .map(|cells| {
            cells
                .iter()
                .filter_map(|s| s["restarts"].as_array())
                .flatten()
                .filter_map(|r| r["acc"].as_f64())
                .collect()
        })
        .unwrap_or_default()
}

/// Net against `other` on data set `d`, paired by the cells' seeds: the Wilcoxon signed-rank
/// test of `key` and its verdict for the network at p < 0.05.
fn paired(
    groups: &Groups,
    side: Side,
    d: &str,
    other: &str,
    key: &str,
    larger_is_better: bool,
) -> Option<(Wilcoxon, &'static str)> {
    let by_seed = |m: &str| -> Option<BTreeMap<u64, f64>> {
        Some(
            groups
                .get(&(side, d.to_string(), m.to_string()))?
                .iter()
                .filter_map(|s| Some((s["cell_seed"].as_u64()?, s[key].as_f64()?)))
                .collect(),
        )
    };
    let (net, oth) = (by_seed("symnmf-net")?, by_seed(other)?);
    let (x, y): (Vec<f64>, Vec<f64>) = net
        .iter()
        .filter_map(|(seed, v)| Some((*v, *oth.get(seed)?)))
        .unzip();
    if x.is_empty() {
        return None;
    }
    let w = wilcoxon_signed_rank(&x, &y).ok()?;
    Some((w, verdict(&w, 0.05, larger_is_better)))
}

/// Every method of the tables, in the paper's order (its Table 2).
const METHODS: [&str; 6] = paper::TABLE2_METHODS;
/// The classical ones (all but the last, SymNMF-Net).
const CLASSICAL: [&str; 5] = [METHODS[0], METHODS[1], METHODS[2], METHODS[3], METHODS[4]];

fn name(m: &str) -> &'static str {
    match m {
        "symanls" => "SymANLS",
        "symhals" => "SymHALS",
        "admm" => "ADMM",
        "symnewton" => "SymNewton",
        "pgd" => "PGD",
        "symnmf-net" => "SymNMF-Net",
        _ => "?",
    }
}

fn dataset_label(d: &str) -> String {
    if d == "fashion1" {
        "fashion1 (held out)".into()
    } else {
        d.into()
    }
}

/// The paper's ACC % of `m` on `d` (Tables 2 and 4).
fn paper_acc(d: &str, m: &str) -> Option<f64> {
    if d == "tdt2" {
        let i = paper::TRIO.iter().position(|t| *t == m)?;
        return Some(paper::TABLE4[i].0);
    }
    let (_, row) = paper::TABLE2.iter().find(|(x, _)| *x == d)?;
    Some(row[paper::TABLE2_METHODS.iter().position(|t| *t == m)?])
}

/// Removes the wall-clock fields from a cell summary (they go to `times.json`).
fn without_times(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("seconds");
            map.remove("seconds_per_iteration");
            map.remove("input_seconds");
            for x in map.values_mut() {
                without_times(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(without_times),
        _ => {}
    }
}

struct Md(String);

impl Md {
    fn line(&mut self, s: &str) {
        self.0.push_str(s);
        self.0.push('\n');
    }
}

/// A methods × data sets table of `key` (scaled), with the paper's ACC beside ours when asked.
#[allow(clippy::too_many_arguments)] // the table's rows, columns and number format, one each
fn method_table(
    md: &mut Md,
    groups: &Groups,
    side: Side,
    datasets: &[&str],
    key: &str,
    scale: f64,
    digits: usize,
    with_paper_acc: bool,
) {
    let mut header = "| method |".to_string();
    let mut sep = "|---|".to_string();
    for d in datasets {
        header.push_str(&format!(" {} |", dataset_label(d)));
        sep.push_str("---|");
    }
    md.line(&header);
    md.line(&sep);
    for m in METHODS {
        if datasets
            .iter()
            .all(|d| !groups.contains_key(&(side, d.to_string(), m.to_string())))
        {
            continue;
        }
        let mut row = format!("| {} |", name(m));
        for d in datasets {
            let ours = fmt_stat(metric(groups, side, d, m, key), scale, digits);
            match (with_paper_acc, paper_acc(d, m)) {
                (true, Some(p)) if ours != "—" => row.push_str(&format!(" {ours} / {p:.2} |")),
                _ => row.push_str(&format!(" {ours} |")),
            }
        }
        md.line(&row);
    }
}

/// The Wilcoxon table of one protocol; returns its JSON rows.
fn wilcoxon_table(md: &mut Md, groups: &Groups, side: Side, datasets: &[&str]) -> Vec<Value> {
    md.line("| data set | against | n (pairs that differ) | ACC: W⁺, p → verdict | rel. error: W⁺, p → verdict |\n|---|---|---|---|---|");
    let mut tests = Vec::new();
    for d in datasets {
        for other in ["symanls", "symhals"] {
            let acc = paired(groups, side, d, other, "acc", true);
            let err = paired(groups, side, d, other, "rel_error", false);
            if acc.is_none() && err.is_none() {
                continue;
            }
            let cell = |t: &Option<(Wilcoxon, &str)>| match t {
                Some((w, v)) => format!(
                    "{:.1}, {:.4}{} → **{v}**",
                    w.w_plus,
                    w.p_value,
                    if w.exact { "" } else { " (normal approx.)" }
                ),
                None => "—".into(),
            };
            let n = acc.map(|(w, _)| w.n).unwrap_or(0);
            md.line(&format!(
                "| {} | {} | {n} | {} | {} |",
                dataset_label(d),
                name(other),
                cell(&acc),
                cell(&err)
            ));
            let js = |t: &Option<(Wilcoxon, &str)>| {
                t.map(|(w, v)| json!({"n": w.n, "w_plus": w.w_plus, "statistic": w.statistic, "p_value": w.p_value, "exact": w.exact, "verdict": v}))
            };
            tests.push(json!({"protocol": side.name(), "dataset": d, "against": other, "acc": js(&acc), "rel_error": js(&err)}));
        }
    }
    md.line("");
    tests
}

/// The finished cells of the reproduction, as every section of the report reads them.
struct Finished {
    /// Summaries (wall-clock fields removed) by protocol, data set and method.
    groups: Groups,
    /// Every finished cell's identity, command and summary (the commands list, `results.json`).
    rows: Vec<Value>,
    /// Cells of the plan without a finished run.
    missing: usize,
    /// (protocol, data set) → (cells' wall seconds, their fit seconds).
    seconds: BTreeMap<(String, String), (f64, f64)>,
}

impl Finished {
    /// Reads the summaries of the finished cells of `all` in `out`.
    fn read(all: &[Cell], out: &Path) -> Self {
        let mut f = Finished {
            groups: BTreeMap::new(),
            rows: Vec::new(),
            missing: 0,
            seconds: BTreeMap::new(),
        };
        for c in all {
            let dir = c.dir(out);
            let summary = if done(c, out) {
                read_json(&dir.join("summary.json"))
            } else {
                None
            };
            let Some(mut s) = summary else {
                f.missing += 1;
                continue;
            };
            let wall = read_json(&dir.join("wall.json"))
                .and_then(|w| w["seconds"].as_f64())
                .unwrap_or(0.0);
            let t = f
                .seconds
                .entry((c.side.name().to_string(), c.dataset.clone()))
                .or_default();
            t.0 += wall;
            t.1 += s["seconds"].as_f64().unwrap_or(0.0);
            without_times(&mut s);
            // The seed the cell's starts began from pairs the methods (fair: the group's).
            s["cell_seed"] = json!(c.seed);
            let command = c.command();
            f.rows
                .push(json!({"cell": c.identity(), "command": command, "summary": s}));
            // Tagged cells under "method#tag" (the tables ask for them by that name).
            let key = if c.tag.is_empty() {
                c.method.name().to_string()
            } else {
                format!("{}#{}", c.method.name(), c.tag)
            };
            f.groups
                .entry((c.side, c.dataset.clone(), key))
                .or_default()
                .push(s);
        }
        f
    }
}

/// What the sections add to `results.json` besides the cells.
#[derive(Default)]
struct Findings {
    /// The fair protocol's targets, per data set.
    targets: Vec<Value>,
    /// The order of the trio by relative error on COIL-20, per protocol.
    ranking: Vec<Value>,
    /// Every paired Wilcoxon test of both protocols.
    tests: Vec<Value>,
}

/// The two protocols, as the report's introduction describes them; the placeholders are
/// filled from the reproduction's settings by [`intro`].
const PROTOCOLS: &str = "Two protocols, side by side:\n\n* **fair** — SPEC §4's graph for every method; each seed group g of SymNMF-Net, SymANLS and SymHALS is {restarts} seeded starts (seeds {restarts}g … {restarts}g + {last_start}) of which the one with the lowest relative error is kept (labels never choose), the same seeds and so the same U₀ = 2·sqrt(mean(X)/r)·rand draws for every method (ADMM, PGD and SymNewton, in no paired test, run the group's first start only, to keep the time down); `nmfnet cluster`'s defaults: SymNMF-Net {reduction} reduction, β = {beta}, Adam lr {lr}, at most {epochs} epochs, stopping when the loss improves by less than {plateau_tol} over {plateau_patience} epochs (chosen without labels, see `bench/net_settings_orl.md` and `bench/plateau.md`); classical solvers tol 1e-4, ≤ 1000 iterations (SymNewton ≤ {newton_max_iter}). `fashion1` (300 Fashion-MNIST test images per class) is held out: no setting was chosen on it.\n* **paper** — as near the paper as it can be rebuilt: the kNN graph with each point its own neighbour (`--graph knn-self:{paper_k}`, which reaches Table 1's relative errors), SymANLS and SymHALS as Zhu et al.'s demo runs them (`--protocol zhu`: U₀ = rand unscaled, λ = 0.66, exactly 500 iterations), SymNMF-Net with the paper's literal settings (`--preset paper`: mean reduction, β = 5e-6, Adam lr 0.5, and 0.3 on TDT-2 as the paper gives for text, 100 epochs), one start per seed.\n";

/// The title, where the numbers come from, and the two protocols with `net`'s settings.
fn intro(md: &mut Md, opts: &SymnmfOptions, cells: &Finished, net: &SymNmfTrainingConfig) {
    md.line("# SymNMF-Net reproduction\n");
    md.line(&format!(
        "Generated by `nmfnet reproduce symnmf{}{}` from {} finished cells{}. Mean ± sample std over seed groups; every cell's command is listed at the end and in `results.json`; the wall-clock time per data set is in [times.md](times.md) (kept out of this file, which is the same on every run from scratch). Paper: the SymNMF-Net paper's Tables 1–4.\n",
        if opts.quick { " --quick" } else { "" },
        if opts.seeds != 10 && !opts.quick { format!(" --seeds {}", opts.seeds) } else { String::new() },
        cells.rows.len(),
        if cells.missing > 0 { format!(" ({} cells not run yet: their entries are —)", cells.missing) } else { String::new() }
    ));
    let reduction = match net.model.reduction {
        symnmf_burn::Reduction::Sum => "sum",
        symnmf_burn::Reduction::Mean => "mean",
    };
    md.line(&fill(
        PROTOCOLS,
        &[
            ("restarts", FAIR_RESTARTS.to_string()),
            ("last_start", (FAIR_RESTARTS - 1).to_string()),
            ("reduction", reduction.to_string()),
            ("beta", net.model.beta.to_string()),
            ("lr", net.lr.to_string()),
            ("epochs", net.epochs.to_string()),
            ("plateau_tol", format!("{:e}", net.plateau_tol)),
            ("plateau_patience", net.plateau_patience.to_string()),
            ("newton_max_iter", NEWTON_MAX_ITER.to_string()),
            ("paper_k", PAPER_K.to_string()),
        ],
    ));
}

/// The fair protocol's section: ACC, relative error and NMI of the kept start, the targets,
/// and the paired tests by seed group.
fn fair_section(md: &mut Md, groups: &Groups, found: &mut Findings) {
    let sets = &FAIR_DATASETS;
    md.line("## Fair protocol\n");
    md.line("### ACC % of the kept start (ours / the paper's Tables 2 and 4)\n");
    method_table(md, groups, Side::Fair, sets, "acc", 100.0, 2, true);
    md.line("\n### Relative error ‖X − UUᵀ‖²/‖X‖² of the kept start\n");
    method_table(md, groups, Side::Fair, sets, "rel_error", 1.0, 4, false);
    md.line("\n### NMI of the kept start\n");
    method_table(md, groups, Side::Fair, sets, "nmi", 1.0, 3, false);
    md.line("\n### Targets: spread over seed groups, and SymNMF-Net against the best classical method\n");
    md.line("Spread = sample std of the kept start's ACC over the seed groups (target ≤ 2 points); in brackets the std of single starts (every start of every group), i.e. without restarts. Net − best = SymNMF-Net's mean ACC minus the best classical method's (target ≥ −1 point).\n");
    md.line("| data set | SymANLS | SymHALS | SymNMF-Net | largest spread, any method | Net − best classical (best) |\n|---|---|---|---|---|---|");
    for d in sets {
        found.targets.extend(target_row(md, groups, d));
    }
    md.line("\n### Paired by seed group: two-sided Wilcoxon signed-rank test, SymNMF-Net against each\n");
    md.line("Verdict for SymNMF-Net at p < 0.05 (better / tie / worse); W⁺ is the rank sum of the groups where the network is the larger; exact p for n ≤ 25 without ties.\n");
    found
        .tests
        .extend(wilcoxon_table(md, groups, Side::Fair, sets));
}

/// The targets' row of data set `d` in the fair protocol (spread over seed groups, SymNMF-Net
/// against the best classical method) and its JSON; None when neither has a result.
fn target_row(md: &mut Md, groups: &Groups, d: &str) -> Option<Value> {
    let spread = |m: &str| metric(groups, Side::Fair, d, m, "acc").map(|s| s.std * 100.0);
    let single = |m: &str| stat(&start_accs(groups, Side::Fair, d, m)).map(|s| s.std * 100.0);
    let show = |m: &str| match (spread(m), single(m)) {
        (Some(a), Some(b)) => format!("{a:.2} ({b:.2})"),
        (Some(a), None) => format!("{a:.2}"),
        _ => "—".into(),
    };
    let largest = METHODS
        .iter()
        .filter_map(|m| spread(m).map(|s| (s, *m)))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let best = CLASSICAL
        .iter()
        .filter_map(|m| metric(groups, Side::Fair, d, m, "acc").map(|s| (s.mean, *m)))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let net_acc = metric(groups, Side::Fair, d, "symnmf-net", "acc").map(|s| s.mean);
    if net_acc.is_none() && best.is_none() {
        return None;
    }
    let gap = match (net_acc, best) {
        (Some(n), Some((b, _))) => Some((n - b) * 100.0),
        _ => None,
    };
    md.line(&format!(
        "| {} | {} | {} | {} | {} | {} |",
        dataset_label(d),
        show("symanls"),
        show("symhals"),
        show("symnmf-net"),
        largest
            .map(|(s, m)| format!("{s:.2} ({}){}", name(m), if s <= 2.0 { "" } else { " ✗" }))
            .unwrap_or_else(|| "—".into()),
        match (gap, best) {
            (Some(g), Some((_, m))) =>
                format!("{g:+.2} ({}){}", name(m), if g >= -1.0 { "" } else { " ✗" }),
            _ => "—".into(),
        }
    ));
    Some(
        json!({"dataset": d, "largest_spread": largest.map(|(s, m)| json!({"std_points": s, "method": m})), "net_minus_best": gap, "best_classical": best.map(|(_, m)| m)}),
    )
}

/// The paper protocol's section: relative error against Table 1, ACC, NMI and purity against
/// Tables 2–4, the ranking on COIL-20, and the paired tests by seed.
fn paper_section(md: &mut Md, groups: &Groups, found: &mut Findings) {
    let sets = &PAPER_DATASETS;
    md.line("## Paper protocol\n");
    paper_error_table(md, groups, sets);
    md.line("\n### ACC % (ours / the paper's Tables 2 and 4)\n");
    method_table(md, groups, Side::Paper, sets, "acc", 100.0, 2, true);
    let mut row = "| SymNMF-Net (defaults) |".to_string();
    for d in sets {
        let s = metric(groups, Side::Paper, d, "symnmf-net#defaults", "acc");
        row.push_str(&format!(" {} |", fmt_stat(s, 100.0, 2)));
    }
    md.line(&row);
    nmi_purity_table(md, groups);
    md.line("\n### The ranking by relative error on COIL-20 (the paper: SymNMF-Net, SymANLS, SymHALS last)\n");
    found.ranking = coil20_ranking(md, groups);
    md.line("\n### Paired by seed: two-sided Wilcoxon signed-rank test, SymNMF-Net against each\n");
    found
        .tests
        .extend(wilcoxon_table(md, groups, Side::Paper, sets));
}

/// The paper protocol's relative errors beside Table 1's, with SymNMF-Net at its default
/// settings on the same graph.
fn paper_error_table(md: &mut Md, groups: &Groups, sets: &[&str]) {
    md.line("### Relative error (ours / the paper's Table 1 where it gives one)\n");
    md.line("SymNMF-Net (defaults): the same graph, the network with `nmfnet cluster`'s default settings instead of the paper's literal ones (ORL and COIL-20 only), against the paper's SymNMF-Net.\n");
    md.line("| data set | SymANLS | SymHALS | SymNMF-Net | SymNMF-Net (defaults) |\n|---|---|---|---|---|");
    for d in sets {
        let p = paper::TABLE1.iter().find(|(x, _)| x == d).map(|(_, v)| *v);
        let mut row = format!("| {d} |");
        for (i, m) in paper::TRIO
            .iter()
            .chain(&["symnmf-net#defaults"])
            .enumerate()
        {
            let ours = fmt_stat(metric(groups, Side::Paper, d, m, "rel_error"), 1.0, 4);
            match p {
                Some(p) if ours != "—" => {
                    row.push_str(&format!(" {ours} / {:.4} |", p[i.min(2)]))
                }
                _ => row.push_str(&format!(" {ours} |")),
            }
        }
        md.line(&row);
    }
}

/// The paper protocol's NMI and purity of the trio beside Tables 3 and 4.
fn nmi_purity_table(md: &mut Md, groups: &Groups) {
    md.line("\n### NMI / purity (ours / the paper's Tables 3 and 4)\n");
    md.line("| data set | method | NMI | purity |\n|---|---|---|---|");
    for d in ["orl", "coil20", "tdt2"] {
        for (i, m) in paper::TRIO.iter().enumerate() {
            let p = if d == "tdt2" {
                Some((paper::TABLE4[i].1, paper::TABLE4[i].2))
            } else {
                paper::TABLE3
                    .iter()
                    .find(|(x, _)| *x == d)
                    .map(|(_, v)| v[i])
            };
            let (pn, pp) = p.expect("the paper gives both");
            md.line(&format!(
                "| {d} | {} | {} / {pn:.3} | {} / {pp:.3} |",
                name(m),
                fmt_stat(metric(groups, Side::Paper, d, m, "nmi"), 1.0, 3),
                fmt_stat(metric(groups, Side::Paper, d, m, "purity"), 1.0, 3)
            ));
        }
    }
}

/// The trio ordered by mean relative error on COIL-20, one line per protocol that has all
/// three; returns the orders.
fn coil20_ranking(md: &mut Md, groups: &Groups) -> Vec<Value> {
    let mut ranking = Vec::new();
    for side in [Side::Paper, Side::Fair] {
        let mut r: Vec<(f64, &str)> = paper::TRIO
            .iter()
            .filter_map(|m| metric(groups, side, "coil20", m, "rel_error").map(|s| (s.mean, *m)))
            .collect();
        r.sort_by(|a, b| a.0.total_cmp(&b.0));
        if r.len() == 3 {
            md.line(&format!(
                "* {} protocol: {}",
                side.name(),
                r.iter()
                    .map(|(e, m)| format!("{} {e:.4}", name(m)))
                    .collect::<Vec<_>>()
                    .join(" < ")
            ));
            ranking.push(json!({"protocol": side.name(), "order": r.iter().map(|(_, m)| *m).collect::<Vec<_>>()}));
        }
    }
    ranking
}

/// The figures' links and every cell's command.
fn figures_and_commands(md: &mut Md, figs: &[(String, String)], rows: &[Value]) {
    md.line("## Figures (fair protocol, seed group 0, the kept start)\n");
    for (file, caption) in figs {
        md.line(&format!("* [{caption}]({file}.png) ([SVG]({file}.svg))"));
    }
    md.line("\n## Commands\n\nEvery cell wrote its job, every setting resolved, as `job.json` in its folder; from this folder, `nmfnet cluster --job cells/…/job.json --out DIR` runs it again into DIR with the same numbers.\n\n<details><summary>every cell</summary>\n");
    for r in rows {
        md.line(&format!("* `{}`", r["command"].as_str().unwrap_or("")));
    }
    md.line("\n</details>");
}

/// Writes `results.json`: the settings, every finished cell, and what the sections found.
fn write_results_json(
    out: &Path,
    net: &SymNmfTrainingConfig,
    cells: &Finished,
    found: &Findings,
    figs: &[(String, String)],
) -> anyhow::Result<()> {
    let json = json!({
        "net_settings": serde_json::to_value(net)?,
        "fair_restarts": FAIR_RESTARTS,
        "paper_graph": format!("knn-self:{PAPER_K}"),
        "cells": &cells.rows,
        "missing_cells": cells.missing,
        "targets": &found.targets,
        "coil20_ranking": &found.ranking,
        "wilcoxon": &found.tests,
        "figures": figs.iter().map(|(f, c)| json!({"file": f, "caption": c})).collect::<Vec<_>>(),
    });
    atomic_write(
        &out.join("results.json"),
        serde_json::to_string_pretty(&json)?.as_bytes(),
    )?;
    Ok(())
}

/// Writes `times.md` and `times.json` (the wall-clock time per protocol and data set, apart
/// from the results); returns the Markdown.
fn write_times(out: &Path, seconds: &BTreeMap<(String, String), (f64, f64)>) -> anyhow::Result<Md> {
    let mut tmd = Md(String::new());
    tmd.line("# SymNMF-Net reproduction: time per data set\n");
    tmd.line("Wall-clock seconds of the finished cells (loading the data, building the graph, every start), and the part spent fitting, on the machine that ran them; a cell finished by an earlier invocation counts its own time.\n");
    tmd.line("| protocol | data set | cells' wall seconds | fitting seconds |\n|---|---|---|---|");
    let mut total = 0.0;
    let mut times = Vec::new();
    for ((side, d), (wall, fit)) in seconds {
        total += wall;
        tmd.line(&format!("| {side} | {d} | {wall:.0} | {fit:.0} |"));
        times.push(
            json!({"protocol": side, "dataset": d, "wall_seconds": wall, "fit_seconds": fit}),
        );
    }
    tmd.line(&format!(
        "\nIn all: {total:.0} s ({:.1} min).",
        total / 60.0
    ));
    atomic_write(&out.join("times.md"), tmd.0.as_bytes())?;
    atomic_write(
        &out.join("times.json"),
        serde_json::to_string_pretty(&json!({"per_dataset": times, "total_wall_seconds": total}))?
            .as_bytes(),
    )?;
    Ok(tmd)
}

/// Writes `results.md`, `results.json`, `times.md` and `times.json` (with the figures) from
/// the finished cells of `all`, and prints the tables.
pub fn report(all: &[Cell], out: &Path, opts: &SymnmfOptions) -> anyhow::Result<()> {
    let cells = Finished::read(all, out);
    let net = SymNmfTrainingConfig::default();
    let mut found = Findings::default();
    let mut md = Md(String::new());
    intro(&mut md, opts, &cells, &net);
    fair_section(&mut md, &cells.groups, &mut found);
    paper_section(&mut md, &cells.groups, &mut found);
    let figs = figures::figures(all, out)?;
    figures_and_commands(&mut md, &figs, &cells.rows);
    atomic_write(&out.join("results.md"), md.0.as_bytes())?;
    write_results_json(out, &net, &cells, &found, &figs)?;
    let tmd = write_times(out, &cells.seconds)?;
    println!(
        "{}",
        md.0.lines()
            .take_while(|l| !l.starts_with("## Figures"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    println!("{}", tmd.0.lines().last().unwrap_or(""));
    println!("written to {}", out.join("results.md").display());
    Ok(())
}
