/*
 * What the lab needs from zlib to join independently compressed pieces into one gzip member, as
 * pigz does, when the compressing itself is the browser's native CompressionStream("deflate-raw")
 * (twice as fast as zlib in WebAssembly, measured): that stream ends in a final block, so this finds
 * the final block's header (to clear its final bit) and the padding after it (for a sync marker), by
 * an inflate that stops at every block boundary. Also CRC-32 and its combination, and which 64 KiB
 * pieces are near 8 bits of entropy a byte (random or already compressed data: stored, not searched
 * for matches, as Go's klauspost/compress skips such input). Built with Debian's zlib by
 * scripts/build-zlib-wasm.ts; used by src/store/deflate-worker.ts.
 */
#include <math.h>
#include "zlib.h"

#define EXPORT(name) __attribute__((export_name(#name)))

static unsigned char buffer[(4 << 20) + 65536];
static unsigned char scratch[65536];
static z_stream scan;
static int scan_ready;

/* The buffer callers copy into (4 MiB and a bit). */
EXPORT(ll_buffer) unsigned char *ll_buffer(void) { return buffer; }
EXPORT(ll_buffer_size) unsigned ll_buffer_size(void) { return sizeof buffer; }

EXPORT(ll_crc32) unsigned ll_crc32(unsigned crc, unsigned len) { return (unsigned)crc32(crc, buffer, len); }
EXPORT(ll_crc32_combine) unsigned ll_crc32_combine(unsigned a, unsigned b, unsigned len_b) { return (unsigned)crc32_combine(a, b, (z_off_t)len_b); }

/* Bit i set: piece i (of `piece` bytes) of the buffer's first `len` bytes is above 7.9 bits a byte. */
EXPORT(ll_incompressible)
unsigned ll_incompressible(unsigned len, unsigned piece) {
  unsigned mask = 0;
  for (unsigned i = 0, at = 0; at < len && i < 32; i++, at += piece) {
    unsigned n = len - at < piece ? len - at : piece, counts[256] = {0};
    if (n < 4096) continue;
    for (unsigned k = 0; k < n; k++) counts[buffer[at + k]]++;
    double bits = 0;
    for (int c = 0; c < 256; c++) if (counts[c]) { double q = (double)counts[c] / n; bits -= q * log2(q); }
    if (bits > 7.9) mask |= 1u << i;
  }
  return mask;
}

/*
 * For the complete raw deflate stream in the buffer's first `len` bytes: returns the bit offset of
 * its final block's header times 8 plus the padding bits after the final block (0-7), or a negative
 * zlib status (not one whole stream).
 */
EXPORT(ll_final_block)
long long ll_final_block(unsigned len) {
  int r;
  if (!scan_ready) {
    if ((r = inflateInit2(&scan, -15)) != Z_OK) return r;
    scan_ready = 1;
  } else if ((r = inflateReset(&scan)) != Z_OK) return r;
  scan.next_in = buffer; scan.avail_in = len;
  unsigned long long boundary = 0, pad = 0;
  for (;;) {
    scan.next_out = scratch; scan.avail_out = sizeof scratch;
    r = inflate(&scan, Z_BLOCK);
    if (r == Z_STREAM_END) break;
    if (r == Z_BUF_ERROR && scan.avail_in == 0) return Z_DATA_ERROR;
    if (r != Z_OK && r != Z_BUF_ERROR) return r;
    /* Stopped after a block's end: the next block's header is here, or, after the final block, padding. */
    if (scan.data_type & 128) {
      if (scan.data_type & 64) pad = scan.data_type & 7;
      else boundary = (unsigned long long)(len - scan.avail_in) * 8 - (scan.data_type & 7);
    }
  }
  if (scan.avail_in != 0) return Z_DATA_ERROR;
  return (long long)(boundary * 8 + pad);
}
