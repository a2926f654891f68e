//! Real servers from Debian's packages (Prometheus, unbound, nginx, OpenSSH, Postfix) started
//! by the tests on loopback ports, each with its own config and data in a temp dir, killed
//! when the test ends; and certificates made with `openssl` for them.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process and the dir that holds its config and data.
pub struct Daemon {
    child: Child,
    pub dir: tempfile::TempDir,
    pub addr: SocketAddr,
    /// How to stop a server that leaves its process group (Postfix's master): a command run
    /// before the process is killed.
    stop: Option<Vec<String>>,
}

impl Daemon {
    /// Starts `program` with `args` (`{dir}` in them is the daemon's dir) and waits until
    /// `addr` accepts connections. `setup` writes the config into the dir first.
    pub fn start(
        program: &str,
        args: &[&str],
        addr: SocketAddr,
        setup: impl FnOnce(&Path),
    ) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        setup(dir.path());
        let args: Vec<String> = args
            .iter()
            .map(|arg| arg.replace("{dir}", &dir.path().display().to_string()))
            .collect();
        let log = std::fs::File::create(dir.path().join("daemon.log")).unwrap();
        let child = Command::new(program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {program}: {e}"));
        let mut daemon = Daemon {
            child,
            dir,
            addr,
            stop: None,
        };
        daemon.wait_until_listening(program);
        daemon
    }

    fn wait_until_listening(&mut self, program: &str) {
        let started = Instant::now();
        while TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{program} exited ({status}):\n{}", self.log());
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{program} did not listen on {} in 30 s:\n{}",
                self.addr,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs `command` (`{dir}` is the daemon's dir) to stop the server at the end.
    pub fn stopped_by(mut self, command: &[&str]) -> Daemon {
        let dir = self.dir.path().display().to_string();
        self.stop = Some(command.iter().map(|a| a.replace("{dir}", &dir)).collect());
        self
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some((program, args)) = self.stop.as_ref().and_then(|c| c.split_first()) {
            let _ = Command::new(program)
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback address with a port free now.
pub fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// `count` free loopback addresses, all different: each listener is held until every one is
/// chosen (one `free_addr` after another may be handed the same port again).
pub fn free_addrs(count: usize) -> Vec<SocketAddr> {
    let listeners: Vec<std::net::TcpListener> = (0..count)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners.iter().map(|l| l.local_addr().unwrap()).collect()
}

/// Runs `openssl` with `args` in `dir`; it must succeed.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Certificates made by `openssl` in `dir`: a root CA, an intermediate signed by it, and leaf
/// certificates signed by the intermediate with given names and dates (`openssl ca`, whose
/// `-startdate`/`-enddate` make expired and not-yet-valid ones).
pub struct OpensslPki {
    pub dir: PathBuf,
}

impl OpensslPki {
    pub fn new(dir: &Path) -> OpensslPki {
        let pki = OpensslPki {
            dir: dir.to_path_buf(),
        };
        std::fs::write(dir.join("index.txt"), "").unwrap();
        std::fs::write(dir.join("serial"), "1000\n").unwrap();
        std::fs::write(dir.join("ca.cnf"), CA_CONFIG).unwrap();
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "root.key",
                "-out",
                "root.pem",
                "-days",
                "3650",
                "-subj",
                "/CN=cachet-check test root",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "intermediate.key",
                "-out",
                "intermediate.csr",
                "-subj",
                "/CN=cachet-check test intermediate",
            ],
        );
        openssl(
            dir,
            &[
                "ca",
                "-batch",
                "-config",
                "ca.cnf",
                "-name",
                "root",
                "-extensions",
                "v3_ca",
                "-days",
                "3650",
                "-in",
                "intermediate.csr",
                "-out",
                "intermediate.pem",
            ],
        );
        pki
    }

    /// A leaf for `names` (DNS names; 127.0.0.1 is always added) valid from `start` to `end`
    /// (`YYYYMMDDHHMMSSZ`), signed by the intermediate: writes `NAME.key`, `NAME.pem` (leaf
    /// only) and `NAME.chain.pem` (leaf and intermediate).
    pub fn leaf(&self, file: &str, names: &[&str], start: &str, end: &str) {
        let san: Vec<String> = names
            .iter()
            .map(|n| format!("DNS:{n}"))
            .chain(["IP:127.0.0.1".to_owned()])
            .collect();
        openssl(
            &self.dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &format!("{file}.key"),
                "-out",
                &format!("{file}.csr"),
                "-subj",
                &format!("/CN={}", names[0]),
            ],
        );
        std::fs::write(
            self.dir.join(format!("{file}.ext")),
            format!(
                "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName={}\n",
                san.join(",")
            ),
        )
        .unwrap();
        openssl(
            &self.dir,
            &[
                "ca",
                "-batch",
                "-config",
                "ca.cnf",
                "-name",
                "intermediate",
                "-startdate",
                start,
                "-enddate",
                end,
                "-extfile",
                &format!("{file}.ext"),
                "-in",
                &format!("{file}.csr"),
                "-out",
                &format!("{file}.pem"),
                "-notext",
            ],
        );
        let leaf = std::fs::read_to_string(self.dir.join(format!("{file}.pem"))).unwrap();
        let intermediate = std::fs::read_to_string(self.dir.join("intermediate.pem")).unwrap();
        std::fs::write(
            self.dir.join(format!("{file}.chain.pem")),
            format!("{leaf}{intermediate}"),
        )
        .unwrap();
    }

    /// A self-signed certificate for `localhost` and 127.0.0.1 made the way most are, with
    /// `openssl req -x509`: `ca_true` keeps OpenSSL 3's default `CA:TRUE`.
    pub fn self_signed(&self, file: &str, ca_true: bool) {
        let constraints = if ca_true {
            "basicConstraints=critical,CA:TRUE"
        } else {
            "basicConstraints=critical,CA:FALSE"
        };
        openssl(
            &self.dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &format!("{file}.key"),
                "-out",
                &format!("{file}.pem"),
                "-days",
                "30",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-addext",
                constraints,
            ],
        );
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

/// `openssl ca` settings for the root (signs the intermediate) and the intermediate (signs
/// leaves); the database files live in the PKI's dir.
const CA_CONFIG: &str = "\
[root]
dir = .
database = index.txt
serial = serial
new_certs_dir = .
certificate = root.pem
private_key = root.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none

[intermediate]
dir = .
database = index.txt
serial = serial
new_certs_dir = .
certificate = intermediate.pem
private_key = intermediate.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none

[any]
commonName = supplied

[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
";

/// `YYYYMMDDHHMMSSZ`, `days` from now (negative: in the past).
pub fn openssl_date(days: i64) -> String {
    let at = time::OffsetDateTime::now_utc() + time::Duration::days(days);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}
