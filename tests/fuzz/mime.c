/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mime.c - libFuzzer harness for lib/mime.
 *
 *	make fuzz   (or: clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined
 *	    -D_GNU_SOURCE -Ilib/base -Ilib/mime lib/mime/[a-z]*.c tests/fuzz/mime.c)
 *
 * Input: the first byte seeds a xorshift generator that cuts the rest into
 * 1..64-byte feeds.  The message is parsed three ways: whole, in those
 * feeds, and one byte at a time.
 *
 * Checks: parts never nest (begin/data/end pair up, data only inside a
 * part, header() never inside a part), depth <= MT_MIME_DEPTH_MAX,
 * part->data_len equals the octets delivered, close() leaves nothing open
 * and a second close() or a later feed is silent, and the three runs give
 * the same callback stream (hashed; part_data and header() chunk bounds
 * ignored) and the same flags.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mt_mime.h"

struct fz {
	uint64_t h;
	uint64_t got;
	int hdr_depth;
	int open;
	int closed;
};

static uint64_t slot[3][8192 / sizeof(uint64_t)];

static void
mix(struct fz *f, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		f->h = (f->h ^ b[i]) * 0x100000001b3ull;
}

static void
on_header(void *ctx, unsigned depth, const uint8_t *p, size_t n)
{
	struct fz *f = ctx;

	if (f->open || f->closed || depth > MT_MIME_DEPTH_MAX || n == 0)
		__builtin_trap();
	if ((int)depth != f->hdr_depth) { /* header() chunk bounds must not matter */
		f->hdr_depth = (int)depth;
		mix(f, &depth, sizeof(depth));
	}
	mix(f, p, n);
}

static void
part_sig(struct fz *f, uint8_t tag, const struct mt_mime_part *pt)
{
	uint64_t v[5] = { pt->index, pt->depth, pt->scope, pt->cte, pt->flags };

	mix(f, &tag, 1);
	mix(f, v, sizeof(v));
	mix(f, pt->type, strlen(pt->type));
	mix(f, pt->filename, strlen(pt->filename));
}

static void
on_begin(void *ctx, const struct mt_mime_part *pt)
{
	struct fz *f = ctx;

	if (f->open || f->closed || pt->depth > MT_MIME_DEPTH_MAX ||
	    strlen(pt->type) >= MT_MIME_TYPE_MAX || strlen(pt->filename) >= MT_MIME_NAME_MAX ||
	    pt->scope == MT_MIME_SCOPE_HEADERS)
		__builtin_trap();
	f->open = 1;
	f->got = 0;
	f->hdr_depth = -1;
	part_sig(f, 'b', pt);
}

static void
on_data(void *ctx, const uint8_t *p, size_t n)
{
	struct fz *f = ctx;

	if (!f->open || n == 0)
		__builtin_trap();
	f->got += n;
	mix(f, p, n);
}

static void
on_end(void *ctx, const struct mt_mime_part *pt)
{
	struct fz *f = ctx;

	if (!f->open || pt->data_len != f->got)
		__builtin_trap();
	f->open = 0;
	part_sig(f, 'e', pt);
}

static const struct mt_mime_ops ops = { on_header, on_begin, on_data, on_end };

static uint32_t
xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct mt_mime *m[3] = { (struct mt_mime *)slot[0], (struct mt_mime *)slot[1],
				 (struct mt_mime *)slot[2] };
	struct fz f[3];
	size_t off, i;
	uint32_t x;
	uint64_t h;

	if (n < 1 || mt_mime_size() > sizeof(slot[0]))
		return 0;
	for (i = 0; i < 3; i++) {
		memset(&f[i], 0, sizeof(f[i]));
		f[i].hdr_depth = -1;
		f[i].h = 0xcbf29ce484222325ull;
		mt_mime_init(m[i], &ops, &f[i]);
	}
	x = 0x9e3779b9u ^ d[0];
	mt_mime_feed(m[0], d + 1, n - 1);
	for (off = 1; off < n;) {
		size_t len = (xorshift(&x) & 63) + 1;

		len = len < n - off ? len : n - off;
		mt_mime_feed(m[1], d + off, len);
		off += len;
	}
	for (off = 1; off < n; off++)
		mt_mime_feed(m[2], d + off, 1);
	for (i = 0; i < 3; i++) {
		mt_mime_close(m[i]);
		if (f[i].open)
			__builtin_trap();
	}
	if (f[0].h != f[1].h || f[0].h != f[2].h ||
	    mt_mime_flags(m[0]) != mt_mime_flags(m[1]) ||
	    mt_mime_flags(m[0]) != mt_mime_flags(m[2]) ||
	    mt_mime_parts(m[0]) != mt_mime_parts(m[2]))
		__builtin_trap();
	f[0].closed = 1;
	h = f[0].h;
	mt_mime_close(m[0]);
	mt_mime_feed(m[0], d, n);
	if (f[0].h != h)
		__builtin_trap();
	return 0;
}
