//! Data-parallel training on burn's collective operations (feature `collective`).
//!
//! D peers (threads in one process, one device each, or processes joined by burn-collective's
//! orchestrator) hold the same model and each take their share of every batch; before each
//! optimiser step their gradients are averaged. burn's `GradientsParams::all_reduce` matches
//! tensors across peers by sorted parameter id, and ids are drawn at random when a model is
//! built, so two processes would pair different tensors; a model's gradients here are instead
//! taken in the module's own (structural) order, flattened into one vector and reduced in one
//! call: the same pairing on every peer, one round trip per model and step, and no tensor too
//! small for the ring between nodes (which refuses a tensor shorter than the node count).

use anyhow::{anyhow, Context};
use burn::collective::{self, AllReduceStrategy, CollectiveConfig, PeerId, ReduceOperation};
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData, TensorPrimitive};

/// One peer of a data-parallel run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// This peer's position, 0..count (node-major: node i's threads are i·D … i·D + D − 1).
    pub rank: usize,
    /// Peers in the whole run (threads × nodes).
    pub count: usize,
}

impl Peer {
    pub fn id(&self) -> PeerId {
        PeerId::from(self.rank)
    }

    /// The part of `0..len` this peer takes: equal consecutive shares (`len` must be a
    /// multiple of the peer count).
    pub fn share(&self, len: usize) -> anyhow::Result<std::ops::Range<usize>> {
        if len % self.count != 0 {
            anyhow::bail!(
                "a batch of {len} cannot be shared equally by {} peers (make the batch a multiple of the peer count)",
                self.count
            );
        }
        let each = len / self.count;
        Ok(self.rank * each..(self.rank + 1) * each)
    }
}

/// Where a multi-process run meets: the orchestrator's address, and this process's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    /// Processes in the run.
    pub nodes: usize,
    /// This process, 0..nodes.
    pub node: usize,
    /// `ws://host:port` of the orchestrator.
    pub orchestrator: String,
    /// Port this process's data service listens on (its address is `ws://127.0.0.1:port`
    /// unless `host` says otherwise).
    pub port: u16,
    /// Host name or address the other processes reach this one by.
    pub host: String,
}

/// The collective configuration of `devices` local peers, and of the node when `node` is given
/// (ring all-reduce between nodes: the tree and centralised strategies reuse transfer ids in
/// burn 0.21).
pub fn config(devices: usize, node: Option<&NodeSpec>) -> anyhow::Result<CollectiveConfig> {
    let cfg = CollectiveConfig::default().with_num_devices(devices);
    Ok(match node {
        None => cfg,
        Some(n) => cfg
            .with_num_nodes(n.nodes as u32)
            .with_global_address(
                n.orchestrator
                    .parse()
                    .map_err(|e| anyhow!("orchestrator address {}: {e:?}", n.orchestrator))?,
            )
            .with_node_address(
                format!("ws://{}:{}", n.host, n.port)
                    .parse()
                    .map_err(|e| anyhow!("node address: {e:?}"))?,
            )
            .with_data_service_port(n.port)
            .with_global_all_reduce_strategy(AllReduceStrategy::Ring),
    })
}

/// Joins the collective as `peer` on `device` (blocks until every local peer, and every node,
/// has joined). The server is per process and per backend type: runs in one process must not
/// overlap.
pub fn join<B: Backend>(
    peer: &Peer,
    device: &B::Device,
    cfg: CollectiveConfig,
) -> anyhow::Result<()> {
    collective::register::<B>(peer.id(), device.clone(), cfg)
        .map_err(|e| anyhow!("peer {} cannot join the collective: {e:?}", peer.rank))
}

/// Leaves the collective (the last local peer also tells the orchestrator).
pub fn leave<B: Backend>(peer: &Peer) -> anyhow::Result<()> {
    collective::finish_collective::<B>(peer.id())
        .map_err(|e| anyhow!("peer {} cannot leave the collective: {e:?}", peer.rank))
}

/// Clears what an earlier run in this process left in the collective server.
pub fn reset<B: Backend>() {
    collective::reset_collective::<B>();
}

/// Mean over the peers of a flat vector (every peer calls with the same length), the same
/// bits on every peer and in every run. burn sums the peers' tensors in the order of a hash
/// map, which for three or more peers changes the rounding from run to run; so each peer puts
/// its vector in its own slot of a D·n vector of zeros, the all-reduce sums those (adding zeros
/// is exact, whatever the order), and every peer then adds the D slots in rank order itself.
fn all_reduce_mean<B: Backend>(peer: &Peer, flat: Tensor<B, 1>) -> anyhow::Result<Tensor<B, 1>> {
    let n = flat.dims()[0];
    let device = flat.device();
    let slots: Vec<Tensor<B, 1>> = (0..peer.count)
        .map(|r| {
            if r == peer.rank {
                flat.clone()
            } else {
                Tensor::zeros([n], &device)
            }
        })
        .collect();
    let out = collective::all_reduce::<B>(
        peer.id(),
        Tensor::cat(slots, 0).into_primitive().tensor(),
        ReduceOperation::Sum,
    )
    .map_err(|e| anyhow!("all-reduce of peer {}: {e:?}", peer.rank))?;
    let all = Tensor::<B, 1>::from_primitive(TensorPrimitive::Float(out));
    let mut sum = all.clone().slice([0..n]);
    for r in 1..peer.count {
        sum = sum + all.clone().slice([r * n..(r + 1) * n]);
    }
    Ok(sum.div_scalar(peer.count as f32))
}

/// The mean over the peers of a few numbers (metrics).
pub fn mean_of<B: Backend>(
    peer: &Peer,
    values: &[f64],
    device: &B::Device,
) -> anyhow::Result<Vec<f64>> {
    let t = Tensor::<B, 1>::from_data(
        TensorData::new(values.iter().map(|&v| v as f32).collect(), [values.len()])
            .convert::<B::FloatElem>(),
        device,
    );
    let out = all_reduce_mean(peer, t)?;
    let data = out.into_data().convert::<f64>();
    data.to_vec::<f64>()
        .map_err(|e| anyhow!("reduced metrics: {e:?}"))
}

/// Takes a module's gradients out of `grads` in the module's order, flattened.
struct Gather<'a, IB: Backend> {
    grads: &'a mut GradientsParams,
    parts: Vec<Tensor<IB, 1>>,
    sizes: Vec<usize>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for Gather<'_, B::InnerBackend> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if let Some(g) = self.grads.remove::<B::InnerBackend, D>(param.id) {
            let n = g.dims().iter().product::<usize>();
            self.parts.push(g.reshape([n]));
            self.sizes.push(n);
        } else {
            self.sizes.push(0);
        }
    }
}

/// Puts the reduced gradients back, in the same order, with their shapes.
struct Scatter<'a, IB: Backend> {
    grads: &'a mut GradientsParams,
    flat: Tensor<IB, 1>,
    sizes: std::slice::Iter<'a, usize>,
    at: usize,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for Scatter<'_, B::InnerBackend> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let n = *self.sizes.next().expect("one size per parameter");
        if n > 0 {
            let dims = param.val().dims();
            let g = self
                .flat
                .clone()
                .slice([self.at..self.at + n])
                .reshape(dims);
            self.grads.register::<B::InnerBackend, D>(param.id, g);
            self.at += n;
        }
    }
}

/// Replaces `module`'s gradients by their mean over the peers (one all-reduce of them all).
pub fn average_gradients<B: AutodiffBackend, M: Module<B>>(
    peer: &Peer,
    module: &M,
    mut grads: GradientsParams,
) -> anyhow::Result<GradientsParams> {
    let mut gather = Gather::<B::InnerBackend> {
        grads: &mut grads,
        parts: Vec::new(),
        sizes: Vec::new(),
    };
    module.visit(&mut gather);
    let (parts, sizes) = (gather.parts, gather.sizes);
    if parts.is_empty() {
        return Ok(grads);
    }
    let flat = all_reduce_mean(peer, Tensor::cat(parts, 0)).context("averaging the gradients")?;
    module.visit(&mut Scatter::<B::InnerBackend> {
        grads: &mut grads,
        flat,
        sizes: sizes.iter(),
        at: 0,
    });
    Ok(grads)
}

/// Runs burn-collective's orchestrator on `port` until the process ends (a thread of its own,
/// with its own async runtime). The orchestrator keeps state across runs: one per run.
pub fn spawn_orchestrator(port: u16) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("cannot start the orchestrator's runtime")?;
    std::thread::Builder::new()
        .name("orchestrator".into())
        .spawn(move || runtime.block_on(collective::start_global_orchestrator(port)))
        .context("cannot start the orchestrator's thread")?;
    // The nodes retry an absent orchestrator forever: make sure it listens before they start.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if std::time::Instant::now() > deadline {
            anyhow::bail!("the orchestrator did not start listening on port {port}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Ok(())
}

#[cfg(all(test, feature = "flex"))]
mod tests {
    use super::*;
    use crate::task::Task;
    use crate::tasks::ganunet::{GanTask, GanTrainingConfig};
    use burn::backend::{Autodiff, Flex};
    use ganunet_burn::{DiscriminatorConfig, GeneratorConfig};
    use nmfnet_datasets::catalog::ImageSet;
    use nmfnet_datasets::Dense;

    type B = Autodiff<Flex>;

    /// 64 images of 32×32 in two classes (ramps plus seeded noise).
    fn images() -> ImageSet {
        let (n, side) = (64, 32);
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 24) as f32
        };
        let mut data = Vec::with_capacity(n * side * side);
        for i in 0..n {
            for y in 0..side {
                for x in 0..side {
                    let ramp = if i % 2 == 0 { x } else { y } as f32 / side as f32;
                    data.push((0.7 * ramp + 0.3 * next()).clamp(0.0, 1.0));
                }
            }
        }
        ImageSet {
            images: Dense::new(n, side * side, data).unwrap(),
            height: side,
            width: side,
            labels: (0..n).map(|i| i % 2).collect(),
        }
    }

    fn gan_config(batch: usize) -> GanTrainingConfig {
        GanTrainingConfig {
            generator: GeneratorConfig {
                group: 8,
                k: 3,
                base_channels: 4,
                max_channels: 8,
                levels: 3,
                per_group_norm: true,
                ..Default::default()
            },
            discriminator: Some(DiscriminatorConfig {
                base_channels: 4,
                per_group_norm: true,
                ..Default::default()
            }),
            batch,
            seed: 7,
            ..Default::default()
        }
    }

    /// Per step: g_loss, train_error, d_loss.
    type Losses = Vec<Vec<f64>>;

    fn metrics(task: &mut GanTask<B>, steps: usize) -> Losses {
        (0..steps)
            .map(|s| task.step(s).unwrap().into_iter().map(|(_, v)| v).collect())
            .collect()
    }

    fn run_alone(steps: usize, batch: usize) -> Losses {
        let mut task =
            GanTask::<B>::new(gan_config(batch), &images(), &Default::default()).unwrap();
        metrics(&mut task, steps)
    }

    /// `d` peers as threads, each with its share of `batch`: the losses every peer reports.
    fn run_peers(steps: usize, batch: usize, d: usize) -> Vec<Losses> {
        reset::<Flex>();
        let set = images();
        // Built one after the other: the weights come from the backend's seeded generator.
        let tasks: Vec<_> = (0..d)
            .map(|rank| {
                GanTask::<B>::new(gan_config(batch), &set, &Default::default())
                    .unwrap()
                    .with_peer(Peer { rank, count: d })
                    .unwrap()
            })
            .collect();
        let handles: Vec<_> = tasks
            .into_iter()
            .enumerate()
            .map(|(rank, mut task)| {
                std::thread::spawn(move || {
                    let peer = Peer { rank, count: d };
                    join::<Flex>(&peer, &Default::default(), config(d, None).unwrap()).unwrap();
                    let losses = metrics(&mut task, steps);
                    leave::<Flex>(&peer).unwrap();
                    losses
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    }

    /// The collective server is one per process and backend type: every scenario that uses it
    /// runs inside this one test, in turn.
    #[test]
    fn data_parallel_peers_train_as_one_device_with_the_whole_batch() {
        let steps = 20;
        // D = 2 peers with 2 groups each against one device with 4, over 20 steps.
        let alone = run_alone(steps, 4);
        let peers = run_peers(steps, 4, 2);
        assert_eq!(
            peers[0], peers[1],
            "the peers report the same (averaged) losses"
        );
        let mut worst = 0.0f64;
        for (s, (a, b)) in alone.iter().zip(&peers[0]).enumerate() {
            for (m, (x, y)) in a.iter().zip(b).enumerate() {
                let rel = (x - y).abs() / x.abs().max(1e-12);
                worst = worst.max(rel);
                assert!(
                    rel <= 1e-4,
                    "step {s}, metric {m}: one device {x}, two peers {y}"
                );
            }
        }
        eprintln!("largest relative difference over {steps} steps: {worst:e}");
        // The losses move (a frozen model would pass the comparison trivially).
        assert!((alone[0][0] - alone[steps - 1][0]).abs() > 1e-3 * alone[0][0].abs());
        // One peer is one device, bit for bit; and the same seed gives the same run.
        assert_eq!(run_peers(3, 2, 1)[0], run_alone(3, 2));
        assert_eq!(run_peers(3, 4, 2)[0], peers[0][..3].to_vec());
        // A batch that does not split equally is refused before any work.
        let err = GanTask::<B>::new(gan_config(3), &images(), &Default::default())
            .unwrap()
            .with_peer(Peer { rank: 0, count: 2 })
            .err()
            .expect("3 groups over 2 peers");
        assert!(
            err.to_string().contains("multiple of the peer count"),
            "{err}"
        );
    }
}
