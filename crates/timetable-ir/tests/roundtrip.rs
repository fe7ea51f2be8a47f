//! Property tests: printing then parsing is the identity on generated modules and on
//! arbitrary attribute values.

use proptest::prelude::*;
use std::collections::BTreeMap;
use timetable_ir::attr::{AttrValue, Dense, Number};
use timetable_ir::generate::{GenConfig, machine_program};
use timetable_ir::{ElemType, SourceFile, parse, print, target, verify};

fn reparse(m: &timetable_ir::Module) -> timetable_ir::Module {
    let text = print::print_module(m);
    parse::parse_module(&SourceFile::new("printed", text.as_str()))
        .unwrap_or_else(|d| panic!("printout does not parse: {:?}\n{text}", d[0]))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn generated_modules_round_trip(seed in any::<u64>(), ops in 1usize..400, window in 2usize..16,
                                     elem in prop::sample::select(ElemType::ALL.to_vec()),
                                     tiny in any::<bool>()) {
        let target = target::builtin(if tiny { "tiny" } else { "tsp" }).unwrap();
        let cfg = GenConfig { ops, seed, elem, window, mxm: !elem.is_float() || tiny, ..GenConfig::default() };
        let m = machine_program(&cfg, target);
        prop_assert!(verify::verify(&m, target).is_ok());
        let m2 = reparse(&m);
        prop_assert_eq!(&m, &m2);
        prop_assert_eq!(print::print_module(&m), print::print_module(&m2));
    }

    #[test]
    fn attribute_values_round_trip(value in attr_value()) {
        let mut m = machine_program(&GenConfig { ops: 1, ..GenConfig::default() }, target::builtin("tiny").unwrap());
        let f = &mut m.functions[0];
        f.attrs.set("test.value", value);
        let m2 = reparse(&m);
        prop_assert_eq!(&m, &m2);
    }
}

fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::Int),
        any::<f64>().prop_map(Number::Float)
    ]
}

fn attr_value() -> impl Strategy<Value = AttrValue> {
    let tricky = [
        "nan", "inf", "true", "false", "module", "loc", "dense", "target", "B",
    ];
    let key = prop_oneof![
        "[a-z_][a-z0-9_]{0,6}".prop_map(String::from),
        prop::sample::select(tricky.to_vec()).prop_map(String::from)
    ];
    let leaf = prop_oneof![
        any::<i64>().prop_map(AttrValue::Int),
        any::<f64>().prop_map(AttrValue::Float),
        any::<bool>().prop_map(AttrValue::Bool),
        ".{0,12}".prop_map(AttrValue::Str),
        "[A-Za-z_][A-Za-z0-9_.]{0,8}".prop_map(AttrValue::Symbol),
        number().prop_map(|n| AttrValue::Dense(Dense {
            shape: vec![],
            values: vec![n]
        })),
        prop::collection::vec(number(), 1..6).prop_map(|v| AttrValue::Dense(Dense {
            shape: vec![v.len()],
            values: v
        })),
        prop::sample::select(vec![
            "vec<f16>",
            "mem<3xi8>",
            "tensor<Bx4xf32>",
            "tensor<f32>"
        ])
        .prop_map(|t| AttrValue::Type(timetable_ir::Type::parse(t).unwrap())),
    ];
    leaf.prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(AttrValue::Array),
            prop::collection::btree_map(key.clone(), inner, 0..4)
                .prop_map(|m: BTreeMap<String, AttrValue>| AttrValue::Dict(m)),
        ]
    })
}
