//! A page end to end through the Flocktory pipeline: a typical thank-you
//! page (Viewed Page + Completed Transaction, two event variables and an
//! override, ~6 KB of digitalData), a browsing session of 50 events, and
//! the mixed shop workload (`workload`: home, listing of 24, product, cart
//! and thank-you pages; an override and four event variables), per page.

mod workload;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use handlebox_flocktory::FlocktoryKind;
use handlebox_pipeline::{Page, Pipeline, config};
use handlebox_sandbox::{Sandbox, SandboxConfig};

const SHOP: &str = include_str!("../fixtures/configs/shop.json");
const TYPICAL: &str = include_str!("../fixtures/pages/thank-you-6kb.json");
const SESSION: &str = include_str!("../fixtures/pages/browsing-50-events.json");

fn pipeline(c: &mut Criterion) {
    let sandbox = Sandbox::new(SandboxConfig::default()).expect("sandbox");
    let configs = config::parse(SHOP).expect("shop config");
    let pipeline = Pipeline::new(&sandbox, configs, &[&FlocktoryKind]).expect("pipeline");
    let typical = Page::parse(TYPICAL).expect("typical page");
    let session = Page::parse(SESSION).expect("session page");

    c.bench_function("typical thank-you page end to end", |b| {
        b.iter(|| pipeline.process(&typical))
    });
    c.bench_function("page with 50 events end to end", |b| {
        b.iter(|| pipeline.process(&session))
    });

    let mixed_configs = config::parse(workload::CONFIG).expect("mixed config");
    let mixed = Pipeline::new(&sandbox, mixed_configs, &[&FlocktoryKind]).expect("pipeline");
    let pages: Vec<Page> = workload::pages(100)
        .iter()
        .map(|text| Page::parse(text).expect("workload page"))
        .collect();
    let mut group = c.benchmark_group("mixed shop workload");
    group.throughput(Throughput::Elements(pages.len() as u64));
    group.bench_function("100 pages end to end", |b| {
        b.iter(|| {
            for page in &pages {
                pipeline_result(mixed.process(page));
            }
        })
    });
    group.finish();
}

/// Keeps the optimiser from dropping a Result.
fn pipeline_result(result: handlebox_pipeline::PageResult) {
    std::hint::black_box(result);
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
