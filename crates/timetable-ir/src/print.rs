//! The canonical printer. `parse(print(m)) == m` for every module, and printing is a fixed
//! point of parse-then-print.

use crate::attr::fmt_string;
use crate::ir::{Function, Loc, Module, Op};
use std::fmt::{self, Display, Write};

/// Prints a module (with the targets defined in its file) in canonical form.
pub fn print_module(module: &Module) -> String {
    module.to_string()
}

impl Display for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in &self.targets {
            writeln!(f, "{t}")?;
        }
        writeln!(
            f,
            "module @{} target @{} stage {} {{",
            self.name.text, self.target.text, self.stage
        )?;
        for (i, func) in self.functions.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{func}")?;
        }
        writeln!(f, "}}")
    }
}

impl Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "  func @{}(", self.name.text)?;
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            let v = self.value(arg.value);
            write!(f, "%{}: {}", v.name, v.ty)?;
            if !arg.attrs.is_empty() {
                write!(f, " {}", arg.attrs)?;
            }
        }
        f.write_str(") -> (")?;
        write_list(f, self.results.iter())?;
        f.write_str(")")?;
        if !self.attrs.is_empty() {
            write!(f, " attributes {}", self.attrs)?;
        }
        writeln!(f, " {{")?;
        for (_, op) in self.body_ops() {
            f.write_str("    ")?;
            write_op(f, self, op)?;
            f.write_char('\n')?;
        }
        writeln!(f, "  }}")
    }
}

fn write_list<T: Display>(
    f: &mut fmt::Formatter<'_>,
    items: impl Iterator<Item = T>,
) -> fmt::Result {
    for (i, item) in items.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// Writes one op in the generic form, without indentation or newline.
pub fn write_op(f: &mut impl Write, func: &Function, op: &Op) -> fmt::Result {
    for (i, &r) in op.results.iter().enumerate() {
        let sep = if i > 0 { ", " } else { "" };
        write!(f, "{sep}%{}", func.value(r).name)?;
    }
    if !op.results.is_empty() {
        f.write_str(" = ")?;
    }
    write!(f, "{}(", op.opcode)?;
    for (i, &v) in op.operands.iter().enumerate() {
        let sep = if i > 0 { ", " } else { "" };
        write!(f, "{sep}%{}", func.value(v).name)?;
    }
    f.write_char(')')?;
    if !op.attrs.is_empty() {
        write!(f, " {}", op.attrs)?;
    }
    f.write_str(" : (")?;
    for (i, &v) in op.operands.iter().enumerate() {
        let sep = if i > 0 { ", " } else { "" };
        write!(f, "{sep}{}", func.ty(v))?;
    }
    f.write_str(") -> ")?;
    match op.results.as_slice() {
        [one] => write!(f, "{}", func.ty(*one))?,
        many => {
            f.write_char('(')?;
            for (i, &v) in many.iter().enumerate() {
                let sep = if i > 0 { ", " } else { "" };
                write!(f, "{sep}{}", func.ty(v))?;
            }
            f.write_char(')')?;
        }
    }
    if let Some(loc) = &op.loc {
        write!(f, " {loc}")?;
    }
    Ok(())
}

/// One op as text, for messages and reports.
pub fn op_to_string(func: &Function, op: &Op) -> String {
    let mut s = String::new();
    write_op(&mut s, func, op).expect("writing to a String cannot fail");
    s
}

impl Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("loc(")?;
        fmt_string(&self.file, f)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.col {
                write!(f, ":{col}")?;
            }
        }
        f.write_str(")")
    }
}
