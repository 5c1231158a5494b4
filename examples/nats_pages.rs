//! Feeds and watches the stream worker's NATS streams, for
//! `benches/stream/run.sh`:
//! - `nats_pages publish URL FILE`: each line of the NDJSON FILE as one
//!   page on `handlebox.pages` (stream `HANDLEBOX`), `Nats-Msg-Id` = its
//!   line number;
//! - `nats_pages wait URL N`: waits until `HANDLEBOX_RESULTS` holds N
//!   Results, then prints the seconds since the first one was stored.

use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use async_nats::jetstream::{self, stream};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let outcome = match args.as_slice() {
        [mode, url, file] if mode == "publish" => runtime.block_on(publish(url, file)),
        [mode, url, count] if mode == "wait" => match count.parse() {
            Ok(count) => runtime.block_on(wait(url, count)),
            Err(_) => Err(format!("{count:?} is not a count")),
        },
        _ => Err("usage: nats_pages publish URL FILE | nats_pages wait URL COUNT".to_owned()),
    };
    if let Err(message) = outcome {
        eprintln!("nats_pages: {message}");
        std::process::exit(2);
    }
}

async fn publish(url: &str, file: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let client = async_nats::connect(url).await.map_err(|e| e.to_string())?;
    let js = jetstream::new(client);
    js.get_or_create_stream(stream::Config {
        name: "HANDLEBOX".to_owned(),
        subjects: vec!["handlebox.pages".to_owned()],
        storage: stream::StorageType::File,
        ..Default::default()
    })
    .await
    .map_err(|e| e.to_string())?;
    let mut acks = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", (number + 1).to_string().as_str());
        let ack = js
            .publish_with_headers("handlebox.pages", headers, line.to_owned().into())
            .await
            .map_err(|e| e.to_string())?;
        acks.push(ack);
        if acks.len() >= 256 {
            for ack in acks.drain(..) {
                ack.await.map_err(|e| e.to_string())?;
            }
        }
    }
    for ack in acks {
        ack.await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

async fn wait(url: &str, count: u64) -> Result<(), String> {
    let client = async_nats::connect(url).await.map_err(|e| e.to_string())?;
    let js = jetstream::new(client);
    let mut first: Option<Instant> = None;
    loop {
        if let Ok(mut results) = js.get_stream("HANDLEBOX_RESULTS").await {
            let stored = results
                .info()
                .await
                .map_err(|e| e.to_string())?
                .state
                .messages;
            if stored > 0 && first.is_none() {
                first = Some(Instant::now());
            }
            if stored >= count {
                let seconds = first.map_or(0.0, |t| t.elapsed().as_secs_f64());
                println!(
                    "{stored} Results in {seconds:.2} s ({:.0} pages/s)",
                    stored as f64 / seconds.max(1e-9)
                );
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
