fn main() {
    std::process::exit(mu_daemon::commands::main());
}
