use super::*;
use timetable_ir::diag::Diagnostic;
use timetable_ir::{SourceFile, parse, target};

/// Parses `body` as the function of a module at `stage` on `tiny` (or on the
/// targets the text defines) and checks it.
fn check(stage: &str, text: &str) -> Vec<Diagnostic> {
    let text = text.replace("STAGE", stage);
    let source = SourceFile::new("t.tir", text);
    let module = parse::parse_module(&source).unwrap_or_else(|d| panic!("{:?}", d[0]));
    let target = module
        .targets
        .iter()
        .find(|t| t.name == module.target.text)
        .cloned()
        .unwrap_or_else(|| target::builtin(&module.target.text).unwrap().clone());
    check_module(&module, &target)
}

fn codes(diags: &[Diagnostic]) -> Vec<&str> {
    diags.iter().map(|d| d.code).collect()
}

/// `%s` (written at op 1, read at op 2) and `%t` (written at op 4) at
/// `T_ADDR` in the bank of `%s`.
const TWO_SCRATCH: &str = r#"
module @m target @tiny stage STAGE {
  func @f(%a: mem<1xf32> {mem = {addr = 0, bank = 0, slice = 0}, role = "input"}) -> () {
    %s = mem.alloc() {mem = {addr = 4, bank = 1, slice = 0}} : () -> mem<1xf32>
    %t = mem.alloc() {mem = {addr = T_ADDR, bank = 1, slice = 0}} : () -> mem<1xf32>
    %x = mem.read(%a) {index = 0} : (mem<1xf32>) -> vec<f32>
    mem.write(%x, %s) {index = 0} : (vec<f32>, mem<1xf32>) -> ()
    %y = mem.read(%s) {index = 0} : (mem<1xf32>) -> vec<f32>
    mem.write(%y, %t) {index = 0} : (vec<f32>, mem<1xf32>) -> ()
  }
}"#;

#[test]
fn buffers_live_at_different_times_may_share_words() {
    // %t's only write (op 3) comes after %s's last read (op 2).
    let text = TWO_SCRATCH.replace("T_ADDR", "4");
    assert!(check("allocated", &text).is_empty());
}

#[test]
fn overlap_names_both_buffers() {
    // %s is read again after %t's write.
    let text = TWO_SCRATCH.replace("T_ADDR", "6").replace(
        "    mem.write(%y, %t) {index = 0} : (vec<f32>, mem<1xf32>) -> ()\n",
        "    mem.write(%y, %t) {index = 0} : (vec<f32>, mem<1xf32>) -> ()\n    %z = mem.read(%s) {index = 0} : (mem<1xf32>) -> vec<f32>\n",
    );
    let diags = check("allocated", &text);
    assert_eq!(codes(&diags), ["E2101"], "{diags:?}");
    let d = &diags[0];
    assert!(d.message.contains("`%t`[0] and `%s`[0]"), "{}", d.message);
    assert!(d.message.contains("at op 5"), "{}", d.message);
    assert!(d.message.contains("words 6..8"), "{}", d.message);
    let primary: Vec<bool> = d.labels.iter().map(|l| l.primary).collect();
    assert_eq!(primary, [true, false]);
}

#[test]
fn inputs_hold_memory_from_the_entry_and_outputs_to_the_exit() {
    // %o (output) is written at op 1; %s shares its words and is written
    // and read before that, and the input %a is never read at all.
    let text = r#"
module @m target @tiny stage allocated {
  func @f(%a: mem<1xf32> {mem = {addr = 0, bank = 0, slice = 1}, role = "input"}, %o: mem<1xf32> {mem = {addr = 0, bank = 0, slice = 0}, role = "output"}) -> () {
    %s = mem.alloc() {mem = {addr = 0, bank = 0, slice = 0}} : () -> mem<1xf32>
    %x = mxm.acc() {acc = 0, plane = 0} : () -> vec<f32>
    mem.write(%x, %s) {index = 0} : (vec<f32>, mem<1xf32>) -> ()
    %y = mem.read(%s) {index = 0} : (mem<1xf32>) -> vec<f32>
    mem.write(%y, %o) {index = 0} : (vec<f32>, mem<1xf32>) -> ()
    %t = mem.alloc() {mem = {addr = 0, bank = 0, slice = 1}} : () -> mem<1xf32>
    mem.write(%y, %t) {index = 0} : (vec<f32>, mem<1xf32>) -> ()
  }
}"#;
    let diags = check("allocated", text);
    // %s ends (op 3) before %o starts (op 4); %t shares the never-read input's
    // words, which the host filled at the entry: that is fine, nothing reads %a.
    assert!(diags.is_empty(), "{diags:?}");
    // Reading %a at the end makes it live across %t's write.
    let text = text.replace(
        "  }\n}",
        "    %z = mem.read(%a) {index = 0} : (mem<1xf32>) -> vec<f32>\n  }\n}",
    );
    let diags = check("allocated", &text);
    assert_eq!(codes(&diags), ["E2101"]);
    assert!(diags[0].message.contains("`%a`"), "{}", diags[0].message);
    assert!(diags[0].message.contains("at op 6"), "{}", diags[0].message);
    // And an output stays live to the exit: a later scratch may not reuse it.
    let text = text.replace(
        "%t = mem.alloc() {mem = {addr = 0, bank = 0, slice = 1}}",
        "%t = mem.alloc() {mem = {addr = 0, bank = 0, slice = 0}}",
    );
    let diags = check("allocated", &text);
    assert_eq!(codes(&diags), ["E2101"], "{diags:?}");
    assert!(
        diags[0].message.contains("`%t`[0] and `%o`[0]"),
        "{}",
        diags[0].message
    );
}

#[test]
fn writes_hold_words_from_the_cycle_they_land() {
    // tiny: mem_write = 1, mem_read = 2. %s is read at cycle 9; %t's write
    // issued at cycle 8 lands at 9: the read at 9 would see %t's data.
    let scheduled = |t_write: u64| {
        format!(
            r#"
module @m target @tiny stage scheduled {{
  func @f(%a: mem<1xf32> {{mem = {{addr = 0, bank = 0, slice = 0}}, role = "input"}}) -> () {{
    %s = mem.alloc() {{mem = {{addr = 4, bank = 1, slice = 0}}}} : () -> mem<1xf32>
    %t = mem.alloc() {{mem = {{addr = 4, bank = 1, slice = 0}}}} : () -> mem<1xf32>
    %x = mem.read(%a) {{at = 0, index = 0, stream = "e0", unit = "mem.0"}} : (mem<1xf32>) -> vec<f32>
    mem.write(%x, %s) {{at = 2, index = 0, unit = "mem.0"}} : (vec<f32>, mem<1xf32>) -> ()
    %x2 = mem.read(%a) {{at = 5, index = 0, stream = "e0", unit = "mem.0"}} : (mem<1xf32>) -> vec<f32>
    mem.write(%x2, %t) {{at = {t_write}, index = 0, unit = "mem.0"}} : (vec<f32>, mem<1xf32>) -> ()
    %y = mem.read(%s) {{at = 9, index = 0, stream = "e4", unit = "mem.0"}} : (mem<1xf32>) -> vec<f32>
  }}
}}"#
        )
    };
    assert!(check("", &scheduled(9)).iter().all(|d| d.code != "E2101"));
    let diags = check("", &scheduled(8));
    assert_eq!(codes(&diags), ["E2101"], "{diags:?}");
    assert!(
        diags[0].message.contains("at cycle 9"),
        "{}",
        diags[0].message
    );
}

#[test]
fn a_bank_accessed_twice_in_one_cycle_is_a_conflict() {
    let text = |bank_b: u32| {
        format!(
            r#"
module @m target @tiny stage scheduled {{
  func @f(%a: mem<1xf32> {{mem = {{addr = 0, bank = 0, slice = 0}}, role = "input"}}, %b: mem<1xf32> {{mem = {{addr = 4, bank = {bank_b}, slice = 0}}, role = "input"}}) -> () {{
    %x = mem.read(%a) {{at = 0, index = 0, stream = "e0", unit = "mem.0"}} : (mem<1xf32>) -> vec<f32>
    %y = mem.read(%b) {{at = 0, index = 0, stream = "e4", unit = "mem.0"}} : (mem<1xf32>) -> vec<f32>
  }}
}}"#
        )
    };
    assert!(check("", &text(1)).is_empty());
    let diags = check("", &text(0));
    assert_eq!(codes(&diags), ["E2104"]);
    assert!(
        diags[0].message.contains("`%b` and `%a`"),
        "{}",
        diags[0].message
    );
    assert_eq!(diags[0].labels.len(), 2);
}

#[test]
fn placements_outside_a_bank_or_misaligned_are_reported() {
    let text = |addr: u32| {
        format!(
            r#"
target @aligned {{
  clock_mhz = 100, int_overflow = "wrap", lanes = 8,
  latency = {{icu = 1, mem_read = 2, mem_write = 1, mxm_acc = 1, mxm_load = 1, mxm_mac = 3, sxm = 2, vxm_alu = 1, vxm_convert = 1, vxm_transcendental = 3}},
  layout = [{{count = 1, unit = "mem"}}, {{count = 1, unit = "vxm"}}],
  mem = {{align = 4, banks = 1, words_per_bank = 16}},
  mxm = {{acc_slots = 4, planes = 1}}, streams = 8, superlanes = 2, sxm = {{issue = 1}}, vxm = {{alus = 2}}
}}
module @m target @aligned stage allocated {{
  func @f(%a: mem<2xf32> {{mem = {{addr = {addr}, bank = 0, slice = 0}}, role = "input"}}) -> () {{
    %x = mem.read(%a) {{index = 0}} : (mem<2xf32>) -> vec<f32>
  }}
}}"#
        )
    };
    assert!(check("", &text(8)).is_empty());
    assert_eq!(codes(&check("", &text(6))), ["E2103"]);
    let diags = check("", &text(12));
    assert_eq!(codes(&diags), ["E2102"]);
    assert!(
        diags[0].message.contains("words 12..20"),
        "{}",
        diags[0].message
    );
}

#[test]
fn buffers_nothing_touches_have_no_lifetime() {
    let text = r#"
module @m target @tiny stage allocated {
  func @f(%a: mem<1xf32> {mem = {addr = 0, bank = 0, slice = 0}, role = "input"}) -> () {
    %s = mem.alloc() {mem = {addr = 0, bank = 0, slice = 0}} : () -> mem<1xf32>
    %x = mem.read(%a) {index = 0} : (mem<1xf32>) -> vec<f32>
  }
}"#;
    assert!(check("", text).is_empty());
}

#[test]
fn many_overlaps_are_listed_up_to_the_limit() {
    let mut body = String::new();
    for i in 0..(MAX_REPORTED + 5) {
        body.push_str(&format!(
            "    %s{i} = mem.alloc() {{mem = {{addr = 0, bank = 0, slice = 0}}}} : () -> mem<1xi8>\n    mem.write(%x, %s{i}) {{index = 0}} : (vec<i8>, mem<1xi8>) -> ()\n"
        ));
    }
    for i in 0..(MAX_REPORTED + 5) {
        body.push_str(&format!(
            "    %r{i} = mem.read(%s{i}) {{index = 0}} : (mem<1xi8>) -> vec<i8>\n"
        ));
    }
    let text = format!(
        "module @m target @tiny stage allocated {{\n  func @f() -> () {{\n    %x = mxm.acc() {{acc = 0, plane = 0}} : () -> vec<i32>\n{}  }}\n}}",
        body.replace("vec<i8>, mem", "vec<i32>, mem")
            .replace("xi8>", "xi32>")
            .replace("-> vec<i8>", "-> vec<i32>")
    );
    let diags = check("", &text);
    assert_eq!(diags.len(), MAX_REPORTED);
    assert!(
        diags
            .last()
            .unwrap()
            .notes
            .iter()
            .any(|n| n.contains("4 more overlapping pairs"))
    );
}

#[test]
fn lifetimes_are_per_vector() {
    // The output's vector 1 is written (cycle 3, lands at 4) while %s, on the
    // words of its vector 0, is still live (read at cycle 6): different words, no
    // overlap. Writing vector 0 instead would clobber %s.
    let scheduled = |index: u32| {
        format!(
            r#"
module @m target @tiny stage scheduled {{
  func @f(%a: mem<1xf32> {{mem = {{addr = 0, bank = 0, slice = 0}}, role = "input"}}, %o: mem<2xf32> {{mem = {{addr = 0, bank = 1, slice = 0}}, role = "output"}}) -> () {{
    %s = mem.alloc() {{mem = {{addr = 0, bank = 1, slice = 0}}}} : () -> mem<1xf32>
    %x = mem.read(%a) {{at = 0, index = 0, stream = "e0", unit = "mem.0"}} : (mem<1xf32>) -> vec<f32>
    mem.write(%x, %s) {{at = 2, index = 0, unit = "mem.0"}} : (vec<f32>, mem<1xf32>) -> ()
    mem.write(%x, %o) {{at = 3, index = {index}, unit = "mem.0"}} : (vec<f32>, mem<2xf32>) -> ()
    %y = mem.read(%s) {{at = 6, index = 0, stream = "e4", unit = "mem.0"}} : (mem<1xf32>) -> vec<f32>
  }}
}}"#
        )
    };
    assert!(check("", &scheduled(1)).iter().all(|d| d.code != "E2101"));
    let diags = check("", &scheduled(0));
    let overlaps: Vec<_> = diags.iter().filter(|d| d.code == "E2101").collect();
    assert_eq!(overlaps.len(), 1, "{diags:?}");
    assert!(
        overlaps[0].message.contains("`%s`[0] and `%o`[0]")
            || overlaps[0].message.contains("`%o`[0] and `%s`[0]"),
        "{}",
        overlaps[0].message
    );
}
