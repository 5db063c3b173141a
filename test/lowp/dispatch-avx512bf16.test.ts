// The 16-bit routines' AVX-512 BF16 variant forced: where the CPU lacks avx512bf16 (this machine, CI) the
// dispatch must fall back to what the CPU has, never executing vdpbf16ps (an illegal instruction would kill the
// test process); where the CPU has it, the vdpbf16ps GEMV runs here against the interpreter.
import { describeDispatch } from './dispatch-case.js';

process.env.KILN_LOWP_KERNEL = 'avx512bf16';
describeDispatch('avx512bf16');
