// What formats/mx.cpp exposes to its tests: the E8M0 exponent rule of the shared scale
// (FORMATS.md §6.1) computed from the float's bits. Internal to quant/.
#pragma once

namespace qviz::core::mx {

// floor((float)log2((double)amax)) for a positive finite amax, without calling log2: the exponent
// of amax's bits, plus one where amax lies at or above its binade's round-up boundary (the
// smallest float of the binade whose float32 log2 rounds up to the next integer; a table built
// once from that same expression).
int floorLog2f(float amax);

// The reference expression itself, floor((float)log2((double)amax)), for the tests.
int floorLog2fReference(float amax);

}  // namespace qviz::core::mx
