// Route-table values both sides of the Wasm boundary use. Compiled by AssemblyScript and the host.

/** Largest next hop the table stores (a leaf holds next hop + 1 in 24 bits). */
export const MAX_NEXT_HOP = 0xfffffe;
/** What routeLookup and routeLookupBatch return where no prefix matches. */
export const NO_ROUTE = 0xffffffff;
