// Bounds of the memory settings: the schema validates with them and the settings panel shows them.
// Kept free of zod, which the browser bundle must not load (its eval probe trips the page's CSP).
export const MEMORY_BOUNDS = {
  hybridWeight: { min: 0, max: 1 },
  minSimilarity: { min: 0, max: 1 },
} as const;
