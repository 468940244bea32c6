;; Dense scan kernel: int8 rows × int8 query with WASM SIMD, one float32 score per row (row scale applied).
;; Rows are `stride` bytes apart (a multiple of 16, zero-padded past the model's dims); the query has the same stride.
;; Products of two int8 values fit int16 sums of two, and 4096 dims of 127 × 127 fit int32: no overflow.
(module
  (import "env" "memory" (memory 1))
  ;; scores[r] = scales[r] * Σ_j rows[r · stride + j] · query[j], for r in [0, n)
  (func (export "scan")
    (param $rows i32) (param $n i32) (param $stride i32) (param $query i32) (param $scales i32) (param $scores i32)
    (local $r i32) (local $j i32) (local $p i32) (local $acc v128) (local $a v128) (local $b v128)
    (local.set $p (local.get $rows))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $row_done
          (loop $col
            (br_if $row_done (i32.ge_u (local.get $j) (local.get $stride)))
            (local.set $a (v128.load (i32.add (local.get $p) (local.get $j))))
            (local.set $b (v128.load (i32.add (local.get $query) (local.get $j))))
            (local.set $acc
              (i32x4.add (local.get $acc)
                (i32x4.add
                  (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $a)) (i16x8.extend_low_i8x16_s (local.get $b)))
                  (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $a)) (i16x8.extend_high_i8x16_s (local.get $b))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $col)))
        (f32.store
          (i32.add (local.get $scores) (i32.shl (local.get $r) (i32.const 2)))
          (f32.mul
            (f32.load (i32.add (local.get $scales) (i32.shl (local.get $r) (i32.const 2))))
            (f32.convert_i32_s
              (i32.add
                (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
                (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))))
        (local.set $p (i32.add (local.get $p) (local.get $stride)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row)))))
