// passes/testing: helpers for property tests of passes (to become `kiln/testing`).
export * from './arbitraries.js';
export * from './compare.js';
