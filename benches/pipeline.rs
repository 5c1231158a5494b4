//! A page end to end through the Flocktory pipeline: a typical thank-you
//! page (Viewed Page + Completed Transaction, two event variables and an
//! override, ~6 KB of digitalData), and a browsing session of 50 events.

use criterion::{Criterion, criterion_group, criterion_main};
use handlebox_flocktory::FlocktoryKind;
use handlebox_pipeline::{PageInput, Pipeline, config};
use handlebox_sandbox::{Sandbox, SandboxConfig};

const SHOP: &str = include_str!("../fixtures/configs/shop.json");
const TYPICAL: &str = include_str!("../fixtures/pages/thank-you-6kb.json");
const SESSION: &str = include_str!("../fixtures/pages/browsing-50-events.json");

fn pipeline(c: &mut Criterion) {
    let sandbox = Sandbox::new(SandboxConfig::default()).expect("sandbox");
    let configs = config::parse(SHOP).expect("shop config");
    let pipeline = Pipeline::new(&sandbox, configs, &[&FlocktoryKind]).expect("pipeline");
    let typical = PageInput::parse(TYPICAL).expect("typical page");
    let session = PageInput::parse(SESSION).expect("session page");

    c.bench_function("typical thank-you page end to end", |b| {
        b.iter(|| pipeline.process(&typical))
    });
    c.bench_function("page with 50 events end to end", |b| {
        b.iter(|| pipeline.process(&session))
    });
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
