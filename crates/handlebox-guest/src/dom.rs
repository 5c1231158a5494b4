//! The page's document: its HTML parsed as browsers parse it (html5ever,
//! through `scraper`) the first time a handler reads the document, and
//! read through node numbers by `browser.js`, which wraps them in
//! read-only element views. Parsing happens here, in the guest, so a
//! hostile `html` costs the page's own time and memory, never the host's.

use std::cell::RefCell;
use std::collections::HashMap;

use boa_engine::object::builtins::JsArray;
use boa_engine::{Context, JsNativeError, JsResult, JsString, JsValue};
use ego_tree::NodeId;
use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

use crate::json::text;

/// A parsed document and the numbers its nodes have in JavaScript.
struct Document {
    html: Html,
    /// Node number to node.
    ids: Vec<NodeId>,
    /// Node to node number.
    numbers: HashMap<NodeId, u32>,
    /// What relative `href` and `src` resolve against.
    base: Option<Url>,
}

thread_local! {
    static DOCUMENT: RefCell<Option<Document>> = const { RefCell::new(None) };
}

/// Forgets the document of the page before.
pub(crate) fn close() {
    DOCUMENT.with(|slot| *slot.borrow_mut() = None);
}

impl Document {
    fn parse() -> Self {
        let (source, url) = crate::data::with_page(|page| {
            (page.html.clone().unwrap_or_default(), page.url.clone())
        })
        .unwrap_or_default();
        let html = Html::parse_document(&source);
        let ids: Vec<NodeId> = html.tree.nodes().map(|node| node.id()).collect();
        let numbers = ids
            .iter()
            .enumerate()
            .map(|(n, id)| (*id, n as u32))
            .collect();
        let page_url = Url::parse(&url).ok();
        let base = Selector::parse("base[href]")
            .ok()
            .and_then(|selector| html.select(&selector).next())
            .and_then(|base| base.attr("href"))
            .and_then(|href| match &page_url {
                Some(url) => url.join(href).ok(),
                None => Url::parse(href).ok(),
            })
            .or(page_url);
        Self {
            html,
            ids,
            numbers,
            base,
        }
    }

    fn node(&self, number: u32) -> Option<ego_tree::NodeRef<'_, Node>> {
        let id = *self.ids.get(number as usize)?;
        self.html.tree.get(id)
    }

    fn element(&self, number: u32) -> Option<ElementRef<'_>> {
        self.node(number).and_then(ElementRef::wrap)
    }

    fn number(&self, id: NodeId) -> JsValue {
        match self.numbers.get(&id) {
            Some(n) => JsValue::from(*n),
            None => JsValue::null(),
        }
    }

    /// The scope of a query: node `number`, or the whole document for `-1`.
    fn scope(&self, number: i64) -> Option<ego_tree::NodeRef<'_, Node>> {
        if number < 0 {
            Some(self.html.tree.root())
        } else {
            self.node(u32::try_from(number).ok()?)
        }
    }

    fn resolve(&self, value: &str) -> String {
        match &self.base {
            Some(base) => base
                .join(value.trim())
                .map(String::from)
                .unwrap_or_else(|_| value.to_owned()),
            None => value.to_owned(),
        }
    }
}

/// Parses the page's document now, if no handler has yet.
pub(crate) fn parse_now() {
    DOCUMENT.with(|slot| {
        slot.borrow_mut().get_or_insert_with(Document::parse);
    });
}

/// Runs `f` on the page's document, parsing it first; an error when the
/// page's `html` could not be parsed within its limits.
fn with_document<R>(f: impl FnOnce(&Document) -> R) -> JsResult<R> {
    if let Some(Some(error)) = crate::data::with_page(|page| page.html_error.clone()) {
        return Err(JsNativeError::error().with_message(error).into());
    }
    Ok(DOCUMENT.with(|slot| {
        let mut slot = slot.borrow_mut();
        let document = slot.get_or_insert_with(Document::parse);
        f(document)
    }))
}

fn string(value: &str) -> JsValue {
    JsString::from(value).into()
}

fn arg_text(args: &[JsValue], index: usize, context: &mut Context) -> JsResult<String> {
    match args.get(index) {
        Some(value) => Ok(text(&value.to_string(context)?)),
        None => Ok("undefined".to_owned()),
    }
}

fn arg_number(args: &[JsValue], index: usize) -> i64 {
    args.get(index)
        .and_then(JsValue::as_number)
        .map_or(-1, |n| n as i64)
}

fn numbers(values: Vec<JsValue>, context: &mut Context) -> JsValue {
    JsArray::from_iter(values, context).into()
}

/// `domSelect(scope, selector, first)`: the numbers of the elements under
/// `scope` (`-1`: the document) that match `selector`, in document order;
/// with `first`, the first one or `null`. `false` when the selector does
/// not parse.
pub(crate) fn select(
    _this: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsValue> {
    let scope = arg_number(args, 0);
    let selector = arg_text(args, 1, context)?;
    let first = args.get(2).is_some_and(JsValue::to_boolean);
    let Some(selector) = parse_selector(&selector) else {
        return Ok(JsValue::from(false));
    };
    let found = with_document(|document| {
        let Some(scope) = document.scope(scope) else {
            return Vec::new();
        };
        let scope_element = ElementRef::wrap(scope);
        let matches = scope
            .descendants()
            .skip(1)
            .filter_map(ElementRef::wrap)
            .filter(|element| selector.matches_with_scope(element, scope_element))
            .map(|element| document.number(element.id()));
        if first {
            matches.take(1).collect()
        } else {
            matches.collect()
        }
    })?;
    if first {
        return Ok(found.into_iter().next().unwrap_or_else(JsValue::null));
    }
    Ok(numbers(found, context))
}

/// `domMatches(node, selector, closest)`: whether element `node` matches
/// `selector`; with `closest`, the number of the nearest inclusive
/// ancestor that does, or `null`. `false`/`undefined` as [`select`] when
/// the selector does not parse.
pub(crate) fn matches(
    _this: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsValue> {
    let number = arg_number(args, 0);
    let selector = arg_text(args, 1, context)?;
    let closest = args.get(2).is_some_and(JsValue::to_boolean);
    let Some(selector) = parse_selector(&selector) else {
        return Ok(JsValue::undefined());
    };
    with_document(|document| {
        let Some(node) = document.scope(number.max(0)) else {
            return JsValue::null();
        };
        if !closest {
            return JsValue::from(ElementRef::wrap(node).is_some_and(|e| selector.matches(&e)));
        }
        std::iter::successors(Some(node), |node| node.parent())
            .filter_map(ElementRef::wrap)
            .find(|element| selector.matches(element))
            .map_or_else(JsValue::null, |element| document.number(element.id()))
    })
}

/// `domFind(scope, how, what)`: `getElementById` (`how` = `"id"`, the
/// first element with that id), `getElementsByClassName` (`"class"`, every
/// element with all the classes in `what`) or `getElementsByTagName`
/// (`"tag"`, `*` for all), under `scope`.
pub(crate) fn find(_this: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let scope = arg_number(args, 0);
    let how = arg_text(args, 1, context)?;
    let what = arg_text(args, 2, context)?;
    let classes: Vec<&str> = what.split_ascii_whitespace().collect();
    let tag = what.to_ascii_lowercase();
    let found = with_document(|document| {
        let Some(scope) = document.scope(scope) else {
            return Vec::new();
        };
        let elements = scope.descendants().skip(1).filter_map(ElementRef::wrap);
        let keep = |element: &ElementRef<'_>| {
            let value = element.value();
            match how.as_str() {
                "id" => value.id() == Some(what.as_str()),
                "class" => {
                    !classes.is_empty()
                        && classes
                            .iter()
                            .all(|class| value.classes().any(|c| c == *class))
                }
                _ => what == "*" || *value.name.local == *tag || *value.name.local == *what,
            }
        };
        let matching = elements.filter(keep).map(|e| document.number(e.id()));
        if how == "id" {
            matching.take(1).collect()
        } else {
            matching.collect()
        }
    })?;
    if how == "id" {
        return Ok(found.into_iter().next().unwrap_or_else(JsValue::null));
    }
    Ok(numbers(found, context))
}

/// `domNode(node, relation)`: a related node's number or `null`:
/// `documentElement`, `head`, `body` (of the document), `parentElement`,
/// `parentNode`, `nextSibling`, `previousSibling`, `nextElementSibling`,
/// `previousElementSibling`,
/// `firstElementChild`, `lastElementChild`.
pub(crate) fn related(
    _this: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsValue> {
    let number = arg_number(args, 0);
    let relation = arg_text(args, 1, context)?;
    with_document(|document| {
        let Some(node) = document.scope(number) else {
            return JsValue::null();
        };
        let root = document.html.tree.root();
        let html_child = |name: &str| {
            document
                .html
                .root_element()
                .children()
                .filter_map(ElementRef::wrap)
                .find(|e| *e.value().name.local == *name)
                .map(|e| e.id())
        };
        let found = match relation.as_str() {
            "documentElement" => Some(document.html.root_element().id()),
            "head" => html_child("head"),
            "body" => html_child("body"),
            "parentElement" => node
                .parent()
                .filter(|parent| parent.value().is_element())
                .map(|parent| parent.id()),
            "parentNode" => node.parent().map(|parent| parent.id()),
            "nextSibling" => node.next_sibling().map(|n| n.id()),
            "previousSibling" => node.prev_sibling().map(|n| n.id()),
            "nextElementSibling" => node
                .next_siblings()
                .find(|n| n.value().is_element())
                .map(|n| n.id()),
            "previousElementSibling" => node
                .prev_siblings()
                .find(|n| n.value().is_element())
                .map(|n| n.id()),
            "firstElementChild" => node
                .children()
                .find(|n| n.value().is_element())
                .map(|n| n.id()),
            "lastElementChild" => node
                .children()
                .filter(|n| n.value().is_element())
                .last()
                .map(|n| n.id()),
            _ => None,
        };
        match found {
            Some(id) if id != root.id() || relation == "parentNode" => document.number(id),
            _ => JsValue::null(),
        }
    })
}

/// `domChildren(node, elementsOnly)`: the numbers of a node's children
/// (`childNodes`), or of its element children (`children`).
pub(crate) fn children(
    _this: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsValue> {
    let number = arg_number(args, 0);
    let elements_only = args.get(1).is_some_and(JsValue::to_boolean);
    let found = with_document(|document| {
        let Some(node) = document.scope(number) else {
            return Vec::new();
        };
        node.children()
            .filter(|child| !elements_only || child.value().is_element())
            .map(|child| document.number(child.id()))
            .collect()
    })?;
    Ok(numbers(found, context))
}

/// `domAttributes(node)`: an element's attributes in source order, as
/// `[[name, value], …]`.
pub(crate) fn attributes(
    _this: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsValue> {
    let number = arg_number(args, 0);
    let pairs: Vec<(String, String)> = with_document(|document| {
        let Some(element) = u32::try_from(number).ok().and_then(|n| document.element(n)) else {
            return Vec::new();
        };
        element
            .value()
            .attrs()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect()
    })?;
    let pairs: Vec<JsValue> = pairs
        .iter()
        .map(|(name, value)| JsArray::from_iter([string(name), string(value)], context).into())
        .collect();
    Ok(numbers(pairs, context))
}

/// `domRead(node, property)`: one property of a node: `nodeType`,
/// `nodeName`, `tagName`, `textContent`, `innerText`, `innerHTML`,
/// `outerHTML`, `value`, `checked`, and attributes resolved as URLs
/// (`href`, `src`, `action`). `undefined` where the node has no such
/// property.
pub(crate) fn read(_this: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let number = arg_number(args, 0);
    let property = arg_text(args, 1, context)?;
    with_document(|document| {
        let Some(node) = document.scope(number) else {
            return JsValue::undefined();
        };
        match (node.value(), property.as_str()) {
            (Node::Document, "nodeType") => JsValue::from(9),
            (Node::Element(_), "nodeType") => JsValue::from(1),
            (Node::Text(_), "nodeType") => JsValue::from(3),
            (Node::Comment(_), "nodeType") => JsValue::from(8),
            (Node::Doctype(_), "nodeType") => JsValue::from(10),
            (_, "nodeType") => JsValue::from(11),
            (Node::Element(element), "nodeName" | "tagName") => {
                string(&element.name.local.to_ascii_uppercase())
            }
            (Node::Text(_), "nodeName") => string("#text"),
            (Node::Comment(_), "nodeName") => string("#comment"),
            (Node::Document, "nodeName") => string("#document"),
            (Node::Doctype(doctype), "nodeName") => string(doctype.name()),
            (Node::Text(text), "textContent" | "nodeValue" | "data") => string(text),
            (Node::Comment(comment), "textContent" | "nodeValue" | "data") => string(comment),
            (Node::Element(_), "textContent") => string(&text_content(node)),
            (Node::Element(_), "innerText") => string(&inner_text(node)),
            (Node::Element(_), "innerHTML") => {
                ElementRef::wrap(node).map_or_else(JsValue::undefined, |e| string(&e.inner_html()))
            }
            (Node::Element(_), "outerHTML") => {
                ElementRef::wrap(node).map_or_else(JsValue::undefined, |e| string(&e.html()))
            }
            (Node::Element(element), "value") => match form_value(node, element) {
                Some(value) => string(&value),
                None => JsValue::undefined(),
            },
            (Node::Element(element), "checked") if &*element.name.local == "input" => {
                JsValue::from(element.attr("checked").is_some())
            }
            (Node::Element(element), "href" | "src" | "action") => {
                match element.attr(property.as_str()) {
                    Some(value) => string(&document.resolve(value)),
                    None => string(""),
                }
            }
            _ => JsValue::undefined(),
        }
    })
}

/// A selector as a browser reads it: the state pseudo-classes of a
/// document nobody interacts with are written as what they mean here
/// (`:checked` is the `checked` attribute, `:hover` never matches), since
/// the selector engine refuses them.
fn parse_selector(text: &str) -> Option<Selector> {
    if let Ok(selector) = Selector::parse(text) {
        return Some(selector);
    }
    Selector::parse(&static_states(text)).ok()
}

/// `text` with each state pseudo-class outside quotes replaced (see
/// [`parse_selector`]).
fn static_states(text: &str) -> String {
    const STATES: [(&str, &str); 14] = [
        ("checked", ":is([checked], option[selected])"),
        ("disabled", "[disabled]"),
        ("enabled", ":not([disabled])"),
        ("required", "[required]"),
        ("optional", ":not([required])"),
        ("link", ":is(a, area)[href]"),
        ("any-link", ":is(a, area)[href]"),
        ("hover", ":not(*)"),
        ("active", ":not(*)"),
        ("focus", ":not(*)"),
        ("focus-within", ":not(*)"),
        ("focus-visible", ":not(*)"),
        ("visited", ":not(*)"),
        ("target", ":not(*)"),
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut quote: Option<char> = None;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, ':') if !rest.starts_with(':') && !out.ends_with(':') => {
                let name_length = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                    .unwrap_or(rest.len());
                let name = &rest[..name_length];
                if let Some((_, meaning)) = STATES
                    .iter()
                    .find(|(state, _)| state.eq_ignore_ascii_case(name))
                {
                    out.push_str(meaning);
                    rest = &rest[name_length..];
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// The text of every text node under `node`, in order.
fn text_content(node: ego_tree::NodeRef<'_, Node>) -> String {
    node.descendants()
        .filter_map(|n| n.value().as_text().map(|t| &**t))
        .collect()
}

/// A form field's `value`: `input` (its attribute; `on` for a checkbox or
/// radio button without one), `textarea` (its text), `select` (the value
/// of its selected option, else of its first), `option`, `button`.
fn form_value(
    node: ego_tree::NodeRef<'_, Node>,
    element: &scraper::node::Element,
) -> Option<String> {
    let option_value = |option: ego_tree::NodeRef<'_, Node>| {
        let attribute = option
            .value()
            .as_element()
            .and_then(|e| e.attr("value"))
            .map(str::to_owned);
        attribute.unwrap_or_else(|| collapse(&text_content(option)))
    };
    match &*element.name.local {
        "input" => Some(match (element.attr("value"), element.attr("type")) {
            (Some(value), _) => value.to_owned(),
            (None, Some(kind))
                if kind.eq_ignore_ascii_case("checkbox") || kind.eq_ignore_ascii_case("radio") =>
            {
                "on".to_owned()
            }
            (None, _) => String::new(),
        }),
        "textarea" => Some(text_content(node)),
        "button" | "data" | "li" | "param" | "output" => {
            Some(element.attr("value").unwrap_or_default().to_owned())
        }
        "option" => Some(option_value(node)),
        "select" => {
            let options: Vec<_> = node
                .descendants()
                .filter(|n| {
                    n.value()
                        .as_element()
                        .is_some_and(|e| &*e.name.local == "option")
                })
                .collect();
            let selected = options
                .iter()
                .rev()
                .find(|o| {
                    o.value()
                        .as_element()
                        .is_some_and(|e| e.attr("selected").is_some())
                })
                .or(options.first());
            Some(selected.map(|o| option_value(*o)).unwrap_or_default())
        }
        _ => None,
    }
}

/// `text` with runs of ASCII whitespace made one space, trimmed.
fn collapse(text: &str) -> String {
    text.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// Elements that are not rendered: their `innerText` is their `textContent`.
const NOT_RENDERED: [&str; 10] = [
    "head", "script", "style", "template", "title", "meta", "link", "noscript", "base", "datalist",
];

/// Elements a browser lays out as blocks without CSS: a line break before
/// and after their text.
const BLOCKS: [&str; 39] = [
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "center",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "html",
    "legend",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "optgroup",
    "option",
    "pre",
    "section",
    "ul",
];

/// `innerText` as a browser gives it without a style sheet (HTML's
/// "rendered text collection steps"): whitespace collapsed, a line break
/// around blocks, two around paragraphs, `<br>` a line break, cells
/// separated by tabs and rows by line breaks, hidden elements left out.
fn inner_text(node: ego_tree::NodeRef<'_, Node>) -> String {
    let name = |n: ego_tree::NodeRef<'_, Node>| {
        n.value()
            .as_element()
            .map(|e| e.name.local.to_string())
            .unwrap_or_default()
    };
    if NOT_RENDERED.contains(&name(node).as_str())
        || node
            .ancestors()
            .any(|a| NOT_RENDERED.contains(&name(a).as_str()))
    {
        return text_content(node);
    }
    let mut out = InnerText::default();
    // How deep the walk is inside an element that is not rendered (or
    // inside a `textarea`, which a browser draws as a box, not text).
    let mut hidden = 0usize;
    for edge in node.traverse() {
        match edge {
            ego_tree::iter::Edge::Open(n) if n == node => {}
            ego_tree::iter::Edge::Close(n) if n == node => {}
            ego_tree::iter::Edge::Open(n) if hidden > 0 => {
                hidden += usize::from(n.value().is_element());
            }
            ego_tree::iter::Edge::Open(n) => match n.value() {
                Node::Text(text) => out.text(text),
                Node::Element(e) if not_rendered(e) => hidden = 1,
                Node::Element(e) if control(e) => {
                    out.control();
                    if &*e.name.local == "textarea" {
                        hidden = 1;
                    }
                }
                Node::Element(e) => match &*e.name.local {
                    "br" => out.forced("\n"),
                    "p" => out.breaks(2),
                    "td" | "th" if n.prev_siblings().any(|s| s.value().is_element()) => {
                        out.forced("\t")
                    }
                    "tr" | "table" | "caption" => out.breaks(1),
                    tag if BLOCKS.contains(&tag) => out.breaks(1),
                    _ => {}
                },
                _ => {}
            },
            ego_tree::iter::Edge::Close(n) => {
                let Some(e) = n.value().as_element() else {
                    continue;
                };
                if hidden > 0 {
                    hidden -= 1;
                    // A textarea hides its text, not itself.
                    if hidden > 0 || &*e.name.local != "textarea" || not_rendered(e) {
                        continue;
                    }
                }
                if control(e) {
                    out.atomic = true;
                }
                match &*e.name.local {
                    "p" => out.breaks(2),
                    "tr" | "table" | "caption" => out.breaks(1),
                    tag if BLOCKS.contains(&tag) => out.breaks(1),
                    _ => {}
                }
            }
        }
    }
    out.text
}

/// Whether `element` is not rendered, so neither is anything in it.
fn not_rendered(element: &scraper::node::Element) -> bool {
    NOT_RENDERED.contains(&&*element.name.local)
        || element.attr("hidden").is_some()
        || (&*element.name.local == "input"
            && element
                .attr("type")
                .is_some_and(|t| t.eq_ignore_ascii_case("hidden")))
}

/// Form controls, which a browser draws as boxes within a line: the
/// white space on either side of one is kept.
fn control(element: &scraper::node::Element) -> bool {
    matches!(
        &*element.name.local,
        "input" | "button" | "select" | "textarea"
    )
}

/// `innerText` as it is written: pending spaces and line breaks are only
/// written before more text, so none lead or trail a line, except next to
/// a form control (`atomic`), whose white space a browser keeps.
#[derive(Default)]
struct InnerText {
    text: String,
    space: bool,
    breaks: usize,
    /// A form control was just written: white space after it counts.
    atomic: bool,
}

impl InnerText {
    fn text(&mut self, chunk: &str) {
        for c in chunk.chars() {
            if c.is_ascii_whitespace() {
                if self.breaks == 0 || self.atomic {
                    self.space = self.space
                        || self.atomic
                        || (!self.text.is_empty() && !self.text.ends_with('\n'));
                }
                continue;
            }
            self.flush();
            self.atomic = false;
            self.text.push(c);
        }
    }

    /// Writes the pending line breaks, then the pending space.
    fn flush(&mut self) {
        if self.breaks > 0 {
            if !self.text.is_empty() {
                self.text.extend(std::iter::repeat_n('\n', self.breaks));
            }
            self.breaks = 0;
        }
        if self.space {
            self.text.push(' ');
        }
        self.space = false;
    }

    /// A form control starts: what is pending is written before it.
    fn control(&mut self) {
        self.flush();
        self.atomic = true;
    }

    fn breaks(&mut self, count: usize) {
        self.breaks = self.breaks.max(count);
        self.space = false;
        self.atomic = false;
    }

    fn forced(&mut self, text: &str) {
        if self.breaks > 0 && !self.text.is_empty() {
            self.text.extend(std::iter::repeat_n('\n', self.breaks));
        }
        self.breaks = 0;
        self.space = false;
        self.atomic = false;
        self.text.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use scraper::Html;

    use super::{inner_text, text_content};

    fn first(html: &Html, tag: &str) -> ego_tree::NodeId {
        let selector = scraper::Selector::parse(tag).unwrap();
        html.select(&selector).next().unwrap().id()
    }

    #[test]
    fn state_pseudo_classes_read_as_a_still_page() {
        let html = Html::parse_document(
            "<input id=a type=checkbox checked><input id=b disabled><a id=c href=/x>x</a>\
             <select><option id=d selected>1</option></select>",
        );
        let ids = |selector: &str| -> Vec<String> {
            let selector = super::parse_selector(selector).expect(selector);
            html.select(&selector)
                .filter_map(|e| e.value().id().map(str::to_owned))
                .collect()
        };
        assert_eq!(ids(":checked"), ["a", "d"]);
        assert_eq!(ids("input:disabled"), ["b"]);
        assert_eq!(ids("input:enabled"), ["a"]);
        assert_eq!(ids("a:link"), ["c"]);
        assert!(ids("a:hover").is_empty());
        assert_eq!(ids("[title=':hover'], #a"), ["a"]);
        assert!(super::parse_selector("::").is_none());
    }

    #[test]
    fn inner_text_is_the_rendered_text() {
        let html = Html::parse_document(
            "<div id=d>Lightweight running shoes.<br>Mesh upper,\n    rubber sole.<p>Made in \
             Vietnam.</p><!-- c --></div><nav>\n <a>Shoes</a> &rsaquo; <a>Sneakers</a>\n</nav>\
             <table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>",
        );
        let div = html.tree.get(first(&html, "#d")).unwrap();
        assert_eq!(
            inner_text(div),
            "Lightweight running shoes.\nMesh upper, rubber sole.\n\nMade in Vietnam."
        );
        assert_eq!(
            text_content(div),
            "Lightweight running shoes.Mesh upper,\n    rubber sole.Made in Vietnam."
        );
        let nav = html.tree.get(first(&html, "nav")).unwrap();
        assert_eq!(inner_text(nav), "Shoes \u{203a} Sneakers");
        let table = html.tree.get(first(&html, "table")).unwrap();
        assert_eq!(inner_text(table), "a\tb\nc");
    }
}
