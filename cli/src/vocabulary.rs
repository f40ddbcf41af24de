//! The command line's names for the fields of a job: the one table that turns the backquoted
//! field names of the library's messages (`` `restarts` ``) into flags (`--restarts`).

/// The flag that sets a job field, by the field's name.
pub fn flag_of(field: &str) -> Option<&'static str> {
    Some(match field {
        // Run options, every command.
        "out" => "--out",
        "resume" => "--resume",
        "overwrite" => "--overwrite",
        "checkpoint_every" => "--checkpoint-every",
        "upgrade" => "--upgrade",
        "backend" => "--backend",
        "data_dir" => "--data-dir",
        "labels_out" => "--labels-out",
        // cluster: the job, the graph, the solvers.
        "method" => "--method",
        "protocol" => "--protocol",
        "restarts" => "--restarts",
        "rank" => "--rank",
        "seed" => "--seed",
        "graph" => "--graph",
        "knn" => "--knn",
        "labels" => "--labels",
        "config" => "--config",
        "rho" => "--rho",
        "max_iter" => "--max-iter",
        "tol" => "--tol",
        // SymNMF-Net's config fields that have a flag.
        "epochs" => "--epochs",
        "lr" => "--lr",
        "blocks" => "--blocks",
        "beta" => "--beta",
        "gamma" => "--gamma",
        "plateau_patience" => "--patience",
        "plateau_tol" => "--plateau-tol",
        "allow_below_bound" => "--allow-lambda-below-bound",
        // nmf.
        "image_shape" => "--image-shape",
        "init" => "--init",
        "stop" => "--stop",
        "beta_loss" => "--beta-loss",
        "alpha_h" => "--alpha-h",
        "alpha_w" => "--alpha-w",
        "l1_ratio" => "--l1-ratio",
        "shuffle" => "--shuffle",
        "mask" => "--mask",
        "ks" => "--rank",
        "replicates" => "--replicates",
        "test_fraction" => "--test-fraction",
        // GAN-UNET.
        "steps" => "--steps",
        "batch" => "--batch",
        "devices" => "--devices",
        "nodes" => "--nodes",
        "node" => "--node",
        "methods" => "--methods",
        "inits" => "--inits",
        "iterations" => "--iterations",
        "refine" => "--refine",
        "timed_passes" => "--timed-passes",
        // reproduce.
        "seeds" => "--seeds",
        _ => return None,
    })
}

/// `message` with every backquoted job field that has a flag written as that flag.
pub fn render(message: &str) -> String {
    nmfnet_app::job::render_fields(message, |f| flag_of(f).map(str::to_string))
}
