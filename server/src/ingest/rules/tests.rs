use chrono::TimeZone;
use serde_json::json;

use super::*;

const RULES: &str = r#"
[[rule]]
type = "com.example.task.assigned"
source = "/tasks"
recipients_from = "data.assignee"
recipients = ["ops"]
title = "Task {{ data.task }}"
body = "{{ data.by }} assigned you {{ data.task }}"
priority = "high"
tags = ["tasks"]
channels = ["desktop"]
thread = "task-{{ subject }}"

[[rule]]
type = "com.example.deadline.approaching"
recipients_from = "data.owners"
body = "{{ data.task }} is due at {{ data.deadline }}"
deliver_at = "data.deadline"
deliver_before = "1h"
"#;

fn event(kind: &str, data: Value) -> DomainEvent {
    DomainEvent {
        id: "e-1".into(),
        source: "/tasks".into(),
        kind: kind.into(),
        subject: Some("7".into()),
        time: None,
        data,
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 10, 0, 0).unwrap()
}

fn user(name: &str) -> UserId {
    UserId::parse(name).unwrap()
}

#[test]
fn a_matching_event_becomes_the_send_its_rule_describes() {
    let rules = Rules::parse("rules.toml", RULES).unwrap();
    let assigned = event(
        "com.example.task.assigned",
        json!({"assignee": "alice", "task": "Review", "by": "bob"}),
    );
    let rendered = rules.render(&assigned, now()).unwrap();
    assert_eq!(
        rendered.request,
        SendRequest {
            to: vec![user("alice"), user("ops")],
            title: Some("Task Review".into()),
            body: "bob assigned you Review".into(),
            priority: Priority::High,
            tags: vec!["tasks".into()],
            channels: vec![Channel::Desktop],
            thread: Some("task-7".into()),
            deliver_at: None,
        }
    );
    assert_eq!(
        rendered.cause,
        Cause {
            source: "/tasks".into(),
            id: "e-1".into(),
            kind: "com.example.task.assigned".into(),
        }
    );
}

#[test]
fn a_deadline_is_delivered_before_it_and_a_past_one_at_once() {
    let rules = Rules::parse("rules.toml", RULES).unwrap();
    let due = |deadline: &str| {
        let data = json!({"owners": ["alice", "bob"], "task": "Ship", "deadline": deadline});
        let rendered = rules
            .render(&event("com.example.deadline.approaching", data), now())
            .unwrap();
        assert_eq!(rendered.request.to, vec![user("alice"), user("bob")]);
        rendered.request.deliver_at
    };
    assert_eq!(
        due("2026-12-06T15:00:00Z"),
        Some(Utc.with_ymd_and_hms(2026, 12, 6, 14, 0, 0).unwrap())
    );
    assert_eq!(due("2026-12-06T10:30:00Z"), None);
}

#[test]
fn an_event_no_rule_is_for_or_missing_a_field_makes_no_send() {
    let rules = Rules::parse("rules.toml", RULES).unwrap();
    assert_eq!(
        rules.render(&event("com.example.other", json!({})), now()),
        Err(Unmatched::NoRule {
            kind: "com.example.other".into(),
            from: "/tasks".into()
        })
    );
    let mut elsewhere = event("com.example.task.assigned", json!({}));
    elsewhere.source = "/billing".into();
    assert!(matches!(
        rules.render(&elsewhere, now()),
        Err(Unmatched::NoRule { .. })
    ));
    let without_task = event(
        "com.example.task.assigned",
        json!({"assignee": "alice", "by": "bob"}),
    );
    let Err(Unmatched::Render(why)) = rules.render(&without_task, now()) else {
        panic!("a missing field must fail the template");
    };
    assert!(why.starts_with("title: "), "{why}");
    assert!(why.contains("undefined"), "{why}");
    let without_assignee = event("com.example.task.assigned", json!({"task": "x", "by": "y"}));
    assert_eq!(
        rules.render(&without_assignee, now()),
        Err(Unmatched::Render(
            "the event has no field data.assignee".into()
        ))
    );
    let bad_user = event(
        "com.example.task.assigned",
        json!({"assignee": "Not A User!", "task": "x", "by": "y"}),
    );
    assert!(matches!(
        rules.render(&bad_user, now()),
        Err(Unmatched::Render(why)) if why.contains("not a user id")
    ));
}

#[test]
fn a_rules_file_that_cannot_work_is_refused_with_where_and_why() {
    let refused = |text: &str| Rules::parse("rules.toml", text).unwrap_err().to_string();
    assert!(refused("[[rule]]\ntype = \"t\"\nbody = \"b\"\n").contains("names no recipients"),);
    assert!(
        refused("[[rule]]\ntype = \"t\"\nrecipients = [\"a\"]\nbody = \"{{ data.x \"\n")
            .starts_with("rules.toml: rule 1 (t): body: "),
    );
    assert!(
        refused("[[rule]]\ntype = \"t\"\nrecipients = [\"a\"]\nbody = \"b\"\ncolour = 1\n")
            .contains("unknown field `colour`")
    );
    assert!(
        refused(
            "[[rule]]\ntype = \"t\"\nrecipients = [\"a\"]\nbody = \"b\"\ndeliver_before = \"1h\"\n"
        )
        .contains("deliver_before needs deliver_at")
    );
    assert!(refused("[[rule]]\ntype = \"t\"\nrecipients = [\"a\"]\nbody = \"b\"\ndeliver_at = \"data.at\"\ndeliver_before = \"soon\"\n").contains("deliver_before"));
    assert_eq!(Rules::parse("rules.toml", "").unwrap().len(), 0);
}
