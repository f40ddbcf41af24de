//! `bench all`: every comparison of issue 7 in one run, so that machine noise hits ours and the
//! references alike — the machine's GEMM rate, SymNMF-Net vs PyTorch (time and memory),
//! GAN-UNET vs PyTorch (training step, inference), the classical SymNMF solvers vs their GEMM
//! floor, plain NMF vs its GEMM floor and scikit-learn. Each part prints its own table as it
//! runs; the end prints the one summary table (ours, the reference, the ratio, the target) and
//! writes it with every part's rows as Markdown and JSON.

use crate::torch::{last_json_line, python_with};
use anyhow::Result;
use nmfnet_datasets::io::atomic_write;
use serde::Serialize;
use serde_json::json;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// What `bench all` runs.
pub struct Plan {
    pub data_dir: Option<PathBuf>,
    pub out: PathBuf,
    pub quick: bool,
    /// Burn backends for SymNMF-Net (dense X) and GAN-UNET.
    pub backends: Vec<String>,
}

/// Issue 19's bound for the ndarray backend against PyTorch (meant for the `ndarray-blas`
/// build; a plain ndarray build is reported against the same bound).
const NDARRAY_TARGET: f64 = 2.0;

/// One line of the summary table. `ratio` = ours / reference (lower is better) for times and
/// memory; `target` is issue 19's bound on it.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub section: String,
    pub case: String,
    pub ours: String,
    pub value: f64,
    pub unit: String,
    pub reference: String,
    pub ref_value: Option<f64>,
    pub ratio: Option<f64>,
    pub target: Option<f64>,
}

impl Line {
    fn met(&self) -> Option<bool> {
        Some(self.ratio? <= self.target?)
    }
}

#[allow(clippy::too_many_arguments)]
fn line(
    section: &str,
    case: String,
    ours: &str,
    value: f64,
    unit: &str,
    reference: &str,
    ref_value: Option<f64>,
    ratio: Option<f64>,
    target: Option<f64>,
) -> Line {
    Line {
        section: section.into(),
        case,
        ours: ours.into(),
        value,
        unit: unit.into(),
        reference: reference.into(),
        ref_value,
        ratio,
        target,
    }
}

/// The summary lines and every part's rows, as `bench all` collects them.
#[derive(Default)]
struct Summary {
    lines: Vec<Line>,
    parts: serde_json::Map<String, serde_json::Value>,
}

impl Summary {
    /// Adds one part: its summary lines, and its rows under `key` in the JSON's `parts`.
    fn add(&mut self, key: &str, (lines, rows): (Vec<Line>, serde_json::Value)) {
        self.lines.extend(lines);
        self.parts.insert(key.into(), rows);
    }
}

/// numpy's milliseconds for X·U, X n×n, U n×r, in `dtype` (None without the reference or when
/// it fails).
fn numpy_gemm_ms(py: Option<&Path>, n: usize, r: usize, dtype: &str) -> Option<f64> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/gemm.py");
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let out = Command::new(py?)
        .arg(&script)
        .args([
            "--n",
            &n.to_string(),
            "--r",
            &r.to_string(),
            "--dtype",
            dtype,
        ])
        .args(["--threads", &threads.to_string()])
        .output()
        .ok()?;
    last_json_line(&out, "numpy gemm").ok()?["ms"].as_f64()
}

/// Our milliseconds for X·U at (n, r) — faer in f32 and f64, then each Burn CPU backend in
/// f32 — each with numpy's time in the same dtype.
fn our_gemm_ms(
    n: usize,
    r: usize,
    backends: &[String],
    np32: Option<f64>,
    np64: Option<f64>,
) -> Result<Vec<(String, f64, Option<f64>)>> {
    let mut ours: Vec<(String, f64, Option<f64>)> = vec![
        (
            "faer-f32".into(),
            crate::util::faer_gemm_seconds::<f32>(n, r, 7) * 1e3,
            np32,
        ),
        (
            "faer-f64".into(),
            crate::util::faer_gemm_seconds::<f64>(n, r, 7) * 1e3,
            np64,
        ),
    ];
    for b in backends.iter().filter(|b| *b != "wgpu") {
        let s = crate::util::backend_gemm_seconds(b, n, r, 7)?;
        ours.push((format!("{b}-f32"), s * 1e3, np32));
    }
    Ok(ours)
}

/// Prints one row of the GEMM table and returns its JSON row, with its summary line when the
/// row is ours (numpy's own rows have none).
fn gemm_row(
    n: usize,
    r: usize,
    name: &str,
    ms: f64,
    reference: Option<f64>,
) -> (Option<Line>, serde_json::Value) {
    let flop = 2.0 * (n * n * r) as f64;
    let ratio = reference.map(|t| ms / t);
    println!(
        "{n:>6} {r:>3} {name:>10} {ms:>9.2} {:>9.1} {:>7}",
        flop / ms / 1e6,
        ratio.map_or("—".into(), |x| format!("{x:.2}"))
    );
    let raw = json!({"n": n, "r": r, "impl": name, "ms": ms, "gflops": flop / ms / 1e6});
    if name.starts_with("numpy") {
        return (None, raw);
    }
    let refname = if name.ends_with("f64") {
        "numpy-f64"
    } else {
        "numpy-f32"
    };
    let l = line(
        "GEMM rate (GFLOP/s)",
        format!("X·U n={n} r={r}"),
        name,
        flop / ms / 1e6,
        "GFLOP/s",
        refname,
        reference.map(|t| flop / t / 1e6),
        ratio,
        None,
    );
    (Some(l), raw)
}

/// GEMM rates of X·U for the sizes that matter: ours (faer, used by the classical solvers, and
/// the Burn CPU backends) against numpy's BLAS in the same run.
fn gemm_part(
    sizes: &[(usize, usize)],
    backends: &[String],
) -> Result<(Vec<Line>, serde_json::Value)> {
    let py = python_with(&["numpy"]);
    if let Err(why) = &py {
        println!("numpy reference skipped: {why}. Our own rates follow.");
    }
    println!(
        "\n## GEMM rate: X·U, X n×n, U n×r, median of 7; ratio = our time / numpy's (same dtype)"
    );
    println!(
        "{:>6} {:>3} {:>10} {:>9} {:>9} {:>7}",
        "n", "r", "impl", "ms", "GFLOP/s", "ratio"
    );
    let (mut lines, mut raw) = (Vec::new(), Vec::new());
    for &(n, r) in sizes {
        let np32 = numpy_gemm_ms(py.as_deref().ok(), n, r, "float32");
        let np64 = numpy_gemm_ms(py.as_deref().ok(), n, r, "float64");
        let ours = our_gemm_ms(n, r, backends, np32, np64)?;
        let numpy = [("numpy-f32", np32), ("numpy-f64", np64)]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v, None)));
        for (name, ms, reference) in ours.into_iter().chain(numpy) {
            let (l, row) = gemm_row(n, r, &name, ms, reference);
            lines.extend(l);
            raw.push(row);
        }
    }
    Ok((lines, json!(raw)))
}

/// The data folder: `--data-dir`, else $NMFNET_DATA when it is a folder, else none (said so).
fn find_data_dir(plan: &Plan) -> Result<Option<PathBuf>> {
    let data_dir = match &plan.data_dir {
        Some(d) => Some(nmfnet_datasets::catalog::data_dir(Some(d))?),
        None => std::env::var_os("NMFNET_DATA")
            .map(PathBuf::from)
            .filter(|p| p.is_dir()),
    };
    if data_dir.is_none() {
        println!(
            "no data folder (--data-dir or $NMFNET_DATA): the solver parts use synthetic matrices"
        );
    }
    Ok(data_dir)
}

/// The epoch lines of one of our SymNMF-Net rows: against PyTorch with X stored alike (issue
/// 19's targets: dense ≤ 1.0×, sparse ≤ 0.6×), and dense rows also against PyTorch
/// restructured as nmfnet is (one product), without a target.
fn symnmf_epoch_lines(r: &crate::torch::Row) -> Vec<Line> {
    let case = format!("n={} r={}", r.n, r.rank);
    let sparse = r.impl_.ends_with("sparse");
    let (reference, target) = if sparse {
        ("pytorch sparse", 0.6)
    } else if r.impl_.starts_with("ndarray") {
        ("pytorch dense", NDARRAY_TARGET)
    } else {
        ("pytorch dense", 1.0)
    };
    let mut lines = vec![line(
        "SymNMF-Net epoch (ms)",
        case.clone(),
        &r.impl_,
        r.ms_per_epoch,
        "ms",
        reference,
        r.vs_torch.map(|v| r.ms_per_epoch / v),
        r.vs_torch,
        Some(target),
    )];
    if !sparse {
        lines.push(line(
            "SymNMF-Net epoch (ms)",
            case,
            &r.impl_,
            r.ms_per_epoch,
            "ms",
            "pytorch dense, one product",
            r.vs_torch_one_product.map(|v| r.ms_per_epoch / v),
            r.vs_torch_one_product,
            None,
        ));
    }
    lines
}

/// SymNMF-Net vs PyTorch: the epoch lines of each of our rows, then their peak memory lines.
fn symnmf_net_part(q: bool, backends: &[String]) -> Result<(Vec<Line>, serde_json::Value)> {
    let (sizes, ranks, blocks, epochs) = if q {
        (vec![300], vec![10], 3, 2)
    } else {
        (vec![1000, 3147, 9394], vec![10, 30], 10, 5)
    };
    let rows = crate::torch::compare(&sizes, &ranks, blocks, epochs, backends)?;
    let ours = || rows.iter().filter(|r| !r.impl_.starts_with("pytorch"));
    let mut lines: Vec<Line> = ours().flat_map(symnmf_epoch_lines).collect();
    for r in ours() {
        lines.push(line(
            "SymNMF-Net peak memory (MB)",
            format!("n={} r={}", r.n, r.rank),
            &r.impl_,
            r.peak_rss_mb,
            "MB",
            "X + parameters (f32)",
            Some(r.peak_rss_mb / r.memory_ratio),
            Some(r.memory_ratio),
            Some(2.0),
        ));
    }
    Ok((lines, serde_json::to_value(&rows)?))
}

/// The GAN-UNET lines: each of our rows' training step against PyTorch's at the same batch,
/// and its single-group inference in the rows of the first batch.
fn ganunet_lines(rows: &[crate::gan::Row], first_batch: usize) -> Vec<Line> {
    let mut lines = Vec::new();
    for r in rows.iter().filter(|r| r.impl_ != "pytorch") {
        let torch = rows
            .iter()
            .find(|t| t.impl_ == "pytorch" && t.batch == r.batch);
        lines.push(line(
            "GAN-UNET training step (ms)",
            format!("batch {} groups", r.batch),
            &r.impl_,
            r.ms_per_step,
            "ms",
            "pytorch",
            torch.map(|t| t.ms_per_step),
            r.step_vs_torch,
            Some(if r.impl_.starts_with("ndarray") {
                NDARRAY_TARGET
            } else {
                1.2
            }),
        ));
        if r.batch == first_batch {
            lines.push(line(
                "GAN-UNET inference, one group (ms)",
                "1 group of 40".into(),
                &r.impl_,
                r.ms_inference,
                "ms",
                "pytorch",
                torch.map(|t| t.ms_inference),
                r.inference_vs_torch,
                (!r.impl_.starts_with("ndarray")).then_some(1.0),
            ));
        }
    }
    lines
}

/// GAN-UNET vs PyTorch on the CPU backends (wgpu runs SymNMF-Net only).
fn ganunet_part(q: bool, backends: &[String]) -> Result<(Vec<Line>, serde_json::Value)> {
    let (batches, steps, sizes) = if q {
        (
            vec![1],
            2,
            crate::gan::Sizes {
                base: 8,
                disc_base: 8,
            },
        )
    } else {
        (
            vec![1, 4],
            5,
            crate::gan::Sizes {
                base: 64,
                disc_base: 64,
            },
        )
    };
    let gan_backends: Vec<String> = backends.iter().filter(|b| *b != "wgpu").cloned().collect();
    let rows = crate::gan::compare(&batches, steps, &gan_backends, sizes)?;
    let lines = ganunet_lines(&rows, batches[0]);
    Ok((lines, serde_json::to_value(&rows)?))
}

/// The classical SymNMF solvers vs their GEMM floor (MNIST₁ and TDT-2 with the data folder,
/// else the planted graph).
fn solvers_part(data_dir: Option<&Path>, q: bool) -> Result<(Vec<Line>, serde_json::Value)> {
    let datasets: Vec<String> = match (data_dir, q) {
        (Some(_), false) => vec!["mnist1".into(), "tdt2".into()],
        _ => vec!["planted".into()],
    };
    let methods = [
        "symhals",
        "scheme4",
        "symanls",
        "kuang-anls",
        "admm",
        "pgd",
        "symnewton",
    ]
    .iter()
    .map(|m| m.parse::<nmfnet_baselines::SymMethod>())
    .collect::<std::result::Result<Vec<_>, _>>()?;
    let storages = vec!["dense".to_string(), "sparse".to_string()];
    let rows = crate::solvers::run(
        data_dir,
        &datasets,
        &storages,
        &methods,
        if q { 3 } else { 20 },
        if q { 1 } else { 3 },
        crate::util::peak_rss_mb,
    )?;
    let (mut lines, mut raw) = (Vec::new(), Vec::new());
    for r in &rows {
        lines.push(line(
            "SymNMF solver iteration (ms)",
            format!("{} {} X", r.dataset, r.storage),
            r.method.name(),
            r.ms_per_iter,
            "ms",
            "GEMM floor (its X·V products)",
            Some(r.floor_ms),
            Some(r.ms_per_iter / r.floor_ms),
            Some(1.5),
        ));
        raw.push(json!({
            "dataset": r.dataset, "storage": r.storage, "method": r.method.name(),
            "iterations": r.iterations, "ms_per_iter": r.ms_per_iter,
            "products_per_iter": r.products_per_iter, "floor_ms": r.floor_ms,
            "peak_mb": r.peak_mb,
        }));
    }
    Ok((lines, json!(raw)))
}

/// Plain NMF vs its GEMM floor, scikit-learn and nmf-rs (MNIST with the data folder, unless
/// quick).
fn plain_nmf_part(data_dir: Option<&Path>, q: bool) -> Result<(Vec<Line>, serde_json::Value)> {
    let (cols, iters) = if q { (400, 5) } else { (10_000, 100) };
    let rows = crate::nmf::compare(data_dir.filter(|_| !q), cols, 10, iters)?;
    let mut lines = Vec::new();
    for r in rows.iter().filter(|r| r.impl_ == "ours") {
        lines.push(line(
            "plain NMF iteration (ms)",
            r.matrix.clone(),
            &r.method,
            r.ms_per_iter,
            "ms",
            "GEMM floor (Y·Wᵀ + Hᵀ·Y)",
            Some(r.floor_ms),
            Some(r.vs_floor),
            Some(1.5),
        ));
        // Every peer of the same update that ran: scikit-learn, nmf-rs (target ≤ 1.0× nmf-rs's
        // plain HALS, issue 39).
        for peer in rows.iter().filter(|s| {
            s.method == r.method
                && (s.impl_.starts_with("sklearn") || s.impl_.starts_with("nmf-rs"))
        }) {
            let target = (peer.impl_ == "nmf-rs-hals").then_some(1.0);
            lines.push(line(
                "plain NMF iteration (ms)",
                r.matrix.clone(),
                &r.method,
                r.ms_per_iter,
                "ms",
                &peer.impl_,
                Some(peer.ms_per_iter),
                Some(r.ms_per_iter / peer.ms_per_iter),
                target,
            ));
        }
    }
    Ok((lines, serde_json::to_value(&rows)?))
}

/// Plain NMF to a common error (`bench/python/equal_error.py`, issue 39's dense 5000 × 2000
/// case, median of 5): each of our settings against the fastest peer setting (nmf-rs `hals`,
/// `ehals`, scikit-learn `cd` in f64 and f32), target ≤ 1.0×. None (said why) without the
/// Python peers or nmfnet's Python package.
fn equal_error_part() -> Result<Option<(Vec<Line>, serde_json::Value)>> {
    let py = match python_with(&["numpy", "sklearn", "nmf_rs", "nmfnet"]) {
        Ok(p) => p,
        Err(why) => {
            println!("plain NMF to a common error skipped: {why}.");
            return Ok(None);
        }
    };
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/equal_error.py");
    println!("plain NMF to a common error (bench/python/equal_error.py --case dense)…");
    let out = Command::new(py)
        .arg(&script)
        .args(["--case", "dense", "--repeats", "5", "--json"])
        .output()?;
    let report = last_json_line(&out, "equal_error.py")?;
    let mut lines = Vec::new();
    for (case, tools) in report.as_object().into_iter().flatten() {
        let Some(tools) = tools.as_object() else {
            continue;
        };
        let seconds = |t: &serde_json::Value| t["seconds"].as_f64().unwrap_or(f64::NAN);
        let Some((peer, peer_s)) = tools
            .iter()
            .filter(|(name, _)| !name.starts_with("nmfnet"))
            .map(|(name, t)| (name.clone(), seconds(t)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
        else {
            continue;
        };
        for (name, t) in tools.iter().filter(|(name, _)| name.starts_with("nmfnet")) {
            let ours = seconds(t);
            println!(
                "  {name:18} {:4} iterations {ours:7.3} s  ({:.2}× {peer}, {peer_s:.3} s)",
                t["iterations"].as_u64().unwrap_or(0),
                ours / peer_s
            );
            lines.push(line(
                "plain NMF to a common error (s)",
                case.clone(),
                name,
                ours,
                "s",
                &peer,
                Some(peer_s),
                Some(ours / peer_s),
                Some(1.0),
            ));
        }
    }
    Ok(Some((lines, report)))
}

/// The summary line of one generator setting at equal error: its time per group against the
/// fastest solver setting that reaches its ε (target 0.2).
fn equal_error_line(e: &nmfnet_app::gan::front::EqualError) -> Line {
    let model = e.model.file_name().map_or_else(
        || e.model.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    let (reference, ref_ms) = match &e.solver {
        Some(r) => (
            format!(
                "{} from {} × {} it",
                nmfnet_app::gan::front::solver_label(r.method, r.form),
                r.init.name(),
                r.iterations
            ),
            Some(1e3 * r.seconds_per_group),
        ),
        None => ("no solver reaches its ε".into(), None),
    };
    let gen_ms = 1e3 * e.generator_seconds_per_group;
    line(
        "GAN-UNET at equal ε (ms/group)",
        format!("mnist ε {:.3}, {}", e.generator_error, e.mode.name()),
        &format!("{model} +{} rounds", e.refine),
        gen_ms,
        "ms",
        &reference,
        ref_ms,
        ref_ms.map(|t| gen_ms / t),
        Some(0.2),
    )
}

/// GAN-UNET at equal error on MNIST test groups; None (said so) without the data folder or a
/// trained model.
fn front_part(data_dir: Option<&Path>, q: bool) -> Result<Option<(Vec<Line>, serde_json::Value)>> {
    let models = crate::front::models(&[]);
    match data_dir {
        None => println!("GAN-UNET at equal error: skipped (no data folder)"),
        Some(_) if models.is_empty() => println!(
            "GAN-UNET at equal error: skipped (no trained model in {})",
            crate::front::DEFAULT_MODELS.join(", ")
        ),
        Some(dir) => {
            let s = crate::front::run(dir, models, if q { 4 } else { 25 }, q)?;
            let lines = s.equal_error.iter().map(equal_error_line).collect();
            return Ok(Some((lines, serde_json::to_value(&s)?)));
        }
    }
    Ok(None)
}

/// Prints the summary table and writes it as OUT/all.md, with every part's rows as OUT/all.json.
fn write_summary(plan: &Plan, summary: &Summary, secs: f64) -> Result<()> {
    let machine = crate::machine::describe();
    let md = markdown(&summary.lines, secs, plan.quick, &machine.markdown());
    println!("\n{md}");
    std::fs::create_dir_all(&plan.out)?;
    atomic_write(&plan.out.join("all.md"), md.as_bytes())?;
    let doc = json!({
        "seconds": secs,
        "quick": plan.quick,
        "threads": std::thread::available_parallelism().map_or(2, |n| n.get()),
        "machine": machine,
        "summary": summary.lines,
        "parts": summary.parts,
    });
    atomic_write(
        &plan.out.join("all.json"),
        // Compact: the GAN-UNET front rows carry every point of every solver setting.
        serde_json::to_string(&doc)?.as_bytes(),
    )?;
    println!(
        "wrote {} and {}",
        plan.out.join("all.md").display(),
        plan.out.join("all.json").display()
    );
    Ok(())
}

/// Runs every part, prints the summary table and writes it (OUT/all.md, OUT/all.json).
pub fn run(plan: &Plan) -> Result<Vec<Line>> {
    let started = Instant::now();
    let data_dir = find_data_dir(plan)?;
    let data_dir = data_dir.as_deref();
    let q = plan.quick;
    let mut summary = Summary::default();

    // 1. The machine's GEMM rate.
    let gemm_sizes: Vec<(usize, usize)> = if q {
        vec![(500, 10)]
    } else {
        vec![(3147, 10), (9394, 30)]
    };
    summary.add("gemm", gemm_part(&gemm_sizes, &plan.backends)?);

    // 2. SymNMF-Net vs PyTorch.
    println!();
    summary.add("symnmf_net", symnmf_net_part(q, &plan.backends)?);

    // 3. GAN-UNET vs PyTorch.
    println!();
    summary.add("ganunet", ganunet_part(q, &plan.backends)?);

    // 4. Classical SymNMF solvers vs their GEMM floor.
    println!();
    summary.add("symnmf_solvers", solvers_part(data_dir, q)?);

    // 5. Plain NMF vs its GEMM floor and scikit-learn.
    println!();
    summary.add("plain_nmf", plain_nmf_part(data_dir, q)?);

    // 5b. Plain NMF to a common error against nmf-rs and scikit-learn (full runs only: minutes).
    if !q {
        println!();
        if let Some(part) = equal_error_part()? {
            summary.add("plain_nmf_equal_error", part);
        }
    }

    // 6. GAN-UNET at equal error (MNIST test groups; needs the data and a trained model).
    println!();
    if let Some(part) = front_part(data_dir, q)? {
        summary.add("ganunet_front", part);
    }

    write_summary(plan, &summary, started.elapsed().as_secs_f64())?;
    Ok(summary.lines)
}

fn num(x: f64) -> String {
    if !x.is_finite() {
        "—".into()
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// The summary as one Markdown table.
pub fn markdown(lines: &[Line], secs: f64, quick: bool, machine: &str) -> String {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# nmfnet benchmarks (`cargo run --release -p bench -- all{}`)\n\n{machine}\n\n\
         {threads} threads, {:.0} s. ratio = ours / reference (lower is better); \
         the GEMM rows give rates, their ratio is our time over numpy's. \
         Targets (issue 19): SymNMF-Net epoch ≤ 1.0× PyTorch dense on a dense X, ≤ 0.6× PyTorch sparse on a sparse X; \
         GAN-UNET step ≤ 1.2× and inference ≤ 1.0× PyTorch; ndarray ≤ 2× (with BLAS); peak memory ≤ 2× (X + parameters).\n",
        if quick { " --quick" } else { "" },
        secs
    );
    let _ = writeln!(
        s,
        "| section | case | ours | value | reference | ref. value | ratio | target | met |\n|---|---|---|---:|---|---:|---:|---:|---|"
    );
    for l in lines {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            l.section,
            l.case,
            l.ours,
            num(l.value),
            l.reference,
            l.ref_value.map_or("—".into(), num),
            l.ratio.map_or("—".into(), |r| format!("{r:.2}")),
            l.target.map_or("—".into(), |t| format!("≤ {t}")),
            match l.met() {
                Some(true) => "yes",
                Some(false) => "no",
                None => "—",
            }
        );
    }
    s
}
