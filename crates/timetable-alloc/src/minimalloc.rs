//! MiniMalloc's CSV format (google/minimalloc).
//!
//! Input: a header naming the columns, then one buffer per line:
//! `id,lower,upper,size` with the live interval half-open `[lower, upper)`.
//! Columns may come in any order; MiniMalloc's other spellings are read too
//! (`buffer`/`buffer_id` for `id`, `start`/`begin` for `lower`, and `end`,
//! an *inclusive* upper bound, for `upper`), as are its optional `alignment`
//! and `offset` columns. Output is the same CSV with an `offset` column
//! added, as MiniMalloc writes its solutions. The capacity is not part of the
//! file; the suite puts it in the file name (`A.1048576.csv`).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use crate::problem::{Align, Buffer, Problem};

/// The buffers of a CSV file, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    /// The `id` column, kept as text.
    pub ids: Vec<String>,
    pub buffers: Vec<Buffer>,
    /// The `offset` column, if the file has one (a solution file).
    pub offsets: Option<Vec<u64>>,
    /// The 1-based line of each buffer, for error messages.
    pub lines: Vec<usize>,
}

/// What is wrong with a CSV file, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvError {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for CsvError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Id,
    Lower,
    Upper,
    /// An inclusive upper bound (MiniMalloc's older `end` column).
    End,
    Size,
    Alignment,
    Offset,
}

impl Column {
    fn parse(name: &str) -> Option<Column> {
        Some(match name {
            "id" | "buffer" | "buffer_id" => Column::Id,
            "lower" | "start" | "begin" => Column::Lower,
            "upper" => Column::Upper,
            "end" => Column::End,
            "size" => Column::Size,
            "alignment" => Column::Alignment,
            "offset" => Column::Offset,
            _ => return None,
        })
    }
}

/// Reads a MiniMalloc CSV file. Blank lines are skipped.
pub fn read(text: &str) -> Result<Instance, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty());
    let Some((header_line, header)) = lines.next() else {
        return Err(error(
            1,
            "empty file: expected a header `id,lower,upper,size`",
        ));
    };
    let columns = read_header(header_line, header)?;
    let has = |column| columns.contains(&column);
    let mut instance = Instance {
        ids: Vec::new(),
        buffers: Vec::new(),
        offsets: has(Column::Offset).then(Vec::new),
        lines: Vec::new(),
    };
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    for (line, record) in lines {
        let fields: Vec<&str> = record.split(',').map(str::trim).collect();
        if fields.len() != columns.len() {
            return Err(error(
                line,
                format!("expected {} fields, found {}", columns.len(), fields.len()),
            ));
        }
        let mut id = "";
        let (mut lower, mut upper, mut size, mut align, mut offset) = (0, 0, 0, 1, 0);
        for (&column, &field) in columns.iter().zip(&fields) {
            match column {
                Column::Id => id = field,
                Column::Lower => lower = number(line, "lower", field)?,
                Column::Upper => upper = number(line, "upper", field)?,
                Column::End => {
                    upper = number(line, "end", field)?
                        .checked_add(1)
                        .ok_or_else(|| error(line, "`end` is too large"))?
                }
                Column::Size => size = number(line, "size", field)?,
                Column::Alignment => align = number(line, "alignment", field)?,
                Column::Offset => offset = number(line, "offset", field)?,
            }
        }
        if id.is_empty() {
            return Err(error(line, "empty `id`"));
        }
        if let Some(first) = first_line_of.insert(id.to_string(), line) {
            return Err(error(
                line,
                format!("duplicate id `{id}` (first on line {first})"),
            ));
        }
        let Some(buffer) = Buffer::new(lower, upper, size) else {
            return Err(error(
                line,
                format!("buffer `{id}` ends before it starts: [{lower}, {upper})"),
            ));
        };
        let Some(align) = Align::new(align) else {
            return Err(error(line, format!("buffer `{id}` has alignment 0")));
        };
        instance.ids.push(id.to_string());
        instance.buffers.push(buffer.with_align(align));
        instance.lines.push(line);
        if let Some(offsets) = &mut instance.offsets {
            offsets.push(offset);
        }
    }
    Ok(instance)
}

fn read_header(line: usize, header: &str) -> Result<Vec<Column>, CsvError> {
    let mut columns = Vec::new();
    for name in header.split(',').map(str::trim) {
        let column = Column::parse(name).ok_or_else(|| {
            error(
                line,
                format!(
                    "unsupported column `{name}` (expected id, lower, upper, size, \
                     and optionally alignment, offset)"
                ),
            )
        })?;
        if columns.contains(&column) {
            return Err(error(line, format!("column `{name}` appears twice")));
        }
        columns.push(column);
    }
    if columns.contains(&Column::Upper) && columns.contains(&Column::End) {
        return Err(error(line, "both `upper` and `end` columns"));
    }
    for (column, name) in [
        (Column::Id, "id"),
        (Column::Lower, "lower"),
        (Column::Size, "size"),
    ] {
        if !columns.contains(&column) {
            return Err(error(line, format!("missing column `{name}`")));
        }
    }
    if !columns.contains(&Column::Upper) && !columns.contains(&Column::End) {
        return Err(error(line, "missing column `upper`"));
    }
    Ok(columns)
}

fn number(line: usize, column: &str, field: &str) -> Result<u64, CsvError> {
    field.parse().map_err(|_| {
        error(
            line,
            format!("`{column}` must be a non-negative integer, found `{field}`"),
        )
    })
}

fn error(line: usize, message: impl Into<String>) -> CsvError {
    CsvError {
        line,
        message: message.into(),
    }
}

impl Instance {
    /// The packing problem of these buffers at `capacity`.
    pub fn problem(&self, capacity: u64) -> Result<Problem, CsvError> {
        let mut problem = Problem::new(capacity);
        for (buffer, &line) in self.buffers.iter().zip(&self.lines) {
            problem
                .push(*buffer)
                .map_err(|e| error(line, e.to_string()))?;
        }
        Ok(problem)
    }

    /// The CSV with an `offset` column (and `alignment` if any buffer is
    /// aligned), in MiniMalloc's solution format. `offsets[i]` belongs to
    /// the `i`-th buffer.
    pub fn write(&self, offsets: &[u64]) -> String {
        let aligned = self.buffers.iter().any(|b| b.align != Align::ONE);
        let mut out = String::from("id,lower,upper,size");
        if aligned {
            out.push_str(",alignment");
        }
        out.push_str(",offset\n");
        for ((id, buffer), offset) in self.ids.iter().zip(&self.buffers).zip(offsets) {
            let lifetime = buffer.lifetime;
            out.push_str(&format!(
                "{id},{},{},{}",
                lifetime.lower(),
                lifetime.upper(),
                buffer.size
            ));
            if aligned {
                out.push_str(&format!(",{}", buffer.align.get()));
            }
            out.push_str(&format!(",{offset}\n"));
        }
        out
    }
}

/// The capacity the suite encodes in a file name: the number between the
/// last two dots (`A.1048576.csv` gives 1048576).
pub fn capacity_from_file_name(path: &Path) -> Option<u64> {
    let stem = path.file_stem()?.to_str()?;
    stem.rsplit('.').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_suite_format() {
        let instance = read("id,lower,upper,size\nb1,0,3,4\nb2,3,9,4\n").unwrap();
        assert_eq!(instance.ids, ["b1", "b2"]);
        assert_eq!(instance.buffers[1], Buffer::new(3, 9, 4).unwrap());
        assert_eq!(instance.lines, [2, 3]);
        assert!(instance.offsets.is_none());
    }

    #[test]
    fn reads_older_spellings_with_inclusive_end() {
        let instance =
            read("buffer,start,end,size,alignment,offset\r\n0,5,9,2,4,8\r\n\r\n").unwrap();
        assert_eq!(
            instance.buffers[0],
            Buffer::new(5, 10, 2)
                .unwrap()
                .with_align(Align::new(4).unwrap())
        );
        assert_eq!(instance.offsets, Some(vec![8]));
    }

    #[test]
    fn writes_an_offset_column() {
        let instance = read("size,id,upper,lower\n4,x,3,0\n").unwrap();
        assert_eq!(
            instance.write(&[7]),
            "id,lower,upper,size,offset\nx,0,3,4,7\n"
        );
        let aligned = read("id,lower,upper,size,alignment\nx,0,3,4,2\n").unwrap();
        assert_eq!(
            aligned.write(&[2]),
            "id,lower,upper,size,alignment,offset\nx,0,3,4,2,2\n"
        );
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("", "line 1: empty file"),
            ("id,lower,upper\n", "line 1: missing column `size`"),
            (
                "id,lower,upper,size,gaps\n",
                "line 1: unsupported column `gaps`",
            ),
            (
                "id,lower,lower,size\n",
                "line 1: column `lower` appears twice",
            ),
            (
                "id,lower,upper,size\na,0,1\n",
                "line 2: expected 4 fields, found 3",
            ),
            (
                "id,lower,upper,size\n\na,0,x,1\n",
                "line 3: `upper` must be a non-negative integer, found `x`",
            ),
            (
                "id,lower,upper,size\na,0,1,-4\n",
                "line 2: `size` must be a non-negative",
            ),
            (
                "id,lower,upper,size\na,5,1,4\n",
                "line 2: buffer `a` ends before it starts",
            ),
            (
                "id,lower,upper,size\na,0,1,4\na,1,2,4\n",
                "line 3: duplicate id `a` (first on line 2)",
            ),
            (
                "id,lower,upper,size,alignment\na,0,1,4,0\n",
                "line 2: buffer `a` has alignment 0",
            ),
            ("id,lower,upper,size\n,0,1,4\n", "line 2: empty `id`"),
        ];
        for (text, expected) in cases {
            let message = read(text).unwrap_err().to_string();
            assert!(message.starts_with(expected), "{text:?}: {message}");
        }
    }

    #[test]
    fn oversized_problems_name_the_line() {
        let huge = u64::MAX / 2;
        let text = format!("id,lower,upper,size\na,0,1,{huge}\nb,0,1,{huge}\n");
        let error = read(&text).unwrap().problem(10).unwrap_err();
        assert_eq!(error.line, 2);
    }

    #[test]
    fn capacity_comes_from_the_file_name() {
        assert_eq!(
            capacity_from_file_name(Path::new("x/A.1048576.csv")),
            Some(1048576)
        );
        assert_eq!(capacity_from_file_name(Path::new("input.12.csv")), Some(12));
        assert_eq!(capacity_from_file_name(Path::new("input.csv")), None);
    }
}
