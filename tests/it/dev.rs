//! `serve all --dev` as a new user meets it: on loopback only, and a banner whose commands work
//! as printed — run here by `bash`, verbatim, with no `latchkey` on the PATH — through the
//! built-in sign-in and consent pages as the demo user. Uses the default ports (4444–4446): the
//! banner's commands and the default issuer name them.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Duration,
};

use crate::{
    support::{KillOnDrop, latchkey},
    ui::{authorize_link, demo_user_signs_in, exit_status},
};

/// The `--dev` banner, read off the server's standard error up to its last command.
fn read_banner(stderr: std::process::ChildStderr) -> String {
    let mut banner = String::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("perform authorization-code") {
            break;
        }
    }
    banner
}

/// The banner's "Try:" commands, joined where a line ends in `\`.
fn banner_commands(banner: &str) -> Vec<String> {
    let start = banner.find("Try:").expect("a Try: section") + 4;
    let mut commands = Vec::new();
    let mut current = String::new();
    for line in banner[start..].lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                commands.push(std::mem::take(&mut current));
            }
        }
    }
    commands
}

/// Runs the banner's two commands with bash, with no `latchkey` on the PATH: registers the demo
/// client, then `perform authorization-code` serves its page on :4446, whose link the demo user
/// follows through the built-in app of the server at `public`; the command must exit with the
/// tokens. Returns the link.
async fn sign_in_as_the_banner_says(commands: &[String], public: &str) -> String {
    let path = "/usr/bin:/bin";
    let out = Command::new("bash")
        .arg("-c")
        .arg(&commands[0])
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        commands[0],
        String::from_utf8_lossy(&out.stderr)
    );
    let rp = Command::new("bash")
        .arg("-c")
        .arg(format!("{} --no-open", commands[1]))
        .env("PATH", path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut rp = KillOnDrop(rp);
    let mut body = String::new();
    for _ in 0..300 {
        if let Ok(r) = reqwest::get("http://127.0.0.1:4446/").await {
            body = r.text().await.unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let link = authorize_link(&body);
    let done = demo_user_signs_in(&link, &format!("{public}/ui")).await;
    assert!(done.body.contains("Signed in"), "{}", done.body);
    assert!(exit_status(&mut rp.0).await.success());
    link
}

crate::test!(dev_banner_commands_work_as_printed);
async fn dev_banner_commands_work_as_printed() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = latchkey()
        .current_dir(dir.path())
        .args(["serve", "all", "--dev"])
        .env_remove("CARGO_MANIFEST_DIR")
        .env("LOG_LEVEL", "warn")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = server.stderr.take().unwrap();
    let _server = KillOnDrop(server);
    let banner = read_banner(stderr);
    // Loopback only, and it says so.
    assert!(
        banner.contains("Admin API:   http://127.0.0.1:4445"),
        "{banner}"
    );
    assert!(banner.contains("listens on 127.0.0.1 only"), "{banner}");
    for port in [4444, 4445] {
        let reachable_elsewhere = std::net::UdpSocket::bind("0.0.0.0:0")
            .and_then(|s| {
                s.connect("192.0.2.1:9")?;
                s.local_addr()
            })
            .ok()
            .map(|a| a.ip())
            .filter(|ip| !ip.is_loopback())
            .map(|ip| std::net::TcpStream::connect((ip, port)).is_ok());
        assert_ne!(
            reachable_elsewhere,
            Some(true),
            "port {port} answers off loopback"
        );
    }
    let commands = banner_commands(&banner);
    assert_eq!(commands.len(), 2, "{banner}");
    // No `latchkey` on this PATH: the banner must name the binary itself.
    assert!(!commands[0].starts_with("latchkey "), "{}", commands[0]);
    sign_in_as_the_banner_says(&commands, "http://127.0.0.1:4444").await;

    // Started by `cargo run`, the banner says `cargo run --`.
    // (A database of its own: the first server still runs, with its own demo-app.)
    let dir2 = tempfile::tempdir().unwrap();
    let mut again = latchkey()
        .current_dir(dir2.path())
        .args(["serve", "all", "--dev"])
        .env("CARGO_MANIFEST_DIR", dir.path())
        .env("SERVE_PUBLIC_PORT", "0")
        .env("SERVE_ADMIN_PORT", "0")
        .env("LOG_LEVEL", "warn")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = again.stderr.take().unwrap();
    let _again = KillOnDrop(again);
    let banner = read_banner(stderr);
    let commands = banner_commands(&banner);
    assert!(
        commands.iter().all(|c| c.starts_with("cargo run -- ")),
        "{banner}"
    );

    // Issue 22: on other ports, the issuer and every default URL follow the listener actually
    // bound, and a sign-in through the built-in app completes there.
    let public = banner
        .lines()
        .find_map(|l| l.trim().strip_prefix("Public API:"))
        .and_then(|l| l.split_whitespace().next())
        .expect("the public address in the banner")
        .to_owned();
    assert_ne!(public, "http://127.0.0.1:4444", "{banner}");
    assert!(banner.contains(&format!("issuer {public}/")), "{banner}");
    let me = latchkey().get_program().to_string_lossy().into_owned();
    let commands: Vec<String> = commands
        .iter()
        .map(|c| c.replacen("cargo run --", &me, 1))
        .collect();
    let link = sign_in_as_the_banner_says(&commands, &public).await;
    assert!(link.starts_with(&public), "{link}");
}
