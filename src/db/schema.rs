// @generated automatically by Diesel CLI.

diesel::table! {
    comments (id) {
        id -> Nullable<Integer>,
        task_id -> Integer,
        content -> Text,
        created_by -> Nullable<Text>,
        created_at -> Nullable<Text>,
        updated_at -> Nullable<Text>,
    }
}

diesel::table! {
    links (id) {
        id -> Nullable<Integer>,
        task_id -> Integer,
        url -> Text,
        description -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Nullable<Text>,
    }
}

diesel::table! {
    task_history (id) {
        id -> Nullable<Integer>,
        task_id -> Integer,
        field_name -> Text,
        old_value -> Nullable<Text>,
        new_value -> Nullable<Text>,
        changed_by -> Nullable<Text>,
        changed_at -> Nullable<Text>,
    }
}

diesel::table! {
    tasks (id) {
        id -> Nullable<Integer>,
        title -> Text,
        description -> Nullable<Text>,
        status -> Text,
        assigned_to -> Nullable<Text>,
        previous_assigned_to -> Nullable<Text>,
        created_by -> Nullable<Text>,
        priority -> Nullable<Integer>,
        tags -> Nullable<Text>,
        parent_task_id -> Nullable<Integer>,
        queue_name -> Nullable<Text>,
        blocked_by_task_id -> Nullable<Integer>,
        created_at -> Nullable<Text>,
        updated_at -> Nullable<Text>,
        archived_at -> Nullable<Text>,
    }
}

diesel::joinable!(comments -> tasks (task_id));
diesel::joinable!(links -> tasks (task_id));
diesel::joinable!(task_history -> tasks (task_id));

// Coordination tables (migrations/2026-12-01-000000_coordination), written by hand like the above.
diesel::table! {
    task_leases (task_id) {
        task_id -> Integer,
        agent -> Text,
        token -> Text,
        expires_at -> BigInt,
        pooled -> Integer,
        duration_ms -> BigInt,
        claimed_at -> Nullable<Text>,
    }
}

diesel::table! {
    task_dependencies (task_id, depends_on_task_id) {
        task_id -> Integer,
        depends_on_task_id -> Integer,
        created_at -> Nullable<Text>,
    }
}

diesel::table! {
    task_events (cursor) {
        cursor -> BigInt,
        at -> Text,
        kind -> Text,
        task_id -> Nullable<Integer>,
        actor -> Nullable<Text>,
        assignee -> Nullable<Text>,
        prior_assignee -> Nullable<Text>,
        queue -> Nullable<Text>,
        prior_queue -> Nullable<Text>,
        fields -> Text,
    }
}

diesel::joinable!(task_leases -> tasks (task_id));

diesel::allow_tables_to_appear_in_same_query!(
    comments,
    links,
    task_history,
    tasks,
    task_leases,
    task_dependencies,
    task_events,
);
