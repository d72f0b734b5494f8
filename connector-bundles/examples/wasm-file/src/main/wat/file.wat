;; wasm_file_read: reads an allowed file.
;; The args {"path": "/absolute/path"} are already a valid fs_read request, so run hands the
;; input region straight to the host and returns {"ok":true,"bytes":n,"data_b64":"..."}.
(module
  (import "host" "fs_read" (func $fs_read (param i32 i32) (result i64)))
  (memory (export "memory") 1)
  (func (export "run") (param $ptr i32) (param $len i32) (result i64)
    (call $fs_read (local.get $ptr) (local.get $len))))
