//! `kubectl-smlogs`: see the library for what it does.

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("starting the async runtime");
    let code = runtime.block_on(kubectl_smlogs::main_with_args(
        std::env::args_os().collect(),
    ));
    // Do not wait for in-flight requests on Ctrl-C or errors.
    runtime.shutdown_background();
    std::process::exit(code);
}
