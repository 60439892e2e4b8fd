//! Frame-type inference over real JDK class files, cross-checked against
//! `javap -v`'s StackMapTable listing and against the declared frames.

mod common;

use portacr_classfile::{
    declared_frames, method_frame_types_at, method_instruction_types, ClassFile, FrameTypes,
    MethodDescriptor, VType,
};

/// One listed frame: frame_type, and offset_delta, locals, stack when printed.
type JavapFrame = (u8, Option<u32>, Option<Vec<String>>, Option<Vec<String>>);

/// One method as `javap -v -p` lists it.
#[derive(Debug, Default)]
struct JavapMethod {
    descriptor: String,
    max_locals: usize,
    frames: Vec<JavapFrame>,
}

/// Parses `javap -v -p` output into classes → methods with Code, in order.
fn parse_javap(output: &str) -> Vec<(String, Vec<JavapMethod>)> {
    let mut classes: Vec<(String, Vec<JavapMethod>)> = Vec::new();
    let mut pending_descriptor: Option<String> = None;
    for line in output.lines() {
        if let Some(file) = line.strip_prefix("Classfile ") {
            classes.push((file.to_owned(), Vec::new()));
            pending_descriptor = None;
        } else if let Some(descriptor) = line.strip_prefix("    descriptor: ") {
            pending_descriptor = Some(descriptor.to_owned());
        } else if line == "    Code:" {
            let descriptor = pending_descriptor
                .take()
                .expect("Code: without a descriptor");
            classes.last_mut().unwrap().1.push(JavapMethod {
                descriptor,
                ..Default::default()
            });
        } else if let Some(sizes) = line.strip_prefix("      stack=") {
            let locals = sizes
                .split(", ")
                .find_map(|p| p.strip_prefix("locals="))
                .unwrap();
            classes.last_mut().unwrap().1.last_mut().unwrap().max_locals = locals.parse().unwrap();
        } else if let Some(rest) = line.strip_prefix("        frame_type = ") {
            let frame_type: u8 = rest.split(' ').next().unwrap().parse().unwrap();
            let method = classes.last_mut().unwrap().1.last_mut().unwrap();
            method.frames.push((frame_type, None, None, None));
        } else if let Some(rest) = line.strip_prefix("          ") {
            let Some(method) = classes.last_mut().and_then(|c| c.1.last_mut()) else {
                continue;
            };
            let Some(frame) = method.frames.last_mut() else {
                continue;
            };
            if let Some(delta) = rest.strip_prefix("offset_delta = ") {
                frame.1 = Some(delta.parse().unwrap());
            } else if let Some(list) = rest.strip_prefix("locals = ") {
                frame.2 = Some(parse_list(list));
            } else if let Some(list) = rest.strip_prefix("stack = ") {
                frame.3 = Some(parse_list(list));
            }
        }
    }
    classes
}

fn parse_list(list: &str) -> Vec<String> {
    list.trim_start_matches('[')
        .trim_end_matches(']')
        .split(", ")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// How javap prints a verification type.
fn javap_name(t: &VType) -> String {
    match t {
        VType::Top => "top".into(),
        VType::Integer => "int".into(),
        VType::Float => "float".into(),
        VType::Long => "long".into(),
        VType::Double => "double".into(),
        VType::Null => "null".into(),
        VType::UninitializedThis => "this".into(),
        VType::Uninitialized(bci) => format!("uninitialized {bci}"),
        VType::Reference(name) if name.starts_with('[') => format!("class \"{name}\""),
        VType::Reference(name) => format!("class {name}"),
        VType::ReturnAddress(_) => "returnAddress".into(),
    }
}

/// javap entries (a long is one entry) → slots, padded to `max_locals` when given.
fn to_slots(entries: &[String], pad_to: Option<usize>) -> Vec<String> {
    let mut slots = Vec::new();
    for entry in entries {
        slots.push(entry.clone());
        if entry == "long" || entry == "double" {
            slots.push("top".into());
        }
    }
    if let Some(n) = pad_to {
        assert!(slots.len() <= n, "javap frame wider than max_locals");
        slots.resize(n, "top".into());
    }
    slots
}

/// Complete frames (bci, local slots, stack slots) rebuilt from javap's
/// compressed listing, independently of the crate's decoder.
fn javap_frames(
    class: &ClassFile,
    method_index: usize,
    listed: &JavapMethod,
) -> Vec<(u32, Vec<String>, Vec<String>)> {
    let method = &class.methods()[method_index];
    let mut entries: Vec<String> = Vec::new();
    if !method.is_static() {
        entries.push(
            if method.name() == "<init>" && class.this_class() != "java/lang/Object" {
                "this".into()
            } else {
                javap_name(&VType::Reference(class.this_class().into()))
            },
        );
    }
    let descriptor = MethodDescriptor::parse(&listed.descriptor).unwrap();
    entries.extend(descriptor.parameters.iter().map(javap_name));
    let mut frames = Vec::new();
    let mut previous: Option<u32> = None;
    for (frame_type, delta, locals, stack) in &listed.frames {
        let delta = delta.unwrap_or_else(|| match frame_type {
            0..=63 => *frame_type as u32,
            64..=127 => *frame_type as u32 - 64,
            _ => panic!(
                "{}.{}: frame_type {frame_type} listed without offset_delta: {listed:?}",
                class.this_class(),
                method.name()
            ),
        });
        let bci = previous.map_or(delta, |p| p + delta + 1);
        previous = Some(bci);
        match frame_type {
            248..=250 => {
                let k = 251 - *frame_type as usize;
                entries.truncate(entries.len() - k);
            }
            252..=254 => entries.extend(locals.clone().unwrap()),
            255 => entries = locals.clone().unwrap(),
            _ => {}
        }
        let stack = stack.clone().unwrap_or_default();
        frames.push((
            bci,
            to_slots(&entries, Some(listed.max_locals)),
            to_slots(&stack, None),
        ));
    }
    frames
}

fn names(types: &[VType]) -> Vec<String> {
    types.iter().map(javap_name).collect()
}

/// The simulated state must be assignable to the declared one; without a
/// class hierarchy, any reference (or null) is accepted for a declared reference.
fn assignable(simulated: &FrameTypes, declared: &FrameTypes) -> Result<(), String> {
    let fits = |s: &VType, d: &VType| match d {
        VType::Top => true,
        VType::Reference(_) => s.is_reference(),
        _ => s == d,
    };
    if simulated.stack.len() != declared.stack.len()
        || simulated.locals.len() != declared.locals.len()
    {
        return Err(format!("shape differs: {simulated:?} vs {declared:?}"));
    }
    for (i, (s, d)) in simulated.locals.iter().zip(&declared.locals).enumerate() {
        if !fits(s, d) {
            return Err(format!("local {i}: simulated {s:?}, declared {d:?}"));
        }
    }
    for (i, (s, d)) in simulated.stack.iter().zip(&declared.stack).enumerate() {
        if !fits(s, d) {
            return Err(format!("stack {i}: simulated {s:?}, declared {d:?}"));
        }
    }
    Ok(())
}

#[derive(Default, Debug)]
struct Counts {
    classes: usize,
    methods: usize,
    instructions: usize,
    frames_checked: usize,
    fall_through_checked: usize,
    queries: usize,
}

/// Types every instruction of every method; checks simulated states against
/// declared frames, and `method_frame_types_at` against the one-pass result.
fn check_class(name: &str, class: &ClassFile, counts: &mut Counts, query_every: usize) {
    counts.classes += 1;
    for method in class.methods() {
        let Some(code) = method.code() else { continue };
        counts.methods += 1;
        let label = format!("{name}.{}{}", method.name(), method.descriptor());
        let all =
            method_instruction_types(class, method).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert!(!all.is_empty());
        let declared = declared_frames(class, method).unwrap();
        for (k, item) in all.iter().enumerate() {
            counts.instructions += 1;
            assert_eq!(
                item.types.locals.len(),
                code.max_locals as usize,
                "{label} @{}",
                item.bci
            );
            assert!(item.types.stack.len() <= code.max_stack as usize);
            if let Some(simulated) = &item.simulated_before_frame {
                let frame = &declared.iter().find(|(b, _)| *b == item.bci).unwrap().1;
                assignable(simulated, frame)
                    .unwrap_or_else(|e| panic!("{label} @{}: {e}", item.bci));
                counts.fall_through_checked += 1;
            }
            if let Some(call) = &item.types.pending_call {
                assert!(
                    call.arg_slots <= item.types.stack.len(),
                    "{label} @{}",
                    item.bci
                );
            }
            if k % query_every == 0 {
                let queried = method_frame_types_at(class, method, item.bci)
                    .unwrap_or_else(|e| panic!("{label} @{}: {e}", item.bci));
                assert_eq!(queried, item.types, "{label} @{}", item.bci);
                counts.queries += 1;
            }
        }
        // A bci inside an instruction is refused, not guessed.
        if let Some(wide) = all.windows(2).find(|w| w[1].bci - w[0].bci > 1) {
            assert!(
                method_frame_types_at(class, method, wide[0].bci + 1).is_err(),
                "{label}"
            );
        }
        assert!(method_frame_types_at(class, method, code.code_length()).is_err());
    }
}

#[test]
fn every_instruction_of_java_util_and_java_lang_matches_javap_frames() {
    let classes = common::jdk_classes("util-lang", r"/java.base/java/(util|lang)/[^/]*\.class");
    assert!(
        classes.len() >= 200,
        "only {} classes extracted",
        classes.len()
    );
    let mut counts = Counts::default();
    let parsed: Vec<(String, ClassFile)> = classes
        .iter()
        .map(|(name, bytes)| {
            let class = ClassFile::parse(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(class.this_class(), name);
            (name.clone(), class)
        })
        .collect();
    for (name, class) in &parsed {
        check_class(name, class, &mut counts, 1);
    }

    // javap's listing, one invocation for all classes.
    let binary_names: Vec<String> = parsed.iter().map(|(n, _)| n.replace('/', ".")).collect();
    let listing = parse_javap(&common::javap(None, &binary_names));
    assert_eq!(listing.len(), parsed.len());
    for ((name, class), (file, listed_methods)) in parsed.iter().zip(&listing) {
        assert!(file.ends_with(&format!("{name}.class")), "{file} vs {name}");
        let with_code: Vec<usize> = (0..class.methods().len())
            .filter(|&i| class.methods()[i].code().is_some())
            .collect();
        assert_eq!(with_code.len(), listed_methods.len(), "{name}");
        for (&index, listed) in with_code.iter().zip(listed_methods) {
            let method = &class.methods()[index];
            assert_eq!(method.descriptor(), listed.descriptor, "{name}");
            let label = format!("{name}.{}{}", method.name(), method.descriptor());
            let ours = declared_frames(class, method).unwrap();
            let theirs = javap_frames(class, index, listed);
            assert_eq!(ours.len(), theirs.len(), "{label}");
            for ((bci, types), (javap_bci, locals, stack)) in ours.iter().zip(&theirs) {
                assert_eq!(bci, javap_bci, "{label}");
                assert_eq!(&names(&types.locals), locals, "{label} locals @{bci}");
                assert_eq!(&names(&types.stack), stack, "{label} stack @{bci}");
                // And the inference at that bci gives the declared frame.
                let inferred = method_frame_types_at(class, method, *bci).unwrap();
                assert_eq!(
                    &names(&inferred.locals),
                    locals,
                    "{label} inferred locals @{bci}"
                );
                assert_eq!(
                    &names(&inferred.stack),
                    stack,
                    "{label} inferred stack @{bci}"
                );
                counts.frames_checked += 1;
            }
        }
    }
    eprintln!("{counts:?}");
    assert!(
        counts.methods > 5_000 && counts.instructions > 100_000 && counts.frames_checked > 10_000,
        "{counts:?}"
    );
    assert!(counts.fall_through_checked > 1_000, "{counts:?}");
}

#[test]
fn every_instruction_of_all_java_base_java_packages() {
    let classes = common::jdk_classes("java-all", r"/java.base/java/.*\.class");
    assert!(
        classes.len() >= 1_000,
        "only {} classes extracted",
        classes.len()
    );
    let mut counts = Counts::default();
    for (name, bytes) in &classes {
        let class = ClassFile::parse(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_class(name, &class, &mut counts, 5);
    }
    eprintln!("{counts:?}");
}

/// Turns a class file into one the analysis must type without stack maps:
/// major version 49 and the `StackMapTable` attribute renamed (same length,
/// so every offset stays valid and the JVM would ignore it as unknown).
fn without_stack_maps(bytes: &[u8]) -> Vec<u8> {
    let mut patched = bytes.to_vec();
    patched[6..8].copy_from_slice(&49u16.to_be_bytes());
    let needle = b"\x00\x0dStackMapTable";
    if let Some(at) = patched.windows(needle.len()).position(|w| w == needle) {
        patched[at + needle.len() - 1] = b'X';
    }
    patched
}

#[test]
fn dataflow_without_stack_maps_agrees_with_stack_maps() {
    let classes = common::jdk_classes("util-lang", r"/java.base/java/(util|lang)/[^/]*\.class");
    // Where the stack maps give a type, data-flow must give the same (or, for
    // references, another reference: no class hierarchy is consulted); where
    // they say Top, data-flow may know more.
    let agrees = |dataflow: &VType, linear: &VType| match linear {
        VType::Top => true,
        VType::Reference(_) | VType::Null => dataflow.is_reference(),
        _ => dataflow == linear,
    };
    let (mut methods, mut instructions) = (0usize, 0usize);
    for (name, bytes) in &classes {
        let original = ClassFile::parse(bytes).unwrap();
        let old = ClassFile::parse(&without_stack_maps(bytes)).unwrap();
        assert_eq!(old.major_version, 49);
        for (method, old_method) in original.methods().iter().zip(old.methods()) {
            if method.code().is_none() {
                continue;
            }
            assert!(old_method
                .code()
                .unwrap()
                .stack_map_table_attribute()
                .is_none());
            let label = format!("{name}.{}{}", method.name(), method.descriptor());
            let linear = method_instruction_types(&original, method).unwrap();
            let dataflow = method_instruction_types(&old, old_method)
                .unwrap_or_else(|e| panic!("{label}: {e}"));
            let bcis = |v: &[portacr_classfile::InstructionTypes]| {
                v.iter().map(|i| i.bci).collect::<Vec<_>>()
            };
            assert_eq!(
                bcis(&linear),
                bcis(&dataflow),
                "{label}: reachable instructions differ"
            );
            for (l, d) in linear.iter().zip(&dataflow) {
                let (l, d) = (&l.types, &d.types);
                let ok = l.locals.len() == d.locals.len()
                    && l.stack.len() == d.stack.len()
                    && l.locals.iter().zip(&d.locals).all(|(l, d)| agrees(d, l))
                    && l.stack.iter().zip(&d.stack).all(|(l, d)| agrees(d, l))
                    && l.pending_call == d.pending_call;
                assert!(ok, "{label}: stack maps {l:?}\ndata-flow {d:?}");
                instructions += 1;
            }
            methods += 1;
        }
    }
    eprintln!("data-flow agreed on {methods} methods, {instructions} instructions");
    assert!(methods > 5_000 && instructions > 100_000);
}
