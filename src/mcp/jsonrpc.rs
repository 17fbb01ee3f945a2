//! JSON-RPC 2.0 envelopes, hand-written so that id handling (B2–B4, P12) is exact: ids are echoed as the
//! identical JSON value (`0`, strings), notifications never get a reply, `"id": null` is invalid.

use super::protocol::ErrorCode;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// A protocol-level error (as opposed to a tool error, which is a successful result with `isError`).
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i32,
    pub message: String,
    /// Boxed: errors travel in `Result`s and should stay small.
    pub data: Option<Box<Value>>,
}

impl RpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        RpcError {
            code: code.0,
            message: message.into(),
            data: None,
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(Box::new(data));
        self
    }

    pub fn parse_error(detail: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::PARSE_ERROR, format!("Parse error: {detail}"))
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::INVALID_REQUEST, message)
    }

    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            ErrorCode::METHOD_NOT_FOUND,
            format!("Method not found: {method}"),
        )
    }

    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::INVALID_PARAMS, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::INTERNAL_ERROR, message)
    }
}

/// One decoded client message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Request {
        id: Value,
        method: String,
        params: Value,
    },
    Notification {
        method: String,
        params: Value,
    },
    /// A response to a server→client request (we send none yet); accepted and ignored.
    Response,
}

/// Classifies a JSON value as a JSON-RPC message. On error, returns the error and the id to answer with
/// (`null` when the id itself could not be read).
pub fn decode(value: Value) -> Result<Message, (Value, RpcError)> {
    let Value::Object(mut obj) = value else {
        return Err((
            Value::Null,
            RpcError::invalid_request("Invalid Request: expected a JSON-RPC object"),
        ));
    };
    let id = obj.remove("id");
    let id_for_error = match &id {
        Some(v @ (Value::String(_) | Value::Number(_))) => v.clone(),
        _ => Value::Null,
    };
    let fail = |msg: &str| {
        Err((
            id_for_error.clone(),
            RpcError::invalid_request(format!("Invalid Request: {msg}")),
        ))
    };
    if obj.get("jsonrpc") != Some(&json!("2.0")) {
        return fail("\"jsonrpc\" must be \"2.0\"");
    }
    if obj.contains_key("result") || obj.contains_key("error") {
        return if obj.contains_key("method") {
            fail("a message cannot have both method and result/error")
        } else {
            Ok(Message::Response)
        };
    }
    let method = match obj.remove("method") {
        Some(Value::String(m)) => m,
        Some(_) => return fail("\"method\" must be a string"),
        None => return fail("missing \"method\""),
    };
    let params = match obj.remove("params") {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(p @ Value::Object(_)) => p,
        Some(_) => {
            return Err((
                id_for_error,
                RpcError::invalid_params("Invalid params: \"params\" must be an object"),
            ));
        }
    };
    match id {
        None => Ok(Message::Notification { method, params }),
        Some(id @ (Value::String(_) | Value::Number(_))) if is_valid_id(&id) => {
            Ok(Message::Request { id, method, params })
        }
        Some(_) => fail("\"id\" must be a string or an integer (null is not allowed)"),
    }
}

fn is_valid_id(id: &Value) -> bool {
    match id {
        Value::Number(n) => n.is_i64() || n.is_u64(),
        Value::String(_) => true,
        _ => false,
    }
}

/// A serialized JSON-RPC message. Responses are built once as text (no intermediate `Value` tree) and
/// handed to the transports as is.
pub type Json = Box<RawValue>;

/// A response and, when it is an error, its code (transports map some codes to HTTP statuses).
#[derive(Debug)]
pub struct Reply {
    pub json: Json,
    pub error_code: Option<i32>,
}

impl Reply {
    pub fn into_string(self) -> String {
        String::from(Box::<str>::from(self.json))
    }
}

/// Serializes a value that is known to be valid JSON (our own types); never fails in practice.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Json {
    serde_json::value::to_raw_value(value).unwrap_or_else(|e| {
        tracing::error!(error = %e, "serializing a JSON-RPC message failed");
        RawValue::from_string("null".into()).expect("null is JSON")
    })
}

#[derive(Serialize)]
struct Success<'a> {
    jsonrpc: &'static str,
    id: &'a Value,
    result: &'a RawValue,
}

pub fn success(id: &Value, result: &RawValue) -> Reply {
    Reply {
        json: to_json(&Success {
            jsonrpc: "2.0",
            id,
            result,
        }),
        error_code: None,
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: i32,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a Value>,
}

#[derive(Serialize)]
struct Failure<'a> {
    jsonrpc: &'static str,
    id: &'a Value,
    error: ErrorBody<'a>,
}

pub fn failure(id: &Value, error: &RpcError) -> Reply {
    let body = Failure {
        jsonrpc: "2.0",
        id,
        error: ErrorBody {
            code: error.code,
            message: &error.message,
            data: error.data.as_deref(),
        },
    };
    Reply {
        json: to_json(&body),
        error_code: Some(error.code),
    }
}

/// Several replies as one JSON array (a batch response).
pub fn batch(replies: &[Reply]) -> Reply {
    let parts: Vec<&str> = replies.iter().map(|r| r.json.get()).collect();
    let array = format!("[{}]", parts.join(","));
    Reply {
        json: RawValue::from_string(array).expect("an array of JSON values is JSON"),
        error_code: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_kept_exactly() {
        for id in [json!(0), json!("abc"), json!(7)] {
            let msg =
                decode(json!({"jsonrpc": "2.0", "id": id.clone(), "method": "ping"})).unwrap();
            assert_eq!(
                msg,
                Message::Request {
                    id,
                    method: "ping".into(),
                    params: json!({})
                }
            );
        }
    }

    #[test]
    fn null_id_is_invalid_and_missing_id_is_a_notification() {
        let (id, err) =
            decode(json!({"jsonrpc": "2.0", "id": null, "method": "ping"})).unwrap_err();
        assert_eq!((id, err.code), (Value::Null, -32600));
        let msg = decode(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).unwrap();
        assert!(matches!(msg, Message::Notification { .. }));
    }

    #[test]
    fn malformed_envelopes_are_invalid_requests() {
        assert_eq!(decode(json!([1])).unwrap_err().1.code, -32600);
        assert_eq!(
            decode(json!({"id": 1, "method": "ping"}))
                .unwrap_err()
                .1
                .code,
            -32600
        );
        assert_eq!(
            decode(json!({"jsonrpc": "2.0", "id": 1.5, "method": "ping"}))
                .unwrap_err()
                .1
                .code,
            -32600
        );
        let (id, err) =
            decode(json!({"jsonrpc": "2.0", "id": 3, "method": "x", "params": [1]})).unwrap_err();
        assert_eq!((id, err.code), (json!(3), -32602));
    }

    #[test]
    fn responses_from_the_client_are_recognised() {
        assert_eq!(
            decode(json!({"jsonrpc": "2.0", "id": 1, "result": {}})).unwrap(),
            Message::Response
        );
    }

    #[test]
    fn responses_serialize_like_the_spec() {
        let ok = success(&json!(0), &to_json(&json!({})));
        assert_eq!(ok.json.get(), r#"{"jsonrpc":"2.0","id":0,"result":{}}"#);
        let err = failure(
            &json!("a"),
            &RpcError::method_not_found("x").with_data(json!({"m": 1})),
        );
        let parsed: Value = serde_json::from_str(err.json.get()).unwrap();
        assert_eq!(
            parsed,
            json!({"jsonrpc": "2.0", "id": "a", "error": {"code": -32601, "message": "Method not found: x", "data": {"m": 1}}})
        );
        assert_eq!(err.error_code, Some(-32601));
        let both = batch(&[ok, err]);
        assert_eq!(
            serde_json::from_str::<Value>(both.json.get())
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }
}
