//! PSPLIB interop: the single-mode `.sm` format (Kolisch and Sprecher
//! 1997), the optimum tables that accompany it, and the schedule text the
//! `timetable sched --psplib` command prints.
//!
//! An `.sm` file is split into sections by lines of `*`. The header gives
//! `jobs (incl. supersource/sink ): N` and `- renewable : K R`; the tables
//! `PRECEDENCE RELATIONS:` (`jobnr #modes #successors successors...`),
//! `REQUESTS/DURATIONS:` (`jobnr mode duration R1 .. RK`) and
//! `RESOURCEAVAILABILITIES:` (one row of `K` capacities) follow. Job `j`
//! (1-based) becomes [`ActivityId`]`(j - 1)`; precedences are
//! finish-to-start without lag.

use std::fmt;

use crate::problem::{ActivityId, Problem, ProblemBuilder, ProblemError, ResourceId};
use crate::schedule::Schedule;
use crate::solve::{SolveOptions, solve};

/// What is wrong with a PSPLIB file, and on which line (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PsplibError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for PsplibError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for PsplibError {}

fn error(line: usize, message: impl Into<String>) -> PsplibError {
    PsplibError {
        line,
        message: message.into(),
    }
}

/// One job of a single-mode instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PsplibJob {
    pub duration: u32,
    /// Requests per renewable resource, in file order.
    pub requests: Vec<u32>,
    /// 1-based job numbers.
    pub successors: Vec<usize>,
    precedence_line: usize,
    request_line: usize,
}

/// A parsed single-mode instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PsplibInstance {
    pub capacities: Vec<u32>,
    pub jobs: Vec<PsplibJob>,
}

/// A numbered row of integers from one of the tables.
struct Row {
    line: usize,
    values: Vec<u64>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    Precedences,
    Requests,
    Availabilities,
}

impl Table {
    fn heading(self) -> &'static str {
        match self {
            Table::Precedences => "PRECEDENCE RELATIONS",
            Table::Requests => "REQUESTS/DURATIONS",
            Table::Availabilities => "RESOURCEAVAILABILITIES",
        }
    }
}

/// The raw content of an `.sm` file before cross-checking.
#[derive(Default)]
struct Sections {
    jobs: Option<(usize, u64)>,
    renewable: Option<(usize, u64)>,
    precedences: Vec<Row>,
    requests: Vec<Row>,
    availabilities: Vec<Row>,
    seen: Vec<Table>,
}

impl PsplibInstance {
    /// Parses the text of an `.sm` file.
    pub fn parse(text: &str) -> Result<PsplibInstance, PsplibError> {
        let sections = split_sections(text)?;
        let end = text.lines().count().max(1);
        for table in [Table::Precedences, Table::Requests, Table::Availabilities] {
            if !sections.seen.contains(&table) {
                return Err(error(
                    end,
                    format!("missing section `{}:`", table.heading()),
                ));
            }
        }
        let (jobs_line, job_count) = sections.jobs.ok_or_else(|| {
            error(
                end,
                "missing header line `jobs (incl. supersource/sink ): N`",
            )
        })?;
        let (renewable_line, resource_count) = sections
            .renewable
            .ok_or_else(|| error(end, "missing header line `- renewable : K R`"))?;
        let (job_count, resource_count) = (job_count as usize, resource_count as usize);

        let availability = match sections.availabilities.as_slice() {
            [row] => row,
            [] => return Err(error(end, "the resource availabilities have no row")),
            [_, extra, ..] => {
                return Err(error(
                    extra.line,
                    "expected one row of resource availabilities",
                ));
            }
        };
        if availability.values.len() != resource_count {
            return Err(error(
                availability.line,
                format!(
                    "expected {resource_count} availabilities (line {renewable_line} declares \
                     {resource_count} renewable resources), found {}",
                    availability.values.len()
                ),
            ));
        }
        let capacities = availability
            .values
            .iter()
            .map(|&v| to_u32(v, availability.line))
            .collect::<Result<Vec<u32>, _>>()?;

        for (table, rows) in [
            (Table::Precedences, &sections.precedences),
            (Table::Requests, &sections.requests),
        ] {
            if rows.len() != job_count {
                // The first surplus row, or the last row when rows are missing.
                let line = rows.get(job_count).or(rows.last()).map_or(end, |r| r.line);
                return Err(error(
                    line,
                    format!(
                        "`{}` has {} rows, but line {jobs_line} declares {job_count} jobs",
                        table.heading(),
                        rows.len()
                    ),
                ));
            }
        }
        let jobs = sections
            .precedences
            .iter()
            .zip(&sections.requests)
            .enumerate()
            .map(|(i, (precedence, request))| {
                job(i + 1, precedence, request, job_count, &capacities)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PsplibInstance { capacities, jobs })
    }

    /// The instance as a [`Problem`]: job `j` is `ActivityId(j - 1)`.
    pub fn to_problem(&self) -> Result<Problem, PsplibError> {
        let mut builder = ProblemBuilder::new();
        let resources: Vec<ResourceId> = self
            .capacities
            .iter()
            .map(|&c| builder.add_resource(c))
            .collect();
        for job in &self.jobs {
            let demands: Vec<(ResourceId, u32)> = resources
                .iter()
                .copied()
                .zip(job.requests.iter().copied())
                .collect();
            builder.add_activity(job.duration, &demands);
        }
        for (j, job) in self.jobs.iter().enumerate() {
            for &s in &job.successors {
                builder.add_finish_to_start(ActivityId(j as u32), ActivityId(s as u32 - 1), 0);
            }
        }
        builder.build().map_err(|e| match e {
            ProblemError::Cycle { activity } => error(
                self.jobs[activity.index()].precedence_line,
                format!(
                    "the precedences form a cycle through job {}",
                    activity.0 + 1
                ),
            ),
            // Ids, demands and sizes were checked while parsing.
            other => error(1, other.to_string()),
        })
    }
}

fn split_sections(text: &str) -> Result<Sections, PsplibError> {
    let mut sections = Sections::default();
    let mut table: Option<Table> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if !trimmed.is_empty() && trimmed.chars().all(|c| c == '*') {
            table = None;
            continue;
        }
        if let Some(current) = table {
            // Column titles and dashed rules start with a non-digit.
            if trimmed.starts_with(|c: char| c.is_ascii_digit()) {
                let row = Row {
                    line,
                    values: integers(trimmed, line)?,
                };
                match current {
                    Table::Precedences => sections.precedences.push(row),
                    Table::Requests => sections.requests.push(row),
                    Table::Availabilities => sections.availabilities.push(row),
                }
            }
            continue;
        }
        if let Some(t) = [Table::Precedences, Table::Requests, Table::Availabilities]
            .into_iter()
            .find(|t| trimmed.starts_with(t.heading()))
        {
            if sections.seen.contains(&t) {
                return Err(error(line, format!("second `{}:` section", t.heading())));
            }
            sections.seen.push(t);
            table = Some(t);
        } else if let Some((key, value)) = trimmed.split_once(':') {
            let key = key.trim();
            let number = || leading_integer(value, line);
            if key.starts_with("jobs") {
                sections.jobs = Some((line, number()?));
            } else if key == "- renewable" {
                sections.renewable = Some((line, number()?));
            } else if key == "- nonrenewable" || key == "- doubly constrained" {
                if number()? != 0 {
                    return Err(error(
                        line,
                        "only renewable resources are supported (single-mode RCPSP)",
                    ));
                }
            } else if key == "projects" && number()? != 1 {
                return Err(error(line, "only files with one project are supported"));
            }
        }
    }
    Ok(sections)
}

fn job(
    number: usize,
    precedence: &Row,
    request: &Row,
    job_count: usize,
    capacities: &[u32],
) -> Result<PsplibJob, PsplibError> {
    let p = &precedence.values;
    if p.len() < 3 {
        return Err(error(
            precedence.line,
            "expected `jobnr #modes #successors successors...`",
        ));
    }
    check_job_number(p[0], number, precedence.line)?;
    if p[1] != 1 {
        return Err(error(
            precedence.line,
            format!(
                "job {number} has {} modes; only single-mode instances are supported",
                p[1]
            ),
        ));
    }
    let listed = p.len() - 3;
    if p[2] != listed as u64 {
        return Err(error(
            precedence.line,
            format!(
                "job {number} declares {} successors but lists {listed}",
                p[2]
            ),
        ));
    }
    let successors = p[3..]
        .iter()
        .map(|&s| {
            if s == 0 || s > job_count as u64 {
                Err(error(
                    precedence.line,
                    format!("successor {s} of job {number} is not a job (1..={job_count})"),
                ))
            } else {
                Ok(s as usize)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;

    let r = &request.values;
    let expected = 3 + capacities.len();
    if r.len() != expected {
        return Err(error(
            request.line,
            format!(
                "expected {expected} numbers (`jobnr mode duration` and {} requests), found {}",
                capacities.len(),
                r.len()
            ),
        ));
    }
    check_job_number(r[0], number, request.line)?;
    if r[1] != 1 {
        return Err(error(
            request.line,
            format!("job {number} uses mode {}; only mode 1 exists", r[1]),
        ));
    }
    let duration = to_u32(r[2], request.line)?;
    let requests = r[3..]
        .iter()
        .map(|&v| to_u32(v, request.line))
        .collect::<Result<Vec<u32>, _>>()?;
    for (k, (&amount, &capacity)) in requests.iter().zip(capacities).enumerate() {
        if amount > capacity {
            return Err(error(
                request.line,
                format!(
                    "job {number} requests {amount} units of resource R{} but only {capacity} \
                     are available",
                    k + 1
                ),
            ));
        }
    }
    Ok(PsplibJob {
        duration,
        requests,
        successors,
        precedence_line: precedence.line,
        request_line: request.line,
    })
}

fn check_job_number(found: u64, expected: usize, line: usize) -> Result<(), PsplibError> {
    if found == expected as u64 {
        Ok(())
    } else {
        Err(error(
            line,
            format!(
                "expected job number {expected}, found {found} (jobs must be numbered 1, 2, ...)"
            ),
        ))
    }
}

fn integers(text: &str, line: usize) -> Result<Vec<u64>, PsplibError> {
    text.split_whitespace()
        .map(|token| {
            token.parse::<u64>().map_err(|_| {
                error(
                    line,
                    format!("expected a non-negative integer, found `{token}`"),
                )
            })
        })
        .collect()
}

fn leading_integer(text: &str, line: usize) -> Result<u64, PsplibError> {
    let token = text.split_whitespace().next().unwrap_or("");
    token.parse().map_err(|_| {
        error(
            line,
            format!("expected a number after `:`, found `{token}`"),
        )
    })
}

fn to_u32(value: u64, line: usize) -> Result<u32, PsplibError> {
    u32::try_from(value).map_err(|_| error(line, format!("{value} is too large")))
}

impl PsplibJob {
    /// The file lines of this job's precedence row and request row.
    pub fn lines(&self) -> (usize, usize) {
        (self.precedence_line, self.request_line)
    }
}

/// The schedule as `timetable sched --psplib` prints it: `makespan N`, then
/// `JOB START` per job, 1-based, in job order.
pub fn format_schedule(schedule: &Schedule) -> String {
    let mut text = format!("makespan {}\n", schedule.makespan());
    for (j, start) in schedule.starts().iter().enumerate() {
        text.push_str(&format!("{} {start}\n", j + 1));
    }
    text
}

/// Parses an `.sm` file, solves it and formats the schedule.
pub fn solve_text(text: &str, options: &SolveOptions) -> Result<String, PsplibError> {
    let problem = PsplibInstance::parse(text)?.to_problem()?;
    Ok(format_schedule(&solve(&problem, options).schedule))
}

/// A row of an optimum table (`j30opt.sm` and friends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownOptimum {
    pub parameter: u32,
    pub instance: u32,
    pub makespan: u32,
}

/// Parses an optimum table: free text up to a line of `-`, then rows
/// `parameter instance makespan cpu-seconds`.
pub fn parse_optima(text: &str) -> Result<Vec<KnownOptimum>, PsplibError> {
    let mut rows = Vec::new();
    let mut in_table = false;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if !in_table {
            in_table = !trimmed.is_empty() && trimmed.chars().all(|c| c == '-');
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        let tokens: Vec<&str> = trimmed.split_whitespace().collect();
        if tokens.len() != 4 || tokens[3].parse::<f64>().is_err() {
            return Err(error(
                line,
                "expected `parameter instance makespan cpu-seconds`",
            ));
        }
        let number = |token: &str| {
            token
                .parse::<u32>()
                .map_err(|_| error(line, format!("expected an integer, found `{token}`")))
        };
        rows.push(KnownOptimum {
            parameter: number(tokens[0])?,
            instance: number(tokens[1])?,
            makespan: number(tokens[2])?,
        });
    }
    if !in_table {
        return Err(error(
            text.lines().count().max(1),
            "no table found (expected a line of `-` before the rows)",
        ));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "\
************************************************************************
file with basedata            : small.bas
************************************************************************
projects                      :  1
jobs (incl. supersource/sink ):  4
horizon                       :  10
RESOURCES
  - renewable                 :  1   R
  - nonrenewable              :  0   N
  - doubly constrained        :  0   D
************************************************************************
PRECEDENCE RELATIONS:
jobnr.    #modes  #successors   successors
   1        1          2           2   3
   2        1          1           4
   3        1          1           4
   4        1          0
************************************************************************
REQUESTS/DURATIONS:
jobnr. mode duration  R 1
------------------------------------------------------------------------
  1      1     0       0
  2      1     3       2
  3      1     2       2
  4      1     0       0
************************************************************************
RESOURCEAVAILABILITIES:
  R 1
    3
************************************************************************
";

    #[test]
    fn parses_and_solves_a_small_instance() {
        let instance = PsplibInstance::parse(SMALL).unwrap();
        assert_eq!(instance.capacities, vec![3]);
        assert_eq!(instance.jobs[0].successors, vec![2, 3]);
        assert_eq!(instance.jobs[1].lines(), (15, 23));
        let text = solve_text(SMALL, &SolveOptions::default()).unwrap();
        assert_eq!(text, "makespan 5\n1 0\n2 0\n3 3\n4 5\n");
    }

    fn with(from: &str, to: &str) -> String {
        assert!(SMALL.contains(from));
        SMALL.replacen(from, to, 1)
    }

    fn parse_error(text: &str) -> String {
        PsplibInstance::parse(text)
            .and_then(|i| i.to_problem())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reports_bad_input_with_line_numbers() {
        assert_eq!(
            parse_error(&with(
                "   2        1          1           4",
                "   2        1          1           x"
            )),
            "line 15: expected a non-negative integer, found `x`"
        );
        assert_eq!(
            parse_error(&with(
                "  3      1     2       2",
                "  3      1     2       4"
            )),
            "line 24: job 3 requests 4 units of resource R1 but only 3 are available"
        );
        assert_eq!(
            parse_error(&with(
                "   4        1          0",
                "   4        1          1           2"
            )),
            "line 15: the precedences form a cycle through job 2"
        );
        assert_eq!(
            parse_error(&with(
                "   3        1          1           4",
                "   3        1          1           9"
            )),
            "line 16: successor 9 of job 3 is not a job (1..=4)"
        );
        assert_eq!(
            parse_error(&with("   3        1", "   5        1")),
            "line 16: expected job number 3, found 5 (jobs must be numbered 1, 2, ...)"
        );
        assert_eq!(
            parse_error(&with(
                "   2        1          1",
                "   2        3          1"
            )),
            "line 15: job 2 has 3 modes; only single-mode instances are supported"
        );
        assert_eq!(
            parse_error(&with(
                "  - nonrenewable              :  0",
                "  - nonrenewable              :  2"
            )),
            "line 9: only renewable resources are supported (single-mode RCPSP)"
        );
        let cut = &SMALL[..SMALL.find("RESOURCEAVAILABILITIES").unwrap()];
        assert_eq!(
            parse_error(cut),
            "line 26: missing section `RESOURCEAVAILABILITIES:`"
        );
        assert_eq!(
            parse_error(&with("    3\n", "    3  4\n")),
            "line 29: expected 1 availabilities (line 8 declares 1 renewable resources), found 2"
        );
        assert_eq!(
            parse_error(&with("  4      1     0       0\n", "")),
            "line 24: `REQUESTS/DURATIONS` has 3 rows, but line 5 declares 4 jobs"
        );
    }

    #[test]
    fn parses_optimum_tables() {
        let text =
            "header\nParamter Instance Makespan CPU-Time[sec.]\n-----\n1 1 43 0.30\n1 2 47 0.11\n";
        assert_eq!(
            parse_optima(text).unwrap(),
            vec![
                KnownOptimum {
                    parameter: 1,
                    instance: 1,
                    makespan: 43
                },
                KnownOptimum {
                    parameter: 1,
                    instance: 2,
                    makespan: 47
                }
            ]
        );
        assert_eq!(
            parse_optima("---\n1 1 x 0.3\n").unwrap_err().to_string(),
            "line 2: expected an integer, found `x`"
        );
    }
}
