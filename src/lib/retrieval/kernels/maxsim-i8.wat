;; MaxSim kernel: per query token, the document token with the largest int8 dot product times its scale (WASM SIMD).
;; Query and document tokens are int8 rows `stride` bytes apart (a multiple of 16, zero-padded past the dims).
;; Writes best[i] (f32: dot · docScale) and arg[i] (i32: the token; the first one wins ties; −1 when nd is 0).
(module
  (import "env" "memory" (memory 1))
  (func (export "maxsim")
    (param $q i32) (param $nq i32) (param $d i32) (param $nd i32) (param $stride i32)
    (param $scales i32) (param $best i32) (param $arg i32)
    (local $i i32) (local $t i32) (local $j i32) (local $qp i32) (local $dp i32)
    (local $acc v128) (local $a v128) (local $b v128) (local $s f32) (local $top f32) (local $at i32)
    (local.set $qp (local.get $q))
    (block $queries_done
      (loop $query
        (br_if $queries_done (i32.ge_u (local.get $i) (local.get $nq)))
        (local.set $top (f32.const -inf))
        (local.set $at (i32.const -1))
        (local.set $dp (local.get $d))
        (local.set $t (i32.const 0))
        (block $tokens_done
          (loop $token
            (br_if $tokens_done (i32.ge_u (local.get $t) (local.get $nd)))
            (local.set $acc (v128.const i32x4 0 0 0 0))
            (local.set $j (i32.const 0))
            (block $dims_done
              (loop $dim
                (br_if $dims_done (i32.ge_u (local.get $j) (local.get $stride)))
                (local.set $a (v128.load (i32.add (local.get $qp) (local.get $j))))
                (local.set $b (v128.load (i32.add (local.get $dp) (local.get $j))))
                (local.set $acc
                  (i32x4.add (local.get $acc)
                    (i32x4.add
                      (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $a)) (i16x8.extend_low_i8x16_s (local.get $b)))
                      (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $a)) (i16x8.extend_high_i8x16_s (local.get $b))))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $dim)))
            (local.set $s
              (f32.mul
                (f32.load (i32.add (local.get $scales) (i32.shl (local.get $t) (i32.const 2))))
                (f32.convert_i32_s
                  (i32.add
                    (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
                    (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))))
            (if (f32.gt (local.get $s) (local.get $top))
              (then
                (local.set $top (local.get $s))
                (local.set $at (local.get $t))))
            (local.set $dp (i32.add (local.get $dp) (local.get $stride)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $token)))
        (f32.store (i32.add (local.get $best) (i32.shl (local.get $i) (i32.const 2))) (local.get $top))
        (i32.store (i32.add (local.get $arg) (i32.shl (local.get $i) (i32.const 2))) (local.get $at))
        (local.set $qp (i32.add (local.get $qp) (local.get $stride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $query)))))
