fn main() {
    lalrpop::process_src().expect("the IR grammar must compile");
}
