// Which features near copies are found by: a constant of its own (no kernel code), so the page's first bundle can
// name it. Calibrated with the threshold in docs/BENCHMARKS.md ("Near duplicates").
export const NEAR_DUPLICATE_LAYER: 'flatten' | 'mixed7' = 'flatten';
