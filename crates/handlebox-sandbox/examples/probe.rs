use handlebox_sandbox::*;
use std::time::Instant;
fn main() {
    let sandbox = Sandbox::new(SandboxConfig::default()).unwrap();
    let spot = HandlerSpec::variable(
        "spot",
        "return _digitalData('website.redesign') ? 'redesign' : 'old';",
    );
    let t = Instant::now();
    let project = Project::compile(&sandbox, vec![spot.clone(), spot.clone(), spot]).unwrap();
    println!(
        "compile {:?} image {} bytes",
        t.elapsed(),
        project.image_bytes()
    );
    let data = PageData {
        digital_data: serde_json::json!({"website": {"redesign": true}}),
        ..Default::default()
    };
    let n = 2000;
    if std::env::args().nth(1).as_deref() == Some("warm") {
        let steps = vec![
            Step::Variable {
                handler: 0,
                prop: "a".into(),
                event: "".into(),
            },
            Step::Variable {
                handler: 1,
                prop: "b".into(),
                event: "".into(),
            },
            Step::Variable {
                handler: 2,
                prop: "c".into(),
                event: "".into(),
            },
        ];
        let mut p = project.open_page(&data).unwrap();
        let t = Instant::now();
        for _ in 0..20000 {
            p.run_event(&steps, &serde_json::json!({"name":"x"}))
                .unwrap();
        }
        println!("event(3) warm {:?}", t.elapsed() / 20000);
        return;
    }
    if std::env::args().nth(1).as_deref() == Some("products") {
        let project = Project::compile(&sandbox, vec![HandlerSpec::variable("id", "return 1;").with_scope(Scope::Product)]).unwrap();
        let products: Vec<serde_json::Value> = (0..20).map(|i| serde_json::json!({"id": format!("sku-{i}"), "name": "Red Shoes", "unitSalePrice": 2990, "categoryId": "c-10"})).collect();
        let listing = serde_json::json!({"name": "Viewed Product Listing", "listing": {"items": products}});
        let steps = vec![Step::ProductVariable{handler:0, prop:"id".into()}];
        let mut p = project.open_page(&data).unwrap();
        let t = Instant::now();
        for _ in 0..5000 { p.run_event(&steps, &listing).unwrap(); }
        println!("20 products {:?}", t.elapsed() / 5000);
        return;
    }
    if std::env::args().nth(1).as_deref() == Some("open") {
        let t = Instant::now();
        for _ in 0..20000 {
            let _p = project.open_page(&data).unwrap();
        }
        println!("open {:?}/page", t.elapsed() / 20000);
        return;
    }
    let t = Instant::now();
    for _ in 0..n {
        let _p = project.open_page(&data).unwrap();
    }
    println!("open {:?}/page", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        let mut p = project.open_page(&data).unwrap();
        p.call(0, &serde_json::json!({"name":"x"})).unwrap();
    }
    println!("open+call {:?}/page", t.elapsed() / n);
    let steps = vec![
        Step::Variable {
            handler: 0,
            prop: "a".into(),
            event: "".into(),
        },
        Step::Variable {
            handler: 1,
            prop: "b".into(),
            event: "".into(),
        },
        Step::Variable {
            handler: 2,
            prop: "c".into(),
            event: "".into(),
        },
    ];
    let t = Instant::now();
    for _ in 0..n {
        let mut p = project.open_page(&data).unwrap();
        p.run_event(&steps, &serde_json::json!({"name":"x"}))
            .unwrap();
    }
    println!("open+event(3) {:?}/page", t.elapsed() / n);
    let mut p = project.open_page(&data).unwrap();
    let t = Instant::now();
    for _ in 0..n {
        p.run_event(&steps, &serde_json::json!({"name":"x"}))
            .unwrap();
    }
    println!("event(3) warm {:?}", t.elapsed() / n);
}
