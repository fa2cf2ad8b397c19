//! `sheaf sim staking`: the staking module's epoch transition alone, over many validators and
//! epochs, with chosen online rates and slashing events. No network and no store: the same
//! `sheaf_staking::epoch::transition` the chain runs, fed synthetic participation.
//!
//! Writes `epochs.csv` (one row per epoch) and `apr.csv` (APR of a fully online network against
//! total stake, next to Ethereum's spec-derived curve), plus SVG plots of both.

use std::{fmt::Write as _, path::PathBuf, time::Instant};

use alloy_primitives::{Address, B256, keccak256};
use anyhow::{Context, bail};
use clap::Args;
use sheaf_staking::{
    GWEI_PER_ETH, StakingParams, Validator,
    epoch::{EpochInput, ExitQueue, transition},
    spec,
};

#[derive(Args)]
pub struct SimArgs {
    /// Validators at genesis, 32 ETH each.
    #[arg(long, default_value_t = 10_000)]
    validators: u64,
    #[arg(long, default_value_t = 50)]
    epochs: u64,
    /// Uptime groups as RATE:SHARE pairs, e.g. "0.99:0.8,0.5:0.2".
    #[arg(long, default_value = "1.0:0.9,0.9:0.05,0.5:0.05")]
    groups: String,
    /// Slashing events as EPOCH:COUNT pairs, e.g. "10:100".
    #[arg(long, default_value = "")]
    slash: String,
    /// "mainnet" or "dev" parameters.
    #[arg(long, default_value = "mainnet")]
    preset: String,
    /// Where the CSV files and plots go.
    #[arg(long, default_value = "sim-out")]
    out: PathBuf,
}

/// Parses "A:B,C:D" into pairs.
fn pairs(input: &str) -> anyhow::Result<Vec<(f64, f64)>> {
    input
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|pair| {
            let (a, b) = pair
                .split_once(':')
                .with_context(|| format!("'{pair}' should be A:B"))?;
            Ok((a.trim().parse()?, b.trim().parse()?))
        })
        .collect()
}

/// A deterministic fraction in [0, 1) for validator `i` in epoch `e`.
fn noise(i: u64, e: u64) -> f64 {
    let h = keccak256([i.to_be_bytes(), e.to_be_bytes()].concat());
    u64::from_be_bytes(h[..8].try_into().unwrap_or_default()) as f64 / u64::MAX as f64
}

fn genesis(n: u64) -> Vec<Validator> {
    (0..n)
        .map(|i| {
            let mut v = Validator::new(i, B256::from(keccak256(i.to_be_bytes())), Address::ZERO);
            v.balance = 32 * GWEI_PER_ETH;
            v.effective_balance = 32 * GWEI_PER_ETH;
            v.activation_eligibility_epoch = 0;
            v.activation_epoch = 0;
            v.power = 32;
            // Steady state: every block of the epoch counts (the chain's genesis validators
            // start at block 1, since block 0 has no commit).
            v.tally_from = 0;
            v
        })
        .collect()
}

/// Fills one epoch's tally: each validator misses its group's share of blocks, proposers take
/// turns. Returns the per-block signing weights.
fn tally(p: &StakingParams, all: &mut [Validator], rates: &[f64], epoch: u64) -> Vec<u64> {
    let blocks = p.epoch_blocks;
    let active: Vec<usize> = (0..all.len()).filter(|&i| all[i].power > 0).collect();
    let mut missed_increments = 0u64;
    for &i in &active {
        let v = &mut all[i];
        let expected_missed = blocks as f64 * (1.0 - rates[i]);
        let missed = expected_missed.floor() as u64
            + u64::from(noise(i as u64, epoch) < expected_missed.fract());
        v.missed_blocks = missed.min(blocks);
        missed_increments +=
            v.missed_blocks * (v.effective_balance / p.effective_balance_increment);
    }
    let total: u64 = active
        .iter()
        .map(|&i| all[i].effective_balance / p.effective_balance_increment)
        .sum();
    // The same signing weight every block: the epoch's average.
    let per_block = (total * blocks - missed_increments) / blocks;
    for &i in &active {
        all[i].missed_weight = all[i].missed_blocks * per_block;
    }
    if !active.is_empty() {
        for b in 0..blocks {
            let proposer = active[((epoch * blocks + b) % active.len() as u64) as usize];
            all[proposer].proposed_weight += per_block;
        }
    }
    vec![per_block; blocks as usize]
}

/// `slash_validator` for the first `count` unslashed active validators, in memory.
fn slash(
    p: &StakingParams,
    all: &mut [Validator],
    count: u64,
    epoch: u64,
    slashings: &mut [u64],
) -> u64 {
    let mut exits = ExitQueue::new(p, all, epoch);
    let mut burned = 0;
    let mut done = 0;
    for v in all.iter_mut() {
        if done == count {
            break;
        }
        if v.slashed || !v.is_active(epoch) {
            continue;
        }
        exits.initiate_exit(p, v, epoch);
        v.slashed = true;
        v.withdrawable_epoch = v.withdrawable_epoch.max(epoch + p.slashings_vector);
        slashings[(epoch % p.slashings_vector) as usize] += v.effective_balance;
        let penalty = spec::initial_slashing_penalty(p, v.effective_balance).min(v.balance);
        v.balance -= penalty;
        v.power = 0;
        burned += penalty;
        done += 1;
    }
    burned
}

/// One plotted series: its name, colour, points, and whether to draw dots (else a line).
type Series<'a> = (String, &'a str, Vec<(f64, f64)>, bool);

fn svg_plot(title: &str, x_label: &str, y_label: &str, series: &[Series], log_x: bool) -> String {
    let (w, h, m) = (760.0, 440.0, 90.0);
    let tx = |x: f64| if log_x { x.log10() } else { x };
    let points: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.2.iter().map(|&(x, y)| (tx(x), y)))
        .collect();
    let (x0, x1) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (y0, y1) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let (y0, y1) = if (y1 - y0).abs() < 1e-12 {
        (y0 - 1.0, y1 + 1.0)
    } else {
        (y0, y1)
    };
    let (x0, x1) = if (x1 - x0).abs() < 1e-12 {
        (x0 - 1.0, x1 + 1.0)
    } else {
        (x0, x1)
    };
    let sx = |x: f64| m + (tx(x) - x0) / (x1 - x0) * (w - 2.0 * m);
    let sy = |y: f64| h - m - (y - y0) / (y1 - y0) * (h - 2.0 * m);
    let mut svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' font-family='sans-serif' font-size='12'>\
         <rect width='100%' height='100%' fill='white'/>\
         <text x='{}' y='24' font-size='16' text-anchor='middle'>{title}</text>\
         <line x1='{m}' y1='{}' x2='{}' y2='{}' stroke='black'/><line x1='{m}' y1='{m}' x2='{m}' y2='{}' stroke='black'/>\
         <text x='{}' y='{}' text-anchor='middle'>{x_label}</text>\
         <text x='20' y='{}' transform='rotate(-90 20 {})' text-anchor='middle'>{y_label}</text>",
        w / 2.0,
        h - m,
        w - m,
        h - m,
        h - m,
        w / 2.0,
        h - 16.0,
        h / 2.0,
        h / 2.0
    );
    // Enough decimals that the five y labels differ.
    let decimals = ((-(y1 - y0).log10()).ceil() as i64 + 2).clamp(0, 9) as usize;
    for k in 0..=4 {
        let y = y0 + (y1 - y0) * k as f64 / 4.0;
        let _ = write!(
            svg,
            "<text x='{}' y='{}' text-anchor='end'>{:.*}</text>",
            m - 6.0,
            sy(y) + 4.0,
            decimals,
            y
        );
        let xv = x0 + (x1 - x0) * k as f64 / 4.0;
        let label = if log_x { 10f64.powf(xv) } else { xv };
        let _ = write!(
            svg,
            "<text x='{}' y='{}' text-anchor='middle'>{:.0}</text>",
            m + (xv - x0) / (x1 - x0) * (w - 2.0 * m),
            h - m + 16.0,
            label
        );
    }
    for (n, (name, color, data, dots)) in series.iter().enumerate() {
        if *dots {
            for &(x, y) in data {
                let _ = write!(
                    svg,
                    "<circle cx='{:.1}' cy='{:.1}' r='4' fill='{color}'/>",
                    sx(x),
                    sy(y)
                );
            }
        } else {
            let path: Vec<String> = data
                .iter()
                .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
                .collect();
            let _ = write!(
                svg,
                "<polyline fill='none' stroke='{color}' stroke-width='2' points='{}'/>",
                path.join(" ")
            );
        }
        let _ = write!(
            svg,
            "<text x='{}' y='{}' fill='{color}'>{name}</text>",
            w - m - 250.0,
            m + 16.0 * n as f64
        );
    }
    svg.push_str("</svg>");
    svg
}

pub fn run(args: SimArgs) -> anyhow::Result<()> {
    let p = match args.preset.as_str() {
        "mainnet" => StakingParams::mainnet(),
        "dev" => StakingParams::dev(),
        other => bail!("--preset must be mainnet or dev, not {other}"),
    };
    let groups = pairs(&args.groups)?;
    let share: f64 = groups.iter().map(|g| g.1).sum();
    if groups.is_empty()
        || (share - 1.0).abs() > 1e-6
        || groups.iter().any(|g| !(0.0..=1.0).contains(&g.0))
    {
        bail!("--groups needs RATE:SHARE pairs with rates in [0, 1] and shares adding up to 1");
    }
    let slashes: Vec<(u64, u64)> = pairs(&args.slash)?
        .into_iter()
        .map(|(e, c)| (e as u64, c as u64))
        .collect();
    let n = args.validators.max(1);
    std::fs::create_dir_all(&args.out)?;

    // Each validator's group, by position.
    let mut rates = Vec::with_capacity(n as usize);
    let mut group_of = Vec::with_capacity(n as usize);
    for i in 0..n {
        let position = (i as f64 + 0.5) / n as f64;
        let mut acc = 0.0;
        let g = groups
            .iter()
            .position(|g| {
                acc += g.1;
                position < acc
            })
            .unwrap_or(groups.len() - 1);
        rates.push(groups[g].0);
        group_of.push(g);
    }

    let mut all = genesis(n);
    let mut slashings = vec![0u64; p.slashings_vector as usize];
    let mut csv =
        String::from("epoch,total_active_eth,issued_eth,burned_eth,apr_percent,transition_ms");
    for g in &groups {
        let _ = write!(csv, ",mean_balance_eth_uptime_{}", g.0);
    }
    csv.push('\n');
    let mut times = vec![];
    let mut balance_series: Vec<Vec<(f64, f64)>> = vec![vec![]; groups.len()];
    let started = Instant::now();
    for epoch in 0..args.epochs {
        let mut burned = 0;
        for &(at, count) in &slashes {
            if at == epoch {
                burned += slash(&p, &mut all, count, epoch, &mut slashings);
            }
        }
        let weights = tally(&p, &mut all, &rates, epoch);
        let height = (epoch + 1) * p.epoch_blocks - 1;
        let total_before: u64 = all
            .iter()
            .filter(|v| v.is_active(epoch))
            .map(|v| v.effective_balance)
            .sum();
        let t = Instant::now();
        let out = transition(
            &p,
            &mut all,
            EpochInput {
                height,
                weights: &weights,
                slashings_sum: slashings.iter().sum(),
            },
        );
        let ms = t.elapsed().as_secs_f64() * 1e3;
        times.push(ms);
        slashings[((epoch + 1) % p.slashings_vector) as usize] = 0;
        let eth = |g: u64| g as f64 / GWEI_PER_ETH as f64;
        let seconds = (p.epoch_blocks * p.seconds_per_block) as f64;
        let apr =
            out.issued_gwei as f64 / total_before.max(1) as f64 * 31_557_600.0 / seconds * 100.0;
        let _ = write!(
            csv,
            "{epoch},{:.3},{:.6},{:.6},{apr:.4},{ms:.2}",
            eth(total_before),
            eth(out.issued_gwei),
            eth(out.burned_gwei + burned)
        );
        for (g, series) in balance_series.iter_mut().enumerate() {
            let (sum, count) = all
                .iter()
                .zip(&group_of)
                .filter(|(_, gi)| **gi == g)
                .fold((0u64, 0u64), |(s, c), (v, _)| (s + v.balance, c + 1));
            let mean = eth(sum) / count.max(1) as f64;
            let _ = write!(csv, ",{mean:.6}");
            series.push((epoch as f64, mean));
        }
        csv.push('\n');
        eprint!(
            "\r  epoch {}/{} ({:.0} ms per transition)",
            epoch + 1,
            args.epochs,
            ms
        );
    }
    eprintln!();
    std::fs::write(args.out.join("epochs.csv"), &csv)?;

    // APR against total stake, a fully online network at each size, next to Ethereum's curve.
    let mut apr_csv = String::from("total_staked_eth,sim_apr_percent,ethereum_apr_percent\n");
    let (mut sim_points, mut eth_curve) = (vec![], vec![]);
    let mut size = 1_000u64;
    while size <= n.max(1_000) {
        let mut set = genesis(size);
        let weights = tally(&p, &mut set, &vec![1.0; size as usize], 0);
        let out = transition(
            &p,
            &mut set,
            EpochInput {
                height: p.epoch_blocks - 1,
                weights: &weights,
                slashings_sum: 0,
            },
        );
        let total = size * 32 * GWEI_PER_ETH;
        let seconds = (p.epoch_blocks * p.seconds_per_block) as f64;
        let sim = out.issued_gwei as f64 / total as f64 * 31_557_600.0 / seconds * 100.0;
        let b = spec::base_reward_per_increment(&p, total) as f64;
        let ethereum = b / GWEI_PER_ETH as f64 * 31_557_600.0 / 384.0 * 100.0;
        let _ = writeln!(apr_csv, "{},{sim:.4},{ethereum:.4}", size * 32);
        sim_points.push(((size * 32) as f64, sim));
        eth_curve.push(((size * 32) as f64, ethereum));
        size *= 4;
    }
    std::fs::write(args.out.join("apr.csv"), &apr_csv)?;
    std::fs::write(
        args.out.join("apr_vs_stake.svg"),
        svg_plot(
            "APR of a fully online validator",
            "total staked (ETH, log scale)",
            "APR %",
            &[
                ("Sheaf (sim)".to_string(), "#d62728", sim_points, true),
                ("Ethereum spec".to_string(), "#1f77b4", eth_curve, false),
            ],
            true,
        ),
    )?;
    let colors = ["#2ca02c", "#ff7f0e", "#d62728", "#9467bd", "#8c564b"];
    let series: Vec<Series> = balance_series
        .into_iter()
        .enumerate()
        .map(|(g, s)| {
            (
                format!(
                    "uptime {}% ({}% of validators)",
                    groups[g].0 * 100.0,
                    groups[g].1 * 100.0
                ),
                colors[g % colors.len()],
                s,
                false,
            )
        })
        .collect();
    std::fs::write(
        args.out.join("balances.svg"),
        svg_plot(
            "Mean balance by uptime group",
            "epoch",
            "ETH",
            &series,
            false,
        ),
    )?;

    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    out!(
        "{n} validators, {} epochs in {:.1} s; epoch transition median {:.1} ms, max {:.1} ms (one core)",
        args.epochs,
        started.elapsed().as_secs_f64(),
        sorted[sorted.len() / 2],
        sorted.last().copied().unwrap_or_default()
    );
    out!(
        "wrote {}/epochs.csv, apr.csv, apr_vs_stake.svg, balances.svg",
        args.out.display()
    );
    Ok(())
}
