// The 16-bit routines' portable variant, forced before the first kernel runs (each test file runs in its own
// process), so machines with AVX2 still test what other CPUs run.
import { describeDispatch } from './dispatch-case.js';

process.env.KILN_LOWP_KERNEL = 'generic';
describeDispatch('generic');
