;; wasm_http_get: fetches an allowed URL.
;; The args {"url": "..."} (validated by the kernel against the tool's schema) are already a
;; valid http_request request, so run hands the input region straight to the host and returns
;; the host's answer {"ok":true,"status":...,"body":"..."} (or {"ok":false,"error":...}).
(module
  (import "host" "http_request" (func $http_request (param i32 i32) (result i64)))
  (memory (export "memory") 1)
  (func (export "run") (param $ptr i32) (param $len i32) (result i64)
    (call $http_request (local.get $ptr) (local.get $len))))
