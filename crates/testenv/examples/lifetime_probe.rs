//! Used by the testenv tests (tests/testenv/cleanup.rs) to check that no child process outlives
//! a test binary: starts the control plane and a generic child from a thread that then ends,
//! prints their pids and the run directory, then obeys one line on stdin:
//! `exit` (return normally), `panic` (die by panic); anything else or EOF: wait to be killed.

use std::io::{BufRead, Write};

use sagemaker_k8s_testenv::{ChildProcess, control_plane, run_dir};

fn main() {
    // A short-lived thread with its own runtime, like a #[tokio::test]: the children must not
    // die with it.
    let pids = std::thread::spawn(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let control_plane = control_plane().await;
            let (etcd, apiserver) = control_plane.pids();
            let sleeper = ChildProcess::builder("/bin/sleep").arg("600").spawn();
            let sleeper_pid = sleeper.pid();
            // Leaked on purpose: only the exit handler and PDEATHSIG may end it.
            std::mem::forget(sleeper);
            [etcd, apiserver, sleeper_pid]
        })
    })
    .join()
    .expect("the starter thread");
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "pids {} {} {}", pids[0], pids[1], pids[2]).unwrap();
    writeln!(stdout, "run_dir {}", run_dir().display()).unwrap();
    stdout.flush().unwrap();
    drop(stdout);

    let mut command = String::new();
    let _ = std::io::stdin().lock().read_line(&mut command);
    match command.trim() {
        "exit" => {}
        "panic" => panic!("lifetime_probe: panicking on request"),
        _ => loop {
            std::thread::park();
        },
    }
}
