//! The `ec2` provider named in a configuration file, through the command line of an ops binary
//! (`examples/ec2_ops.rs`) against moto's EC2 server: credentials from the standard AWS chain
//! (the environment), `providers`, `images`, `hardware` and `nodes --all` in human and JSON
//! output (checked against `docs/report.schema.json`), and configuration errors (exit 3). No
//! command here connects to a node.

use pallet_ec2::Ec2;
use pallet_runtime::compute::ComputeService;
use pallet_runtime::spec::{GroupSpec, NodeSpec};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A moto_server this test started; stopped by PID on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    fn start() -> Option<Moto> {
        let bin =
            ["/opt/pallet-moto/bin/moto_server".to_string(), std::env::var("PALLET_MOTO_SERVER").unwrap_or_default()]
                .into_iter()
                .find(|b| !b.is_empty() && Path::new(b).exists());
        let Some(bin) = bin else {
            assert!(!pallet_testkit::required(), "CI must run the EC2 tests: moto_server not found");
            eprintln!("skipping: moto_server not found");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(s, "POST /moto-api/reset HTTP/1.0\r\nContent-Length: 0\r\n\r\n").unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        Some(Moto { child, url: format!("http://127.0.0.1:{port}") })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let p = exe.parent().unwrap().parent().unwrap().join("examples/ec2_ops");
    assert!(p.exists(), "{} is missing: `cargo test` builds the examples", p.display());
    p
}

/// Runs the ops binary in `dir` with credentials in the environment only (the standard chain's
/// first link) and `HOME` there, so no profile of this machine is read.
fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("no-config"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

fn validate(json: &str) -> serde_json::Value {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/report.schema.json")).unwrap(),
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("not JSON ({e}): {json}"));
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:?}\n{json}");
    v
}

fn config(dir: &Path, moto: &str, extra: &str) {
    std::fs::write(
        dir.join("pallet.toml"),
        format!(
            "default_service = \"aws\"\n\n[services.aws]\nprovider = \"ec2\"\nregion = \"us-east-1\"\nendpoint_url = \"{moto}\"\nmax_attempts = 2\n{extra}\n[admin_user]\nusername = \"pallet-test\"\n"
        ),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ec2_provider_from_config_lists_providers_images_hardware_and_all_nodes() {
    let Some(moto) = Moto::start() else { return };
    let dir = std::env::temp_dir().join(format!("pallet-ec2-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    config(
        &dir,
        &moto.url,
        "image_owner = \"amazon\"\ningress_cidrs = [\"192.0.2.0/24\"]\ntags = { team = \"infra\" }\n",
    );

    let o = run(&dir, &["providers"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.starts_with("providers: containers, ec2, localhost, node-list\n"), "{out}");
    assert!(out.contains("* aws") && out.contains("ec2") && out.contains("pallet.toml:3"), "{out}");
    let o = run(&dir, &["--format", "json", "providers"]);
    let v = validate(&text(&o).0);
    assert_eq!(v["default_service"], "aws");
    assert_eq!(v["services"][0]["provider"], "ec2");
    assert_eq!(v["groups"], serde_json::json!([{ "group": "web", "service": "aws" }]));

    // Images of the configured owner, by name pattern; the JSON names the service.
    let o = run(&dir, &["--format", "json", "images", "*"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let v = validate(&text(&o).0);
    let images = v["images"].as_array().unwrap();
    assert!(!images.is_empty());
    assert!(images.iter().all(|i| i["service"] == "aws" && i["id"].as_str().unwrap().starts_with("ami-")));
    let o = run(&dir, &["images", "--owner", "self"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o).0.lines().count(), 1, "only the header: this account owns no image");

    let o = run(&dir, &["hardware"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.lines().any(|l| l.split_whitespace().take(4).eq(["aws", "t3.micro", "2", "1024"])), "{out}");
    let o = run(&dir, &["--format", "json", "hardware"]);
    let v = validate(&text(&o).0);
    assert!(
        v["hardware"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["service"] == "aws" && h["id"] == "t3.micro" && h["ram_mib"] == 1024)
    );

    // An instance of a group this program does not define: only `nodes --all` shows it.
    let svc = Ec2::connect(pallet_ec2::Ec2Options {
        region: Some("us-east-1".into()),
        endpoint_url: Some(moto.url.clone()),
        max_attempts: Some(2),
        static_credentials: Some(("testing".into(), "testing".into())),
    })
    .await
    .ingress_cidrs(["192.0.2.0/24"]);
    let ami = {
        let q = pallet_runtime::compute::ImageQuery { owners: vec!["amazon".into()], name: None };
        svc.images(&q).await.unwrap()[0].id.clone()
    };
    let other = GroupSpec::new("other").unwrap().node_spec(NodeSpec::new().image_id(ami));
    let created = svc.create_nodes(&other, 1).await.unwrap();
    let o = run(&dir, &["--format", "json", "nodes"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    assert_eq!(validate(&text(&o).0), serde_json::json!([]));
    let o = run(&dir, &["--format", "json", "nodes", "--all"]);
    let v = validate(&text(&o).0);
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!((v[0]["name"].as_str(), v[0]["group"].as_str()), (Some("other-1"), Some("other")));
    let o = run(&dir, &["nodes", "--all"]);
    assert!(text(&o).0.lines().nth(1).is_some_and(|l| l.starts_with("other-1")), "{}", text(&o).0);
    let o = run(&dir, &["nodes", "--all", "web"]);
    assert_eq!(o.status.code(), Some(3), "--all takes no groups");
    svc.destroy_nodes(&created).await.unwrap();

    // Configuration errors name the file and the service, before any AWS call (exit 3).
    for (extra, expect) in [
        (
            "ingress_cidrs = [\"0.0.0.0/0\"]\n",
            "`0.0.0.0/0` opens the nodes to the whole internet; set `allow_world = true`",
        ),
        ("ingress_cidrs = [\"::/0\"]\n", "`::/0` opens the nodes"),
        ("root_volume_type = \"fast\"\n", "root_volume_type `fast`"),
        ("user_data = \"a\"\nuser_data_file = \"b\"\n", "user_data or user_data_file, not both"),
        ("subnet = \"subnet-1\"\n", "unknown field `subnet`"),
    ] {
        config(&dir, &moto.url, extra);
        let o = run(&dir, &["nodes"]);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(3), "{extra}: {err}");
        assert!(err.contains("pallet.toml:3: services.aws") && err.contains(expect), "{extra}: {err}");
    }
    config(&dir, &moto.url, "ingress_cidrs = [\"0.0.0.0/0\", \"::/0\"]\nallow_world = true\n");
    assert_eq!(run(&dir, &["nodes"]).status.code(), Some(0), "allowed explicitly");
    std::fs::remove_dir_all(&dir).unwrap();
}
