//! The gateway's wire contract against what was published (`proto/notify/v1/published.binpb`,
//! the descriptor set of the last released `notify.proto`): no message may lose a field or
//! change a field's number, type or cardinality, no enum value may change its number, and no
//! method its types or streaming. Adding is fine; to publish additions, copy the descriptor
//! set a build writes (`OUT_DIR/notify_descriptor.bin`) over the published one.

use std::collections::HashMap;

use prost::Message;
use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorSet};

use super::DESCRIPTOR_SET;

const PUBLISHED: &[u8] = include_bytes!("../../../proto/notify/v1/published.binpb");

/// Every message and enum of package `notify.v1`, by full name.
fn types(
    set: &FileDescriptorSet,
) -> (
    HashMap<String, &DescriptorProto>,
    HashMap<String, &EnumDescriptorProto>,
) {
    fn walk<'a>(
        prefix: &str,
        message: &'a DescriptorProto,
        messages: &mut HashMap<String, &'a DescriptorProto>,
        enums: &mut HashMap<String, &'a EnumDescriptorProto>,
    ) {
        let name = format!("{prefix}.{}", message.name());
        for nested in &message.enum_type {
            enums.insert(format!("{name}.{}", nested.name()), nested);
        }
        for nested in &message.nested_type {
            walk(&name, nested, messages, enums);
        }
        messages.insert(name, message);
    }
    let (mut messages, mut enums) = (HashMap::new(), HashMap::new());
    for file in set.file.iter().filter(|f| f.package() == "notify.v1") {
        for message in &file.message_type {
            walk(".notify.v1", message, &mut messages, &mut enums);
        }
        for e in &file.enum_type {
            enums.insert(format!(".notify.v1.{}", e.name()), e);
        }
    }
    (messages, enums)
}

/// What changed incompatibly from `published` to `current`, one line each.
fn breaks(published: &FileDescriptorSet, current: &FileDescriptorSet) -> Vec<String> {
    let mut broken = Vec::new();
    let (old_messages, old_enums) = types(published);
    let (new_messages, new_enums) = types(current);
    for (name, old) in &old_messages {
        let Some(new) = new_messages.get(name) else {
            broken.push(format!("message {name} is gone"));
            continue;
        };
        for field in &old.field {
            let Some(now) = new.field.iter().find(|f| f.number() == field.number()) else {
                broken.push(format!(
                    "{name}.{} (#{}) is gone",
                    field.name(),
                    field.number()
                ));
                continue;
            };
            let shape = |f: &prost_types::FieldDescriptorProto| {
                (
                    f.r#type(),
                    f.type_name().to_owned(),
                    f.label(),
                    f.proto3_optional(),
                )
            };
            if shape(field) != shape(now) {
                broken.push(format!(
                    "{name}.{} (#{}) changed its type or cardinality",
                    field.name(),
                    field.number()
                ));
            }
            if now.name() != field.name() {
                broken.push(format!(
                    "{name} #{} was renamed to {}",
                    field.number(),
                    now.name()
                ));
            }
        }
    }
    for (name, old) in &old_enums {
        let Some(new) = new_enums.get(name) else {
            broken.push(format!("enum {name} is gone"));
            continue;
        };
        for value in &old.value {
            if !new
                .value
                .iter()
                .any(|v| v.name() == value.name() && v.number() == value.number())
            {
                broken.push(format!(
                    "{name}.{} = {} changed or is gone",
                    value.name(),
                    value.number()
                ));
            }
        }
    }
    let methods = |set: &FileDescriptorSet| -> HashMap<String, (String, String, bool, bool)> {
        set.file
            .iter()
            .flat_map(|f| &f.service)
            .flat_map(|s| {
                s.method.iter().map(move |m| {
                    (
                        format!("{}.{}", s.name(), m.name()),
                        (
                            m.input_type().to_owned(),
                            m.output_type().to_owned(),
                            m.client_streaming(),
                            m.server_streaming(),
                        ),
                    )
                })
            })
            .collect()
    };
    let now = methods(current);
    for (name, shape) in methods(published) {
        if now.get(&name) != Some(&shape) {
            broken.push(format!("method {name} is gone or changed its types"));
        }
    }
    broken.sort();
    broken
}

fn decode(bytes: &[u8]) -> FileDescriptorSet {
    FileDescriptorSet::decode(bytes).expect("a descriptor set")
}

#[test]
fn the_published_messages_keep_their_field_numbers_and_types() {
    let broken = breaks(&decode(PUBLISHED), &decode(DESCRIPTOR_SET));
    assert!(
        broken.is_empty(),
        "notify.proto breaks what clients were given:\n{}",
        broken.join("\n")
    );
}

#[test]
fn a_changed_field_number_or_type_is_caught() {
    let published = decode(PUBLISHED);
    let mut renumbered = published.clone();
    let mut retyped = published.clone();
    for (set, change) in [(&mut renumbered, 0), (&mut retyped, 1)] {
        let file = set
            .file
            .iter_mut()
            .find(|f| f.package() == "notify.v1")
            .expect("notify.v1");
        let request = file
            .message_type
            .iter_mut()
            .find(|m| m.name() == "SendRequest")
            .expect("SendRequest");
        let body = request
            .field
            .iter_mut()
            .find(|f| f.name() == "body")
            .expect("body");
        if change == 0 {
            body.number = Some(40);
        } else {
            body.set_type(prost_types::field_descriptor_proto::Type::Bytes);
        }
    }
    assert_eq!(
        breaks(&published, &renumbered),
        [".notify.v1.SendRequest.body (#4) is gone"]
    );
    assert_eq!(
        breaks(&published, &retyped),
        [".notify.v1.SendRequest.body (#4) changed its type or cardinality"]
    );
    assert!(breaks(&published, &published).is_empty());
}
