//! Fault injection at the client seam (`--inject NAME`).
//!
//! A fault rewrites requests before they leave, or responses before any check sees them, so that
//! the harness can be shown to detect a server that breaks a requirement. Faults are data, in
//! `fixtures/faults.yaml`; each names the requirements it breaks.

use crate::matcher::Path;
use crate::scenario::diagnostic::{Diagnostic, Diagnostics};
use crate::scenario::{yaml, Pos};
use crate::util::Held;
use regex::Regex;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// A request about to be sent, as the seam sees it.
#[derive(Debug, Clone)]
pub struct RequestParts {
    /// HTTP method.
    pub method: String,
    /// Path without query.
    pub path: String,
    /// Query parameters, in order.
    pub query: Vec<(String, String)>,
    /// JSON body.
    pub body: Option<Value>,
}

/// A response as the seam sees it.
#[derive(Debug, Clone)]
pub struct ResponseParts {
    /// HTTP status.
    pub status: u16,
    /// Headers, lower-case names.
    pub headers: BTreeMap<String, String>,
    /// JSON body (`Null` if empty; a string if not JSON).
    pub body: Value,
}

/// One rewrite.
#[derive(Debug, Clone)]
pub enum Op {
    /// Request: remove a query parameter.
    DropQuery(String),
    /// Request: replace a query parameter's value, if present.
    ReplaceQuery(String, String),
    /// Request: regex replacement on the path.
    RewritePath(Regex, String),
    /// Request: change the method.
    Method(String),
    /// Request: replace a value in the JSON body, where the body has one there.
    ReplaceBody(Path, Value),
    /// Response: remove every value at a selector.
    Delete(Path),
    /// Response: set every value at a selector.
    Set(Path, Value),
    /// Response: repeat the first element of every array at a selector.
    Duplicate(Path),
    /// Response: append a value to every array at a selector.
    Append(Path, Value),
    /// Response: inside every value at `within`, append the elements of `from` to `to`.
    Copy {
        /// Scope.
        within: Path,
        /// Source array, relative to the scope.
        from: Path,
        /// Target array, relative to the scope.
        to: Path,
    },
    /// Response: change the status.
    Status(u16),
    /// Response: set `errcode`.
    Errcode(String),
    /// Response: hold it back this long.
    Delay(Duration),
    /// Response: each item keeps the value at `at` it had the first time the fault saw it
    /// (items told apart by the value at `key`): a value that never changes with time.
    Freeze {
        /// The items (a fan-out selector).
        items: Path,
        /// Inside an item: what identifies it.
        key: Path,
        /// Inside an item: the value to freeze.
        at: Path,
    },
    /// Response: an item disappears from responses once the fault first saw it more than
    /// `after` ago (items told apart by the value at `key`): delivered, then dropped early.
    ForgetAfter {
        /// The arrays holding the items (the `items` selector without its final `[*]`).
        arrays: Path,
        /// Inside an item: what identifies it.
        key: Path,
        /// How long an item stays.
        after: Duration,
    },
}

/// What stateful faults remember during a run (shared by every scenario; items are told apart
/// by their own IDs, so scenarios do not disturb each other).
#[derive(Debug, Default)]
pub struct Memory {
    frozen: std::collections::HashMap<String, Value>,
    first_seen: std::collections::HashMap<String, std::time::Instant>,
    paths_seen: std::collections::HashSet<String>,
}

/// A named fault.
#[derive(Debug, Clone)]
pub struct Fault {
    /// Its name (`--inject NAME`).
    pub name: String,
    /// What misbehaviour it simulates.
    pub summary: String,
    /// Requirement IDs a conforming scenario must catch it under.
    pub breaks: Vec<String>,
    /// Only requests with this method (any if `None`).
    pub method: Option<String>,
    /// Only requests whose path matches.
    pub path: Regex,
    /// Rewrites of the request.
    pub request: Vec<Op>,
    /// Rewrites of the response.
    pub response: Vec<Op>,
    /// How the fake federating server misbehaves while this fault is active.
    pub fake: Vec<crate::federation::Misbehaviour>,
    /// Only a repeated request to the same path is rewritten; the first passes untouched (a
    /// server that honours an action once and ignores it afterwards).
    pub repeats_only: bool,
    /// State of the stateful operations.
    pub memory: std::sync::Arc<std::sync::Mutex<Memory>>,
}

impl Fault {
    /// Whether the fault can make a scenario fail at all: one that misbehaves in the fake
    /// federating server reaches scenarios that use it; one that rewrites client-server requests
    /// or responses reaches scenarios with a step that makes a request its `when` matches. (A
    /// scenario whose PDUs come from the fake never calls `/send`, so a `/send` rewrite cannot
    /// touch it.)
    pub fn reaches(&self, s: &crate::scenario::Scenario) -> bool {
        if !self.fake.is_empty() && s.uses_fake_server() {
            return true;
        }
        if self.request.is_empty() && self.response.is_empty() {
            return false;
        }
        s.call_kinds().iter().any(|kind| {
            kind.samples.iter().any(|(method, path)| {
                // `("*", "*")`: a step that can make any request (`request`).
                *method == "*"
                    || self.matches(&RequestParts {
                        method: method.to_string(),
                        path: path.to_string(),
                        query: Vec::new(),
                        body: None,
                    })
            })
        })
    }

    fn matches(&self, req: &RequestParts) -> bool {
        self.method
            .as_ref()
            .is_none_or(|m| m.eq_ignore_ascii_case(&req.method))
            && self.path.is_match(&req.path)
    }

    /// Rewrites a request; returns whether the fault applied.
    pub fn apply_request(&self, req: &mut RequestParts) -> bool {
        if !self.matches(req) {
            return false;
        }
        if self.repeats_only {
            let first = self.memory.held().paths_seen.insert(req.path.clone());
            if first {
                return false;
            }
        }
        for op in &self.request {
            match op {
                Op::DropQuery(name) => req.query.retain(|(k, _)| k != name),
                Op::ReplaceQuery(name, value) => req
                    .query
                    .iter_mut()
                    .filter(|(k, _)| k == name)
                    .for_each(|(_, v)| *v = value.clone()),
                Op::RewritePath(re, with) => {
                    req.path = re.replace(&req.path, with.as_str()).into_owned()
                }
                Op::Method(m) => req.method = m.clone(),
                Op::ReplaceBody(p, v) => {
                    if let Some(body) = req.body.as_mut() {
                        if p.select(body).into_value().is_some() {
                            p.set(body, v);
                        }
                    }
                }
                _ => {}
            }
        }
        true
    }

    /// Rewrites a response to a request the fault matched (checked on the original request).
    pub async fn apply_response(&self, req: &RequestParts, resp: &mut ResponseParts) -> bool {
        if !self.matches(req) || self.response.is_empty() {
            return false;
        }
        for op in &self.response {
            match op {
                Op::Delete(p) => {
                    p.delete(&mut resp.body);
                }
                Op::Set(p, v) => {
                    p.set(&mut resp.body, v);
                }
                Op::Duplicate(p) => p.for_each_mut(&mut resp.body, &mut |v| {
                    if let Some(a) = v.as_array_mut() {
                        if let Some(first) = a.first().cloned() {
                            a.push(first);
                        }
                    }
                }),
                Op::Append(p, x) => p.for_each_mut(&mut resp.body, &mut |v| {
                    if let Some(a) = v.as_array_mut() {
                        a.push(x.clone());
                    }
                }),
                Op::Copy { within, from, to } => {
                    within.for_each_mut(&mut resp.body, &mut |scope| {
                        let items = match from.select(scope).into_value() {
                            Some(Value::Array(a)) => a,
                            _ => return,
                        };
                        if items.is_empty() {
                            return;
                        }
                        ensure_array(scope, to);
                        to.for_each_mut(scope, &mut |target| {
                            if let Some(a) = target.as_array_mut() {
                                a.extend(items.iter().cloned());
                            }
                        });
                    })
                }
                Op::Status(s) => resp.status = *s,
                Op::Errcode(e) => {
                    if let Some(o) = resp.body.as_object_mut() {
                        o.insert("errcode".into(), Value::String(e.clone()));
                    } else {
                        resp.body = serde_json::json!({"errcode": e, "error": "injected"});
                    }
                }
                // Simulates a slow server; this is the fault's behaviour, not a harness wait.
                Op::Delay(d) => tokio::time::sleep(*d).await,
                Op::Freeze { items, key, at } => {
                    let mut memory = self.memory.held();
                    items.for_each_mut(&mut resp.body, &mut |item| {
                        let Some(id) = key.select(item).into_value() else {
                            return;
                        };
                        let Some(now) = at.select(item).into_value() else {
                            return;
                        };
                        let kept = memory.frozen.entry(id.to_string()).or_insert(now).clone();
                        at.set(item, &kept);
                    });
                }
                Op::ForgetAfter { arrays, key, after } => {
                    let mut memory = self.memory.held();
                    let now = std::time::Instant::now();
                    arrays.for_each_mut(&mut resp.body, &mut |list| {
                        if let Some(a) = list.as_array_mut() {
                            a.retain(|item| match key.select(item).into_value() {
                                Some(id) => {
                                    let seen =
                                        *memory.first_seen.entry(id.to_string()).or_insert(now);
                                    now.duration_since(seen) <= *after
                                }
                                None => true,
                            });
                        }
                    });
                }
                _ => {}
            }
        }
        true
    }
}

/// Creates the objects and the final array along a key-only path, where missing.
fn ensure_array(doc: &mut Value, path: &Path) {
    use crate::matcher::Segment;
    let mut cur = doc;
    let segs = path.segments();
    for (i, seg) in segs.iter().enumerate() {
        let Segment::Key(k) = seg else { return };
        let Some(obj) = cur.as_object_mut() else {
            return;
        };
        let last = i + 1 == segs.len();
        cur = obj.entry(k.clone()).or_insert_with(|| {
            if last {
                Value::Array(vec![])
            } else {
                Value::Object(Default::default())
            }
        });
    }
}

/// Loads `faults.yaml`.
pub fn load_faults(path: &std::path::Path) -> Result<BTreeMap<String, Fault>, Diagnostics> {
    let source = crate::util::read_text_capped(path, crate::util::MAX_INPUT_FILE).map_err(|e| {
        Diagnostics(vec![Diagnostic::new(
            path,
            "",
            Pos::default(),
            format!("cannot read faults: {e}"),
        )])
    })?;
    let root = yaml::parse(&source)
        .map_err(|e| Diagnostics(vec![crate::scenario::loader::load_error(path, &source, &e)]))?;
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

fn parse_fault(name: &str, v: &Value) -> Result<Fault, String> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let fake = match v.get("fake") {
        None => Vec::new(),
        Some(Value::Array(names)) => names
            .iter()
            .map(|n| {
                n.as_str()
                    .and_then(crate::federation::Misbehaviour::from_name)
                    .ok_or_else(|| {
                        format!(
                            "unknown fake-server misbehaviour {n} (known: {})",
                            crate::federation::Misbehaviour::NAMES.join(", ")
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
    let repeats_only = match when.get("repeats_only") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("`when.repeats_only` is true or false".into()),
    };
    if repeats_only && !response.is_empty() {
        return Err("`when.repeats_only` works with `request:` rewrites only".into());
    }
    if request.is_empty() && response.is_empty() && fake.is_empty() {
        return Err("needs `request:` or `response:` rewrites, or `fake:` misbehaviours".into());
    }
    Ok(Fault {
        name: name.to_string(),
        summary: s("summary").unwrap_or_default(),
        breaks: v
            .get("breaks")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        method: when
            .get("method")
            .and_then(Value::as_str)
            .map(str::to_string),
        path,
        request,
        response,
        fake,
        repeats_only,
        memory: Default::default(),
    })
}

fn parse_op(v: &Value) -> Result<Op, String> {
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
        "status" => Op::Status(
            arg.as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .ok_or("`status` takes an HTTP status")?,
        ),
        "errcode" => Op::Errcode(arg.as_str().ok_or("`errcode` takes a string")?.into()),
        "delay" => Op::Delay(
            crate::util::parse_duration(arg.as_str().unwrap_or(""))
                .ok_or("`delay` takes a duration like `2s`")?,
        ),
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
                after: crate::util::parse_duration(field("after")?.as_str().unwrap_or(""))
                    .ok_or("`forget_after.after` takes a duration like `3s`")?,
            }
        }
        other => return Err(format!("unknown operation `{other}`")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fake_misbehaviours_need_no_when_and_unknown_ones_are_named() {
        let f = parse_fault(
            "x",
            &json!({"breaks": ["S-10"], "fake": ["drop_sticky_pdus"]}),
        )
        .unwrap();
        assert_eq!(
            f.fake,
            vec![crate::federation::Misbehaviour::DropStickyPdus]
        );
        assert!(
            !f.matches(&req("/_matrix/client/v3/sync")),
            "it rewrites no request"
        );
        let e = parse_fault("x", &json!({"fake": ["lose_everything"]})).unwrap_err();
        assert!(
            e.contains("lose_everything") && e.contains("drop_sticky_pdus"),
            "{e}"
        );
        let e = parse_fault("x", &json!({"breaks": []})).unwrap_err();
        assert!(e.contains("when"), "{e}");
    }

    fn req(path: &str) -> RequestParts {
        RequestParts {
            method: "GET".into(),
            path: path.into(),
            query: vec![("a".into(), "1".into())],
            body: None,
        }
    }

    #[tokio::test]
    async fn rewrites_matching_responses_only() {
        let f = parse_fault(
            "x",
            &json!({"when": {"method": "GET", "path": "^/sync$"}, "response": [
                {"copy": {"within": "rooms.join[*]", "from": "sticky.events", "to": "timeline.events"}},
                {"delete": "drop"}, {"status": 500}
            ]}),
        )
        .unwrap();
        let body = json!({"drop": 1, "rooms": {"join": {"!r": {"sticky": {"events": [1]}, "timeline": {"events": [0]}}}}});
        let mut resp = ResponseParts {
            status: 200,
            headers: Default::default(),
            body: body.clone(),
        };
        assert!(f.apply_response(&req("/sync"), &mut resp).await);
        assert_eq!(resp.status, 500);
        assert_eq!(
            resp.body,
            json!({"rooms": {"join": {"!r": {"sticky": {"events": [1]}, "timeline": {"events": [0, 1]}}}}})
        );
        let mut other = ResponseParts {
            status: 200,
            headers: Default::default(),
            body: body.clone(),
        };
        assert!(!f.apply_response(&req("/versions"), &mut other).await);
        assert_eq!(other.body, body);
    }

    #[tokio::test]
    async fn stateful_rewrites_freeze_values_and_forget_items() {
        let f = parse_fault(
            "x",
            &json!({"when": {"path": "^/sync$"}, "response": [
                {"freeze": {"items": "events[*]", "key": "id", "at": "ttl"}},
                {"forget_after": {"items": "events[*]", "key": "id", "after": "0s"}}
            ]}),
        )
        .unwrap();
        let resp = |ttl: i64| ResponseParts {
            status: 200,
            headers: Default::default(),
            body: json!({"events": [{"id": "a", "ttl": ttl}]}),
        };
        let mut first = resp(900);
        f.apply_response(&req("/sync"), &mut first).await;
        assert_eq!(first.body, json!({"events": [{"id": "a", "ttl": 900}]}));
        // Later: the value stays frozen at 900, and the item is dropped (seen more than 0 s ago).
        std::thread::sleep(std::time::Duration::from_millis(5));
        let mut later = resp(500);
        let f2 = Fault {
            response: vec![f.response[0].clone()],
            ..f.clone()
        };
        f2.apply_response(&req("/sync"), &mut later).await;
        assert_eq!(later.body, json!({"events": [{"id": "a", "ttl": 900}]}));
        f.apply_response(&req("/sync"), &mut later).await;
        assert_eq!(later.body, json!({"events": []}));
        assert!(parse_fault(
            "x",
            &json!({"when": {"path": "x"}, "response": [{"forget_after": {"items": "events", "key": "id", "after": "1s"}}]})
        )
        .is_err());
    }

    #[test]
    fn repeats_only_lets_the_first_request_to_a_path_through() {
        let f = parse_fault(
            "x",
            &json!({"when": {"path": "/restart$", "repeats_only": true}, "request": [{"method": "get"}]}),
        )
        .unwrap();
        let mut a = req("/e1/restart");
        assert!(!f.apply_request(&mut a));
        let mut b = req("/e1/restart");
        b.method = "POST".into();
        assert!(f.apply_request(&mut b));
        assert_eq!(b.method, "GET");
        let mut c = req("/e2/restart");
        assert!(
            !f.apply_request(&mut c),
            "another event's first restart passes"
        );
    }

    #[test]
    fn rewrites_requests() {
        let f = parse_fault(
            "x",
            &json!({"when": {"path": "/cancel$"}, "request": [
                {"rewrite_path": {"pattern": "/cancel$", "with": ""}}, {"method": "get"}, {"drop_query": "a"}
            ]}),
        )
        .unwrap();
        let mut r = req("/delayed_events/d1/cancel");
        r.method = "POST".into();
        assert!(f.apply_request(&mut r));
        assert_eq!(
            (r.method.as_str(), r.path.as_str(), r.query.len()),
            ("GET", "/delayed_events/d1", 0)
        );
    }

    #[test]
    fn the_shipped_faults_load() {
        let faults = load_faults(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/faults.yaml"
        )))
        .unwrap();
        assert!(
            faults.values().all(|f| !f.breaks.is_empty()),
            "every fault names what it breaks"
        );
    }
}
