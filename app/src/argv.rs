//! The `nmfnet` command line that runs a request: what a report quotes so that each of its
//! numbers can be reproduced by hand. Options at their default are left out, but for those a
//! reader needs to see (the method, the seed, steps and groups). The command line's own tests
//! parse these back and check that they give the same request.

use crate::cluster::{ClusterInput, ClusterRequest};
use crate::gan::baselines::GanBaselineRequest;
use crate::gan::eval::GanEvalRequest;
use crate::gan::front::GanFrontRequest;
use crate::gan::train::GanTrainRequest;
use std::path::Path;
use symnmf_burn::Reduction;

/// Builds an argument vector flag by flag.
struct Argv(Vec<String>);

impl Argv {
    fn new(words: &[&str]) -> Self {
        Self(words.iter().map(|w| w.to_string()).collect())
    }
    fn flag(&mut self, name: &str, on: bool) {
        if on {
            self.0.push(name.into());
        }
    }
    fn value(&mut self, name: &str, v: impl ToString) {
        self.0.push(name.into());
        self.0.push(v.to_string());
    }
    fn opt(&mut self, name: &str, v: Option<impl ToString>) {
        if let Some(v) = v {
            self.value(name, v);
        }
    }
    fn path(&mut self, name: &str, p: Option<&Path>) {
        self.opt(name, p.map(|p| p.display()));
    }
}

/// `nmfnet cluster …` for `req`.
pub fn cluster(req: &ClusterRequest) -> Vec<String> {
    let mut a = Argv::new(&["nmfnet", "cluster"]);
    match &req.input {
        ClusterInput::Embedded => {}
        ClusterInput::Dataset {
            name,
            data_dir,
            coil_full_size,
        } => {
            a.value("--dataset", name);
            a.path("--data-dir", data_dir.as_deref());
            a.flag("--coil-full-size", *coil_full_size);
        }
        ClusterInput::Similarity(p) => a.path("--similarity", Some(p)),
        ClusterInput::Features(p) => a.path("--features", Some(p)),
        // In memory: the command line that runs it names the file the array was saved to.
        ClusterInput::SimilarityData { name, .. } => a.value("--similarity", name),
        ClusterInput::FeaturesData { name, .. } => a.value("--features", name),
    }
    a.value("--method", req.method.name());
    a.opt("--seed", req.seed);
    a.opt("--restarts", req.restarts);
    a.opt("--graph", req.graph.map(|g| g.name()));
    a.opt("--knn", req.knn.map(|k| k.name()));
    a.opt("--protocol", req.protocol.map(|p| p.name()));
    a.opt("--preset", req.preset.map(|p| p.name()));
    a.opt(
        "--reduction",
        req.reduction.map(|r| match r {
            Reduction::Sum => "sum",
            Reduction::Mean => "mean",
        }),
    );
    a.opt("--beta", req.beta);
    a.opt("--lr", req.lr);
    a.opt("--epochs", req.epochs);
    a.opt("--patience", req.patience);
    a.opt("--plateau-tol", req.plateau_tol);
    a.opt("--blocks", req.blocks);
    a.opt("--gamma", req.gamma);
    a.flag("--fixed-lambda", req.fixed_lambda);
    a.opt("--lambda", req.lambda);
    a.flag("--no-project", req.no_project);
    a.flag("--allow-lambda-below-bound", req.allow_lambda_below_bound);
    a.path("--config", req.config.as_deref());
    a.opt("--max-iter", req.max_iter);
    a.opt("--tol", req.tol);
    a.opt("--rho", req.rho);
    a.path("--labels", req.labels.as_deref());
    a.opt("--rank", req.rank);
    a.flag("--dense", req.dense);
    a.path("--out", req.out.as_deref());
    a.flag("--resume", req.resume);
    a.flag("--overwrite", req.overwrite);
    if req.checkpoint_every != ClusterRequest::new(req.method).checkpoint_every {
        a.value("--checkpoint-every", req.checkpoint_every);
    }
    a.flag("--quiet", !req.progress);
    a.0
}

/// `nmfnet gan train …` for `req`.
pub fn gan_train(req: &GanTrainRequest) -> Vec<String> {
    let d = GanTrainRequest::new(&req.dataset);
    let mut a = Argv::new(&["nmfnet", "gan", "train"]);
    a.value("--dataset", &req.dataset);
    a.path("--data-dir", req.data_dir.as_deref());
    a.value("--steps", req.steps);
    a.value("--checkpoint-every", req.checkpoint_every);
    a.path("--out", req.out.as_deref());
    a.flag("--no-discriminator", req.no_discriminator);
    a.opt(
        "--nnls-sweeps",
        (req.nnls_sweeps != d.nnls_sweeps).then_some(req.nnls_sweeps),
    );
    a.flag("--tiny", req.tiny);
    a.opt(
        "--channels",
        (req.channels != d.channels).then_some(req.channels),
    );
    a.opt("--batch", (req.batch != d.batch).then_some(req.batch));
    a.opt("--k", (req.k != d.k).then_some(req.k));
    a.opt("--seed", (req.seed != d.seed).then_some(req.seed));
    a.flag("--resume", req.resume);
    a.flag("--overwrite", req.overwrite);
    a.flag("--quiet", !req.progress);
    a.opt(
        "--devices",
        (req.devices != d.devices).then_some(req.devices),
    );
    a.opt("--nodes", (req.nodes != d.nodes).then_some(req.nodes));
    if let Some(n) = &req.node {
        a.value("--node", n.index);
        a.value("--orchestrator", &n.orchestrator);
        a.value("--node-port", n.port);
        a.value("--node-host", &n.host);
    }
    a.flag("--per-group-norm", req.per_group_norm);
    a.0
}

/// `nmfnet gan eval …` for `req`.
pub fn gan_eval(req: &GanEvalRequest) -> Vec<String> {
    let d = GanEvalRequest::new(&req.checkpoint, &req.dataset);
    let mut a = Argv::new(&["nmfnet", "gan", "eval"]);
    a.path("--checkpoint", Some(&req.checkpoint));
    a.value("--dataset", &req.dataset);
    a.path("--data-dir", req.data_dir.as_deref());
    a.value("--groups", req.groups);
    a.opt("--batch", (req.batch != d.batch).then_some(req.batch));
    a.opt("--refine", (req.refine != d.refine).then_some(req.refine));
    a.0
}

/// `nmfnet gan baselines …` for `req`.
pub fn gan_baselines(req: &GanBaselineRequest) -> Vec<String> {
    let d = GanBaselineRequest::new(&req.dataset);
    let mut a = Argv::new(&["nmfnet", "gan", "baselines"]);
    a.value("--dataset", &req.dataset);
    a.path("--data-dir", req.data_dir.as_deref());
    a.value("--groups", req.groups);
    a.path("--out", req.out.as_deref());
    if req.methods != d.methods {
        let names: Vec<&str> = req.methods.iter().map(|m| m.name()).collect();
        a.value("--methods", names.join(","));
    }
    a.opt("--k", (req.k != d.k).then_some(req.k));
    a.opt(
        "--train-images",
        (req.train_images != d.train_images).then_some(req.train_images),
    );
    a.opt("--seed", (req.seed != d.seed).then_some(req.seed));
    a.flag("--overwrite", req.overwrite);
    a.flag("--quiet", !req.progress);
    a.0
}

/// `nmfnet gan front …` for `req`.
pub fn gan_front(req: &GanFrontRequest) -> Vec<String> {
    let d = GanFrontRequest::new(&req.dataset);
    let list = |v: &[usize]| {
        v.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut a = Argv::new(&["nmfnet", "gan", "front"]);
    a.value("--dataset", &req.dataset);
    a.path("--data-dir", req.data_dir.as_deref());
    for m in &req.models {
        a.path("--model", Some(m));
    }
    a.value("--groups", req.groups);
    a.path("--out", req.out.as_deref());
    if req.methods != d.methods {
        let names: Vec<&str> = req.methods.iter().map(|m| m.name()).collect();
        a.value("--methods", names.join(","));
    }
    if req.inits != d.inits {
        let names: Vec<&str> = req.inits.iter().map(|m| m.name()).collect();
        a.value("--inits", names.join(","));
    }
    a.opt(
        "--iterations",
        (req.iterations != d.iterations).then(|| list(&req.iterations)),
    );
    a.opt(
        "--refine",
        (req.refine != d.refine).then(|| list(&req.refine)),
    );
    a.opt("--k", (req.k != d.k).then_some(req.k));
    a.opt("--batch", (req.batch != d.batch).then_some(req.batch));
    a.opt("--seed", (req.seed != d.seed).then_some(req.seed));
    a.opt(
        "--timed-passes",
        (req.timed_passes != d.timed_passes).then_some(req.timed_passes),
    );
    a.flag("--overwrite", req.overwrite);
    a.flag("--quiet", !req.progress);
    a.0
}
