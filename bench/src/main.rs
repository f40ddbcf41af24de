//! nmfnet benchmarks. Timings are printed with ratios against a baseline measured in the same
//! run, never asserted in tests.
//!
//! ```text
//! cargo run --release -p bench -- gemm            # n×n · n×r products per CPU backend
//! cargo run --release -p bench -- epoch           # one SymNMF-Net epoch per backend
//! cargo run --release -p bench -- data --data-dir ../shared/data   # load + graph times
//! cargo run --release -p bench -- solvers --data-dir ../shared/data  # classical solvers vs GEMM floor
//! cargo run --release -p bench -- torch           # SymNMF-Net epoch vs the same in PyTorch
//! cargo run --release -p bench -- gan             # GAN-UNET step and inference vs PyTorch
//! cargo run --release -p bench -- nmf             # plain NMF vs GEMM floor and scikit-learn
//! cargo run --release -p bench -- all --data-dir ../shared/data   # all of it, one table
//! ```
//!
//! The Python references (numpy, scikit-learn, PyTorch) come from `bench/python/setup.sh`
//! (a local virtual environment, `bench/.venv`); without them each part says so and prints
//! our own numbers.

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use nmfnet_datasets::catalog::synthetic::{planted_graph, PlantedConfig};

mod all;
mod front;
mod gan;
mod generator;
mod graphs;
mod machine;
mod nmf;
mod solvers;
mod timing;
mod torch;
mod util;
use symnmf_burn::{SymNmfNetConfig, SymNmfTrainingConfig};
use util::{backend_gemm_seconds, choice, faer_gemm_seconds, median, peak_rss_mb};

#[derive(Parser)]
#[command(about = "nmfnet benchmarks (ratios against a baseline measured in the same run)")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Time to load each clustering data set (checksums included) and to build its graph, with
    /// the peak resident memory of the process so far.
    Data(DataArgs),
    /// Neighbour lists of a data set's features: the exact blocked search (the baseline) against
    /// the approximate HNSW search at each `ef`: time, the ratio, recall@k of the graph's k.
    Knn(KnnArgs),
    /// GEMM rate (GFLOP/s) of the products that dominate SymNMF, per backend; baseline ndarray.
    Gemm(GemmArgs),
    /// Per-iteration time of each classical SymNMF solver next to the time of the X·V
    /// products it performs (the "GEMM floor"), with the peak memory of each run.
    Solvers(SolversArgs),
    /// SymNMF-Net training next to the same network in PyTorch (bench/python/symnmf_net.py):
    /// time per epoch, peak memory, the loss after the same epochs; each run in its own process.
    Torch(TorchArgs),
    /// Every comparison in one run (GEMM rate, SymNMF-Net and GAN-UNET vs PyTorch, solvers vs
    /// GEMM floor, plain NMF vs scikit-learn); prints one summary table and writes it as
    /// Markdown and JSON (OUT/all.md, OUT/all.json).
    All(AllArgs),
    /// GAN-UNET training step (batch of groups) and single-group inference vs the same layers
    /// in PyTorch (bench/python/ganunet.py).
    Gan(GanArgs),
    /// Where a GAN-UNET generator's forward pass spends its time: each stage timed (device
    /// synchronised between stages) beside its arithmetic, per width, with and without the NNLS
    /// layer, one group or a batch per call.
    Generator(GeneratorArgs),
    /// GAN-UNET at equal error: the solvers' time–error fronts and trained generators on the
    /// same MNIST test groups in one run (generator time / fastest solver time reaching its ε).
    Front(FrontArgs),
    /// Plain NMF (MU, HALS, ANLS) per iteration vs its GEMM floor and scikit-learn's NMF.
    Nmf(NmfArgs),
    /// One configuration of `torch` (internal: run by `torch` in a child process).
    #[command(hide = true)]
    TorchWorker(TorchWorkerArgs),
    /// One sparse product X·U (planted kNN graph of n points) per backend: the backend's own
    /// (on the device for wgpu) against the round trip through the host; ratio = own / host.
    Spmm(SpmmArgs),
    /// Time of one SymNMF-Net training epoch (forward, loss, backward, Adam), per backend;
    /// baseline ndarray. Planted clusters, graph of SPEC §4.
    Epoch(EpochArgs),
}

/// The options of `bench data`.
#[derive(Args)]
struct DataArgs {
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    #[arg(long, value_delimiter = ',', default_values = ["orl", "coil20", "mnist1", "mnist2", "tdt2"])]
    datasets: Vec<String>,
}

/// The options of `bench knn`.
#[derive(Args)]
struct KnnArgs {
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    #[arg(long, default_value = "mnist-full")]
    dataset: String,
    #[arg(long, value_delimiter = ',', default_values_t = vec![16, 32, 64, 128])]
    ef: Vec<usize>,
    /// Principal axes the graphs navigate by (0: the features themselves).
    #[arg(long, value_delimiter = ',', default_values_t = vec![0, 64])]
    dims: Vec<usize>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// The options of `bench gemm`.
#[derive(Args)]
struct GemmArgs {
    /// Sizes n of the n×n · n×r product.
    #[arg(long, value_delimiter = ',', default_values_t = vec![2000, 3000])]
    n: Vec<usize>,
    #[arg(long, default_value_t = 30)]
    rank: usize,
    /// Burn backends (ndarray, flex, wgpu; default: the CPU ones compiled in) and faer
    /// (faer-f32, faer-f64, used by the
    /// classical solvers).
    #[arg(long, value_delimiter = ',')]
    backends: Option<Vec<String>>,
    #[arg(long, default_value_t = 10)]
    reps: usize,
}

/// The options of `bench solvers`.
#[derive(Args)]
struct SolversArgs {
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    #[arg(long, value_delimiter = ',', default_values = ["mnist1", "tdt2"])]
    datasets: Vec<String>,
    /// dense and/or sparse storage of X.
    #[arg(long, value_delimiter = ',', default_values = ["dense", "sparse"])]
    storage: Vec<String>,
    #[arg(long, value_delimiter = ',', default_values = ["symhals", "scheme4", "symanls", "kuang-anls", "admm", "pgd", "symnewton"])]
    methods: Vec<String>,
    /// Iterations timed per method.
    #[arg(long, default_value_t = 20)]
    iters: usize,
    /// Iterations for SymNewton (its n×n Hessian blocks make an iteration costly).
    #[arg(long, default_value_t = 3)]
    newton_iters: usize,
    /// Also write the table as JSON here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

/// The options of `bench torch`.
#[derive(Args)]
struct TorchArgs {
    #[arg(long, value_delimiter = ',', default_values_t = vec![1000, 3147, 9394])]
    n: Vec<usize>,
    #[arg(long, value_delimiter = ',', default_values_t = vec![10, 30])]
    rank: Vec<usize>,
    #[arg(long, default_value_t = 10)]
    blocks: usize,
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    /// Our backends on the dense X (default: the CPU ones compiled in; flex on the sparse X
    /// is always added).
    #[arg(long, value_delimiter = ',')]
    backends: Option<Vec<String>>,
    /// Also write the table as JSON here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

/// The options of `bench all`.
#[derive(Args)]
struct AllArgs {
    /// The papers' data (MNIST₁ and TDT-2 for the solvers, MNIST for plain NMF); without it
    /// ($NMFNET_DATA is tried too) synthetic matrices of similar size are used.
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    #[arg(long, default_value = "results/bench")]
    out: std::path::PathBuf,
    /// Burn backends (default: the CPU ones compiled in; wgpu, when listed, runs
    /// SymNMF-Net only).
    #[arg(long, value_delimiter = ',')]
    backends: Option<Vec<String>>,
    /// Tiny sizes: checks that every part runs (seconds), numbers meaningless.
    #[arg(long)]
    quick: bool,
    /// Install the Python references first when they are missing (runs
    /// bench/python/setup.sh: a local virtual environment bench/.venv, about 3 GB with
    /// PyTorch's CUDA libraries).
    #[arg(long)]
    setup: bool,
}

/// The options of `bench gan`.
#[derive(Args)]
struct GanArgs {
    #[arg(long, value_delimiter = ',', default_values_t = vec![1, 4])]
    batch: Vec<usize>,
    #[arg(long, default_value_t = 5)]
    steps: usize,
    /// Burn backends (default: the CPU ones compiled in).
    #[arg(long, value_delimiter = ',')]
    backends: Option<Vec<String>>,
    /// Generator channels after the first level (the paper's 64).
    #[arg(long, default_value_t = 64)]
    base: usize,
    #[arg(long, default_value_t = 64)]
    disc_base: usize,
}

/// The options of `bench generator`.
#[derive(Args)]
struct GeneratorArgs {
    /// Burn backends (default: the CPU ones compiled in).
    #[arg(long, value_delimiter = ',')]
    backends: Option<Vec<String>>,
    /// Widths (channels after the first level; the paper's 64).
    #[arg(long, value_delimiter = ',', default_values_t = vec![8, 16, 64])]
    widths: Vec<usize>,
    /// HALS sweeps of the NNLS layer (0: without it).
    #[arg(long, value_delimiter = ',', default_values_t = vec![0, 10])]
    nnls: Vec<usize>,
    /// Where the HALS sweeps run: host (as inference runs them), tensor (as training does).
    #[arg(long, value_delimiter = ',', default_values = ["host", "tensor"])]
    sweeps: Vec<String>,
    /// Groups per call.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1, 25])]
    batch: Vec<usize>,
    /// Timed passes per setting (the median is reported).
    #[arg(long, default_value_t = 20)]
    reps: usize,
    /// Also write the rows as JSON here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

/// The options of `bench front`.
#[derive(Args)]
struct FrontArgs {
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    /// `gan train` folders (default: the MNIST models of `nmfnet reproduce ganunet`, those
    /// that exist).
    #[arg(long = "model")]
    models: Vec<std::path::PathBuf>,
    #[arg(long, default_value_t = 25)]
    groups: usize,
    #[arg(long)]
    quick: bool,
}

/// The options of `bench nmf`.
#[derive(Args)]
struct NmfArgs {
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    /// Images (columns of Y).
    #[arg(long, default_value_t = 10_000)]
    cols: usize,
    #[arg(long, default_value_t = 10)]
    k: usize,
    #[arg(long, default_value_t = 100)]
    iters: usize,
}

/// The options of `bench torch-worker`.
#[derive(Args)]
struct TorchWorkerArgs {
    #[arg(long)]
    n: usize,
    #[arg(long)]
    rank: usize,
    #[arg(long)]
    blocks: usize,
    #[arg(long)]
    epochs: usize,
    #[arg(long)]
    backend: String,
    #[arg(long)]
    storage: String,
    #[arg(long)]
    dir: std::path::PathBuf,
}

/// The options of `bench spmm`.
#[derive(Args)]
struct SpmmArgs {
    #[arg(long, value_delimiter = ',', default_values_t = vec![3147, 9394])]
    n: Vec<usize>,
    #[arg(long, default_value_t = 10)]
    rank: usize,
    /// Burn backends (default: every one compiled in).
    #[arg(long, value_delimiter = ',')]
    backends: Option<Vec<String>>,
    #[arg(long, default_value_t = 20)]
    reps: usize,
}

/// The options of `bench epoch`.
#[derive(Args)]
struct EpochArgs {
    #[arg(long, default_value_t = 2000)]
    n: usize,
    #[arg(long, default_value_t = 10)]
    rank: usize,
    #[arg(long, default_value_t = 10)]
    blocks: usize,
    /// Burn backends (default: every one compiled in).
    #[arg(long, value_delimiter = ',')]
    backends: Option<Vec<String>>,
    /// Timed epochs (after 2 warm-up epochs); the median is reported.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
}

/// `given`, or the CPU backends compiled into this binary (`--features ndarray` adds ndarray to
/// the default flex).
fn cpu_backends(given: Option<Vec<String>>) -> Vec<String> {
    given.unwrap_or_else(|| {
        nmfnet_app::compiled_backends()
            .into_iter()
            .filter(|b| *b != "wgpu")
            .map(String::from)
            .collect()
    })
}

fn main() -> Result<()> {
    nmfnet_app::allocator::retain_freed_memory();
    match Cli::parse().cmd {
        Cmd::Data(a) => data(a),
        Cmd::Knn(a) => knn(a),
        Cmd::Solvers(a) => solvers(a),
        Cmd::Torch(a) => torch(a),
        Cmd::All(a) => all(a),
        Cmd::Front(a) => front(a),
        Cmd::Generator(a) => generator(a),
        Cmd::Gan(a) => gan(a),
        Cmd::Nmf(a) => nmf(a),
        Cmd::TorchWorker(a) => torch_worker(a),
        Cmd::Spmm(a) => spmm(a),
        Cmd::Gemm(a) => gemm(a),
        Cmd::Epoch(a) => epoch(a),
    }
}

/// `bench data`: load and graph times of each data set.
fn data(a: DataArgs) -> Result<()> {
    graphs::load_and_graph(a.data_dir.as_deref(), &a.datasets)?;
    Ok(())
}

/// `bench knn`: the exact neighbour search against HNSW at each `ef`.
fn knn(a: KnnArgs) -> Result<()> {
    graphs::neighbours(a.data_dir.as_deref(), &a.dataset, &a.ef, &a.dims, a.seed)?;
    Ok(())
}

/// `bench solvers`: the solvers' table, also written as JSON to `--json` when given.
fn solvers(a: SolversArgs) -> Result<()> {
    let dir = if a.datasets.iter().all(|d| d == "planted") {
        None
    } else {
        Some(nmfnet_datasets::catalog::data_dir(a.data_dir.as_deref())?)
    };
    let methods = a
        .methods
        .iter()
        .map(|m| m.parse::<nmfnet_baselines::SymMethod>())
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let rows = solvers::run(
        dir.as_deref(),
        &a.datasets,
        &a.storage,
        &methods,
        a.iters,
        a.newton_iters,
        peak_rss_mb,
    )?;
    if let Some(path) = a.json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "dataset": r.dataset, "storage": r.storage, "method": r.method.name(),
                    "iterations": r.iterations, "ms_per_iter": r.ms_per_iter,
                    "products_per_iter": r.products_per_iter, "floor_ms": r.floor_ms,
                    "ratio": r.ms_per_iter / r.floor_ms, "peak_mb": r.peak_mb,
                })
            })
            .collect();
        std::fs::write(&path, serde_json::to_string_pretty(&v)?)?;
    }
    Ok(())
}

/// `bench torch`: SymNMF-Net against PyTorch, also written as JSON to `--json` when given.
fn torch(a: TorchArgs) -> Result<()> {
    let rows = torch::compare(&a.n, &a.rank, a.blocks, a.epochs, &cpu_backends(a.backends))?;
    if let Some(path) = a.json {
        std::fs::write(&path, serde_json::to_string_pretty(&rows)?)?;
    }
    Ok(())
}

/// `bench all`: installs the Python references first with `--setup`, then runs every part.
fn all(a: AllArgs) -> Result<()> {
    if a.setup {
        torch::setup_references()?;
    }
    all::run(&all::Plan {
        data_dir: a.data_dir,
        out: a.out,
        quick: a.quick,
        backends: cpu_backends(a.backends),
    })?;
    Ok(())
}

/// `bench front`: the machine, then GAN-UNET at equal error on MNIST test groups.
fn front(a: FrontArgs) -> Result<()> {
    println!("{}", machine::describe().markdown());
    let dir = nmfnet_datasets::catalog::data_dir(a.data_dir.as_deref())?;
    front::run(&dir, front::models(&a.models), a.groups, a.quick)?;
    Ok(())
}

/// `bench generator`: the machine, then the generator's stages per setting, also written as
/// JSON to `--json` when given.
fn generator(a: GeneratorArgs) -> Result<()> {
    println!("{}", machine::describe().markdown());
    let rows = generator::run(
        &cpu_backends(a.backends),
        &a.sweeps,
        &a.widths,
        &a.nnls,
        &a.batch,
        a.reps,
    )?;
    if let Some(path) = a.json {
        std::fs::write(&path, serde_json::to_string_pretty(&rows)?)?;
    }
    Ok(())
}

/// `bench gan`: GAN-UNET's step and inference against PyTorch.
fn gan(a: GanArgs) -> Result<()> {
    gan::compare(
        &a.batch,
        a.steps,
        &cpu_backends(a.backends),
        gan::Sizes {
            base: a.base,
            disc_base: a.disc_base,
        },
    )?;
    Ok(())
}

/// `bench nmf`: plain NMF against its GEMM floor and scikit-learn (MNIST with `--data-dir`,
/// else a random matrix).
fn nmf(a: NmfArgs) -> Result<()> {
    let dir = match a.data_dir {
        Some(d) => Some(nmfnet_datasets::catalog::data_dir(Some(&d))?),
        None => None,
    };
    nmf::compare(dir.as_deref(), a.cols, a.k, a.iters)?;
    Ok(())
}

/// `bench torch-worker`: one configuration of `bench torch`.
fn torch_worker(a: TorchWorkerArgs) -> Result<()> {
    torch::worker(
        a.n,
        a.rank,
        a.blocks,
        a.epochs,
        &a.backend,
        &a.storage,
        &a.dir,
        peak_rss_mb,
    )?;
    Ok(())
}

/// `bench spmm`: the sparse product X·U per backend, its own against through the host.
fn spmm(a: SpmmArgs) -> Result<()> {
    let SpmmArgs { rank, reps, .. } = a;
    let backends = a.backends.unwrap_or_else(|| {
        nmfnet_app::compiled_backends()
            .iter()
            .map(|b| b.to_string())
            .collect()
    });
    println!(
        "sparse X·U (planted kNN graph), U n×{rank}, f32; median of {reps}; ratio = backend's own product / through the host"
    );
    println!(
        "{:>6} {:>9} {:>9} {:>12} {:>10} {:>7}",
        "n", "nnz", "backend", "own ms", "host ms", "ratio"
    );
    for &n in &a.n {
        let csr = torch::planted_knn(n, rank)?;
        let x = symnmf_burn::SparseSymmetric::new(
            csr.nrows(),
            csr.indptr().to_vec(),
            csr.indices().to_vec(),
            csr.values().to_vec(),
        )?;
        for b in &backends {
            let t = crate::timing::spmm(choice(b)?, x.clone(), rank, reps)?;
            let (own, host) = (median(t.backend), median(t.host));
            println!(
                "{n:>6} {:>9} {b:>9} {:>12.3} {:>10.3} {:>7.2}",
                x.nnz(),
                1e3 * own,
                1e3 * host,
                own / host
            );
        }
    }
    Ok(())
}

/// `bench gemm`: the rate of X·U per backend and size, against the first backend.
fn gemm(a: GemmArgs) -> Result<()> {
    let GemmArgs { rank, reps, .. } = a;
    let backends = a.backends.unwrap_or_else(|| {
        let mut v = cpu_backends(None);
        v.extend(["faer-f32".to_string(), "faer-f64".to_string()]);
        v
    });
    println!(
        "X·U, X n×n, U n×{rank}, f32; median of {reps}; ratio = time / {} time",
        backends[0]
    );
    println!(
        "{:>6} {:>9} {:>10} {:>9} {:>7}",
        "n", "backend", "ms", "GFLOP/s", "ratio"
    );
    for &n in &a.n {
        let mut base = None;
        for b in &backends {
            let s = match b.as_str() {
                "faer-f32" => faer_gemm_seconds::<f32>(n, rank, reps),
                "faer-f64" => faer_gemm_seconds::<f64>(n, rank, reps),
                _ => backend_gemm_seconds(b, n, rank, reps)?,
            };
            let base_s = *base.get_or_insert(s);
            let gflops = 2.0 * (n * n * rank) as f64 / s / 1e9;
            println!(
                "{n:>6} {b:>9} {:>10.3} {gflops:>9.1} {:>7.2}",
                s * 1e3,
                s / base_s
            );
        }
    }
    Ok(())
}

/// `bench epoch`: the median time of one SymNMF-Net training epoch per backend, against the
/// first backend.
fn epoch(a: EpochArgs) -> Result<()> {
    let EpochArgs {
        n,
        rank,
        blocks,
        epochs,
        ..
    } = a;
    let backends = a.backends.unwrap_or_else(|| {
        nmfnet_app::compiled_backends()
            .into_iter()
            .map(String::from)
            .collect()
    });
    let per = n / rank;
    let g = planted_graph(&PlantedConfig {
        clusters: rank,
        per_cluster: per,
        dim: 10,
        separation: 2.0,
        seed: 1,
    })?;
    let cfg = SymNmfTrainingConfig {
        model: SymNmfNetConfig {
            rank,
            blocks,
            ..Default::default()
        },
        ..Default::default()
    };
    println!(
        "SymNMF-Net epoch (forward + loss + backward + Adam), n = {}, r = {rank}, K = {blocks}, f32; median of {epochs}; ratio = time / first backend",
        g.x.nrows()
    );
    println!("{:>9} {:>10} {:>7}", "backend", "ms/epoch", "ratio");
    let mut base = None;
    for b in &backends {
        // Two warm-up epochs, then the median epoch.
        let s = median(
            crate::timing::net_epochs(
                choice(b)?,
                cfg.clone(),
                nmfnet_datasets::graph::Graph::Dense(g.x.clone()),
                2,
                epochs,
            )?
            .seconds,
        );
        let base_s = *base.get_or_insert(s);
        println!("{b:>9} {:>10.2} {:>7.2}", s * 1e3, s / base_s);
    }
    Ok(())
}
