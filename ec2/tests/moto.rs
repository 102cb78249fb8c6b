//! The EC2 compute service against moto's EC2 server on a free loopback port, with phases run
//! through the address map against local sshd hosts: no test ever connects to an address moto
//! returns (they are fake).

use pallet_ec2::{Ec2, Ec2Options};
use pallet_runtime::action::file;
use pallet_runtime::compute::ComputeService;
use pallet_runtime::converge::converge;
use pallet_runtime::node::Node;
use pallet_runtime::operation::RunOptions;
use pallet_runtime::plan::Plan;
use pallet_runtime::spec::{GroupSpec, NodeSpec};
use pallet_runtime::transport::AdminUser;
use pallet_runtime::transport::ssh::{HostKeyPolicy, SshOptions};
use pallet_testkit::{Fleet, Quirk, USER};
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A moto_server this test started; stopped by PID on drop.
struct Moto {
    child: Child,
    url: String,
}

fn moto_server() -> Option<String> {
    for c in [
        std::env::var("PALLET_MOTO_SERVER").unwrap_or_default(),
        "/opt/pallet-moto/bin/moto_server".into(),
        "moto_server".into(),
    ] {
        if !c.is_empty()
            && Command::new("sh")
                .arg("-c")
                .arg(format!("command -v {c} >/dev/null"))
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        {
            return Some(c);
        }
    }
    None
}

impl Moto {
    fn start() -> Option<Moto> {
        let Some(bin) = moto_server() else {
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
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        let m = Moto { child, url };
        m.reset();
        Some(m)
    }

    fn reset(&self) {
        let port = self.url.rsplit(':').next().unwrap();
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).unwrap();
        write!(s, "POST /moto-api/reset HTTP/1.0\r\nContent-Length: 0\r\n\r\n").unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        assert!(out.starts_with("HTTP/1.") && out.contains("200"), "{out}");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Moto accepts any credentials; static ones keep the SDK from looking further.
fn credentials() -> Option<(String, String)> {
    Some(("testing".into(), "testing".into()))
}

fn sdk_config(url: &str) -> impl std::future::Future<Output = aws_config::SdkConfig> + '_ {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(aws_sdk_ec2::config::Credentials::new("testing", "testing", None, None, "test"))
        .load()
}

async fn service(url: &str, fleet: Option<&Fleet>) -> Ec2 {
    let ec2 = Ec2::connect(Ec2Options {
        region: Some("us-east-1".into()),
        endpoint_url: Some(url.into()),
        max_attempts: Some(2),
        static_credentials: credentials(),
    })
    .await
    .admin_key(USER, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPalletTestKeyxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx test")
    .running_timeout(Duration::from_secs(60));
    match fleet {
        Some(f) => {
            let hosts: Vec<(String, u16)> = f.hosts.iter().map(|h| (h.address.clone(), f.port)).collect();
            // `web-3` → the third host. Anything else goes to the discard port of loopback: never to
            // the fake addresses moto returns.
            ec2.address_map(move |n: &Node| {
                let i = n.name.rsplit('-').next().and_then(|k| k.parse::<usize>().ok()).unwrap_or(0);
                Some(hosts.get(i.wrapping_sub(1)).cloned().unwrap_or(("127.0.0.1".into(), 9)))
            })
        }
        None => ec2,
    }
}

/// An image moto knows.
async fn some_image(url: &str) -> String {
    let c = aws_sdk_ec2::Client::new(&sdk_config(url).await);
    let r = c.describe_images().owners("amazon").send().await.unwrap();
    r.images().iter().find_map(|i| i.image_id().map(String::from)).expect("moto has canned images")
}

fn options(fleet: &Fleet) -> RunOptions {
    RunOptions {
        user: AdminUser::new(USER).private_key(&fleet.key),
        ssh: SshOptions { host_keys: HostKeyPolicy::AcceptNew(fleet.dir.join("known_hosts")), ..SshOptions::default() },
        ..RunOptions::default()
    }
}

fn web(image: &str, count: usize) -> GroupSpec {
    GroupSpec::new("web")
        .unwrap()
        .count(count)
        .node_spec(NodeSpec::new().image_id(image).inbound_ports([22, 80]).min_ram_mib(1024))
        .phase("configure", |ctx: &mut Plan<'_>| ctx.add(file("/srv/from-ec2")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn converge_creates_tags_scales_down_and_terminates() {
    let Some(moto) = Moto::start() else { return };
    let Some(fleet) = Fleet::start(&[Quirk::None; 3]) else { return };
    let image = some_image(&moto.url).await;
    let ec2 = service(&moto.url, Some(&fleet)).await;
    let svc: std::sync::Arc<dyn ComputeService> = std::sync::Arc::new(ec2.clone());

    let r = converge(svc.clone(), vec![web(&image, 3)], options(&fleet)).await.unwrap();
    assert!(!r.failed(), "{}", r.human());
    assert_eq!(r.created, ["web-1", "web-2", "web-3"]);
    for h in &fleet.hosts {
        assert!(h.path("/srv/from-ec2").exists(), "phases ran through the address map on {}", h.address);
    }
    let nodes = svc.nodes().await.unwrap();
    assert_eq!(nodes.len(), 3);
    assert!(nodes.iter().all(|n| n.group == "web" && n.running && !n.has_flag("bootstrapped")));

    let c = aws_sdk_ec2::Client::new(&sdk_config(&moto.url).await);
    let sg = c.describe_security_groups().group_names("pallet-web").send().await.unwrap();
    let ports: Vec<i32> = sg.security_groups()[0].ip_permissions().iter().filter_map(|p| p.from_port()).collect();
    assert!(ports.contains(&22) && ports.contains(&80), "{ports:?}");
    assert!(c.describe_key_pairs().key_names(format!("pallet-{USER}")).send().await.is_ok());
    let all = c.describe_instances().send().await.unwrap();
    for i in all.reservations().iter().flat_map(|r| r.instances()) {
        let keys: Vec<&str> = i.tags().iter().filter_map(|t| t.key()).collect();
        assert!(keys.contains(&"pallet:group") && keys.contains(&"Name"), "untagged instance {:?}", i.instance_id());
    }
    assert_eq!(
        c.describe_instances()
            .send()
            .await
            .unwrap()
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .filter(|i| i.instance_type().map(|t| t.as_str()) == Some("t3.micro"))
            .count(),
        3
    );

    let down = converge(svc.clone(), vec![web(&image, 1)], options(&fleet)).await.unwrap();
    assert!(!down.failed(), "{}", down.human());
    assert_eq!(down.destroyed, ["web-2", "web-3"]);
    assert_eq!(svc.nodes().await.unwrap().len(), 1);

    let gone = converge(svc.clone(), vec![web(&image, 0)], options(&fleet)).await.unwrap();
    assert_eq!(gone.destroyed, ["web-1"]);
    let running = c
        .describe_instances()
        .filters(aws_sdk_ec2::types::Filter::builder().name("tag:pallet:group").values("web").build())
        .filters(aws_sdk_ec2::types::Filter::builder().name("instance-state-name").values("running").build())
        .send()
        .await
        .unwrap();
    assert_eq!(running.reservations().iter().flat_map(|r| r.instances()).count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_image_is_a_clear_error_naming_the_group() {
    // moto launches any AMI id it is given, so the unknown image is one pallet has to find:
    // no image of that OS family and version exists.
    let Some(moto) = Moto::start() else { return };
    let Some(fleet) = Fleet::start(&[Quirk::None; 1]) else { return };
    let svc = std::sync::Arc::new(service(&moto.url, Some(&fleet)).await);
    let g = GroupSpec::new("web")
        .unwrap()
        .count(2)
        .node_spec(NodeSpec::new().os_family(stevedore::os::Family::Arch).os_version_matches("2099"));
    let r = converge(svc.clone(), vec![g], options(&fleet)).await.unwrap();
    assert!(r.failed());
    let err = r.results.iter().find_map(|x| x.error.clone()).unwrap();
    assert!(err.contains("group web") && err.contains("no image matches `arch*2099*`"), "{err}");
    assert!(svc.nodes().await.unwrap().is_empty());
    let c = aws_sdk_ec2::Client::new(&sdk_config(&moto.url).await);
    assert_eq!(
        c.describe_instances().send().await.unwrap().reservations().len(),
        0,
        "no instance at all, tagged or not"
    );
}

/// A fake EC2 endpoint answering every request with one error.
fn fake_endpoint(status: u16, code: &'static str, message: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in listener.incoming().take(20) {
            let Ok(mut s) = s else { continue };
            let mut buf = [0u8; 65536];
            let _ = s.read(&mut buf);
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>pallet-test</RequestID></Response>"
            );
            let _ = write!(
                s,
                "HTTP/1.1 {status} Error\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://127.0.0.1:{port}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_and_throttling_are_clear_errors_naming_the_group() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 1]) else { return };
    for (status, code, msg) in [
        (401, "AuthFailure", "AWS was not able to validate the provided access credentials"),
        (503, "RequestLimitExceeded", "Request limit exceeded."),
    ] {
        let url = fake_endpoint(status, code, msg);
        let svc = std::sync::Arc::new(service(&url, Some(&fleet)).await);
        let err = converge(svc, vec![web("ami-12345678", 1)], options(&fleet)).await.unwrap_err().to_string();
        assert!(err.contains("group(s) web") && err.contains(code), "{err}");
    }
}
