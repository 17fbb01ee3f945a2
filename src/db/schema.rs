// @generated automatically by Diesel CLI.

diesel::table! {
    comments (id) {
        id -> Nullable<Integer>,
        task_id -> Integer,
        content -> Text,
        created_by -> Nullable<Text>,
        created_at -> Nullable<Timestamp>,
        updated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    links (id) {
        id -> Nullable<Integer>,
        task_id -> Integer,
        url -> Text,
        description -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Nullable<Timestamp>,
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
        changed_at -> Nullable<Timestamp>,
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
        created_at -> Nullable<Timestamp>,
        updated_at -> Nullable<Timestamp>,
        archived_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(comments -> tasks (task_id));
diesel::joinable!(links -> tasks (task_id));
diesel::joinable!(task_history -> tasks (task_id));

diesel::allow_tables_to_appear_in_same_query!(comments, links, task_history, tasks,);
