//! The headers of `include/` cannot drift from the Rust definitions.
//!
//! The headers are written by hand, one per SDK API set as the Windows SDK lays them out
//! (`synchapi.h`, `processthreadsapi.h`, `fileapi.h`, …, under a `windows.h` that includes
//! them), and checked in. This test reads the crate's Rust sources with `syn` and checks,
//! in both directions:
//!
//! 1. **names**: the headers declare exactly the exported (`#[unsafe(no_mangle)]`)
//!    functions, `#define` exactly the constants of `consts.rs`, and `typedef` exactly the
//!    type aliases and `#[repr(C)]` types of `types.rs` (less a short, explained list of
//!    header-only names, and the Rust types that C spells as anonymous members);
//! 2. **types and values**, through the C compiler: it generates a C program that includes
//!    `windows.h` and asserts, with `__builtin_types_compatible_p`, that every function's
//!    type, every type alias and every structure field has the type the Rust definition
//!    spells (the Rust aliases carry the Win32 names, so the spelling carries over), that
//!    every structure has the Rust size and alignment and its fields in the Rust order, and
//!    at run time that every constant has the Rust value;
//! 3. every header compiles on its own, as C (with and without `UNICODE`) and as C++, and
//!    the SDK's spellings (`__cdecl`, SAL, `tchar.h`, `strsafe.h`, …) work in every build.
//!
//! Changing a signature, a field, a constant or a type on either side without the other
//! fails here.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use alertable_win32 as w;

use common::{c_compiler, compile, cxx_compiler, include_dir, scratch_dir};

// ---------------------------------------------------------------------------------------
// The Rust side.

/// A type as C spells it.
fn c_type(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => {
            let last = p.path.segments.last().expect("a path has a segment");
            let name = last.ident.to_string();
            if name == "Option" {
                let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                    panic!("Option without a type argument");
                };
                let Some(syn::GenericArgument::Type(inner)) = args.args.first() else {
                    panic!("Option without a type argument");
                };
                return c_type(inner);
            }
            match name.as_str() {
                "c_void" => "void",
                "c_char" => "char",
                "c_int" => "int",
                "c_short" => "short",
                "c_ushort" => "unsigned short",
                "c_uchar" => "unsigned char",
                "c_float" => "float",
                "i8" => "int8_t",
                "i16" => "int16_t",
                "c_uint" => "unsigned int",
                "c_longlong" => "long long",
                "c_ulonglong" => "unsigned long long",
                "u8" => "unsigned char",
                "u16" => "uint16_t",
                "u32" => "uint32_t",
                "i32" => "int32_t",
                "u64" => "uint64_t",
                "i64" => "int64_t",
                "usize" => "size_t",
                "isize" => "intptr_t",
                "wchar_t" => "wchar_t",
                other => other,
            }
            .to_owned()
        }
        syn::Type::Ptr(p) => {
            let pointee = c_type(&p.elem);
            if p.const_token.is_some() {
                format!("const {pointee} *")
            } else {
                format!("{pointee} *")
            }
        }
        syn::Type::BareFn(f) => {
            let ret = match &f.output {
                syn::ReturnType::Default => "void".to_owned(),
                syn::ReturnType::Type(_, t) => c_type(t),
            };
            let params: Vec<String> = f.inputs.iter().map(|a| c_type(&a.ty)).collect();
            format!("{ret} (*)({})", params_list(&params))
        }
        syn::Type::Array(a) => {
            let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(len),
                ..
            }) = &a.len
            else {
                panic!("an array length this test cannot read: use an integer literal");
            };
            format!("{}[{}]", c_type(&a.elem), len.base10_digits())
        }
        syn::Type::Never(_) => "void".to_owned(),
        syn::Type::Tuple(t) if t.elems.is_empty() => "void".to_owned(),
        _ => panic!(
            "a type this test cannot spell in C: use a Win32 alias, a pointer, Option<fn> or `!`"
        ),
    }
}

fn params_list(params: &[String]) -> String {
    if params.is_empty() {
        "void".to_owned()
    } else {
        params.join(", ")
    }
}

/// An exported function: its name, parameter types, return type, and whether it returns.
struct Export {
    name: String,
    params: Vec<String>,
    ret: String,
    noreturn: bool,
    /// The module under `src/` that defines it (`synchapi` for `src/synchapi/event.rs`):
    /// the SDK header that declares it must have the same name.
    api_set: String,
}

/// A `#[repr(C)]` struct or union and its fields.
struct Aggregate {
    is_union: bool,
    /// Field names and their C types.
    fields: Vec<(String, String)>,
}

#[derive(Default)]
struct RustSide {
    exports: Vec<Export>,
    constants: BTreeMap<String, i128>,
    /// Type aliases and the C spelling of what they alias.
    aliases: BTreeMap<String, String>,
    aggregates: BTreeMap<String, Aggregate>,
}

fn is_no_mangle(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("unsafe")
            && matches!(&a.meta, syn::Meta::List(l) if l.tokens.to_string() == "no_mangle")
    })
}

fn is_repr_c(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("repr")
            && matches!(&a.meta, syn::Meta::List(l) if l.tokens.to_string() == "C")
    })
}

fn int_value(expr: &syn::Expr) -> i128 {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse().expect("an integer literal"),
        syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => -int_value(expr),
        // A cast to a 32-bit signed type wraps, as the C cast does (`0x8000_4005_u32 as
        // HRESULT` is negative on both sides).
        syn::Expr::Cast(c) => {
            let value = int_value(&c.expr);
            if matches!(
                c_type(&c.ty).as_str(),
                "HRESULT" | "NTSTATUS" | "LONG" | "int32_t"
            ) {
                i128::from(value as i32)
            } else {
                value
            }
        }
        _ => panic!("a constant this test cannot read: use an integer literal or a cast of one"),
    }
}

fn named_fields(fields: &syn::FieldsNamed) -> Vec<(String, String)> {
    fields
        .named
        .iter()
        .map(|f| (f.ident.as_ref().expect("named").to_string(), c_type(&f.ty)))
        .collect()
}

fn read_rust() -> RustSide {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut side = RustSide::default();
    // The sources, folders of modules (`winbase/`, `processthreadsapi/`) included.
    let mut files = Vec::new();
    let mut folders = vec![src];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("a source folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("source");
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let module = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        let api_set = path
            .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
            .expect("under src/")
            .components()
            .next()
            .expect("a first component")
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        for item in file.items {
            match item {
                syn::Item::Fn(f) if is_no_mangle(&f.attrs) => {
                    let params = f
                        .sig
                        .inputs
                        .iter()
                        .map(|a| match a {
                            syn::FnArg::Typed(t) => c_type(&t.ty),
                            syn::FnArg::Receiver(_) => panic!("an exported method"),
                        })
                        .collect();
                    let (ret, noreturn) = match &f.sig.output {
                        syn::ReturnType::Default => ("void".to_owned(), false),
                        syn::ReturnType::Type(_, t) => {
                            (c_type(t), matches!(**t, syn::Type::Never(_)))
                        }
                    };
                    side.exports.push(Export {
                        name: f.sig.ident.to_string(),
                        params,
                        ret,
                        noreturn,
                        api_set: api_set.clone(),
                    });
                }
                syn::Item::Const(c) if module == "consts" => {
                    side.constants
                        .insert(c.ident.to_string(), int_value(&c.expr));
                }
                syn::Item::Type(t) if module == "types" => {
                    side.aliases.insert(t.ident.to_string(), c_type(&t.ty));
                }
                syn::Item::Struct(s) if module == "types" && is_repr_c(&s.attrs) => {
                    let syn::Fields::Named(fields) = &s.fields else {
                        panic!("{}: a repr(C) struct without named fields", s.ident);
                    };
                    side.aggregates.insert(
                        s.ident.to_string(),
                        Aggregate {
                            is_union: false,
                            fields: named_fields(fields),
                        },
                    );
                }
                syn::Item::Union(u) if module == "types" && is_repr_c(&u.attrs) => {
                    side.aggregates.insert(
                        u.ident.to_string(),
                        Aggregate {
                            is_union: true,
                            fields: named_fields(&u.fields),
                        },
                    );
                }
                _ => {}
            }
        }
    }
    side
}

/// Rust's size and alignment of every `#[repr(C)]` type; the test checks this list covers
/// them all.
macro_rules! layouts {
    ($($t:ident),* $(,)?) => {
        [$((stringify!($t), size_of::<w::$t>(), align_of::<w::$t>())),*]
    };
}

const LAYOUTS: [(&str, usize, usize); 28] = layouts!(
    ULARGE_INTEGER_PARTS,
    ULARGE_INTEGER,
    TP_CALLBACK_ENVIRON_V3_FLAGS,
    TP_CALLBACK_ENVIRON_V3,
    INIT_ONCE,
    SYNCHRONIZATION_BARRIER,
    WIN32_FILE_ATTRIBUTE_DATA,
    LARGE_INTEGER_PARTS,
    LARGE_INTEGER,
    FILETIME,
    SECURITY_ATTRIBUTES,
    OVERLAPPED_OFFSET,
    OVERLAPPED_OFFSET_OR_POINTER,
    OVERLAPPED,
    OVERLAPPED_ENTRY,
    POINT,
    MSG,
    REASON_CONTEXT_DETAILED,
    REASON_CONTEXT_REASON,
    REASON_CONTEXT,
    CRITICAL_SECTION,
    SRWLOCK,
    CONDITION_VARIABLE,
    SYSTEMTIME,
    SYSTEM_INFO_ARCHITECTURE,
    SYSTEM_INFO_OEM,
    SYSTEM_INFO,
    CONSOLE_READCONSOLE_CONTROL,
);

/// Parameters whose C type carries a qualifier Rust cannot spell: the `volatile` of the
/// `Interlocked` functions' targets and `WaitOnAddress`'s watched address.
const VOLATILE_PARAMETERS: [(&str, usize); 21] = [
    ("WaitOnAddress", 0),
    ("InterlockedIncrement", 0),
    ("InterlockedDecrement", 0),
    ("InterlockedExchange", 0),
    ("InterlockedCompareExchange", 0),
    ("InterlockedExchangeAdd", 0),
    ("InterlockedAdd", 0),
    ("InterlockedAnd", 0),
    ("InterlockedOr", 0),
    ("InterlockedXor", 0),
    ("InterlockedIncrement64", 0),
    ("InterlockedDecrement64", 0),
    ("InterlockedExchange64", 0),
    ("InterlockedCompareExchange64", 0),
    ("InterlockedExchangeAdd64", 0),
    ("InterlockedAdd64", 0),
    ("InterlockedAnd64", 0),
    ("InterlockedOr64", 0),
    ("InterlockedXor64", 0),
    ("InterlockedExchangePointer", 0),
    ("InterlockedCompareExchangePointer", 0),
];

// ---------------------------------------------------------------------------------------
// The header side.

/// Names the header declares, gathered over both settings of `UNICODE`.
#[derive(Default)]
struct HeaderSide {
    functions: BTreeMap<String, String>,
    /// The header (without `.h`) that declares each function.
    homes: BTreeMap<String, String>,
    defines: BTreeMap<String, String>,
    typedefs: BTreeSet<String>,
}

/// `#define`s that are not constants though they have a body: calling-convention and
/// declaration decorations, MSVC keyword spellings, and structure initializers. (Defines
/// with an empty body, include guards and the `__declspec` spellings are not constants
/// either; see [`is_constant`].)
const NOT_CONSTANTS: [&str; 16] = [
    "WINBASEAPI",
    "WINUSERAPI",
    "NTSYSAPI",
    "DECLSPEC_NORETURN",
    "DECLSPEC_NOINLINE",
    "DECLSPEC_DEPRECATED",
    "__forceinline",
    "__int8",
    "__int16",
    "__int32",
    "__int64",
    "VOID",
    "CONST",
    "SRWLOCK_INIT",
    "CONDITION_VARIABLE_INIT",
    "INIT_ONCE_STATIC_INIT",
];

/// Whether the object-like `#define` `name` with `body` is a constant of the Rust side.
fn is_constant(name: &str, body: &str) -> bool {
    let guard = name.starts_with("ALERTABLE_") && name.ends_with("_H");
    !(body.is_empty()
        || guard
        || name.starts_with("__alertable_declspec_")
        || name == "__TEXT"
        || NOT_CONSTANTS.contains(&name))
}

/// The headers that declare the library: every header of `include/` but the companions,
/// which declare nothing the library exports (`sal.h`: annotations; `tchar.h`, `conio.h`
/// and `strsafe.h`: the C runtime's and the SDK's inline helpers, tested by running them).
fn api_headers() -> Vec<std::path::PathBuf> {
    const COMPANIONS: [&str; 4] = ["sal.h", "tchar.h", "strsafe.h", "conio.h"];
    let mut headers: Vec<_> = std::fs::read_dir(include_dir())
        .expect("include/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "h"))
        .filter(|p| !COMPANIONS.iter().any(|c| p.ends_with(c)))
        .collect();
    headers.sort();
    headers
}

/// Typedefs that exist only in the header: they follow the C program's `UNICODE` setting,
/// which the Rust side has no counterpart for.
const HEADER_ONLY_TYPES: [&str; 12] = [
    "TCHAR",
    "LPTSTR",
    "LPCTSTR",
    "PTSTR",
    "PCTSTR",
    // The thread pool's incomplete types, only ever pointed to (Rust: empty enums).
    "TP_POOL",
    "TP_WORK",
    "TP_TIMER",
    "TP_WAIT",
    "TP_IO",
    "TP_CLEANUP_GROUP",
    "TP_CALLBACK_INSTANCE",
];

fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("unterminated comment");
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn identifiers(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty() && !t.starts_with(|c: char| c.is_ascii_digit()))
        .collect()
}

/// Splits C text into statements at `;` outside braces.
fn statements(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ';' if depth == 0 => {
                out.push(current.split_whitespace().collect::<Vec<_>>().join(" "));
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out
}

fn typedef_names(statement: &str) -> Vec<String> {
    if let Some(close) = statement.rfind('}') {
        return statement[close + 1..]
            .split(',')
            .filter_map(|d| identifiers(d).last().map(|s| (*s).to_owned()))
            .collect();
    }
    if let Some(open) = statement.find('(') {
        // A function pointer: `typedef RET (CALLBACK *NAME)(…)`.
        let group = &statement[open..statement[open..]
            .find(')')
            .map_or(statement.len(), |c| open + c)];
        let star = group.find('*').expect("a function pointer typedef");
        return vec![identifiers(&group[star..])[0].to_owned()];
    }
    vec![
        identifiers(statement)
            .last()
            .expect("a typedef name")
            .to_string(),
    ]
}

fn read_header_once(text: &str, header: &str, unicode: bool, side: &mut HeaderSide) {
    let mut active = vec![true];
    let mut code = String::new();
    for line in text.split("\n") {
        let trimmed = line.trim();
        let Some(directive) = trimmed.strip_prefix('#') else {
            if *active.last().expect("stack") {
                code.push_str(line);
                code.push('\n');
            }
            continue;
        };
        let words: Vec<&str> = directive.split_whitespace().collect();
        let parent = *active.last().expect("stack");
        match words.first().copied() {
            Some("ifdef") => active.push(parent && words[1] == "UNICODE" && unicode),
            Some("ifndef") => active.push(parent && !(words[1] == "UNICODE" && unicode)),
            Some("if") => active.push(parent),
            Some("else") => {
                let was = active.pop().expect("matching #if");
                let grand = *active.last().expect("stack");
                active.push(grand && !was);
            }
            Some("endif") => {
                active.pop();
            }
            Some("define") if parent => {
                let rest = directive.trim_start()["define".len()..].trim_start();
                let name_end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                let (name, body) = rest.split_at(name_end);
                if !body.starts_with('(') {
                    side.defines.insert(name.to_owned(), body.trim().to_owned());
                }
            }
            _ => {}
        }
    }
    for statement in statements(&code) {
        if statement.starts_with("typedef ") {
            side.typedefs.extend(typedef_names(&statement));
        } else if ["WINBASEAPI ", "WINUSERAPI ", "NTSYSAPI "]
            .iter()
            .any(|prefix| statement.starts_with(prefix))
        {
            let open = statement.find('(').expect("a function declaration");
            let name = identifiers(&statement[..open])
                .last()
                .expect("a name")
                .to_string();
            side.homes.insert(name.clone(), header.to_owned());
            side.functions.insert(name, statement.clone());
        }
    }
}

fn read_header() -> HeaderSide {
    let mut side = HeaderSide::default();
    for path in api_headers() {
        let text = std::fs::read_to_string(&path).expect("a header");
        let text = strip_comments(&text);
        let header = path.file_stem().expect("stem").to_string_lossy();
        read_header_once(&text, &header, false, &mut side);
        read_header_once(&text, &header, true, &mut side);
    }
    side
}

// ---------------------------------------------------------------------------------------
// The checks.

fn diff(what: &str, left: &BTreeSet<String>, right: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    for name in left.difference(right) {
        problems.push(format!(
            "{what}: `{name}` is in the Rust sources but not in the headers"
        ));
    }
    for name in right.difference(left) {
        problems.push(format!(
            "{what}: `{name}` is in the headers but not in the Rust sources"
        ));
    }
    problems
}

/// Types that appear only as anonymous (`DUMMY…`) members in C.
fn anonymous_member_types(rust: &RustSide) -> BTreeSet<String> {
    rust.aggregates
        .values()
        .flat_map(|a| &a.fields)
        .filter(|(name, _)| name.starts_with("DUMMY"))
        .map(|(_, ty)| ty.clone())
        .collect()
}

#[test]
fn names_match_in_both_directions() {
    let rust = read_rust();
    let header = read_header();
    let mut problems = Vec::new();

    let exported: BTreeSet<String> = rust.exports.iter().map(|e| e.name.clone()).collect();
    let declared: BTreeSet<String> = header.functions.keys().cloned().collect();
    problems.extend(diff("function", &exported, &declared));

    // A/W pairs: the undecorated name maps to W with UNICODE and to A without.
    for name in exported.iter().filter(|n| n.ends_with('A')) {
        let base = &name[..name.len() - 1];
        if exported.contains(&format!("{base}W")) && !header.defines.contains_key(base) {
            problems.push(format!("`{base}` (A/W) has no #define in the headers"));
        }
    }
    let aliases: BTreeSet<String> = header
        .defines
        .iter()
        .filter(|(_, body)| declared.contains(body.as_str()))
        .map(|(name, _)| name.clone())
        .collect();

    let constants: BTreeSet<String> = rust.constants.keys().cloned().collect();
    let defined: BTreeSet<String> = header
        .defines
        .iter()
        .filter(|(n, body)| is_constant(n, body) && !aliases.contains(*n))
        .map(|(n, _)| n.clone())
        .collect();
    problems.extend(diff("constant", &constants, &defined));

    let anonymous = anonymous_member_types(&rust);
    let rust_types: BTreeSet<String> = rust
        .aliases
        .keys()
        .chain(rust.aggregates.keys())
        .filter(|n| !anonymous.contains(*n) || header.typedefs.contains(*n))
        .cloned()
        .collect();
    let header_types: BTreeSet<String> = header
        .typedefs
        .iter()
        .filter(|n| !HEADER_ONLY_TYPES.contains(&n.as_str()))
        .cloned()
        .collect();
    problems.extend(diff("type", &rust_types, &header_types));

    for export in &rust.exports {
        if let Some(declaration) = header.functions.get(&export.name) {
            let marked = declaration.contains("DECLSPEC_NORETURN");
            if marked != export.noreturn {
                problems.push(format!(
                    "`{}`: DECLSPEC_NORETURN in windows.h does not match the Rust return type",
                    export.name
                ));
            }
        }
    }

    let layout_names: BTreeSet<String> = LAYOUTS.iter().map(|(n, ..)| (*n).to_owned()).collect();
    let aggregate_names: BTreeSet<String> = rust.aggregates.keys().cloned().collect();
    for name in aggregate_names.symmetric_difference(&layout_names) {
        problems.push(format!(
            "LAYOUTS in this test must list exactly the repr(C) types: `{name}`"
        ));
    }

    assert!(
        problems.is_empty(),
        "the headers drifted:\n{}",
        problems.join("\n")
    );
}

/// Every function lives where the SDK puts it: in the Rust module named after the header
/// that declares it (`SetEvent` in `src/synchapi/`, declared in `synchapi.h`), so a reader
/// finds it where Microsoft documents it.
#[test]
fn each_function_is_in_the_module_of_its_header() {
    let rust = read_rust();
    let header = read_header();
    let misplaced: Vec<String> = rust
        .exports
        .iter()
        .filter_map(|e| {
            let home = header.homes.get(&e.name)?;
            (*home != e.api_set).then(|| {
                format!(
                    "`{}` is declared in {home}.h but defined in src/{}",
                    e.name, e.api_set
                )
            })
        })
        .collect();
    assert!(misplaced.is_empty(), "{}", misplaced.join("\n"));
}

/// The C expressions naming the leaf fields of `aggregate`, flattening anonymous members.
fn leaf_fields(rust: &RustSide, aggregate: &Aggregate, out: &mut Vec<(String, String)>) {
    for (name, ty) in &aggregate.fields {
        if name.starts_with("DUMMY") {
            let inner = &rust.aggregates[ty];
            leaf_fields(rust, inner, out);
        } else {
            out.push((name.clone(), ty.clone()));
        }
    }
}

fn c_literal(value: i128) -> String {
    format!("{value}LL")
}

/// The C program that checks types, layouts and values against the Rust side.
fn check_program(rust: &RustSide, header: &HeaderSide) -> String {
    let mut c = String::from(
        "#include <windows.h>\n#include <winternl.h>\n#include <stdio.h>\n\n\
         #define SAME(a, b) __builtin_types_compatible_p(a, b)\n\n",
    );
    for (name, ty) in &rust.aliases {
        c.push_str(&format!(
            "_Static_assert(SAME({name}, {ty}), \"type {name}\");\n"
        ));
    }
    for export in &rust.exports {
        let params: Vec<String> = export
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if VOLATILE_PARAMETERS.contains(&(export.name.as_str(), i)) {
                    p.replacen(" *", " volatile *", 1)
                } else {
                    p.clone()
                }
            })
            .collect();
        let params = params_list(&params);
        let name = &export.name;
        let ret = &export.ret;
        if export.noreturn {
            // GCC gives a noreturn function a qualified type: compare with one declared so.
            c.push_str(&format!(
                "__attribute__((noreturn)) {ret} expected_{name}({params});\n\
                 _Static_assert(SAME(__typeof__(&{name}), __typeof__(&expected_{name})), \"function {name}\");\n"
            ));
        } else {
            c.push_str(&format!(
                "_Static_assert(SAME(__typeof__(&{name}), {ret} (*)({params})), \"function {name}\");\n"
            ));
        }
    }
    for (name, size, align) in LAYOUTS {
        if !header.typedefs.contains(name) {
            continue; // an anonymous member in C: checked through its container
        }
        c.push_str(&format!(
            "_Static_assert(sizeof({name}) == {size} && _Alignof({name}) == {align}, \"layout {name}\");\n"
        ));
        let aggregate = &rust.aggregates[name];
        let mut leaves = Vec::new();
        leaf_fields(rust, aggregate, &mut leaves);
        for (field, ty) in &leaves {
            c.push_str(&format!(
                "_Static_assert(SAME(__typeof__((({name} *)0)->{field}), {ty}), \"field {name}.{field}\");\n"
            ));
        }
        if !aggregate.is_union {
            // Fields in the Rust order (an anonymous member by its first leaf).
            let mut firsts = Vec::new();
            for (field, ty) in &aggregate.fields {
                if field.starts_with("DUMMY") {
                    let mut inner = Vec::new();
                    leaf_fields(rust, &rust.aggregates[ty], &mut inner);
                    firsts.push(inner[0].0.clone());
                } else {
                    firsts.push(field.clone());
                }
            }
            for pair in firsts.windows(2) {
                c.push_str(&format!(
                    "_Static_assert(offsetof({name}, {a}) < offsetof({name}, {b}), \"order {name}.{a}\");\n",
                    a = pair[0],
                    b = pair[1],
                ));
            }
        }
    }
    c.push_str("\nstatic int bad;\n\
        static void check(const char *name, long long header, long long rust) {\n\
        \x20   if (header != rust) { printf(\"%s: windows.h %lld, Rust %lld\\n\", name, header, rust); bad = 1; }\n\
        }\n\nint main(void) {\n");
    for (name, value) in &rust.constants {
        c.push_str(&format!(
            "    check(\"{name}\", (long long)(intptr_t)({name}), {});\n",
            c_literal(*value)
        ));
    }
    c.push_str("    return bad;\n}\n");
    c
}

#[test]
fn types_layouts_and_values_match() {
    let rust = read_rust();
    let header = read_header();
    let dir = scratch_dir("header");
    let source = dir.join("check.c");
    let exe = dir.join("check");
    std::fs::write(&source, check_program(&rust, &header)).expect("write check.c");
    let mut cc = Command::new(c_compiler());
    cc.args(["-std=c11", "-Wall", "-Wextra", "-Werror"])
        .arg("-I")
        .arg(include_dir())
        .arg(&source)
        .arg("-o")
        .arg(&exe);
    compile(
        cc,
        "the generated header check (see target/tmp/header/check.c)",
    );
    let output = Command::new(&exe).output().expect("run the header check");
    assert!(
        output.status.success(),
        "constants differ:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// The header compiles as C with `UNICODE` (the W names and wide `TEXT`) and as C++, and
/// the Win32 spellings of common code work: anonymous members, `TEXT`, initializers.
#[test]
fn header_compiles_as_unicode_c_and_as_cxx() {
    let dir = scratch_dir("header");
    let use_it = r#"#include <windows.h>
int uses(void);
int uses(void) {
    LARGE_INTEGER due;
    OVERLAPPED ov = {0};
    SRWLOCK lock = SRWLOCK_INIT;
    CONDITION_VARIABLE cv = CONDITION_VARIABLE_INIT;
    const TCHAR *name = TEXT("name");
    HANDLE h = CreateEvent(NULL, TRUE, FALSE, name);
    due.QuadPart = -10000;
    ov.Offset = due.LowPart;
    ov.OffsetHigh = (DWORD)due.u.HighPart;
    (void)lock;
    (void)cv;
    return h != INVALID_HANDLE_VALUE && ov.Pointer != NULL && L"wide"[0] == (WCHAR)'w';
}
"#;
    let c_source = dir.join("uses.c");
    std::fs::write(&c_source, use_it).expect("write");
    let mut cc = Command::new(c_compiler());
    cc.args([
        "-std=c11",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-fsyntax-only",
        "-DUNICODE",
    ])
    .arg("-I")
    .arg(include_dir())
    .arg(&c_source);
    compile(cc, "windows.h as C with UNICODE");

    let cxx_source = dir.join("uses.cpp");
    // `= {}` is C++'s spelling of `= {0}` without -Wmissing-field-initializers.
    std::fs::write(&cxx_source, use_it.replace("{0}", "{}")).expect("write");
    let mut cxx = Command::new(cxx_compiler());
    cxx.args(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only"])
        .arg("-I")
        .arg(include_dir())
        .arg(&cxx_source);
    compile(cxx, "windows.h as C++");
}

/// Every header of `include/` can be included on its own, first, as the SDK's can: in C
/// with and without `UNICODE`, and in C++.
#[test]
fn every_header_compiles_on_its_own() {
    let dir = scratch_dir("header-alone");
    let mut headers: Vec<_> = std::fs::read_dir(include_dir())
        .expect("include/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "h"))
        .collect();
    headers.sort();
    for header in headers {
        let name = header
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let source = dir.join(format!("{}.c", name.trim_end_matches(".h")));
        std::fs::write(&source, format!("#include <{name}>\nint alone;\n")).expect("write");
        for (flags, what) in [
            (&["-std=c11"][..], "C"),
            (
                &["-std=c11", "-DUNICODE", "-D_UNICODE"][..],
                "C with UNICODE",
            ),
            (&["-x", "c++", "-std=c++17"][..], "C++"),
        ] {
            let compiler = if what == "C++" {
                cxx_compiler()
            } else {
                c_compiler()
            };
            let mut cc = Command::new(compiler);
            cc.args(flags)
                .args(["-Wall", "-Wextra", "-Werror", "-fsyntax-only"])
                .arg("-I")
                .arg(include_dir())
                .arg(&source);
            compile(cc, &format!("{name} on its own, as {what}"));
        }
    }
}

/// `conformance/sdk_headers.c` — MSVC's spellings, SAL, the helper macros, `tchar.h` and
/// `strsafe.h` — prints its `.expected` lines when built with `UNICODE` and `_UNICODE`, as
/// C++, and as C++ with `UNICODE` (the conformance suite runs the plain C build).
#[test]
fn sdk_spellings_work_in_unicode_and_cxx_builds() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/sdk_headers.c");
    let expected = std::fs::read_to_string(source.with_extension("expected")).expect("expected");
    let lib = common::library_dir();
    let dir = scratch_dir("sdk-headers");
    for (name, cxx, unicode) in [
        ("unicode", false, true),
        ("cxx", true, false),
        ("cxx-unicode", true, true),
    ] {
        let exe = dir.join(name);
        let mut cc = if cxx {
            let mut c = Command::new(cxx_compiler());
            c.args(["-x", "c++", "-std=c++17"]);
            c
        } else {
            let mut c = Command::new(c_compiler());
            c.arg("-std=c11");
            c
        };
        if unicode {
            cc.args(["-DUNICODE", "-D_UNICODE"]);
        }
        cc.args(["-Wall", "-Wextra", "-Werror"])
            .arg("-I")
            .arg(include_dir())
            .arg(&source)
            .arg("-L")
            .arg(&lib)
            .arg("-lalertable_win32")
            .args(common::rpath_to(&lib))
            .arg("-o")
            .arg(&exe);
        compile(cc, &format!("sdk_headers.c ({name})"));
        let output = common::run(&exe);
        assert!(output.status.success(), "sdk_headers ({name}) failed");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            expected,
            "sdk_headers ({name}) printed something else"
        );
    }
}

/// `tchar.h` under `_UNICODE`: a program whose entry is `_tmain` (so `wmain`) runs with its
/// wide arguments whatever parameter list it gives `_tmain` — none, `(void)` or
/// `(int, _TCHAR *[])` — in C and in C++, as Microsoft's samples write it.
#[test]
fn tmain_is_the_entry_of_unicode_programs_in_every_form() {
    let lib = common::library_dir();
    let dir = scratch_dir("tmain");
    let forms = [
        ("empty", "int _tmain()", ""),
        ("void", "int _tmain(void)", ""),
        (
            "args",
            "int _tmain(int argc, _TCHAR *argv[])",
            "(void)argc; (void)argv;",
        ),
    ];
    for (form, signature, body) in forms {
        let source = dir.join(format!("{form}.c"));
        let program = format!(
            "#include <windows.h>\n#include <tchar.h>\n#include <stdio.h>\n\
             {signature} {{\n    {body}\n    \
             _tprintf(_T(\"%ls\\n\"), _T(\"wide\"));\n    return 7;\n}}\n"
        );
        std::fs::write(&source, program).expect("source");
        for cxx in [false, true] {
            let name = format!("{form}-{}", if cxx { "cxx" } else { "c" });
            let exe = dir.join(&name);
            let mut cc = if cxx {
                let mut c = Command::new(cxx_compiler());
                c.args(["-x", "c++", "-std=c++17"]);
                c
            } else {
                let mut c = Command::new(c_compiler());
                c.arg("-std=c11");
                c
            };
            cc.args(["-DUNICODE", "-D_UNICODE", "-Wall", "-Werror"])
                .arg("-I")
                .arg(include_dir())
                .arg(&source)
                .arg("-L")
                .arg(&lib)
                .arg("-lalertable_win32")
                .args(common::rpath_to(&lib))
                .arg("-o")
                .arg(&exe);
            compile(cc, &name);
            let output = common::run(&exe);
            assert_eq!(output.status.code(), Some(7), "{name}: _tmain did not run");
            assert_eq!(String::from_utf8_lossy(&output.stdout), "wide\n", "{name}");
        }
    }
}

/// Every exported function can be found with `GetProcAddress`, and only in its module:
/// the NT functions in `ntdll.dll`, the Win32 ones in `kernel32.dll` and `kernelbase.dll`
/// (so the export tables of `libloaderapi.rs` cannot fall behind the sources).
#[test]
fn get_proc_address_finds_every_export_in_its_module() {
    let rust = read_rust();
    let module = |name: &str| {
        let name = std::ffi::CString::new(name).expect("a name");
        // SAFETY: a NUL-terminated string.
        unsafe { w::GetModuleHandleA(name.as_ptr()) }
    };
    let (ntdll, kernel32, kernelbase) = (
        module("ntdll.dll"),
        module("KERNEL32.DLL"),
        module("kernelbase"),
    );
    assert!(!ntdll.is_null() && !kernel32.is_null() && !kernelbase.is_null());
    let find = |module, name: &str| {
        let name = std::ffi::CString::new(name).expect("a name");
        // SAFETY: a module handle and a NUL-terminated string.
        unsafe { w::GetProcAddress(module, name.as_ptr()) }.is_some()
    };
    let mut problems = Vec::new();
    for export in &rust.exports {
        let name = export.name.as_str();
        let nt = export.api_set == "winternl";
        for (module, which, expected) in [
            (ntdll, "ntdll", nt),
            (kernel32, "kernel32", !nt),
            (kernelbase, "kernelbase", !nt),
        ] {
            if find(module, name) != expected {
                problems.push(format!("`{name}` in {which}.dll: expected {expected}"));
            }
        }
    }
    let listed = w::kernel32_export_names().count() + w::ntdll_export_names().count();
    if listed != rust.exports.len() {
        problems.push(format!(
            "the export tables list {listed} names, the sources export {}",
            rust.exports.len()
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
