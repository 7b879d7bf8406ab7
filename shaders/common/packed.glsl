// Integer images in shader storage buffers: interleaved samples packed little-endian into uint
// words, 4 per word for 8-bit (SAMPLE_BITS 8) and 2 per word for 16-bit (SAMPLE_BITS 16); the
// bytes are exactly core::Image's sample vector. The driver defines SAMPLE_BITS in the prelude.
#ifndef SAMPLE_BITS
#define SAMPLE_BITS 8
#endif
#if SAMPLE_BITS == 8
#define SAMPLES_PER_WORD_N 4
#define SAMPLES_PER_WORD 4u
#define SAMPLE_WORD_SHIFT 2u
#define SAMPLE_MASK 0xffu
#elif SAMPLE_BITS == 16
#define SAMPLES_PER_WORD_N 2
#define SAMPLES_PER_WORD 2u
#define SAMPLE_WORD_SHIFT 1u
#define SAMPLE_MASK 0xffffu
#else
#error SAMPLE_BITS must be 8 or 16
#endif

// Sample i of a packed buffer array `words`.
#define PACKED_SAMPLE(words, i) \
  (((words)[(i) >> SAMPLE_WORD_SHIFT] >> (((i) & (SAMPLES_PER_WORD - 1u)) * uint(SAMPLE_BITS))) & SAMPLE_MASK)
