fn main() { eprintln!("portacr: not built yet"); std::process::exit(1) }
