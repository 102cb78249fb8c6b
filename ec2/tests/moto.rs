//! The EC2 compute service against moto's EC2 server on a free loopback port, with phases run
//! through the address map against local sshd hosts: no test ever connects to an address moto
//! returns (they are fake).

use pallet_ec2::{Ec2, Ec2Options};
use pallet_runtime::action::file;
use pallet_runtime::compute::{ComputeService, ImageQuery};
use pallet_runtime::converge::converge;
use pallet_runtime::node::Node;
use pallet_runtime::operation::RunOptions;
use pallet_runtime::plan::Plan;
use pallet_runtime::spec::{GroupSpec, NodeSpec};
use pallet_runtime::transport::AdminUser;
use pallet_runtime::transport::ssh::{HostKeyPolicy, SshOptions};
use pallet_testkit::{Fleet, Quirk, USER};
use std::collections::BTreeSet;
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
    .running_timeout(Duration::from_secs(60))
    // Documentation networks: moto never routes anything, and nothing dials them.
    .ingress_cidrs(["192.0.2.0/24", "2001:db8::/32"]);
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
    let sgs = c
        .describe_security_groups()
        .filters(aws_sdk_ec2::types::Filter::builder().name("group-name").values("pallet-web").build())
        .send()
        .await
        .unwrap();
    assert!(sgs.security_groups().is_empty(), "no security group either");
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

/// `web` with `ports` open.
fn web_ports(image: &str, count: usize, ports: &[u16]) -> GroupSpec {
    GroupSpec::new("web")
        .unwrap()
        .count(count)
        .node_spec(NodeSpec::new().image_id(image).inbound_ports(ports.iter().copied()).min_ram_mib(1024))
        .phase("configure", |ctx: &mut Plan<'_>| ctx.add(file("/srv/from-ec2")))
}

/// The CIDR rules of security group `name`: (port, source).
async fn rules(c: &aws_sdk_ec2::Client, name: &str) -> BTreeSet<(i32, String)> {
    let sg = c
        .describe_security_groups()
        .filters(aws_sdk_ec2::types::Filter::builder().name("group-name").values(name).build())
        .send()
        .await
        .unwrap();
    assert_eq!(sg.security_groups().len(), 1, "one {name}");
    let mut out = BTreeSet::new();
    for p in sg.security_groups()[0].ip_permissions() {
        assert_eq!(p.from_port(), p.to_port());
        let port = p.from_port().unwrap_or(-1);
        for r in p.ip_ranges() {
            out.insert((port, r.cidr_ip().unwrap().to_string()));
        }
        for r in p.ipv6_ranges() {
            out.insert((port, r.cidr_ipv6().unwrap().to_string()));
        }
    }
    out
}

fn expected(ports: &[i32], sources: &[&str]) -> BTreeSet<(i32, String)> {
    ports.iter().flat_map(|p| sources.iter().map(move |s| (*p, s.to_string()))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn security_group_rules_follow_the_ports_and_the_world_needs_allow_world() {
    let Some(moto) = Moto::start() else { return };
    let Some(fleet) = Fleet::start(&[Quirk::None; 2]) else { return };
    let image = some_image(&moto.url).await;
    let c = aws_sdk_ec2::Client::new(&sdk_config(&moto.url).await);
    let svc: std::sync::Arc<dyn ComputeService> = std::sync::Arc::new(service(&moto.url, Some(&fleet)).await);
    let ours = ["192.0.2.0/24", "2001:db8::/32"];

    let r = converge(svc.clone(), vec![web_ports(&image, 1, &[22, 80])], options(&fleet)).await.unwrap();
    assert!(!r.failed(), "{}", r.human());
    assert_eq!(rules(&c, "pallet-web").await, expected(&[22, 80], &ours));

    // The ports change and a node is added: 443 is opened, 80 revoked.
    let r = converge(svc.clone(), vec![web_ports(&image, 2, &[22, 443])], options(&fleet)).await.unwrap();
    assert!(!r.failed(), "{}", r.human());
    assert_eq!(r.created, ["web-2"]);
    assert_eq!(rules(&c, "pallet-web").await, expected(&[22, 443], &ours));

    // The ports change and the count does not: converge reconciles the rules all the same.
    let r = converge(svc.clone(), vec![web_ports(&image, 2, &[22, 9000])], options(&fleet)).await.unwrap();
    assert!(!r.failed(), "{}", r.human());
    assert!(r.created.is_empty());
    assert_eq!(rules(&c, "pallet-web").await, expected(&[22, 9000], &ours));

    // Preparing the group alone reconciles too (no node is created).
    svc.prepare_group(&web_ports(&image, 2, &[8080])).await.unwrap();
    assert_eq!(rules(&c, "pallet-web").await, expected(&[22, 8080], &ours));
    assert_eq!(svc.nodes().await.unwrap().len(), 2);

    // 0.0.0.0/0 without allow_world: refused before anything is created.
    let world = std::sync::Arc::new(service(&moto.url, Some(&fleet)).await.ingress_cidrs(["0.0.0.0/0"]));
    let db = GroupSpec::new("db").unwrap().count(1).node_spec(NodeSpec::new().image_id(&image));
    let r = converge(world.clone(), vec![db.clone()], options(&fleet)).await.unwrap();
    assert!(r.failed());
    let err = r.results.iter().find_map(|x| x.error.clone()).unwrap();
    assert!(err.contains("group db") && err.contains("`0.0.0.0/0`") && err.contains("allow_world = true"), "{err}");
    let v6 = service(&moto.url, None).await.ingress_cidrs(["::/0"]);
    assert!(v6.check().unwrap_err().to_string().contains("allow_world"));
    let none = service(&moto.url, None).await.ingress_cidrs(Vec::<String>::new());
    let err = none.prepare_group(&db).await.unwrap_err().to_string();
    assert!(err.contains("no ingress_cidrs"), "{err}");
    let sgs = c.describe_security_groups().group_names("pallet-db").send().await;
    assert!(sgs.is_err() || sgs.unwrap().security_groups().is_empty(), "no security group was created for db");
    assert!(world.nodes().await.unwrap().iter().all(|n| n.group != "db"));

    // Asked for explicitly, the world it is.
    let open = service(&moto.url, None).await.ingress_cidrs(Vec::<String>::new()).allow_world(true);
    open.prepare_group(&db).await.unwrap();
    assert_eq!(rules(&c, "pallet-db").await, expected(&[22], &["0.0.0.0/0", "::/0"]));
    let _ = converge(svc.clone(), vec![web_ports(&image, 0, &[])], options(&fleet)).await.unwrap();
}

/// Creates instance profile `name` in moto's IAM (the SDK for IAM is not a dependency: one
/// query call).
fn iam_instance_profile(url: &str, name: &str) -> String {
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let body = format!("Action=CreateInstanceProfile&InstanceProfileName={name}&Version=2010-05-08");
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "POST / HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let arn = out.split("<Arn>").nth(1).and_then(|r| r.split("</Arn>").next()).unwrap_or_else(|| panic!("{out}"));
    arn.to_string()
}

fn tags_of(tags: &[aws_sdk_ec2::types::Tag]) -> std::collections::BTreeMap<String, String> {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string()))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_settings_reach_the_instance_and_every_resource_is_tagged() {
    let Some(moto) = Moto::start() else { return };
    let image = some_image(&moto.url).await;
    let c = aws_sdk_ec2::Client::new(&sdk_config(&moto.url).await);
    // A VPC with subnets in two zones; in us-east-1b the larger subnet wins.
    let vpc = c.create_vpc().cidr_block("10.77.0.0/16").send().await.unwrap();
    let vpc = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let mut subnets = Vec::new();
    for (cidr, zone) in [("10.77.1.0/24", "us-east-1a"), ("10.77.2.0/24", "us-east-1b"), ("10.77.3.0/28", "us-east-1b")]
    {
        let s = c.create_subnet().vpc_id(&vpc).cidr_block(cidr).availability_zone(zone).send().await.unwrap();
        subnets.push(s.subnet().unwrap().subnet_id().unwrap().to_string());
    }
    let arn = iam_instance_profile(&moto.url, "pallet-web-profile");
    let user_data = "#cloud-config\nruncmd:\n  - echo 'hello from pallet' > /srv/hello\n";
    let svc = service(&moto.url, None)
        .await
        .service_name("aws")
        .vpc(Some(vpc.clone()))
        .user_data(user_data)
        .root_volume(Some(20), Some("gp3".into()))
        .instance_profile("pallet-web-profile")
        .tags([("team", "infra"), ("env", "test")]);
    let g = GroupSpec::new("web").unwrap().node_spec(NodeSpec::new().image_id(&image).location_id("us-east-1b"));
    let nodes = svc.create_nodes(&g, 1).await.unwrap();
    assert_eq!(nodes.len(), 1);
    assert_eq!(svc.name(), "aws");

    let d = c.describe_instances().instance_ids(&nodes[0].id).send().await.unwrap();
    let i = &d.reservations()[0].instances()[0];
    assert_eq!((i.subnet_id(), i.vpc_id()), (Some(subnets[1].as_str()), Some(vpc.as_str())));
    assert_eq!(i.iam_instance_profile().and_then(|p| p.arn()), Some(arn.as_str()));
    let t = tags_of(i.tags());
    assert_eq!(
        (t["Name"].as_str(), t["pallet:group"].as_str(), t["team"].as_str(), t["env"].as_str()),
        ("web-1", "web", "infra", "test")
    );
    let ud = c
        .describe_instance_attribute()
        .instance_id(&nodes[0].id)
        .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
        .send()
        .await
        .unwrap();
    let encoded = ud.user_data().and_then(|v| v.value()).unwrap();
    use base64::Engine;
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(encoded).unwrap(), user_data.as_bytes());

    let vols = c
        .describe_volumes()
        .filters(aws_sdk_ec2::types::Filter::builder().name("attachment.instance-id").values(&nodes[0].id).build())
        .send()
        .await
        .unwrap();
    assert_eq!(vols.volumes().len(), 1, "{vols:?}");
    let v = &vols.volumes()[0];
    assert_eq!((v.size(), v.volume_type().map(|t| t.as_str())), (Some(20), Some("gp3")));
    let t = tags_of(v.tags());
    assert_eq!((t["pallet:group"].as_str(), t["team"].as_str(), t["Name"].as_str()), ("web", "infra", "web-1"));

    let sg = c
        .describe_security_groups()
        .filters(aws_sdk_ec2::types::Filter::builder().name("group-name").values("pallet-web").build())
        .send()
        .await
        .unwrap();
    let sg = &sg.security_groups()[0];
    assert_eq!(sg.vpc_id(), Some(vpc.as_str()), "the security group is in the chosen VPC");
    let t = tags_of(sg.tags());
    assert_eq!((t["pallet:group"].as_str(), t["team"].as_str()), ("web", "infra"));
    let kp = c.describe_key_pairs().key_names(format!("pallet-{USER}")).send().await.unwrap();
    let t = tags_of(kp.key_pairs()[0].tags());
    assert_eq!((t["pallet:managed"].as_str(), t["env"].as_str()), ("1", "test"));

    // An explicit subnet wins over the choice, and must be in the VPC named.
    let other = c.create_vpc().cidr_block("10.78.0.0/16").send().await.unwrap();
    let other = other.vpc().unwrap().vpc_id().unwrap().to_string();
    let bad = service(&moto.url, None).await.vpc(Some(other.clone())).subnet(Some(subnets[0].clone()));
    let err = bad.create_nodes(&g, 1).await.unwrap_err().to_string();
    assert!(err.contains(&format!("subnet {} is in VPC {vpc}, not in vpc_id {other}", subnets[0])), "{err}");
    let pinned = service(&moto.url, None).await.subnet(Some(subnets[0].clone()));
    let g2 = GroupSpec::new("db").unwrap().node_spec(NodeSpec::new().image_id(&image));
    let n = pinned.create_nodes(&g2, 1).await.unwrap();
    let d = c.describe_instances().instance_ids(&n[0].id).send().await.unwrap();
    assert_eq!(d.reservations()[0].instances()[0].subnet_id(), Some(subnets[0].as_str()));

    // Settings checked before any call.
    for (svc, what) in [
        (service(&moto.url, None).await.root_volume(None, Some("gp9".into())), "root_volume_type `gp9`"),
        (service(&moto.url, None).await.root_volume(Some(0), None), "root_volume_size_gib 0"),
        (service(&moto.url, None).await.tags([("pallet:group", "x")]), "tags: `pallet:group`"),
        (service(&moto.url, None).await.user_data("x".repeat(pallet_ec2::MAX_USER_DATA + 1)), "user data of"),
        (service(&moto.url, None).await.ingress_cidrs(["10.0.0.0/33"]), "prefix length"),
    ] {
        let e = svc.check().unwrap_err().to_string();
        assert!(e.contains(what), "{what}: {e}");
        assert!(svc.create_nodes(&g2, 1).await.unwrap_err().to_string().contains(what));
    }
    svc.destroy_nodes(&nodes).await.unwrap();
    pinned.destroy_nodes(&n).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_and_hardware_are_listed() {
    let Some(moto) = Moto::start() else { return };
    let svc = service(&moto.url, None).await;
    let all = svc.images(&ImageQuery { owners: vec!["amazon".into()], name: None }).await.unwrap();
    assert!(all.len() > 1, "moto has canned images");
    let name = all[0].name.clone().unwrap();
    let pattern = format!("{}*", &name[..name.len().min(8)]);
    let some = svc.images(&ImageQuery { owners: vec!["amazon".into()], name: Some(pattern.clone()) }).await.unwrap();
    assert!(!some.is_empty() && some.len() <= all.len());
    let prefix = pattern.trim_end_matches('*');
    assert!(some.iter().all(|i| i.name.as_deref().is_some_and(|n| n.starts_with(prefix))), "{some:?}");
    assert!(some.iter().all(|i| i.id.starts_with("ami-") && i.owner.is_some()));
    let created: Vec<_> = all.iter().map(|i| i.created.clone()).collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // No owner given and none configured: only this account's, which are none.
    assert!(svc.images(&ImageQuery::default()).await.unwrap().is_empty());

    let hw = svc.hardware().await.unwrap();
    let micro = hw.iter().find(|h| h.id == "t3.micro").expect("t3.micro");
    assert_eq!((micro.cores, micro.ram_mib), (Some(2), Some(1024)));
    assert!(micro.architectures.iter().any(|a| a == "x86_64"), "{micro:?}");
    assert!(hw.len() > 100, "every page: {}", hw.len());
}
