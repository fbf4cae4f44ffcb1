//! Reading `fixtures/faults.yaml` into [`Fault`]s, each mistake a diagnostic at its position.

use super::model::{Fault, Op};
use crate::matcher::Path;
use crate::yaml::{self, Diagnostic, Diagnostics};
use regex::Regex;
use serde_json::Value;
use std::collections::BTreeMap;

/// Loads `faults.yaml`.
pub fn load_faults(path: &std::path::Path) -> Result<BTreeMap<String, Fault>, Diagnostics> {
    let (source, root) = yaml::read_file(path, yaml::FileKind::Faults)?;
    let mut out = BTreeMap::new();
    let mut errors = Vec::new();
    let Some(faults) = root.as_mapping().and_then(|m| m.get_mapping("faults")) else {
        return Err(Diagnostics(vec![Diagnostic::new(
            path,
            &source,
            yaml::pos(&root),
            "expected a top-level `faults:` mapping",
        )]));
    };
    for (name, node) in faults.iter() {
        let at = yaml::pos(node);
        // Keys are checked on the YAML, where their positions are: a typo is reported at the
        // key, with the nearest right word.
        let shape = key_problems(path, &source, name.as_str(), node);
        if !shape.is_empty() {
            errors.extend(shape);
            continue;
        }
        match parse_fault(name.as_str(), &yaml::to_json(node)) {
            Ok(f) => {
                out.insert(f.name.clone(), f);
            }
            Err(msg) => errors.push(Diagnostic::new(
                path,
                &source,
                at,
                format!("fault `{}`: {msg}", name.as_str()),
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Diagnostics(errors))
    }
}

/// The keys a fault may have.
const FAULT_KEYS: &[&str] = &[
    "summary", "breaks", "control", "when", "request", "response", "fake",
];
/// The keys of its `when`.
const WHEN_KEYS: &[&str] = &[
    "method",
    "path",
    "repeats_only",
    "with_query",
    "without_query",
];
/// The rewrite operations (see [`parse_op`]).
pub(super) const OPS: &[&str] = &[
    "drop_query",
    "replace_query",
    "rewrite_path",
    "method",
    "replace_body",
    "delete",
    "set",
    "duplicate",
    "append",
    "copy",
    "rename",
    "status",
    "errcode",
    "delay",
    "shift",
    "stringify",
    "shift_clock",
    "freeze",
    "forget_after",
];

/// Unknown keys of one fault, of its `when` and of its operations, each at its position.
fn key_problems(
    path: &std::path::Path,
    source: &str,
    name: &str,
    node: &marked_yaml::Node,
) -> Vec<Diagnostic> {
    let Some(m) = node.as_mapping() else {
        return vec![Diagnostic::new(
            path,
            source,
            yaml::pos(node),
            format!(
                "fault `{name}` must be a mapping ({})",
                FAULT_KEYS.join(", ")
            ),
        )];
    };
    let mut out = yaml::unknown_keys(
        path,
        source,
        m,
        &format!("key of fault `{name}`"),
        FAULT_KEYS,
    );
    if let Some(when) = m.get_mapping("when") {
        out.extend(yaml::unknown_keys(
            path,
            source,
            when,
            "key in `when`",
            WHEN_KEYS,
        ));
    }
    for list in ["request", "response"] {
        for op in m.get_sequence(list).into_iter().flat_map(|s| s.iter()) {
            if let Some(om) = op.as_mapping() {
                out.extend(yaml::unknown_keys(
                    path,
                    source,
                    om,
                    &format!("{list} operation"),
                    OPS,
                ));
            }
        }
    }
    out
}

pub(super) fn parse_fault(name: &str, v: &Value) -> Result<Fault, String> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let fake = match v.get("fake") {
        None => Vec::new(),
        Some(Value::Array(names)) => names
            .iter()
            .map(|n| {
                n.as_str()
                    .and_then(super::Misbehaviour::from_name)
                    .ok_or_else(|| {
                        format!(
                            "unknown fake-server misbehaviour {n} (known: {})",
                            super::Misbehaviour::NAMES.join(", ")
                        )
                    })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("`fake` is a list of misbehaviour names".into()),
    };
    // A fault that only changes the fake server's behaviour needs no request to match.
    let when = match v.get("when") {
        Some(w) => w,
        None if !fake.is_empty() => &serde_json::json!({"path": "$^"}),
        None => return Err("needs `when: {method?, path}`".into()),
    };
    let path = when
        .get("path")
        .and_then(Value::as_str)
        .ok_or("`when` needs `path` (a regular expression)")?;
    let path = Regex::new(path).map_err(|e| format!("bad `when.path`: {e}"))?;
    let ops = |key: &str| -> Result<Vec<Op>, String> {
        v.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().map(parse_op).collect())
            .unwrap_or(Ok(Vec::new()))
    };
    let request = ops("request")?;
    let response = ops("response")?;
    let repeats_only = flag(when, "repeats_only", "`when.repeats_only`")?;
    if repeats_only && !response.is_empty() {
        return Err("`when.repeats_only` works with `request:` rewrites only".into());
    }
    if request.is_empty() && response.is_empty() && fake.is_empty() {
        return Err("needs `request:` or `response:` rewrites, or `fake:` misbehaviours".into());
    }
    let breaks: Vec<String> = v
        .get("breaks")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let control = flag(v, "control", "`control`")?;
    if control && !breaks.is_empty() {
        return Err("a control breaks nothing: leave out `breaks` or `control: true`".into());
    }
    Ok(Fault {
        name: name.to_string(),
        summary: s("summary").unwrap_or_default(),
        breaks,
        control,
        method: when
            .get("method")
            .and_then(Value::as_str)
            .map(str::to_string),
        path,
        request,
        response,
        fake,
        repeats_only,
        with_query: names(when.get("with_query")),
        without_query: names(when.get("without_query")),
        memory: Default::default(),
    })
}

/// An optional true/false key (false when absent).
fn flag(v: &Value, key: &str, what: &str) -> Result<bool, String> {
    match v.get(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("{what} is true or false")),
    }
}

/// A list of query parameter names (`with_query: [since]`).
fn names(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

pub(super) fn parse_op(v: &Value) -> Result<Op, String> {
    let obj = v
        .as_object()
        .filter(|o| o.len() == 1)
        .ok_or_else(|| format!("an operation is a one-key mapping, found {v}"))?;
    let (k, arg) = obj.iter().next().expect("one key");
    let path = |x: &Value| Path::parse(x.as_str().unwrap_or("")).map_err(|e| e.to_string());
    let field = |f: &str| arg.get(f).ok_or_else(|| format!("`{k}` needs `{f}`"));
    Ok(match k.as_str() {
        "drop_query" => Op::DropQuery(
            arg.as_str()
                .ok_or("`drop_query` takes a parameter name")?
                .into(),
        ),
        "replace_query" => Op::ReplaceQuery(
            field("name")?.as_str().unwrap_or("").into(),
            match field("value")? {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
        ),
        "rewrite_path" => Op::RewritePath(
            Regex::new(field("pattern")?.as_str().unwrap_or("")).map_err(|e| e.to_string())?,
            field("with")?.as_str().unwrap_or("").into(),
        ),
        "method" => Op::Method(
            arg.as_str()
                .ok_or("`method` takes a method name")?
                .to_ascii_uppercase(),
        ),
        "replace_body" => Op::ReplaceBody(path(field("at")?)?, field("value")?.clone()),
        "delete" => Op::Delete(path(arg)?),
        "set" => Op::Set(path(field("at")?)?, field("value")?.clone()),
        "duplicate" => Op::Duplicate(path(arg)?),
        "append" => Op::Append(path(field("at")?)?, field("value")?.clone()),
        "copy" => Op::Copy {
            within: path(field("within")?)?,
            from: path(field("from")?)?,
            to: path(field("to")?)?,
        },
        "rename" => Op::Rename {
            from: path(field("from")?)?,
            to: path(field("to")?)?,
        },
        "shift" => Op::Shift(
            path(field("at")?)?,
            field("by")?
                .as_i64()
                .ok_or("`shift.by` takes a whole number")?,
        ),
        "stringify" => Op::Stringify(path(arg)?),
        "status" => Op::Status(
            arg.as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .ok_or("`status` takes an HTTP status")?,
        ),
        "errcode" => Op::Errcode(arg.as_str().ok_or("`errcode` takes a string")?.into()),
        "delay" => Op::Delay(
            crate::units::parse_duration(arg.as_str().unwrap_or(""))
                .ok_or("`delay` takes a duration like `2s`")?,
        ),
        "shift_clock" => Op::ShiftClock({
            let text = arg.as_str().unwrap_or("");
            let (sign, magnitude) = match text.strip_prefix('-') {
                Some(rest) => (-1, rest),
                None => (1, text.strip_prefix('+').unwrap_or(text)),
            };
            let d = crate::units::parse_duration(magnitude)
                .ok_or("`shift_clock` takes a signed duration like `-20s` or `+20s`")?;
            sign * d.as_millis() as i64
        }),
        "freeze" => Op::Freeze {
            items: path(field("items")?)?,
            key: path(field("key")?)?,
            at: path(field("at")?)?,
        },
        "forget_after" => {
            let items = path(field("items")?)?;
            let (last, arrays) = items
                .segments()
                .split_last()
                .ok_or("`forget_after.items` ends with `[*]`")?;
            if *last != crate::matcher::Segment::Wildcard {
                return Err("`forget_after.items` ends with `[*]`".into());
            }
            Op::ForgetAfter {
                arrays: Path::from_segments(arrays.to_vec()),
                key: path(field("key")?)?,
                after: crate::units::parse_duration(field("after")?.as_str().unwrap_or(""))
                    .ok_or("`forget_after.after` takes a duration like `3s`")?,
            }
        }
        other => return Err(format!("unknown operation `{other}`")),
    })
}
