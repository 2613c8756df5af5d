fn main() {
    println!("orgpulse");
}
