//! The command lines that reports quote (`nmfnet_app::argv`) parse back, with this binary's own
//! parser, into exactly the requests that produced their numbers: every cell of both
//! reproductions, and requests that set every option.

use clap::Parser;
use nmfnet::cli::{Cli, Command, GanCommand};
use nmfnet_app::argv;
use nmfnet_app::cluster::{
    ClusterInput, ClusterRequest, GraphKind, HnswParams, KnnSearch, Method, Preset, Protocol,
    Reduction,
};
use nmfnet_app::gan::baselines::GanBaselineRequest;
use nmfnet_app::gan::eval::GanEvalRequest;
use nmfnet_app::gan::front::GanFrontRequest;
use nmfnet_app::gan::train::GanTrainRequest;
use nmfnet_baselines::{NmfInit, NmfMethod};
use nmfnet_experiments::ganunet::front;
use nmfnet_experiments::ganunet::plan::{Model, Plan};
use nmfnet_experiments::ganunet::GanOptions;
use nmfnet_experiments::symnmf::{cells, SymnmfOptions};
use std::path::{Path, PathBuf};

fn parse(argv: &[String]) -> Command {
    Cli::try_parse_from(argv)
        .unwrap_or_else(|e| panic!("{argv:?} does not parse: {e}"))
        .command
}

fn cluster_back(req: &ClusterRequest) -> ClusterRequest {
    let argv = argv::cluster(req);
    match parse(&argv) {
        Command::Cluster(a) => a.request(),
        other => panic!("{argv:?} parsed as {other:?}"),
    }
}

fn gan_back(argv: Vec<String>) -> GanCommand {
    match parse(&argv) {
        Command::Gan(g) => g,
        other => panic!("{argv:?} parsed as {other:?}"),
    }
}

fn check_train(req: &GanTrainRequest) {
    match gan_back(argv::gan_train(req)) {
        GanCommand::Train(a) => assert_eq!(&a.request(), req),
        other => panic!("not a train command: {other:?}"),
    }
}

fn check_eval(req: &GanEvalRequest) {
    match gan_back(argv::gan_eval(req)) {
        GanCommand::Eval(a) => assert_eq!(&a.request(), req),
        other => panic!("not an eval command: {other:?}"),
    }
}

fn check_baselines(req: &GanBaselineRequest) {
    match gan_back(argv::gan_baselines(req)) {
        GanCommand::Baselines(a) => assert_eq!(&a.request().unwrap(), req),
        other => panic!("not a baselines command: {other:?}"),
    }
}

fn check_front(req: &GanFrontRequest) {
    match gan_back(argv::gan_front(req)) {
        GanCommand::Front(a) => assert_eq!(&a.request().unwrap(), req),
        other => panic!("not a front command: {other:?}"),
    }
}

#[test]
fn front_requests_parse_back() {
    check_front(&GanFrontRequest::new("mnist"));
    let mut f = GanFrontRequest::new("face");
    f.data_dir = Some(PathBuf::from("/data"));
    f.models = vec![PathBuf::from("/m/a"), PathBuf::from("/m/b")];
    f.refine = vec![0, 3];
    f.methods = vec![NmfMethod::Mu];
    f.inits = vec![NmfInit::Nndsvda, NmfInit::Random];
    f.iterations = vec![1, 4, 9];
    f.k = 6;
    f.groups = 0;
    f.batch = 5;
    f.seed = 2;
    f.timed_passes = 1;
    f.out = Some(PathBuf::from("/o"));
    f.overwrite = true;
    f.progress = false;
    check_front(&f);
}

#[test]
fn every_symnmf_cell_command_parses_back_into_its_request() {
    let (data, out) = (Path::new("/data"), Path::new("/tmp/out"));
    for quick in [false, true] {
        let opts = SymnmfOptions {
            seeds: 2,
            quick,
            ..Default::default()
        };
        let all = cells(&opts);
        assert!(
            all.len() > if quick { 2 } else { 50 },
            "{} cells",
            all.len()
        );
        for c in &all {
            let req = c.request(data, out);
            assert_eq!(cluster_back(&req), req, "{}", c.command(data, out));
        }
    }
}

#[test]
fn every_ganunet_cell_command_parses_back_into_its_request() {
    for quick in [false, true] {
        let opts = GanOptions {
            data_dir: None,
            out: None,
            steps: 3000,
            nnls_sweeps: 10,
            narrow_channels: 16,
            narrow_steps: 8000,
            refine_rounds: vec![1, 2, 5, 10],
            groups: 100,
            quick,
            datasets: None,
            report_only: false,
            fronts_only: false,
            quiet: false,
        };
        let plan = Plan::new(&opts, PathBuf::from("/data"), PathBuf::from("/tmp/out")).unwrap();
        let mut n = 0;
        for ds in &plan.datasets {
            for model in std::iter::once(Model::Gan).chain(plan.extra_models(ds)) {
                let train = plan.train_request(ds, model);
                check_train(&train);
                for refine in [0, 3] {
                    check_eval(&plan.eval_request(train.out.as_ref().unwrap(), ds, refine));
                }
                n += 1;
            }
            check_baselines(&plan.baselines_request(ds));
            let models: Vec<(Model, PathBuf)> = std::iter::once(Model::Gan)
                .chain(plan.extra_models(ds))
                .map(|m| (m, plan.train_dir(ds, m)))
                .collect();
            check_front(&front::front_request(&plan, ds, &models));
        }
        assert!(n >= if quick { 3 } else { 7 }, "{n} models");
    }
}

#[test]
fn requests_with_every_option_parse_back() {
    let mut net = ClusterRequest::new(Method::SymnmfNet);
    net.input = ClusterInput::Features(PathBuf::from("/d/z.npy"));
    net.labels = Some(PathBuf::from("/d/y.txt"));
    net.rank = Some(7);
    net.seed = Some(3);
    net.lambda = Some(2.5);
    net.dense = true;
    net.blocks = Some(4);
    net.epochs = Some(12);
    net.lr = Some(0.125);
    net.beta = Some(1e-3);
    net.gamma = Some(0.5);
    net.reduction = Some(Reduction::Mean);
    net.fixed_lambda = true;
    net.no_project = true;
    net.allow_lambda_below_bound = true;
    net.config = Some(PathBuf::from("/d/c.json"));
    net.out = Some(PathBuf::from("/o"));
    net.resume = true;
    net.checkpoint_every = 7;
    net.progress = false;
    net.preset = Some(Preset::Paper);
    net.graph = Some(GraphKind::KnnSelf { k: 9 });
    net.knn = Some(KnnSearch::Hnsw(HnswParams {
        ef: 40,
        ..HnswParams::default()
    }));
    assert_eq!(cluster_back(&net), net);

    let mut classical = ClusterRequest::new(Method::Admm);
    classical.input = ClusterInput::Dataset {
        name: "coil20".into(),
        data_dir: Some(PathBuf::from("/data")),
        coil_full_size: true,
    };
    classical.max_iter = Some(9);
    classical.tol = Some(1e-6);
    classical.rho = Some(4.0);
    classical.out = Some(PathBuf::from("/o"));
    classical.overwrite = true;
    classical.restarts = Some(4);
    classical.protocol = Some(Protocol::Zhu);
    classical.graph = Some(GraphKind::Kuang);
    classical.knn = Some(KnnSearch::Exact);
    assert_eq!(cluster_back(&classical), classical);
    let mut similarity = ClusterRequest::new(Method::Symhals);
    similarity.input = ClusterInput::Similarity(PathBuf::from("/d/x.npy"));
    assert_eq!(cluster_back(&similarity), similarity);
    assert_eq!(
        cluster_back(&ClusterRequest::new(Method::KuangAnls)),
        ClusterRequest::new(Method::KuangAnls)
    );

    let mut train = GanTrainRequest::new("fashion");
    train.no_discriminator = true;
    train.steps = 17;
    train.batch = 3;
    train.k = 6;
    train.nnls_sweeps = 4;
    train.seed = 9;
    train.channels = 32;
    train.out = Some(PathBuf::from("/o"));
    train.resume = true;
    train.checkpoint_every = 5;
    train.progress = false;
    check_train(&train);
    let mut tiny = GanTrainRequest::new("face");
    tiny.tiny = true;
    check_train(&tiny);
    let mut parallel = GanTrainRequest::new("mnist");
    parallel.devices = 2;
    parallel.nodes = 3;
    parallel.batch = 12;
    parallel.per_group_norm = true;
    parallel.node = Some(nmfnet_app::gan::train::NodeJoin {
        index: 2,
        orchestrator: "ws://10.0.0.1:3000".into(),
        port: 3005,
        host: "10.0.0.3".into(),
    });
    check_train(&parallel);

    let mut eval = GanEvalRequest::new(Path::new("/m"), "mnist");
    eval.batch = 7;
    eval.refine = 2;
    check_eval(&eval);

    let mut base = GanBaselineRequest::new("mnist");
    base.methods = vec![NmfMethod::Hals, NmfMethod::Mu];
    base.k = 5;
    base.train_images = 50;
    base.seed = 4;
    base.progress = false;
    check_baselines(&base);
}
